import { test } from 'node:test'
import assert from 'node:assert/strict'
import { fileURLToPath } from 'node:url'
import { readPcap, readPcapBatches } from '../../harness/capture/index.js'
import type { CapturedPacket } from '../../harness/interface/index.js'

const fixture = (name: string): string => fileURLToPath(new URL(`../../../fixtures/pcap/${name}`, import.meta.url))

async function collect(path: string): Promise<CapturedPacket[]> {
  const packets: CapturedPacket[] = []
  for await (const p of readPcap(path)) packets.push(p)
  return packets
}

// Expected figures come from `tcpdump -n -tt -r` (see fixtures/pcap/energybox/README.md).
test('EnergyBox test1: Linux cooked v1 frames with IPv4 addresses and cooked wire lengths', async () => {
  const packets = await collect(fixture('energybox/test1.pcap'))
  assert.equal(packets.length, 177)
  assert.equal(packets.filter((p) => p.ip?.version === 4).length, 177)
  assert.equal(packets.filter((p) => p.ip?.src === '90.235.80.224').length, 90)
  const first = packets[0]
  assert.equal(first.timestampUs, 1321518216239723)
  assert.equal(first.linkType, 113)
  assert.deepEqual(first.ip, { version: 4, src: '90.235.80.224', dst: '69.171.227.26', protocol: 'tcp', length: 104 })
  assert.deepEqual(first.transport, { srcPort: 59630, dstPort: 5222, payloadLength: 52, tcp: { seq: 445588781, ack: 3766780468, flags: 0x18 } })
  // wire length includes the 16-byte cooked header: IP length 104 + 16
  assert.equal(first.wireLength, 120)
  assert.equal(first.capturedLength, 120)
  assert.deepEqual(
    packets.map((p) => p.index),
    packets.map((_, i) => i)
  )
  // tcpdump's second line: a UDP datagram of 41 payload bytes
  assert.equal(packets[1].timestampUs, 1321518217360815)
  assert.deepEqual(packets[1].transport, { srcPort: 63753, dstPort: 48949, payloadLength: 41 })
  // the file is not time-ordered and the reader must keep file order
  let backwards = 0
  for (let i = 1; i < packets.length; i++) if (packets[i].timestampUs < packets[i - 1].timestampUs) backwards++
  assert.equal(backwards, 7)
})

test('EnergyBox test2: IPv4 and IPv6 loopback UDP in one cooked capture', async () => {
  const packets = await collect(fixture('energybox/test2.pcap'))
  assert.equal(packets.length, 187)
  assert.equal(packets.filter((p) => p.ip?.version === 4).length, 161)
  const v6 = packets.filter((p) => p.ip?.version === 6)
  assert.equal(v6.length, 26)
  const firstV6 = v6[0]
  assert.equal(firstV6.timestampUs, 1333022785616719)
  assert.deepEqual(firstV6.ip, { version: 6, src: '::1', dst: '::1', protocol: 'udp', length: 40 + 8 + 16 })
  assert.deepEqual(firstV6.transport, { srcPort: 37203, dstPort: 37203, payloadLength: 16 })
})

test('batches hold the same packets as the per-packet stream, and a tiny chunk size changes nothing', async () => {
  const path = fixture('energybox/test2.pcap')
  const single = await collect(path)
  const batched: CapturedPacket[] = []
  for await (const batch of readPcapBatches(path, { chunkSize: 100 })) batched.push(...batch)
  assert.deepEqual(batched, single)
})

// Real captures of one known exchange, written by tcpdump (fixtures/pcap/README.md). The TCP
// payload is 1000 bytes each way; UDP datagrams carry 100, 200 and 300 bytes.
for (const [name, linkType, firstUs, firstLen] of [
  ['lo-en10mb', 1, 1795582759500130, 74],
  ['any-sll2', 276, 1795582761216294, 80],
  ['any-sll', 113, 1795582762907502, 76],
  ['lo-ns', 1, 1795582764603228, 74]
] as const) {
  test(`tcpdump capture ${name}: link type ${linkType}, timestamps, TCP and UDP over IPv4 and IPv6`, async () => {
    const packets = await collect(fixture(`loopback/${name}.pcap`))
    assert.equal(packets.length, 16)
    assert.ok(packets.every((p) => p.linkType === linkType))
    assert.equal(packets[0].timestampUs, firstUs)
    assert.equal(packets[0].wireLength, firstLen)
    const tcpPayload = packets
      .filter((p) => p.ip?.protocol === 'tcp')
      .map((p) => p.transport!.payloadLength)
      .filter((n) => n > 0)
    assert.deepEqual(tcpPayload, [1000, 1000])
    const udp6 = packets.filter((p) => p.ip?.version === 6 && p.ip.protocol === 'udp')
    assert.deepEqual(
      udp6.map((p) => [p.ip!.src, p.ip!.dst, p.transport!.dstPort, p.transport!.payloadLength]),
      [
        ['::1', '::1', 47002, 100],
        ['::1', '::1', 47002, 200],
        ['::1', '::1', 47002, 300]
      ]
    )
    const udp4 = packets.filter((p) => p.ip?.version === 4 && p.ip.protocol === 'udp')
    assert.deepEqual(
      udp4.map((p) => p.transport!.payloadLength),
      [100, 200, 300]
    )
    // the wire length counts the link header: IPv4 UDP 100 bytes = 20 + 8 + 100 + link header
    const linkHeader = { 1: 14, 113: 16, 276: 20 }[linkType]
    assert.equal(udp4[0].wireLength, 128 + linkHeader)
  })
}

test('the nanosecond file keeps µs precision (truncated, not rounded)', async () => {
  // tshark shows the first frame at .603228999: truncation gives ...228, rounding would give ...229
  const [first] = await collect(fixture('loopback/lo-ns.pcap'))
  assert.equal(first.timestampUs % 1000, 228)
})

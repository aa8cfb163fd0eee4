import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { spawnSync } from 'node:child_process'
import {
  analyzePcapFile,
  buildFrame,
  LinkType,
  pcapGlobalHeader,
  pcapRecord,
  readPcap,
  TcpFlags,
  type FrameSpec,
  type PcapWriterInit
} from '../../harness/capture/index.js'
import { radioPacketsFromCapture } from '../../harness/energy/index.js'
import type { CapturedPacket } from '../../harness/interface/index.js'

const dir = await mkdtemp(join(tmpdir(), 'courier-capture-'))
test.after(async () => {
  await rm(dir, { recursive: true, force: true })
})

let counter = 0
async function writeCapture(init: PcapWriterInit, frames: Array<{ frame: Buffer; us: number; capturedLength?: number }>): Promise<string> {
  const path = join(dir, `c${counter++}.pcap`)
  await writeFile(path, Buffer.concat([pcapGlobalHeader(init), ...frames.map((f) => pcapRecord(init, f.frame, f.us, { capturedLength: f.capturedLength }))]))
  return path
}

async function collect(path: string): Promise<CapturedPacket[]> {
  const packets: CapturedPacket[] = []
  for await (const p of readPcap(path)) packets.push(p)
  return packets
}

const tcpdumpPresent = spawnSync('tcpdump', ['--version'], { stdio: 'ignore' }).status === 0

/** What tcpdump itself prints for the file: the independent check that the frames are what we think. */
function tcpdumpText(path: string, extra: string[] = []): string {
  const result = spawnSync('tcpdump', ['-n', '-tt', ...extra, '-r', path], { encoding: 'utf8' })
  return result.stdout
}

const linkTypes = [LinkType.ethernet, LinkType.linuxSll, LinkType.linuxSll2, LinkType.null, LinkType.loop, LinkType.raw, LinkType.rawDlt12, LinkType.rawDlt14]
const headerLength: Record<number, number> = { 1: 14, 113: 16, 276: 20, 0: 4, 108: 4, 101: 0, 12: 0, 14: 0 }

for (const linkType of linkTypes) {
  for (const byteOrder of ['little', 'big'] as const) {
    test(`linktype ${linkType}, ${byteOrder}-endian: IPv4 TCP with options and IPv6 UDP decode`, async (t) => {
      const tcp: FrameSpec = {
        linkType,
        src: '10.1.2.3',
        dst: '192.168.200.7',
        protocol: 'tcp',
        srcPort: 40000,
        dstPort: 443,
        payload: 777,
        tcp: { seq: 0xfffffff0, ack: 12345, flags: TcpFlags.psh | TcpFlags.ack, optionBytes: 12 }
      }
      const udp: FrameSpec = {
        linkType,
        src: '2001:db8::1',
        dst: 'fe80::abcd:1',
        protocol: 'udp',
        srcPort: 41000,
        dstPort: 9001,
        payload: 33,
        nullByteOrder: byteOrder
      }
      const path = await writeCapture({ linkType, byteOrder }, [
        { frame: buildFrame(tcp), us: 1_700_000_000_123_456 },
        { frame: buildFrame(udp), us: 1_700_000_001_000_001 }
      ])
      const [a, b] = await collect(path)
      assert.equal(a.timestampUs, 1_700_000_000_123_456)
      assert.equal(a.wireLength, headerLength[linkType] + 20 + 32 + 777)
      assert.deepEqual(a.ip, { version: 4, src: '10.1.2.3', dst: '192.168.200.7', protocol: 'tcp', length: 20 + 32 + 777 })
      assert.deepEqual(a.transport, { srcPort: 40000, dstPort: 443, payloadLength: 777, tcp: { seq: 0xfffffff0, ack: 12345, flags: 0x18 } })
      assert.equal(b.timestampUs, 1_700_000_001_000_001)
      assert.deepEqual(b.ip, { version: 6, src: '2001:db8::1', dst: 'fe80::abcd:1', protocol: 'udp', length: 40 + 8 + 33 })
      assert.deepEqual(b.transport, { srcPort: 41000, dstPort: 9001, payloadLength: 33 })
      // tcpdump (4.99) reads raw IP only as LINKTYPE_RAW 101 and 12; 14 is OpenBSD's number
      if (tcpdumpPresent && linkType !== LinkType.rawDlt14) {
        const text = tcpdumpText(path)
        assert.match(text, /^1700000000\.123456 .*10\.1\.2\.3\.40000 > 192\.168\.200\.7\.443: .*length 777/m)
        assert.match(text, /^1700000001\.000001 .*2001:db8::1\.41000 > fe80::abcd:1\.9001: UDP, length 33/m)
      } else if (!tcpdumpPresent) {
        t.diagnostic('tcpdump not installed: frames checked against courier only')
      }
    })
  }
}

test('nanosecond files in both byte orders: timestamps truncated to µs', async () => {
  for (const byteOrder of ['little', 'big'] as const) {
    const init: PcapWriterInit = { linkType: LinkType.raw, byteOrder, nanosecond: true }
    const frame = buildFrame({ linkType: LinkType.raw, src: '1.2.3.4', dst: '5.6.7.8', protocol: 'udp', srcPort: 1, dstPort: 2, payload: 5 })
    const path = join(dir, `ns-${byteOrder}.pcap`)
    await writeFile(path, Buffer.concat([pcapGlobalHeader(init), pcapRecord(init, frame, 1_600_000_000_000_000, { subsecondNs: 999_999_999 })]))
    const [p] = await collect(path)
    assert.equal(p.timestampUs, 1_600_000_000_999_999)
  }
})

test('802.1Q: one and two stacked VLAN tags on Ethernet', async () => {
  for (const vlanIds of [[7], [100, 200]]) {
    const spec: FrameSpec = {
      linkType: LinkType.ethernet,
      vlanIds,
      src: '10.0.0.1',
      dst: '10.0.0.2',
      protocol: 'udp',
      srcPort: 41053,
      dstPort: 5000,
      payload: 64
    }
    const path = await writeCapture({ linkType: LinkType.ethernet }, [{ frame: buildFrame(spec), us: 1e15 }])
    const [p] = await collect(path)
    assert.equal(p.wireLength, 14 + 4 * vlanIds.length + 20 + 8 + 64)
    assert.equal(p.ip?.src, '10.0.0.1')
    assert.deepEqual(p.transport, { srcPort: 41053, dstPort: 5000, payloadLength: 64 })
    if (tcpdumpPresent)
      assert.match(tcpdumpText(path, ['-e']), new RegExp(`vlan ${vlanIds[0]}.*10\\.0\\.0\\.1\\.41053 > 10\\.0\\.0\\.2\\.5000: UDP, length 64`))
  }
})

test('IPv6 extension headers are skipped by their own lengths; a non-first fragment has no transport', async () => {
  const spec: FrameSpec = {
    linkType: LinkType.ethernet,
    src: '2001:db8::10',
    dst: '2001:db8::20',
    protocol: 'tcp',
    srcPort: 1234,
    dstPort: 80,
    payload: 100,
    ipv6Extensions: ['hop-by-hop', 'destination', 'routing', 'fragment']
  }
  const frame = buildFrame(spec)
  const path = await writeCapture({ linkType: LinkType.ethernet }, [{ frame, us: 1e15 }])
  const [p] = await collect(path)
  assert.equal(p.ip?.protocol, 'tcp')
  assert.equal(p.ip?.length, 40 + 16 + 16 + 24 + 8 + 20 + 100)
  assert.deepEqual(p.transport, { srcPort: 1234, dstPort: 80, payloadLength: 100, tcp: { seq: 0, ack: 0, flags: TcpFlags.ack } })
  if (tcpdumpPresent) assert.match(tcpdumpText(path), /2001:db8::10 > 2001:db8::20: HBH DSTOPT RT6 .* frag \(0\|120\) 1234 > 80: .*length 100/)

  // the same frame with the fragment offset set: the bytes after the header are not TCP
  const later = Buffer.from(frame)
  const fragmentAt = 14 + 40 + 16 + 16 + 24
  later.writeUInt16BE(185 << 3, fragmentAt + 2)
  const path2 = await writeCapture({ linkType: LinkType.ethernet }, [{ frame: later, us: 1e15 }])
  const [q] = await collect(path2)
  assert.equal(q.ip?.protocol, 'tcp')
  assert.equal(q.transport, undefined)
})

test('a snaplen cut frame still reports the payload length its IP header states', async () => {
  const spec: FrameSpec = { linkType: LinkType.ethernet, src: '10.0.0.1', dst: '10.0.0.2', protocol: 'tcp', srcPort: 1, dstPort: 2, payload: 1400 }
  const path = await writeCapture({ linkType: LinkType.ethernet, snaplen: 96 }, [{ frame: buildFrame(spec), us: 1e15, capturedLength: 96 }])
  const [p] = await collect(path)
  assert.equal(p.capturedLength, 96)
  assert.equal(p.wireLength, 14 + 20 + 20 + 1400)
  assert.equal(p.transport?.payloadLength, 1400)
  // cut inside the IP header: counted, but no IP
  const path2 = await writeCapture({ linkType: LinkType.ethernet, snaplen: 20 }, [{ frame: buildFrame(spec), us: 1e15, capturedLength: 20 }])
  const [q] = await collect(path2)
  assert.equal(q.ip, undefined)
  assert.equal(q.wireLength, 1454)
})

test('a snaplen capture: bytes per direction, per endpoint and per second are wire lengths, not what was captured', async () => {
  // 96 bytes kept of every frame; the two directions carry different payloads, so the wire and
  // captured figures differ per direction, not only in total
  const frame = (up: boolean, payload: number, seq: number): Buffer =>
    buildFrame({
      linkType: LinkType.ethernet,
      protocol: 'tcp',
      payload,
      src: up ? '10.0.0.1' : '10.0.0.9',
      dst: up ? '10.0.0.9' : '10.0.0.1',
      srcPort: up ? 40000 : 60000,
      dstPort: up ? 60000 : 40000,
      tcp: { seq, ack: 0, flags: up && seq === 0 ? TcpFlags.syn : TcpFlags.ack }
    })
  const us = 1_700_000_000_000_000
  const frames = [
    { frame: frame(true, 0, 0), us }, // SYN: 54 on the wire, 54 kept
    { frame: frame(true, 1000, 1), us: us + 100 }, // 1054 on the wire, 96 kept
    { frame: frame(false, 3000, 1), us: us + 200 }, // 3054, 96 kept
    { frame: frame(false, 500, 3001), us: us + 1_000_300 } // 554, 96 kept, next second
  ]
  const path = await writeCapture(
    { linkType: LinkType.ethernet, snaplen: 96 },
    frames.map((f) => ({ ...f, capturedLength: Math.min(96, f.frame.length) }))
  )
  const { analysis } = await analyzePcapFile(path, { perSecond: true })
  const [c] = analysis.conversations
  assert.equal(c.key, 'tcp 10.0.0.1:40000 <-> 10.0.0.9:60000')
  assert.deepEqual([c.aToB.wireBytes, c.aToB.payloadBytes, c.bToA.wireBytes, c.bToA.payloadBytes], [54 + 1054, 1000, 3054 + 554, 3500])
  assert.equal(c.wireBytes, 4716)
  assert.deepEqual([analysis.totals.wireBytes, analysis.totals.capturedBytes], [4716, 54 + 96 * 3])
  const client = analysis.endpoints.find((e) => e.ip === '10.0.0.1')!
  assert.deepEqual([client.wireBytesSent, client.wireBytesReceived], [1108, 3608])
  assert.deepEqual(
    analysis.timeline!.seconds.map((s) => [s.up, s.down]),
    [
      [1108, 3054],
      [0, 554]
    ]
  )
  // the radio timeline an energy model prices takes the same wire lengths, per direction
  const frames2 = []
  for await (const p of readPcap(path)) frames2.push(p)
  const radio = radioPacketsFromCapture(frames2, { deviceAddress: '10.0.0.1' })
  assert.deepEqual(
    radio.packets.map((p) => [p.direction, p.bytes]),
    [
      ['up', 54],
      ['up', 1054],
      ['down', 3054],
      ['down', 554]
    ]
  )
})

test('NULL link type: the family is read in either byte order, with every BSD AF_INET6 value', async () => {
  for (const nullByteOrder of ['little', 'big'] as const) {
    for (const family of [10, 24, 28, 30]) {
      const spec: FrameSpec = {
        linkType: LinkType.null,
        nullByteOrder,
        nullInet6Family: family,
        src: '::1',
        dst: '::2',
        protocol: 'udp',
        srcPort: 1,
        dstPort: 2,
        payload: 1
      }
      const [p] = await collect(await writeCapture({ linkType: LinkType.null }, [{ frame: buildFrame(spec), us: 1e15 }]))
      assert.equal(p.ip?.version, 6, `family ${family} ${nullByteOrder}`)
    }
  }
})

test('frames courier does not decode are still counted: ARP on Ethernet, an unknown link type', async () => {
  const arp = Buffer.alloc(42)
  arp.writeUInt16BE(0x0806, 12)
  const eth = await writeCapture({ linkType: LinkType.ethernet }, [{ frame: arp, us: 1e15 }])
  const unknown = await writeCapture({ linkType: 147 }, [
    { frame: Buffer.alloc(50), us: 1e15 },
    { frame: Buffer.alloc(60), us: 1e15 + 1 }
  ])
  const [a] = await collect(eth)
  assert.equal(a.ip, undefined)
  const u = await collect(unknown)
  assert.deepEqual(
    u.map((p) => [p.linkType, p.wireLength, p.ip]),
    [
      [147, 50, undefined],
      [147, 60, undefined]
    ]
  )
})

test('a record larger than the read chunk is read whole', async () => {
  const spec: FrameSpec = { linkType: LinkType.raw, src: '10.0.0.1', dst: '10.0.0.2', protocol: 'tcp', srcPort: 1, dstPort: 2, payload: 60000 }
  const path = await writeCapture({ linkType: LinkType.raw }, [
    { frame: buildFrame(spec), us: 1e15 },
    { frame: buildFrame({ ...spec, payload: 10 }), us: 1e15 }
  ])
  const packets: CapturedPacket[] = []
  for await (const p of readPcap(path, { chunkSize: 1024 })) packets.push(p)
  assert.deepEqual(
    packets.map((p) => p.transport?.payloadLength),
    [60000, 10]
  )
})

test('an aborted read stops with the abort reason', async () => {
  const frame = buildFrame({ linkType: LinkType.raw, src: '10.0.0.1', dst: '10.0.0.2', protocol: 'udp', srcPort: 1, dstPort: 2, payload: 1000 })
  const path = await writeCapture(
    { linkType: LinkType.raw },
    Array.from({ length: 500 }, (_, i) => ({ frame, us: 1e15 + i }))
  )
  const controller = new AbortController()
  let seen = 0
  await assert.rejects(async () => {
    for await (const _ of readPcap(path, { signal: controller.signal, chunkSize: 4096 })) {
      if (++seen === 10) controller.abort(new Error('stop here'))
    }
  }, /stop here/)
  assert.ok(seen < 500)
})

test('IPv4 options are skipped by the header length; a non-first IPv4 fragment has no transport; ICMP is named', async () => {
  const plain = buildFrame({ linkType: LinkType.raw, src: '10.0.0.1', dst: '10.0.0.2', protocol: 'udp', srcPort: 41000, dstPort: 41001, payload: 50 })
  // insert 8 bytes of options (NOPs, then end of list) after the 20-byte header
  const withOptions = Buffer.concat([plain.subarray(0, 20), Buffer.from([1, 1, 1, 1, 1, 1, 1, 0]), plain.subarray(20)])
  withOptions[0] = 0x47
  withOptions.writeUInt16BE(plain.length + 8, 2)
  const fragment = Buffer.from(plain)
  fragment.writeUInt16BE(0x0000 | 100, 6) // offset 100 * 8 bytes, no DF
  const icmp = buildFrame({ linkType: LinkType.raw, src: '10.0.0.1', dst: '10.0.0.2', protocol: 'icmp' })
  const path = await writeCapture({ linkType: LinkType.raw }, [
    { frame: withOptions, us: 1e15 },
    { frame: fragment, us: 1e15 + 1 },
    { frame: icmp, us: 1e15 + 2 }
  ])
  const [a, b, c] = await collect(path)
  assert.deepEqual(a.transport, { srcPort: 41000, dstPort: 41001, payloadLength: 50 })
  assert.equal(a.ip?.length, 20 + 8 + 8 + 50)
  assert.equal(b.ip?.protocol, 'udp')
  assert.equal(b.transport, undefined)
  assert.equal(c.ip?.protocol, 'icmp')
  if (tcpdumpPresent) {
    const text = tcpdumpText(path, ['-v'])
    assert.match(text, /options \(NOP,NOP,NOP,NOP,NOP,NOP,NOP,EOL\)/)
    assert.match(text, /10\.0\.0\.1\.41000 > 10\.0\.0\.2\.41001: UDP, length 50/)
  }
})

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { fileURLToPath } from 'node:url'
import { analyzePackets, analyzePcapFile, parseEndpointMap, readPcap, SeqTracker, TcpFlags, type CaptureAnalysis } from '../../harness/capture/index.js'
import type { CapturedPacket } from '../../harness/interface/index.js'

const fixture = (name: string): string => fileURLToPath(new URL(`../../../fixtures/pcap/${name}`, import.meta.url))

let index = 0
/** A decoded TCP/UDP packet as the reader would yield it; wire = payload + 54 unless given. */
function pkt(p: { t: number; src: string; dst: string; proto?: 'tcp' | 'udp'; payload?: number; seq?: number; flags?: number; wire?: number }): CapturedPacket {
  const [srcIp, srcPort] = p.src.split(':')
  const [dstIp, dstPort] = p.dst.split(':')
  const payload = p.payload ?? 0
  const proto = p.proto ?? 'tcp'
  return {
    index: index++,
    timestampUs: p.t,
    wireLength: p.wire ?? payload + 54,
    capturedLength: p.wire ?? payload + 54,
    linkType: 1,
    ip: { version: 4, src: srcIp, dst: dstIp, protocol: proto, length: payload + 40 },
    transport: {
      srcPort: Number(srcPort),
      dstPort: Number(dstPort),
      payloadLength: payload,
      ...(proto === 'tcp' ? { tcp: { seq: p.seq ?? 0, ack: 0, flags: p.flags ?? TcpFlags.ack } } : {})
    }
  }
}

const C = '10.0.0.1:40000'
const S = '10.0.0.9:443'

test('both directions merge into one conversation; A is the sender of the SYN; wire and payload per direction', async () => {
  const a = await analyzePackets([
    pkt({ t: 1_000_000, src: C, dst: S, seq: 100, flags: TcpFlags.syn }),
    pkt({ t: 1_000_100, src: S, dst: C, seq: 900, flags: TcpFlags.syn | TcpFlags.ack }),
    pkt({ t: 1_000_200, src: C, dst: S, seq: 101, payload: 500 }),
    pkt({ t: 1_000_300, src: S, dst: C, seq: 901, payload: 1200 }),
    pkt({ t: 1_000_400, src: C, dst: S, seq: 601, payload: 300 })
  ])
  assert.equal(a.conversations.length, 1)
  const c = a.conversations[0]
  assert.equal(c.key, 'tcp 10.0.0.1:40000 <-> 10.0.0.9:443')
  assert.equal(c.label, 'https')
  assert.deepEqual(c.aToB, { packets: 3, wireBytes: 54 * 3 + 800, payloadBytes: 800, retransmittedPackets: 0, retransmittedBytes: 0 })
  assert.deepEqual(c.bToA, { packets: 2, wireBytes: 54 * 2 + 1200, payloadBytes: 1200, retransmittedPackets: 0, retransmittedBytes: 0 })
  assert.equal(c.firstUs, 1_000_000)
  assert.equal(c.lastUs, 1_000_400)
  assert.equal(a.totals.payloadBytes, 2000)
  assert.equal(a.totals.wireBytes, 54 * 5 + 2000)
  const client = a.endpoints.find((e) => e.key === C)!
  assert.deepEqual([client.packetsSent, client.packetsReceived, client.payloadBytesSent, client.payloadBytesReceived], [3, 2, 800, 1200])
})

test('a SYN-ACK seen first makes its receiver the initiator', async () => {
  const a = await analyzePackets([
    pkt({ t: 1, src: S, dst: C, seq: 900, flags: TcpFlags.syn | TcpFlags.ack }),
    pkt({ t: 2, src: C, dst: S, seq: 101, payload: 10 })
  ])
  assert.equal(a.conversations[0].a.key, C)
  assert.equal(a.conversations[0].aToB.payloadBytes, 10)
})

test('retransmissions: a full resend, a partial overlap, and an out-of-order segment filling a hole', async () => {
  const a = await analyzePackets([
    pkt({ t: 1, src: C, dst: S, seq: 1000, payload: 100 }), // 1000-1100
    pkt({ t: 2, src: C, dst: S, seq: 1200, payload: 100 }), // 1200-1300, hole 1100-1200
    pkt({ t: 3, src: C, dst: S, seq: 1100, payload: 100 }), // fills the hole: new, not a retransmission
    pkt({ t: 4, src: C, dst: S, seq: 1000, payload: 100 }), // full resend
    pkt({ t: 5, src: C, dst: S, seq: 1250, payload: 100 }), // 50 old + 50 new
    pkt({ t: 6, src: S, dst: C, seq: 5, payload: 0 }) // pure ACK: never a retransmission
  ])
  const c = a.conversations[0]
  assert.deepEqual(c.aToB, { packets: 5, wireBytes: 5 * 54 + 500, payloadBytes: 350, retransmittedPackets: 2, retransmittedBytes: 150 })
  assert.equal(c.bToA.retransmittedPackets, 0)
  assert.equal(a.totals.retransmittedBytes, 150)
})

test('sequence numbers wrapping past 2^32 are one stream, not a resend', () => {
  const tracker = new SeqTracker()
  assert.equal(tracker.add(0xffffff00, 0x100), 0x100)
  assert.equal(tracker.add(0, 1000), 1000)
  assert.equal(tracker.add(0xffffff80, 0x80), 0)
  // a broken tracker that compares raw sequence numbers would call the second segment old
  assert.equal(tracker.add(1000, 10), 10)
})

test('UDP: every datagram is payload, nothing is a retransmission; non-IP frames count in totals only', async () => {
  const nonIp: CapturedPacket = { index: 99, timestampUs: 3, wireLength: 60, capturedLength: 60, linkType: 1 }
  const a = await analyzePackets([
    pkt({ t: 1, src: '10.0.0.1:5000', dst: '10.0.0.2:53', proto: 'udp', payload: 40 }),
    pkt({ t: 2, src: '10.0.0.1:5000', dst: '10.0.0.2:53', proto: 'udp', payload: 40 }),
    nonIp
  ])
  assert.equal(a.conversations[0].label, 'dns')
  assert.deepEqual(a.conversations[0].aToB, { packets: 2, wireBytes: 188, payloadBytes: 80, retransmittedPackets: 0, retransmittedBytes: 0 })
  assert.deepEqual([a.totals.packets, a.totals.udpPackets, a.totals.nonIpPackets, a.totals.wireBytes], [3, 2, 1, 248])
})

test('the map file names endpoints (by ip:port, or by ip for any port) and labels ports', async () => {
  const map = parseEndpointMap(
    [
      'endpoints:',
      '  "127.0.0.1:60001": { name: store-1, role: store }',
      '  "10.0.0.7": { name: phone, role: device }',
      'protocols:',
      '  60001: waku-store',
      '  udp/9000: my-discv5'
    ].join('\n'),
    'map.yaml'
  )
  const a = await analyzePackets(
    [
      pkt({ t: 1, src: '10.0.0.7:41000', dst: '127.0.0.1:60001', payload: 10 }),
      pkt({ t: 2, src: '10.0.0.7:41001', dst: '10.0.0.8:9000', proto: 'udp', payload: 10 })
    ],
    { map }
  )
  const tcp = a.conversations.find((c) => c.protocol === 'tcp')!
  assert.deepEqual([tcp.a.name, tcp.a.role, tcp.b.name, tcp.b.role, tcp.label], ['phone', 'device', 'store-1', 'store', 'waku-store'])
  const udp = a.conversations.find((c) => c.protocol === 'udp')!
  assert.equal(udp.label, 'my-discv5') // the map wins over the built-in discv5 label
  assert.equal(a.endpoints.find((e) => e.key === '127.0.0.1:60001')?.name, 'store-1')
})

test('per-second timeline: wall-clock seconds, empty seconds kept, up = A->B', async () => {
  const a = await analyzePackets(
    [
      pkt({ t: 10_500_000, src: C, dst: S, payload: 46, seq: 1 }), // 100 wire bytes up in second 10
      pkt({ t: 10_900_000, src: S, dst: C, payload: 146, seq: 1 }), // 200 down in second 10
      pkt({ t: 13_000_000, src: C, dst: S, payload: 46, seq: 47 }), // second 13
      pkt({ t: 9_999_999, src: '10.0.0.2:1', dst: '10.0.0.3:2', proto: 'udp', payload: 6 }) // earlier, out of order: second 9
    ],
    { perSecond: true, timelineTop: 1 }
  )
  const tl = a.timeline!
  assert.equal(tl.originUs, 9_000_000)
  assert.deepEqual(tl.seconds, [
    { second: 0, up: 60, down: 0, packets: 1 },
    { second: 1, up: 100, down: 200, packets: 2 },
    { second: 2, up: 0, down: 0, packets: 0 },
    { second: 3, up: 0, down: 0, packets: 0 },
    { second: 4, up: 100, down: 0, packets: 1 }
  ])
  assert.equal(tl.conversations.length, 1)
  assert.equal(tl.conversations[0].key, `tcp ${C} <-> ${S}`)
  assert.deepEqual(
    tl.conversations[0].seconds.map((s) => [s.up, s.down]),
    [
      [0, 0],
      [100, 200],
      [0, 0],
      [0, 0],
      [100, 0]
    ]
  )
})

test('packet sinks see every packet in the same pass and add their section', async () => {
  let seen = 0
  const a = await analyzePackets([pkt({ t: 1, src: C, dst: S }), pkt({ t: 2, src: S, dst: C })], {
    sinks: [
      {
        name: 'counter',
        add: () => {
          seen++
        },
        finish: () => ({ seen })
      }
    ]
  })
  assert.deepEqual(a.extensions, { counter: { seen: 2 } })
})

// Expected figures from tshark 4.0 on the same file: `-z conv,tcp`, `-z conv,udp`, and the frames
// it marks tcp.analysis.retransmission that carry payload (4, 11, 13, 126, 127, 129).
test('EnergyBox test1 agrees with tshark: conversations, bytes per direction, payload retransmissions', async () => {
  const { analysis: a } = await analyzePcapFile(fixture('energybox/test1.pcap'))
  const byKey = (a: CaptureAnalysis, key: string) => a.conversations.find((c) => c.key === key)
  const expect = [
    ['tcp 90.235.80.224:59630 <-> 69.171.227.26:5222', 26, 2388, 23, 4855],
    ['tcp 81.231.77.200:60429 <-> 90.235.80.224:56681', 25, 1894, 22, 1568],
    ['tcp 90.235.80.224:59446 <-> 217.211.68.199:45768', 10, 864, 14, 1097],
    ['tcp 90.235.80.224:56690 <-> 81.231.77.200:60429', 11, 897, 11, 880],
    ['tcp 90.235.80.224:52701 <-> 213.100.164.30:7569', 9, 1661, 6, 420],
    ['udp 90.235.80.224:63753 <-> 83.233.25.13:48949', 3, 481, 2, 186],
    ['udp 83.181.23.29:53441 <-> 90.235.80.224:63753', 1, 173, 0, 0]
  ] as const
  for (const [key, aPkts, aBytes, bPkts, bBytes] of expect) {
    const c = byKey(a, key)
    assert.ok(c !== undefined, `missing ${key}`)
    assert.deepEqual([c.aToB.packets, c.aToB.wireBytes, c.bToA.packets, c.bToA.wireBytes], [aPkts, aBytes, bPkts, bBytes], key)
  }
  assert.equal(a.conversations.length, 11)
  assert.equal(a.totals.wireBytes, 18828)
  assert.equal(a.totals.retransmittedPackets, 6)
  assert.equal(a.totals.retransmittedBytes, 52 + 255 + 255 + 4 + 14 + 14)
  // tshark: sum of tcp.len 5792 + UDP payload 1424, less the resent bytes
  assert.equal(a.totals.payloadBytes, 5792 + 1424 - 594)
  const device = a.endpoints.filter((e) => e.ip === '90.235.80.224')
  // tshark -z endpoints,ip: 90 frames / 9021 bytes sent, 87 / 9807 received
  assert.equal(
    device.reduce((n, e) => n + e.packetsSent, 0),
    90
  )
  assert.equal(
    device.reduce((n, e) => n + e.wireBytesSent, 0),
    9021
  )
  assert.equal(
    device.reduce((n, e) => n + e.wireBytesReceived, 0),
    9807
  )
})

test('the per-packet reader and the batched file analysis give the same result', async () => {
  const path = fixture('loopback/any-sll2.pcap')
  const streamed = await analyzePackets(readPcap(path), { perSecond: true })
  const { analysis } = await analyzePcapFile(path, { perSecond: true })
  assert.deepEqual(streamed, analysis)
  // tshark -z conv,tcp: 6 frames / 1440 bytes A->B, 4 / 1296 back; the echo moved 1000 bytes each way
  const tcp = analysis.conversations.find((c) => c.protocol === 'tcp')!
  assert.deepEqual([tcp.aToB.packets, tcp.aToB.wireBytes, tcp.bToA.packets, tcp.bToA.wireBytes], [6, 1440, 4, 1296])
  assert.deepEqual([tcp.aToB.payloadBytes, tcp.bToA.payloadBytes], [1000, 1000])
})

test('a tuple reused after its connection closed is a second conversation; a resent SYN is not', async () => {
  const F = TcpFlags.fin | TcpFlags.ack
  const a = await analyzePackets(
    [
      pkt({ t: 1_000_000, src: C, dst: S, seq: 100, flags: TcpFlags.syn }),
      pkt({ t: 1_000_100, src: C, dst: S, seq: 100, flags: TcpFlags.syn }), // resent: same ISN
      pkt({ t: 1_000_200, src: S, dst: C, seq: 900, flags: TcpFlags.syn | TcpFlags.ack }),
      pkt({ t: 1_000_300, src: C, dst: S, seq: 101, payload: 500 }),
      pkt({ t: 1_000_400, src: C, dst: S, seq: 601, flags: F }),
      pkt({ t: 1_000_500, src: S, dst: C, seq: 901, flags: F }),
      // the kernel hands the same client port to the next connection
      pkt({ t: 2_000_000, src: C, dst: S, seq: 5000, flags: TcpFlags.syn }),
      pkt({ t: 2_000_100, src: S, dst: C, seq: 7000, flags: TcpFlags.syn | TcpFlags.ack }),
      pkt({ t: 2_000_200, src: C, dst: S, seq: 5001, payload: 300 }),
      // its close was not captured: a SYN with another ISN still opens the third
      pkt({ t: 3_000_000, src: C, dst: S, seq: 9000, flags: TcpFlags.syn }),
      pkt({ t: 3_000_100, src: C, dst: S, seq: 9001, payload: 100 })
    ],
    { perSecond: true, timelineTop: 3 }
  )
  const byKey = new Map(a.conversations.map((c) => [c.key, c]))
  assert.deepEqual([...byKey.keys()].sort(), [`tcp ${C} <-> ${S}`, `tcp ${C} <-> ${S} #2`, `tcp ${C} <-> ${S} #3`])
  assert.deepEqual(
    [`tcp ${C} <-> ${S}`, `tcp ${C} <-> ${S} #2`, `tcp ${C} <-> ${S} #3`].map((k) => [
      byKey.get(k)!.packets,
      byKey.get(k)!.aToB.payloadBytes,
      byKey.get(k)!.firstUs
    ]),
    [
      [6, 500, 1_000_000],
      [3, 300, 2_000_000],
      [2, 100, 3_000_000]
    ]
  )
  // the second connection's bytes are fresh, not retransmissions of the first's sequence space
  assert.equal(a.totals.retransmittedBytes, 0)
  assert.equal(a.totals.conversations, 3)
  assert.equal(a.endpoints.find((e) => e.key === C)!.conversations, 3)
  assert.deepEqual(a.timeline!.conversations.map((c) => c.key).sort(), [...byKey.keys()].sort())
})

test("a SYN resent after the server's SYN-ACK (the client never got it) stays in its connection", async () => {
  const a = await analyzePackets([
    pkt({ t: 1, src: C, dst: S, seq: 100, flags: TcpFlags.syn }),
    pkt({ t: 2, src: S, dst: C, seq: 900, flags: TcpFlags.syn | TcpFlags.ack }),
    pkt({ t: 3, src: C, dst: S, seq: 100, flags: TcpFlags.syn }),
    pkt({ t: 4, src: S, dst: C, seq: 900, flags: TcpFlags.syn | TcpFlags.ack }),
    pkt({ t: 5, src: C, dst: S, seq: 101, payload: 200 })
  ])
  assert.deepEqual(
    a.conversations.map((c) => [c.key, c.packets]),
    [[`tcp ${C} <-> ${S}`, 5]]
  )
})

// tshark compares a SYN with the first sequence number it saw in that direction, whatever the
// packet; courier only with a SYN it saw. A capture that joined a connection midway and then sees
// a SYN on its tuple with no FIN or RST in between keeps one conversation (tshark would open a second).
test('a connection the capture joined midway: a SYN on its tuple, with no close seen, stays in it', async () => {
  const a = await analyzePackets([
    pkt({ t: 1, src: C, dst: S, seq: 5000, payload: 100 }),
    pkt({ t: 2, src: S, dst: C, seq: 7000, payload: 50 }),
    pkt({ t: 3, src: C, dst: S, seq: 100, flags: TcpFlags.syn }),
    pkt({ t: 4, src: C, dst: S, seq: 5100, payload: 100 })
  ])
  assert.deepEqual(
    a.conversations.map((c) => [c.key, c.packets]),
    [[`tcp ${C} <-> ${S}`, 4]]
  )
})

test('the side that reset a connection first is named, A or B, whatever follows', async () => {
  const byClient = await analyzePackets([
    pkt({ t: 1, src: C, dst: S, seq: 100, flags: TcpFlags.syn }),
    pkt({ t: 2, src: S, dst: C, seq: 900, flags: TcpFlags.syn | TcpFlags.ack }),
    pkt({ t: 3, src: C, dst: S, seq: 101, flags: TcpFlags.rst }),
    pkt({ t: 4, src: S, dst: C, seq: 901, flags: TcpFlags.rst })
  ])
  assert.deepEqual(
    byClient.conversations.map((c) => c.resetBy),
    ['a']
  )
})

test('an RST closes a connection too: the next SYN on its tuple opens another', async () => {
  const a = await analyzePackets([
    pkt({ t: 1, src: C, dst: S, seq: 100, flags: TcpFlags.syn }),
    pkt({ t: 2, src: S, dst: C, seq: 0, flags: TcpFlags.rst | TcpFlags.ack }),
    pkt({ t: 3, src: C, dst: S, seq: 100, flags: TcpFlags.syn })
  ])
  assert.equal(a.conversations.length, 2)
  // the first was reset by its B side (the server); the second was not reset at all
  assert.deepEqual(
    a.conversations.map((c) => [c.key, c.resetBy]).sort((x, y) => String(x[0]).localeCompare(String(y[0]))),
    [
      [`tcp ${C} <-> ${S}`, 'b'],
      [`tcp ${C} <-> ${S} #2`, undefined]
    ]
  )
  assert.equal('resetBy' in a.conversations.find((c) => c.key.endsWith('#2'))!, false)
})

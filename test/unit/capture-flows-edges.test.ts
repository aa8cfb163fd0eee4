import { test } from 'node:test'
import assert from 'node:assert/strict'
import { analyzePackets, CaptureAnalyzer, SeqTracker, emptyEndpointMap, type PacketSink } from '../../harness/capture/index.js'
import type { CapturedPacket, TransportProtocol } from '../../harness/interface/index.js'

// The flow tables' edges, with packets written as objects (no decoding in the way): which
// counters a packet lands in, who is A, how labels and names are found, how the per-second
// timeline is laid out, and how the TCP sequence tracker counts resent bytes. Every expected
// number is worked out by hand in the comments. Found by mutation testing (npm run mutation,
// scope capture).

let index = 0
function pkt(
  t: number,
  wire: number,
  ip?: { src: string; dst: string; protocol?: TransportProtocol; exceeds?: boolean },
  tr?: { sp: number; dp: number; payload?: number; seq?: number; flags?: number },
  captured = wire
): CapturedPacket {
  const p: CapturedPacket = { index: index++, timestampUs: t, wireLength: wire, capturedLength: captured, linkType: 1 }
  if (ip !== undefined) {
    const protocol = ip.protocol ?? (tr?.flags !== undefined ? 'tcp' : 'udp')
    p.ip = {
      version: ip.src.includes(':') ? 6 : 4,
      src: ip.src,
      dst: ip.dst,
      protocol,
      length: wire - 14,
      ...(ip.exceeds === true ? { lengthExceedsFrame: true as const } : {})
    }
    if (tr !== undefined) {
      p.transport = { srcPort: tr.sp, dstPort: tr.dp, payloadLength: tr.payload ?? 0 }
      if (tr.flags !== undefined) p.transport.tcp = { seq: tr.seq ?? 0, ack: 0, flags: tr.flags }
    }
  }
  return p
}

const ACK = 0x10
const SYN = 0x02

test('totals: each packet in exactly one of tcp, udp, other IP or non-IP; impossible lengths; times in any order', async () => {
  const analysis = await analyzePackets([
    pkt(5_000_000, 100, { src: '10.0.0.1', dst: '10.0.0.2' }, { sp: 1, dp: 2, payload: 10, flags: ACK }, 60),
    pkt(2_000_000, 90, { src: '10.0.0.1', dst: '10.0.0.2' }, { sp: 3, dp: 4, payload: 7 }),
    // ICMP, and a TCP packet without its transport header (a later fragment): both "other IP"
    pkt(9_000_000, 80, { src: '10.0.0.1', dst: '10.0.0.3', protocol: 'icmp' }),
    pkt(3_000_000, 70, { src: '10.0.0.1', dst: '10.0.0.3', protocol: 'tcp', exceeds: true }),
    // ARP
    pkt(4_000_000, 60)
  ])
  const t = analysis.totals
  assert.deepEqual([t.packets, t.ipPackets, t.nonIpPackets, t.tcpPackets, t.udpPackets, t.otherIpPackets, t.impossibleLengths], [5, 4, 1, 1, 1, 2, 1])
  assert.equal(t.wireBytes, 400)
  assert.equal(t.capturedBytes, 360)
  assert.equal(t.payloadBytes, 17)
  assert.equal(t.firstUs, 2_000_000)
  assert.equal(t.lastUs, 9_000_000)
  assert.equal(t.durationSeconds, 7)
  // icmp and the portless tcp fragment: conversations by address, "icmp" and "other"
  const keys = analysis.conversations.map((c) => c.key).sort()
  assert.deepEqual(keys, ['icmp 10.0.0.1 <-> 10.0.0.3', 'other 10.0.0.1 <-> 10.0.0.3', 'tcp 10.0.0.1:1 <-> 10.0.0.2:2', 'udp 10.0.0.1:3 <-> 10.0.0.2:4'])
  assert.equal(t.conversations, 4)
  // 10.0.0.1 (no port, shared by icmp and other), :1, :3, 10.0.0.2:2, :4, 10.0.0.3
  assert.equal(t.endpoints, 6)
  const bare = analysis.endpoints.find((e) => e.key === '10.0.0.1')
  assert.equal(bare?.port, undefined)
  assert.equal(bare?.conversations, 2)
  assert.equal('port' in (bare ?? {}), false)
})

test('an empty capture: no times, zero duration, an empty timeline', async () => {
  const analysis = await analyzePackets([], { perSecond: true })
  assert.equal(analysis.totals.firstUs, null)
  assert.equal(analysis.totals.lastUs, null)
  assert.equal(analysis.totals.durationSeconds, 0)
  assert.deepEqual(analysis.timeline, { originUs: 0, seconds: [], conversations: [] })
  assert.deepEqual(analysis.conversations, [])
})

test('A is the first sender, unless the first packet is a SYN-ACK (SYN or ACK alone do not turn it)', async () => {
  const first = async (flags: number): Promise<string | undefined> =>
    (await analyzePackets([pkt(1, 60, { src: '10.0.0.9', dst: '10.0.0.1' }, { sp: 5000, dp: 80, flags })])).conversations[0]?.key
  assert.equal(await first(SYN | ACK), 'tcp 10.0.0.1:80 <-> 10.0.0.9:5000')
  assert.equal(await first(SYN | ACK | 0x08), 'tcp 10.0.0.1:80 <-> 10.0.0.9:5000')
  assert.equal(await first(SYN), 'tcp 10.0.0.9:5000 <-> 10.0.0.1:80')
  assert.equal(await first(ACK), 'tcp 10.0.0.9:5000 <-> 10.0.0.1:80')
  // UDP has no flags: the first sender is A
  const udp = await analyzePackets([pkt(1, 60, { src: '10.0.0.9', dst: '10.0.0.1' }, { sp: 5000, dp: 80 })])
  assert.equal(udp.conversations[0].key, 'udp 10.0.0.9:5000 <-> 10.0.0.1:80')
  // the reversed conversation: the SYN-ACK went B -> A, the ACK after it A -> B
  const reversed = await analyzePackets([
    pkt(1, 60, { src: '10.0.0.1', dst: '10.0.0.9' }, { sp: 80, dp: 5000, flags: SYN | ACK }),
    pkt(2, 54, { src: '10.0.0.9', dst: '10.0.0.1' }, { sp: 5000, dp: 80, flags: ACK })
  ])
  const c = reversed.conversations[0]
  assert.deepEqual(c.a, { key: '10.0.0.9:5000', ip: '10.0.0.9', port: 5000 })
  assert.deepEqual(c.b, { key: '10.0.0.1:80', ip: '10.0.0.1', port: 80 })
  assert.equal(c.label, 'http')
  assert.deepEqual([c.aToB.packets, c.aToB.wireBytes, c.bToA.packets, c.bToA.wireBytes], [1, 54, 1, 60])
})

test("a conversation's first and last times follow its packets in any order; a talk with oneself counts one conversation", async () => {
  const analysis = await analyzePackets([
    pkt(7, 60, { src: '10.0.0.1', dst: '10.0.0.2' }, { sp: 1, dp: 2 }),
    pkt(3, 60, { src: '10.0.0.2', dst: '10.0.0.1' }, { sp: 2, dp: 1 }),
    pkt(9, 60, { src: '10.0.0.1', dst: '10.0.0.2' }, { sp: 1, dp: 2 }),
    pkt(5, 60, { src: '10.0.0.1', dst: '10.0.0.2' }, { sp: 1, dp: 2 }),
    pkt(4, 50, { src: '127.0.0.1', dst: '127.0.0.1' }, { sp: 7, dp: 7 })
  ])
  const c = analysis.conversations.find((x) => x.key.startsWith('udp 10.'))
  assert.equal(c?.firstUs, 3)
  assert.equal(c?.lastUs, 9)
  const self = analysis.endpoints.find((e) => e.key === '127.0.0.1:7')
  assert.equal(self?.conversations, 1)
  assert.deepEqual([self?.packetsSent, self?.packetsReceived, self?.wireBytesSent, self?.wireBytesReceived], [1, 1, 50, 50])
})

test("labels: the map's protocols before the built-in list, B's port before A's, the exact protocol before '*'", async () => {
  const map = emptyEndpointMap()
  map.protocols.set('udp/53', 'my-dns')
  map.protocols.set('*/7000', 'seven')
  const labelOf = async (protocol: 'tcp' | 'udp', sp: number, dp: number): Promise<string | undefined> => {
    const flags = protocol === 'tcp' ? ACK : undefined
    const a = await analyzePackets([pkt(1, 60, { src: '10.0.0.1', dst: '10.0.0.2', protocol }, { sp, dp, ...(flags === undefined ? {} : { flags }) })], { map })
    return a.conversations[0].label
  }
  assert.equal(await labelOf('udp', 40000, 53), 'my-dns')
  assert.equal(await labelOf('tcp', 40000, 53), 'dns')
  assert.equal(await labelOf('tcp', 40000, 7000), 'seven')
  assert.equal(await labelOf('udp', 7000, 40000), 'seven')
  // B's port (443) is asked first: https, not ssh
  assert.equal(await labelOf('tcp', 22, 443), 'https')
  assert.equal(await labelOf('udp', 40000, 443), 'quic')
  // a built-in label for A's port only
  assert.equal(await labelOf('tcp', 993, 40000), 'imaps')
  // a map label on A's port wins over a built-in one on B's: the map table is searched first
  assert.equal(await labelOf('tcp', 7000, 53), 'seven')
  const none = await analyzePackets([pkt(1, 60, { src: '10.0.0.1', dst: '10.0.0.2' }, { sp: 40000, dp: 40001 })], { map })
  assert.equal('label' in none.conversations[0], false)
  const built = [
    ['tcp', 80, 'http'],
    ['udp', 123, 'ntp'],
    ['udp', 5353, 'mdns'],
    ['tcp', 5222, 'xmpp'],
    ['tcp', 60000, 'libp2p (waku)'],
    ['tcp', 8000, 'libp2p websocket (waku)'],
    ['udp', 9000, 'discv5']
  ] as const
  for (const [protocol, port, label] of built) assert.equal(await labelOf(protocol, 50000, port), label, `${protocol}/${port}`)
})

test('endpoint names from the map by ip:port, else by ip; a role only when the map gives one', async () => {
  const map = emptyEndpointMap()
  map.endpoints.set('10.0.0.1:1', { name: 'alice', role: 'relay' })
  map.endpoints.set('10.0.0.1', { name: 'alice-host' })
  map.endpoints.set('10.0.0.2', { name: 'bob', role: 'store' })
  const analysis = await analyzePackets(
    [pkt(1, 60, { src: '10.0.0.1', dst: '10.0.0.2' }, { sp: 1, dp: 2 }), pkt(2, 60, { src: '10.0.0.1', dst: '10.0.0.3' }, { sp: 9, dp: 2 })],
    { map }
  )
  const byKey = new Map(analysis.endpoints.map((e) => [e.key, e]))
  assert.equal(byKey.get('10.0.0.1:1')?.name, 'alice')
  assert.equal(byKey.get('10.0.0.1:1')?.role, 'relay')
  assert.equal(byKey.get('10.0.0.1:9')?.name, 'alice-host')
  assert.equal('role' in (byKey.get('10.0.0.1:9') ?? {}), false)
  assert.equal(byKey.get('10.0.0.2:2')?.role, 'store')
  assert.equal('name' in (byKey.get('10.0.0.3:2') ?? {}), false)
  const conv = analysis.conversations.find((c) => c.a.key === '10.0.0.1:1')
  assert.deepEqual(conv?.a, { key: '10.0.0.1:1', ip: '10.0.0.1', port: 1, name: 'alice', role: 'relay' })
  assert.deepEqual(conv?.b, { key: '10.0.0.2:2', ip: '10.0.0.2', port: 2, name: 'bob', role: 'store' })
})

test('conversations and endpoints sort by wire bytes, largest first, ties by key', async () => {
  const analysis = await analyzePackets([
    pkt(1, 100, { src: '10.0.0.5', dst: '10.0.0.6' }, { sp: 1, dp: 1 }),
    pkt(2, 100, { src: '10.0.0.3', dst: '10.0.0.4' }, { sp: 1, dp: 1 }),
    pkt(3, 300, { src: '10.0.0.7', dst: '10.0.0.8' }, { sp: 1, dp: 1 }),
    pkt(4, 100, { src: '10.0.0.1', dst: '10.0.0.2' }, { sp: 1, dp: 1 })
  ])
  assert.deepEqual(
    analysis.conversations.map((c) => c.key),
    ['udp 10.0.0.7:1 <-> 10.0.0.8:1', 'udp 10.0.0.1:1 <-> 10.0.0.2:1', 'udp 10.0.0.3:1 <-> 10.0.0.4:1', 'udp 10.0.0.5:1 <-> 10.0.0.6:1']
  )
  assert.deepEqual(
    analysis.endpoints.map((e) => e.key),
    ['10.0.0.7:1', '10.0.0.8:1', '10.0.0.1:1', '10.0.0.2:1', '10.0.0.3:1', '10.0.0.4:1', '10.0.0.5:1', '10.0.0.6:1']
  )
  // the same packets in another order sort the same
  const again = await analyzePackets([
    pkt(4, 100, { src: '10.0.0.1', dst: '10.0.0.2' }, { sp: 1, dp: 1 }),
    pkt(3, 300, { src: '10.0.0.7', dst: '10.0.0.8' }, { sp: 1, dp: 1 }),
    pkt(1, 100, { src: '10.0.0.5', dst: '10.0.0.6' }, { sp: 1, dp: 1 }),
    pkt(2, 100, { src: '10.0.0.3', dst: '10.0.0.4' }, { sp: 1, dp: 1 })
  ])
  assert.deepEqual(
    again.conversations.map((c) => c.key),
    analysis.conversations.map((c) => c.key)
  )
  assert.deepEqual(
    again.endpoints.map((e) => e.key),
    analysis.endpoints.map((e) => e.key)
  )
})

test('per endpoint: packets, wire and payload bytes sent and received, retransmissions excluded from payload', async () => {
  const analysis = await analyzePackets([
    pkt(1, 150, { src: '10.0.0.1', dst: '10.0.0.2' }, { sp: 1, dp: 2, payload: 100, seq: 1000, flags: ACK }),
    // the same 100 bytes again, then 40 new ones of which 20 overlap: 20 + 100 resent bytes
    pkt(2, 150, { src: '10.0.0.1', dst: '10.0.0.2' }, { sp: 1, dp: 2, payload: 100, seq: 1000, flags: ACK }),
    pkt(3, 90, { src: '10.0.0.1', dst: '10.0.0.2' }, { sp: 1, dp: 2, payload: 40, seq: 1080, flags: ACK }),
    pkt(4, 54, { src: '10.0.0.2', dst: '10.0.0.1' }, { sp: 2, dp: 1, flags: ACK })
  ])
  const c = analysis.conversations[0]
  assert.deepEqual(c.aToB, { packets: 3, wireBytes: 390, payloadBytes: 120, retransmittedPackets: 2, retransmittedBytes: 120 })
  assert.deepEqual(c.bToA, { packets: 1, wireBytes: 54, payloadBytes: 0, retransmittedPackets: 0, retransmittedBytes: 0 })
  assert.deepEqual([c.packets, c.wireBytes, c.payloadBytes], [4, 444, 120])
  assert.equal(analysis.totals.retransmittedPackets, 2)
  assert.equal(analysis.totals.retransmittedBytes, 120)
  assert.equal(analysis.totals.payloadBytes, 120)
  const a = analysis.endpoints.find((e) => e.key === '10.0.0.1:1')
  assert.deepEqual(
    [a?.packetsSent, a?.packetsReceived, a?.wireBytesSent, a?.wireBytesReceived, a?.payloadBytesSent, a?.payloadBytesReceived],
    [3, 1, 390, 54, 120, 0]
  )
  const b = analysis.endpoints.find((e) => e.key === '10.0.0.2:2')
  assert.deepEqual(
    [b?.packetsSent, b?.packetsReceived, b?.wireBytesSent, b?.wireBytesReceived, b?.payloadBytesSent, b?.payloadBytesReceived],
    [1, 3, 54, 390, 0, 120]
  )
})

test("data on a SYN (TCP Fast Open) starts one past the SYN's sequence number", async () => {
  const analysis = await analyzePackets([
    pkt(1, 100, { src: '10.0.0.1', dst: '10.0.0.2' }, { sp: 1, dp: 2, payload: 10, seq: 500, flags: SYN }),
    // the next segment starts at 511 = 500 + 1 + 10: all new
    pkt(2, 100, { src: '10.0.0.1', dst: '10.0.0.2' }, { sp: 1, dp: 2, payload: 10, seq: 511, flags: ACK }),
    // and a resend of the SYN's data at 501..511, as a plain segment: all old
    pkt(3, 100, { src: '10.0.0.1', dst: '10.0.0.2' }, { sp: 1, dp: 2, payload: 10, seq: 501, flags: ACK })
  ])
  assert.equal(analysis.totals.payloadBytes, 20)
  assert.equal(analysis.totals.retransmittedBytes, 10)
  // the two directions have their own trackers: B's segment at the same numbers is new
  const both = await analyzePackets([
    pkt(1, 100, { src: '10.0.0.1', dst: '10.0.0.2' }, { sp: 1, dp: 2, payload: 10, seq: 500, flags: ACK }),
    pkt(2, 100, { src: '10.0.0.2', dst: '10.0.0.1' }, { sp: 2, dp: 1, payload: 10, seq: 500, flags: ACK })
  ])
  assert.equal(both.totals.retransmittedBytes, 0)
  assert.equal(both.totals.payloadBytes, 20)
})

test('the timeline: whole wall-clock seconds from the first to the last, empty ones kept, up is A->B, non-IP counted', async () => {
  const analysis = await analyzePackets(
    [
      pkt(10_500_000, 100, { src: '10.0.0.1', dst: '10.0.0.2' }, { sp: 1, dp: 2 }),
      pkt(10_999_999, 40, { src: '10.0.0.2', dst: '10.0.0.1' }, { sp: 2, dp: 1 }),
      pkt(11_000_000, 30),
      pkt(13_000_001, 70, { src: '10.0.0.1', dst: '10.0.0.2' }, { sp: 1, dp: 2 }),
      pkt(9_000_000, 20, { src: '10.0.0.3', dst: '10.0.0.4' }, { sp: 1, dp: 2 })
    ],
    { perSecond: true }
  )
  const tl = analysis.timeline
  assert.equal(tl?.originUs, 9_000_000)
  assert.deepEqual(tl?.seconds, [
    { second: 0, up: 20, down: 0, packets: 1 },
    { second: 1, up: 100, down: 40, packets: 2 },
    { second: 2, up: 0, down: 0, packets: 1 },
    { second: 3, up: 0, down: 0, packets: 0 },
    { second: 4, up: 70, down: 0, packets: 1 }
  ])
  assert.deepEqual(
    tl?.conversations.map((c) => c.key),
    ['udp 10.0.0.1:1 <-> 10.0.0.2:2', 'udp 10.0.0.3:1 <-> 10.0.0.4:2']
  )
  assert.deepEqual(tl?.conversations[1].seconds, [
    { second: 0, up: 20, down: 0, packets: 1 },
    { second: 1, up: 0, down: 0, packets: 0 },
    { second: 2, up: 0, down: 0, packets: 0 },
    { second: 3, up: 0, down: 0, packets: 0 },
    { second: 4, up: 0, down: 0, packets: 0 }
  ])
  // without perSecond there is no timeline at all
  assert.equal('timeline' in (await analyzePackets([pkt(1, 60)])), false)
})

test('the timeline keeps the top 5 conversations by default, timelineTop of them when given', async () => {
  const packets = [1, 2, 3, 4, 5, 6, 7].map((i) => pkt(i * 1_000_000, 100 * i, { src: '10.0.0.1', dst: `10.0.1.${i}` }, { sp: 1, dp: 2 }))
  const five = await analyzePackets(packets, { perSecond: true })
  assert.deepEqual(
    five.timeline?.conversations.map((c) => c.key.split(' ')[3]),
    ['10.0.1.7:2', '10.0.1.6:2', '10.0.1.5:2', '10.0.1.4:2', '10.0.1.3:2']
  )
  const two = await analyzePackets(packets, { perSecond: true, timelineTop: 2 })
  assert.equal(two.timeline?.conversations.length, 2)
})

test('batches and single packets, sync or async, come to the same; sinks see every packet and add their section', async () => {
  const packets = [
    pkt(1, 60, { src: '10.0.0.1', dst: '10.0.0.2' }, { sp: 1, dp: 2 }),
    pkt(2, 70),
    pkt(3, 80, { src: '10.0.0.2', dst: '10.0.0.1' }, { sp: 2, dp: 1 })
  ]
  const seen: number[] = []
  const sink: PacketSink<number> = { name: 'count', add: (p) => seen.push(p.index), finish: () => seen.length }
  async function* asyncSource(): AsyncGenerator<CapturedPacket | CapturedPacket[]> {
    yield [packets[0], packets[1]]
    yield packets[2]
  }
  const a = await analyzePackets(asyncSource(), { sinks: [sink] })
  assert.deepEqual(a.extensions, { count: 3 })
  assert.deepEqual(
    seen,
    packets.map((p) => p.index)
  )
  const b = await analyzePackets(packets)
  assert.deepEqual(b.extensions, {})
  assert.deepEqual(a.totals, b.totals)
  assert.equal(b.totals.packets, 3)
  const c = new CaptureAnalyzer()
  for (const p of packets) c.add(p)
  assert.deepEqual(c.finish().conversations, b.conversations)
})

test('SeqTracker: in order, a gap, the gap filled, an overlap on both sides, a resend spanning two ranges', () => {
  const s = new SeqTracker()
  assert.equal(s.add(1000, 100), 100) // [0,100)
  assert.equal(s.add(1100, 50), 50) // [0,150)
  assert.equal(s.add(1300, 50), 50) // [0,150) [300,350)
  assert.equal(s.add(1200, 50), 50) // fills nothing seen: [0,150) [200,250) [300,350)
  // [140,310): new are 150..200 and 250..300 = 100 of 170
  assert.equal(s.add(1140, 170), 100) // [0,350)
  assert.equal(s.add(1000, 350), 0)
  // touching the end exactly is in order
  assert.equal(s.add(1350, 10), 10)
  // a segment starting before everything seen (a late first segment)
  assert.equal(s.add(990, 20), 10)
})

test('SeqTracker: a segment ending exactly where a later range starts is merged with it, not counted twice', () => {
  const s = new SeqTracker()
  s.add(0, 10) // [0,10)
  s.add(20, 10) // [0,10) [20,30)
  assert.equal(s.add(10, 10), 10) // [0,30)
  assert.equal(s.add(0, 30), 0)
  assert.equal(s.add(5, 20), 0)
})

test('SeqTracker: past 32 holes the oldest holes count as filled', () => {
  const s = new SeqTracker()
  // 33 segments of 10 bytes with a 10-byte hole after each: 33 ranges, one over the limit
  for (let i = 0; i < 33; i++) assert.equal(s.add(i * 20, 10), 10)
  // the first two ranges were merged, so the first hole [10,20) now counts as seen
  assert.equal(s.add(10, 10), 0)
  // the second hole [30,40) is still a hole
  assert.equal(s.add(30, 10), 10)
  // with 32 ranges exactly nothing is merged
  const t = new SeqTracker()
  for (let i = 0; i < 32; i++) t.add(i * 20, 10)
  assert.equal(t.add(10, 10), 10)
})

// Added after the first mutation run of flows.ts: the survivors that packets can tell apart.

test('counters by protocol with a transport, and without one: TCP, UDP, ICMP and fragments each where they belong', async () => {
  const analysis = await analyzePackets([
    pkt(1, 60, { src: '10.0.0.1', dst: '10.0.0.2' }, { sp: 1, dp: 2, flags: ACK }),
    pkt(2, 60, { src: '10.0.0.1', dst: '10.0.0.2' }, { sp: 1, dp: 2, flags: ACK }),
    // later fragments: TCP and UDP without transport headers, to their own addresses
    pkt(3, 60, { src: '10.0.0.1', dst: '10.0.0.5', protocol: 'tcp' }),
    pkt(4, 60, { src: '10.0.0.1', dst: '10.0.0.6', protocol: 'udp' }),
    pkt(5, 60, { src: '10.0.0.1', dst: '10.0.0.7', protocol: 'icmp' })
  ])
  const t = analysis.totals
  assert.deepEqual([t.tcpPackets, t.udpPackets, t.otherIpPackets], [2, 0, 3])
  assert.deepEqual(analysis.conversations.map((c) => c.key).sort(), [
    'icmp 10.0.0.1 <-> 10.0.0.7',
    'other 10.0.0.1 <-> 10.0.0.5',
    'other 10.0.0.1 <-> 10.0.0.6',
    'tcp 10.0.0.1:1 <-> 10.0.0.2:2'
  ])
  // a portless endpoint's reference has no port key at all
  const icmp = analysis.conversations.find((c) => c.protocol === 'icmp')
  assert.deepEqual(icmp?.a, { key: '10.0.0.1', ip: '10.0.0.1' })
  // both ends count the conversation
  const b = analysis.endpoints.find((e) => e.key === '10.0.0.2:2')
  assert.equal(b?.conversations, 1)
  assert.equal(analysis.endpoints.find((e) => e.key === '10.0.0.7')?.conversations, 1)
})

test('a capture whose only packet is at time 0 has first and last time 0', async () => {
  const analysis = await analyzePackets([pkt(0, 60)])
  assert.equal(analysis.totals.firstUs, 0)
  assert.equal(analysis.totals.lastUs, 0)
})

test("ssh is a built-in label; a conversation's payload adds both directions", async () => {
  const analysis = await analyzePackets([
    pkt(1, 100, { src: '10.0.0.1', dst: '10.0.0.2' }, { sp: 22, dp: 40000, payload: 30, seq: 0, flags: ACK }),
    pkt(2, 100, { src: '10.0.0.2', dst: '10.0.0.1' }, { sp: 40000, dp: 22, payload: 12, seq: 0, flags: ACK })
  ])
  const c = analysis.conversations[0]
  assert.equal(c.label, 'ssh')
  assert.equal(c.payloadBytes, 42)
})

test('the timeline starts at the earliest second even when a later one was seen last', async () => {
  const analysis = await analyzePackets(
    [
      pkt(12_000_000, 10, { src: '10.0.0.1', dst: '10.0.0.2' }, { sp: 1, dp: 2 }),
      pkt(10_000_000, 20, { src: '10.0.0.1', dst: '10.0.0.2' }, { sp: 1, dp: 2 }),
      pkt(11_000_000, 30, { src: '10.0.0.1', dst: '10.0.0.2' }, { sp: 1, dp: 2 })
    ],
    { perSecond: true }
  )
  assert.equal(analysis.timeline?.originUs, 10_000_000)
  assert.deepEqual(
    analysis.timeline?.seconds.map((s) => s.up),
    [20, 30, 10]
  )
})

test('SeqTracker: a segment overlapping the end of what was seen extends it', () => {
  const s = new SeqTracker()
  s.add(0, 10) // [0,10)
  assert.equal(s.add(5, 10), 5) // [0,15)
  assert.equal(s.add(10, 5), 0)
})

test('SeqTracker: filling a hole without touching its sides can push the count past 32, and the oldest holes merge', () => {
  const s = new SeqTracker()
  for (let i = 0; i < 32; i++) s.add(i * 20, 10)
  // [15,17) in the first hole [10,20): a 33rd range, so [0,10) and [15,17) merge into [0,17)
  assert.equal(s.add(15, 2), 2)
  assert.equal(s.add(10, 5), 0)
})

test('segments without payload (pure ACKs) leave the sequence tracker alone', async () => {
  const data = (t: number, seq: number): CapturedPacket => pkt(t, 60, { src: '10.0.0.1', dst: '10.0.0.2' }, { sp: 1, dp: 2, payload: 10, seq, flags: ACK })
  const ack = (t: number, seq: number): CapturedPacket => pkt(t, 54, { src: '10.0.0.1', dst: '10.0.0.2' }, { sp: 1, dp: 2, payload: 0, seq, flags: ACK })
  // data [0,10) and [20,30), then 31 bare ACKs far ahead: were they ranges, 33 ranges would merge
  // the first two and the hole [10,20) would count as seen
  const packets = [data(1, 0), data(2, 20), ...Array.from({ length: 31 }, (_, i) => ack(3 + i, 1000 + 100 * i)), data(40, 10)]
  const analysis = await analyzePackets(packets)
  assert.equal(analysis.totals.retransmittedBytes, 0)
  assert.equal(analysis.totals.payloadBytes, 30)
})

test('SeqTracker: a segment touching a seen range inside the history joins it, so it does not count toward the 32-range limit', () => {
  for (const [seq, length] of [
    [595, 5], // touches [600,610) on its right
    [590, 5] // touches [580,590) on its left
  ]) {
    const s = new SeqTracker()
    // 31 ranges [0,10) [20,30) ... [600,610); then the segment, then one in another hole
    for (let i = 0; i < 31; i++) s.add(i * 20, 10)
    assert.equal(s.add(seq, length), length)
    assert.equal(s.add(555, 2), 2)
    // 32 ranges at most: nothing merged, the first hole [10,20) is still a hole
    assert.equal(s.add(10, 5), 5, `after ${seq}+${length}`)
  }
})

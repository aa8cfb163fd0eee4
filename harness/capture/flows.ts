import type { CapturedPacket, TransportProtocol } from '../interface/index.js'
import { endpointKey, emptyEndpointMap, type EndpointMap } from './endpoint-map.js'
import { newTcpSessionMarks, noteTcpSegment, opensNewConnection, type TcpSessionMarks } from './tcp-session.js'

/** One side of a conversation, as named by the map file when it knows it. */
export interface EndpointRef {
  /** `ip:port` (`[ip6]:port`), or the bare ip for protocols without ports. */
  key: string
  ip: string
  port?: number
  name?: string
  role?: string
}

/** Traffic in one direction of a conversation. */
export interface DirectionStats {
  packets: number
  /** Frame lengths on the wire, link-layer header included. */
  wireBytes: number
  /** Application bytes sent for the first time (TCP retransmissions excluded). */
  payloadBytes: number
  /** TCP segments whose payload had been seen before, in whole or in part. */
  retransmittedPackets: number
  /** Payload bytes carried again by those segments. */
  retransmittedBytes: number
}

/** Bytes in one wall-clock second; `up` is A->B, `down` is B->A (wire bytes). */
export interface SecondBucket {
  /** Seconds since the timeline's origin (the whole second holding the earliest packet). */
  second: number
  up: number
  down: number
  packets: number
}

/**
 * Both directions of one 5-tuple. A is the initiator: the sender of the first packet seen, or
 * the receiver when that packet is a SYN-ACK.
 */
export interface Conversation {
  /** `tcp 10.0.0.1:40000 <-> 10.0.0.2:443`, A first. */
  key: string
  protocol: TransportProtocol
  a: EndpointRef
  b: EndpointRef
  /** Application protocol from the map file's `protocols`, or courier's short built-in list. */
  label?: string
  aToB: DirectionStats
  bToA: DirectionStats
  packets: number
  wireBytes: number
  payloadBytes: number
  /** Earliest and latest packet time, µs since the epoch (files need not be time-ordered). */
  firstUs: number
  lastUs: number
  /**
   * The side whose RST the capture saw first, when the connection was reset. A reset discards
   * what either kernel still held to send, so a socket may have counted more than the wire carried.
   */
  resetBy?: 'a' | 'b'
}

/** Everything one endpoint sent and received, over all its conversations. */
export interface EndpointStats extends EndpointRef {
  packetsSent: number
  packetsReceived: number
  wireBytesSent: number
  wireBytesReceived: number
  payloadBytesSent: number
  payloadBytesReceived: number
  conversations: number
}

/** Whole-capture figures. */
export interface CaptureTotals {
  packets: number
  ipPackets: number
  /** Frames without IPv4/IPv6 (ARP, LLC, unknown link types). */
  nonIpPackets: number
  tcpPackets: number
  udpPackets: number
  /** IP packets that are neither TCP nor UDP (ICMP, ESP, non-first fragments...). */
  otherIpPackets: number
  wireBytes: number
  capturedBytes: number
  payloadBytes: number
  retransmittedPackets: number
  retransmittedBytes: number
  /** IP packets whose header claimed more bytes than their frame carried (forged or corrupt); counted at the frame's length. */
  impossibleLengths: number
  conversations: number
  endpoints: number
  /** µs since the epoch; null for an empty capture. */
  firstUs: number | null
  lastUs: number | null
  durationSeconds: number
}

/** Per-second traffic, overall and for the busiest conversations. */
export interface CaptureTimeline {
  /** µs since the epoch of second 0 (the whole second holding the earliest packet). */
  originUs: number
  /** Every second from the first to the last packet, empty seconds included. */
  seconds: SecondBucket[]
  /** The top conversations by wire bytes, same seconds as above. */
  conversations: Array<{ key: string; seconds: SecondBucket[] }>
}

/** A consumer that sees every packet in the analysis pass and adds one section to the result. */
export interface PacketSink<T = unknown> {
  /** Key of its section under `CaptureAnalysis.extensions`. */
  name: string
  add: (packet: CapturedPacket) => void
  finish: () => T
}

/** What `analyzePackets` computes. */
export interface CaptureAnalysis {
  totals: CaptureTotals
  /** Sorted by wire bytes, largest first. */
  conversations: Conversation[]
  /** Sorted by wire bytes sent + received, largest first. */
  endpoints: EndpointStats[]
  /** Present when asked for (`perSecond`). */
  timeline?: CaptureTimeline
  /** One section per `PacketSink`, by its name. */
  extensions: Record<string, unknown>
}

/** Options of `analyzePackets`. */
export interface AnalyzeOptions {
  map?: EndpointMap
  /** Build the per-second timeline (costs memory per conversation-second). */
  perSecond?: boolean
  /** How many conversations get their own timeline (default 5). */
  timelineTop?: number
  sinks?: PacketSink[]
}

// Labels for well-known ports, used when the map file does not name the port. Kept short on
// purpose: a wrong guess is worse than none.
const BUILT_IN_LABELS: ReadonlyMap<string, string> = new Map([
  ['tcp/22', 'ssh'],
  ['*/53', 'dns'],
  ['tcp/80', 'http'],
  ['tcp/443', 'https'],
  ['udp/443', 'quic'],
  ['udp/123', 'ntp'],
  ['udp/5353', 'mdns'],
  ['tcp/993', 'imaps'],
  ['tcp/5222', 'xmpp'],
  ['tcp/60000', 'libp2p (waku)'],
  ['tcp/8000', 'libp2p websocket (waku)'],
  ['udp/9000', 'discv5']
])

const SYN = 0x02
const RST = 0x04
const ACK = 0x10
// More holes than this in one direction means the capture lost packets; the oldest holes are
// then taken as filled so the tracker stays small.
const MAX_HOLES = 32

/** Incremental analyzer: `add` every packet in file order, then `finish`. */
export class CaptureAnalyzer {
  private readonly map: EndpointMap
  private readonly perSecond: boolean
  private readonly timelineTop: number
  private readonly sinks: PacketSink[]
  private readonly conversations = new Map<string, ConversationState>()
  private readonly endpoints = new Map<string, EndpointStats>()
  private readonly seconds = new Map<number, SecondBucket>()
  private readonly totals: CaptureTotals = {
    packets: 0,
    ipPackets: 0,
    nonIpPackets: 0,
    tcpPackets: 0,
    udpPackets: 0,
    otherIpPackets: 0,
    wireBytes: 0,
    capturedBytes: 0,
    payloadBytes: 0,
    retransmittedPackets: 0,
    retransmittedBytes: 0,
    impossibleLengths: 0,
    conversations: 0,
    endpoints: 0,
    firstUs: null,
    lastUs: null,
    durationSeconds: 0
  }

  constructor(options: AnalyzeOptions = {}) {
    this.map = options.map ?? emptyEndpointMap()
    this.perSecond = options.perSecond ?? false
    this.timelineTop = options.timelineTop ?? 5
    this.sinks = options.sinks ?? []
  }

  add(packet: CapturedPacket): void {
    const totals = this.totals
    const t = packet.timestampUs
    totals.packets++
    totals.wireBytes += packet.wireLength
    totals.capturedBytes += packet.capturedLength
    if (totals.firstUs === null || t < totals.firstUs) totals.firstUs = t
    if (totals.lastUs === null || t > totals.lastUs) totals.lastUs = t
    for (const sink of this.sinks) sink.add(packet)

    const ip = packet.ip
    if (ip === undefined) {
      totals.nonIpPackets++
      if (this.perSecond) this.bucket(this.seconds, t).packets++
      return
    }
    totals.ipPackets++
    if (ip.lengthExceedsFrame === true) totals.impossibleLengths++
    const tr = packet.transport
    if (tr !== undefined && ip.protocol === 'tcp') totals.tcpPackets++
    else if (tr !== undefined && ip.protocol === 'udp') totals.udpPackets++
    else totals.otherIpPackets++

    const srcKey = tr === undefined ? ip.src : endpointKey(ip.src, tr.srcPort)
    const dstKey = tr === undefined ? ip.dst : endpointKey(ip.dst, tr.dstPort)
    const protocol: TransportProtocol = tr === undefined ? (ip.protocol === 'icmp' ? 'icmp' : 'other') : ip.protocol
    // one key for both directions: the lexically smaller endpoint first
    const key = srcKey < dstKey ? `${protocol} ${srcKey} ${dstKey}` : `${protocol} ${dstKey} ${srcKey}`
    let conv = this.conversations.get(key)
    if (conv !== undefined && conv.tcp !== undefined && tr?.tcp !== undefined && opensNewConnection(conv.tcp, tr.tcp)) {
      // the tuple's earlier connection keeps its place in the output under its own key
      this.conversations.set(`${key} #${conv.ordinal}`, conv)
      conv = this.openConversation(key, protocol, srcKey, dstKey, ip, tr, t, conv.ordinal + 1)
    }
    if (conv === undefined) conv = this.openConversation(key, protocol, srcKey, dstKey, ip, tr, t, 1)
    if (conv.tcp !== undefined && tr?.tcp !== undefined) noteTcpSegment(conv.tcp, tr.tcp)
    const forward = srcKey === conv.aKey
    if (tr?.tcp !== undefined && (tr.tcp.flags & RST) !== 0) conv.resetBy ??= forward ? 'a' : 'b'
    const dir = forward ? conv.aToB : conv.bToA
    const sender = forward ? conv.a : conv.b
    const receiver = forward ? conv.b : conv.a
    if (t < conv.firstUs) conv.firstUs = t
    if (t > conv.lastUs) conv.lastUs = t

    let payload = tr === undefined ? 0 : tr.payloadLength
    if (payload > 0 && tr?.tcp !== undefined) {
      const tracker = forward ? conv.seqAToB : conv.seqBToA
      // data in a SYN (TCP Fast Open) starts one past the SYN's sequence number
      const fresh = tracker!.add(((tr.tcp.flags & SYN) !== 0 ? tr.tcp.seq + 1 : tr.tcp.seq) >>> 0, payload)
      if (fresh < payload) {
        dir.retransmittedPackets++
        dir.retransmittedBytes += payload - fresh
        totals.retransmittedPackets++
        totals.retransmittedBytes += payload - fresh
      }
      payload = fresh
    }
    dir.packets++
    dir.wireBytes += packet.wireLength
    dir.payloadBytes += payload
    totals.payloadBytes += payload
    sender.packetsSent++
    sender.wireBytesSent += packet.wireLength
    sender.payloadBytesSent += payload
    receiver.packetsReceived++
    receiver.wireBytesReceived += packet.wireLength
    receiver.payloadBytesReceived += payload

    if (this.perSecond) {
      const overall = this.bucket(this.seconds, t)
      const own = this.bucket(conv.seconds!, t)
      overall.packets++
      own.packets++
      if (forward) {
        overall.up += packet.wireLength
        own.up += packet.wireLength
      } else {
        overall.down += packet.wireLength
        own.down += packet.wireLength
      }
    }
  }

  private openConversation(
    key: string,
    protocol: TransportProtocol,
    srcKey: string,
    dstKey: string,
    ip: NonNullable<CapturedPacket['ip']>,
    tr: CapturedPacket['transport'],
    t: number,
    ordinal: number
  ): ConversationState {
    // a SYN-ACK first means we missed the SYN: its receiver is the initiator
    const reversed = tr?.tcp !== undefined && (tr.tcp.flags & (SYN | ACK)) === (SYN | ACK)
    const aKey = reversed ? dstKey : srcKey
    const bKey = reversed ? srcKey : dstKey
    const a = this.endpoint(aKey, reversed ? ip.dst : ip.src, tr === undefined ? undefined : reversed ? tr.dstPort : tr.srcPort)
    const b = this.endpoint(bKey, reversed ? ip.src : ip.dst, tr === undefined ? undefined : reversed ? tr.srcPort : tr.dstPort)
    a.conversations++
    if (b !== a) b.conversations++
    const conv: ConversationState = {
      aKey,
      protocol,
      a,
      b,
      ordinal,
      outputKey: `${protocol} ${a.key} <-> ${b.key}${ordinal > 1 ? ` #${ordinal}` : ''}`,
      tcp: protocol === 'tcp' ? newTcpSessionMarks() : undefined,
      label: this.label(protocol, b.port, a.port),
      aToB: newDirection(),
      bToA: newDirection(),
      seqAToB: protocol === 'tcp' ? new SeqTracker() : undefined,
      seqBToA: protocol === 'tcp' ? new SeqTracker() : undefined,
      firstUs: t,
      lastUs: t,
      seconds: this.perSecond ? new Map() : undefined
    }
    this.conversations.set(key, conv)
    return conv
  }

  finish(): CaptureAnalysis {
    const conversations: Conversation[] = []
    for (const c of this.conversations.values()) {
      conversations.push({
        key: c.outputKey,
        protocol: c.protocol,
        a: refOf(c.a),
        b: refOf(c.b),
        ...(c.label === undefined ? {} : { label: c.label }),
        aToB: c.aToB,
        bToA: c.bToA,
        packets: c.aToB.packets + c.bToA.packets,
        wireBytes: c.aToB.wireBytes + c.bToA.wireBytes,
        payloadBytes: c.aToB.payloadBytes + c.bToA.payloadBytes,
        firstUs: c.firstUs,
        lastUs: c.lastUs,
        ...(c.resetBy === undefined ? {} : { resetBy: c.resetBy })
      })
    }
    // ties broken by key so the output does not depend on map iteration order
    conversations.sort((x, y) => y.wireBytes - x.wireBytes || (x.key < y.key ? -1 : x.key > y.key ? 1 : 0))
    const endpoints = [...this.endpoints.values()].sort(
      (x, y) => y.wireBytesSent + y.wireBytesReceived - (x.wireBytesSent + x.wireBytesReceived) || (x.key < y.key ? -1 : x.key > y.key ? 1 : 0)
    )
    const totals = { ...this.totals, conversations: conversations.length, endpoints: endpoints.length }
    totals.durationSeconds = totals.firstUs === null || totals.lastUs === null ? 0 : (totals.lastUs - totals.firstUs) / 1e6
    const extensions: Record<string, unknown> = {}
    for (const sink of this.sinks) extensions[sink.name] = sink.finish()
    const analysis: CaptureAnalysis = { totals, conversations, endpoints, extensions }
    if (this.perSecond) analysis.timeline = this.timeline(conversations)
    return analysis
  }

  private timeline(conversations: Conversation[]): CaptureTimeline {
    if (this.seconds.size === 0) return { originUs: 0, seconds: [], conversations: [] }
    // a loop, not Math.min(...keys): a day-long capture has more seconds than a call has arguments
    let first = Infinity
    let last = -Infinity
    for (const s of this.seconds.keys()) {
      if (s < first) first = s
      if (s > last) last = s
    }
    const dense = (buckets: Map<number, SecondBucket>): SecondBucket[] => {
      const out: SecondBucket[] = []
      for (let s = first; s <= last; s++) {
        const b = buckets.get(s)
        out.push({ second: s - first, up: b?.up ?? 0, down: b?.down ?? 0, packets: b?.packets ?? 0 })
      }
      return out
    }
    const byKey = new Map<string, ConversationState>()
    for (const c of this.conversations.values()) byKey.set(c.outputKey, c)
    return {
      originUs: first * 1e6,
      seconds: dense(this.seconds),
      conversations: conversations.slice(0, this.timelineTop).map((c) => ({ key: c.key, seconds: dense(byKey.get(c.key)!.seconds!) }))
    }
  }

  private bucket(buckets: Map<number, SecondBucket>, timestampUs: number): SecondBucket {
    // whole wall-clock seconds: binning does not depend on which packet happens to come first
    const s = Math.floor(timestampUs / 1e6)
    let b = buckets.get(s)
    if (b === undefined) {
      b = { second: s, up: 0, down: 0, packets: 0 }
      buckets.set(s, b)
    }
    return b
  }

  private endpoint(key: string, ip: string, port: number | undefined): EndpointStats {
    let e = this.endpoints.get(key)
    if (e === undefined) {
      const named = this.map.endpoints.get(key) ?? this.map.endpoints.get(ip)
      e = {
        key,
        ip,
        ...(port === undefined ? {} : { port }),
        ...(named === undefined ? {} : named.role === undefined ? { name: named.name } : { name: named.name, role: named.role }),
        packetsSent: 0,
        packetsReceived: 0,
        wireBytesSent: 0,
        wireBytesReceived: 0,
        payloadBytesSent: 0,
        payloadBytesReceived: 0,
        conversations: 0
      }
      this.endpoints.set(key, e)
    }
    return e
  }

  private label(protocol: TransportProtocol, ...ports: Array<number | undefined>): string | undefined {
    for (const table of [this.map.protocols, BUILT_IN_LABELS]) {
      for (const port of ports) {
        if (port === undefined) continue
        const label = table.get(`${protocol}/${port}`) ?? table.get(`*/${port}`)
        if (label !== undefined) return label
      }
    }
    return undefined
  }
}

/** Analyses a packet stream (per packet or in batches) in one pass. */
export async function analyzePackets(
  source: AsyncIterable<CapturedPacket | CapturedPacket[]> | Iterable<CapturedPacket | CapturedPacket[]>,
  options: AnalyzeOptions = {}
): Promise<CaptureAnalysis> {
  const analyzer = new CaptureAnalyzer(options)
  for await (const item of source) {
    if (Array.isArray(item)) for (let i = 0; i < item.length; i++) analyzer.add(item[i])
    else analyzer.add(item)
  }
  return analyzer.finish()
}

interface ConversationState {
  aKey: string
  protocol: TransportProtocol
  a: EndpointStats
  b: EndpointStats
  /** 1 for a tuple's first connection, 2 for the next one on the same ports, and so on. */
  ordinal: number
  /** `Conversation.key`: the tuple, with `#ordinal` from a tuple's second connection on. */
  outputKey: string
  tcp: TcpSessionMarks | undefined
  label: string | undefined
  aToB: DirectionStats
  bToA: DirectionStats
  seqAToB: SeqTracker | undefined
  seqBToA: SeqTracker | undefined
  firstUs: number
  lastUs: number
  resetBy?: 'a' | 'b'
  seconds: Map<number, SecondBucket> | undefined
}

function newDirection(): DirectionStats {
  return { packets: 0, wireBytes: 0, payloadBytes: 0, retransmittedPackets: 0, retransmittedBytes: 0 }
}

function refOf(e: EndpointStats): EndpointRef {
  const ref: EndpointRef = { key: e.key, ip: e.ip }
  if (e.port !== undefined) ref.port = e.port
  if (e.name !== undefined) ref.name = e.name
  if (e.role !== undefined) ref.role = e.role
  return ref
}

/**
 * The payload ranges seen in one TCP direction, on an unwrapped sequence axis, as sorted
 * disjoint [start, end) intervals. `add` answers how many of a segment's bytes are new; the rest
 * were seen before (a retransmission, whatever the reason).
 */
export class SeqTracker {
  private lastSeq = -1
  private lastPos = 0
  private readonly ranges: Array<[number, number]> = []

  add(seq: number, length: number): number {
    let start: number
    if (this.lastSeq < 0) {
      start = 0
    } else {
      // signed 32-bit distance from the previous segment: unwraps sequence-number wrap-around
      start = this.lastPos + ((seq - this.lastSeq) | 0)
    }
    this.lastSeq = seq
    this.lastPos = start
    const end = start + length
    const ranges = this.ranges
    const n = ranges.length
    // the common case: the next in-order segment
    if (n > 0 && ranges[n - 1][1] === start) {
      ranges[n - 1][1] = end
      return length
    }
    if (n === 0 || ranges[n - 1][1] < start) {
      ranges.push([start, end])
      this.trim()
      return length
    }
    // overlap or a segment filling a hole: merge and count what was not covered
    let covered = 0
    let mergedStart = start
    let mergedEnd = end
    let i = 0
    while (i < ranges.length && ranges[i][1] < start) i++
    const firstMerged = i
    while (i < ranges.length && ranges[i][0] <= end) {
      const [s, e] = ranges[i]
      covered += Math.max(0, Math.min(e, end) - Math.max(s, start))
      if (s < mergedStart) mergedStart = s
      if (e > mergedEnd) mergedEnd = e
      i++
    }
    ranges.splice(firstMerged, i - firstMerged, [mergedStart, mergedEnd])
    this.trim()
    return length - covered
  }

  private trim(): void {
    while (this.ranges.length > MAX_HOLES) {
      const [first, second] = this.ranges
      this.ranges.splice(0, 2, [first[0], second[1]])
    }
  }
}

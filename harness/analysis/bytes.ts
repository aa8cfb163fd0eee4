import { STORE_AUDITOR, type BytesResults, type CourierEvent, type EventOf, type OwnerBytes, userKeyed } from '../interface/index.js'
import { Column, getOr, type Fold } from './fold.js'
import { round } from './stats.js'

/** A capture's totals (as results keep them) and its conversations (harness/capture's Conversation fits). */
export type CapturedConversations = Omit<NonNullable<BytesResults['tcpdump']>, 'check'> & {
  conversations: Array<{
    a: { ip: string; port?: number }
    b: { ip: string; port?: number }
    aToB: { payloadBytes: number }
    bToA: { payloadBytes: number }
    resetBy?: 'a' | 'b'
  }>
}

/** A second counts as quiet when nobody posted in it or the two before it. */
const QUIET_WINDOW_MS = 3000
const HOUR_MS = 3_600_000

/** Byte figures per device and node from socket accounting events (and a capture, when there was one). */
export function analyzeBytes(events: readonly CourierEvent[], capture?: CapturedConversations): BytesResults | undefined {
  const fold = new BytesFold()
  for (const event of events) fold.add(event)
  return fold.finish(capture)
}

interface Wire {
  up: number
  down: number
  byProtocol: Record<string, { up: number; down: number }>
  /** Wire bytes inside the traffic phase (and the second after it). */
  traffic: number
  /** Wire bytes per second of the scenario (seconds before it are negative). */
  perSecond: Map<number, { up: number; down: number }>
  /** Samples from before the first scenario.start, kept until its time says which second they fell in. */
  early: Array<{ t: number; up: number; down: number }>
}

/**
 * analyzeBytes as a fold: per owner its totals, per protocol and per second of the scenario, the
 * send times (for the quiet seconds), and per device its first receptions and duplicates' bytes.
 * It relies on time order: a sample before the first `scenario.end` is inside the traffic phase.
 */
export class BytesFold implements Fold<BytesResults | undefined, CapturedConversations | undefined> {
  private captureStart: EventOf<'capture.start'> | undefined
  private readonly devices = new Set<string>()
  private scenarioStart: number | undefined
  private scenarioEnd: number | undefined
  private lastT = 0
  /** every send's time: a typed column, a run of ten million events sends over a million */
  private readonly sendTimes = new Column()
  private readonly wire = new Map<string, Wire>()
  private readonly duplicateBytes = new Map<string, Record<string, number>>()
  private readonly delivered = new Map<string, number>()
  private readonly storeRequests = new Map<string, { requests: number; bytes: number }>()
  private readonly opened = new Map<string, { localAddr: string; remoteAddr: string }>()
  private readonly closed: Array<{ owner: string; connId: string; bytesUp: number }> = []

  add(event: CourierEvent): void {
    this.lastT = event.t
    switch (event.type) {
      case 'capture.start':
        this.captureStart ??= event
        break
      case 'device.up':
        this.devices.add(event.device)
        break
      case 'scenario.start':
        if (this.scenarioStart == null) {
          this.scenarioStart = event.t
          for (const w of this.wire.values()) {
            for (const early of w.early) this.wireSample(w, early.t, early.up, early.down)
            w.early = []
          }
        }
        break
      case 'scenario.end':
        this.scenarioEnd ??= event.t
        break
      case 'msg.sent':
        this.sendTimes.push(event.t)
        break
      case 'bytes.sample': {
        if (event.owner === STORE_AUDITOR) break
        const w = getOr(this.wire, event.owner, () => ({ up: 0, down: 0, byProtocol: {}, traffic: 0, perSecond: new Map(), early: [] }))
        if (event.protocol !== 'wire') {
          const protocol = (w.byProtocol[event.protocol] ??= { up: 0, down: 0 })
          protocol.up += event.up
          protocol.down += event.down
          break
        }
        w.up += event.up
        w.down += event.down
        if (this.scenarioStart == null) w.early.push({ t: event.t, up: event.up, down: event.down })
        else this.wireSample(w, event.t, event.up, event.down)
        break
      }
      case 'msg.received':
        if (event.duplicate) {
          const byPath = getOr<string, Record<string, number>>(this.duplicateBytes, event.device, () => ({}))
          byPath[event.via] = (byPath[event.via] ?? 0) + event.bytes
        } else this.delivered.set(event.device, (this.delivered.get(event.device) ?? 0) + 1)
        break
      case 'store.response': {
        const entry = getOr(this.storeRequests, event.device, () => ({ requests: 0, bytes: 0 }))
        entry.requests++
        entry.bytes += event.bytes
        break
      }
      case 'conn.open':
        this.opened.set(event.connId, { localAddr: event.localAddr, remoteAddr: event.remoteAddr })
        break
      case 'conn.close':
        this.closed.push({ owner: event.owner, connId: event.connId, bytesUp: event.bytesUp })
        break
      default:
        break
    }
  }

  private wireSample(w: Wire, t: number, up: number, down: number): void {
    const start = this.scenarioStart ?? 0
    // in time order, a sample before scenario.end is seen is inside the phase: the end comes later
    if (t > start && (this.scenarioEnd == null || t <= this.scenarioEnd + 1000)) w.traffic += up + down
    const second = Math.floor((t - start) / 1000)
    const bucket = getOr(w.perSecond, second, () => ({ up: 0, down: 0 }))
    bucket.up += up
    bucket.down += down
  }

  finish(capture?: CapturedConversations): BytesResults | undefined {
    const start = this.captureStart
    if (start?.backend === 'off') return undefined
    if (this.scenarioStart == null) {
      // no scenario.start at all: seconds count from 0, as they did when the whole log was read
      for (const w of this.wire.values()) {
        for (const early of w.early) this.wireSample(w, early.t, early.up, early.down)
        w.early = []
      }
    }
    const scenarioStart = this.scenarioStart ?? 0
    const scenarioEnd = this.scenarioEnd ?? this.lastT
    const quietSeconds = quietSecondSet(this.sendTimes.toFloat64Array(), scenarioStart, scenarioEnd)
    const owners = userKeyed<OwnerBytes>()
    const ownerOf = (name: string): OwnerBytes =>
      (owners[name] ??= {
        kind: this.devices.has(name) ? 'device' : 'node',
        up: 0,
        down: 0,
        byProtocol: {},
        perMessage: { down: null, total: null },
        duplicateBytes: {},
        backgroundPerHour: null,
        storePerRequest: null,
        projected: { perHour: null, perDay: null }
      })
    const quiet = new Map<string, number>()
    for (const [name, w] of this.wire) {
      const owner = ownerOf(name)
      owner.up = w.up
      owner.down = w.down
      owner.byProtocol = w.byProtocol
      let q = 0
      for (const [second, b] of w.perSecond) if (quietSeconds.has(second)) q += b.up + b.down
      quiet.set(name, q)
    }
    for (const [name, byPath] of this.duplicateBytes) ownerOf(name).duplicateBytes = byPath
    const trafficMs = Math.max(1, scenarioEnd - scenarioStart)
    for (const [name, owner] of Object.entries(owners)) {
      const count = this.delivered.get(name) ?? 0
      if (owner.kind === 'device' && count > 0) owner.perMessage = { down: round(owner.down / count, 1), total: round((owner.up + owner.down) / count, 1) }
      if (quietSeconds.size > 0) owner.backgroundPerHour = round(((quiet.get(name) ?? 0) / (quietSeconds.size * 1000)) * HOUR_MS, 0)
      const store = this.storeRequests.get(name)
      if (store != null) owner.storePerRequest = round(store.bytes / store.requests, 1)
      const perHour = ((this.wire.get(name)?.traffic ?? 0) / trafficMs) * HOUR_MS
      owner.projected = { perHour: round(perHour, 0), perDay: round(perHour * 24, 0) }
      const series = this.wire.get(name)?.perSecond
      if (owner.kind === 'device' && series != null && series.size > 0)
        owner.perSecond = [...series.entries()].sort((a, b) => a[0] - b[0]).map(([second, b]) => ({ second, ...b }))
    }

    const result: BytesResults = {
      backend: capture != null ? 'tcpdump' : 'socket',
      backendReason: start?.reason,
      owners
    }
    if (capture != null) result.tcpdump = { ...captureTotals(capture), check: crossCheck(this.opened, this.closed, capture) }
    return result
  }
}

function quietSecondSet(sendTimes: Float64Array, start: number, end: number): Set<number> {
  const quiet = new Set<number>()
  const sorted = sendTimes.sort()
  let i = 0
  for (let second = 0; start + (second + 1) * 1000 <= end; second++) {
    const to = start + (second + 1) * 1000
    const from = to - QUIET_WINDOW_MS
    while (i < sorted.length && sorted[i] < from) i++
    if (i >= sorted.length || sorted[i] >= to) quiet.add(second)
  }
  return quiet
}

function captureTotals(capture: CapturedConversations): Omit<NonNullable<BytesResults['tcpdump']>, 'check'> {
  const { file, packets, dropped, wireBytes, payloadBytes, retransmittedBytes } = capture
  return { file, packets, dropped, wireBytes, payloadBytes, retransmittedBytes }
}

/**
 * Each connection a node or device accounted is found in the capture by its two socket addresses;
 * the bytes its socket handed to the kernel must be the first-time TCP payload the capture saw
 * leaving it. Outbound is the figure of record: both ends of every connection are courier's, so
 * every direction is checked once, by its sender (a receiver never reads what arrives after it
 * closed, which the capture still sees).
 */
function crossCheck(
  opened: ReadonlyMap<string, { localAddr: string; remoteAddr: string }>,
  closed: ReadonlyArray<{ owner: string; connId: string; bytesUp: number }>,
  capture: CapturedConversations
): NonNullable<BytesResults['tcpdump']>['check'] {
  const flows = new Map<string, { payloadBytes: number; reset: boolean }>()
  for (const c of capture.conversations) {
    if (c.a.port == null || c.b.port == null) continue
    const reset = c.resetBy !== undefined
    flows.set(`${c.a.ip}:${c.a.port}>${c.b.ip}:${c.b.port}`, { payloadBytes: c.aToB.payloadBytes, reset })
    flows.set(`${c.b.ip}:${c.b.port}>${c.a.ip}:${c.a.port}`, { payloadBytes: c.bToA.payloadBytes, reset })
  }
  const check: NonNullable<BytesResults['tcpdump']>['check'] = { directions: 0, equal: 0, mismatches: [] }
  const unsent = { directions: 0, bytes: 0 }
  for (const event of closed) {
    const open = opened.get(event.connId)
    if (open == null) continue
    const flow = flows.get(`${open.localAddr}>${open.remoteAddr}`)
    const captured = flow?.payloadBytes ?? 0
    check.directions++
    if (captured === event.bytesUp) check.equal++
    else if (flow?.reset === true && captured < event.bytesUp) {
      unsent.directions++
      unsent.bytes += event.bytesUp - captured
    } else if (check.mismatches.length < 50)
      check.mismatches.push({ owner: event.owner, connId: event.connId, direction: 'up', socket: event.bytesUp, capture: captured })
  }
  if (unsent.directions > 0) check.unsentAtReset = unsent
  return check
}

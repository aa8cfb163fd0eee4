import { STORE_AUDITOR, type BytesResults, type CourierEvent, type EventOf, type OwnerBytes, userKeyed } from '../../../harness/interface/index.js'
import { round } from './stats.js'

/** A capture's totals (as results keep them) and its conversations (harness/capture's Conversation fits). */
export type CapturedConversations = Omit<NonNullable<BytesResults['tcpdump']>, 'check'> & {
  conversations: Array<{
    a: { ip: string; port?: number }
    b: { ip: string; port?: number }
    aToB: { payloadBytes: number }
    bToA: { payloadBytes: number }
  }>
}

/** A second counts as quiet when nobody posted in it or the two before it. */
const QUIET_WINDOW_MS = 3000
const HOUR_MS = 3_600_000

/** Byte figures per device and node from socket accounting events (and a capture, when there was one). */
export function analyzeBytes(events: readonly CourierEvent[], capture?: CapturedConversations): BytesResults | undefined {
  const start = events.find((e) => e.type === 'capture.start')
  if (start?.backend === 'off') return undefined
  const devices = new Set(events.flatMap((e) => (e.type === 'device.up' ? [e.device] : [])))
  const scenarioStart = events.find((e) => e.type === 'scenario.start')?.t ?? 0
  const scenarioEnd = events.find((e) => e.type === 'scenario.end')?.t ?? events.at(-1)?.t ?? 0
  const sendTimes = events.flatMap((e) => (e.type === 'msg.sent' ? [e.t] : []))
  const quietSeconds = quietSecondSet(sendTimes, scenarioStart, scenarioEnd)

  const owners = userKeyed<OwnerBytes>()
  const ownerOf = (name: string): OwnerBytes =>
    (owners[name] ??= {
      kind: devices.has(name) ? 'device' : 'node',
      up: 0,
      down: 0,
      byProtocol: {},
      perMessage: { down: null, total: null },
      duplicateBytes: {},
      backgroundPerHour: null,
      storePerRequest: null,
      projected: { perHour: null, perDay: null }
    })
  const traffic = new Map<string, number>()
  const quiet = new Map<string, number>()
  const perSecond = new Map<string, Map<number, { up: number; down: number }>>()
  for (const event of events) {
    if (event.type !== 'bytes.sample' || event.owner === STORE_AUDITOR) continue
    const owner = ownerOf(event.owner)
    if (event.protocol === 'wire') {
      owner.up += event.up
      owner.down += event.down
      const bytes = event.up + event.down
      if (event.t > scenarioStart && event.t <= scenarioEnd + 1000) traffic.set(event.owner, (traffic.get(event.owner) ?? 0) + bytes)
      const second = Math.floor((event.t - scenarioStart) / 1000)
      if (quietSeconds.has(second)) quiet.set(event.owner, (quiet.get(event.owner) ?? 0) + bytes)
      if (owner.kind === 'device') {
        const series = perSecond.get(event.owner) ?? new Map<number, { up: number; down: number }>()
        perSecond.set(event.owner, series)
        const bucket = series.get(second) ?? { up: 0, down: 0 }
        bucket.up += event.up
        bucket.down += event.down
        series.set(second, bucket)
      }
    } else {
      const protocol = (owner.byProtocol[event.protocol] ??= { up: 0, down: 0 })
      protocol.up += event.up
      protocol.down += event.down
    }
  }

  const delivered = new Map<string, number>()
  const storeRequests = new Map<string, { requests: number; bytes: number }>()
  for (const event of events) {
    if (event.type === 'msg.received') {
      if (event.duplicate) {
        const owner = ownerOf(event.device)
        owner.duplicateBytes[event.via] = (owner.duplicateBytes[event.via] ?? 0) + event.bytes
      } else {
        delivered.set(event.device, (delivered.get(event.device) ?? 0) + 1)
      }
    } else if (event.type === 'store.response') {
      const entry = storeRequests.get(event.device) ?? { requests: 0, bytes: 0 }
      entry.requests++
      entry.bytes += event.bytes
      storeRequests.set(event.device, entry)
    }
  }

  const trafficMs = Math.max(1, scenarioEnd - scenarioStart)
  for (const [name, owner] of Object.entries(owners)) {
    const count = delivered.get(name) ?? 0
    if (owner.kind === 'device' && count > 0) owner.perMessage = { down: round(owner.down / count, 1), total: round((owner.up + owner.down) / count, 1) }
    if (quietSeconds.size > 0) owner.backgroundPerHour = round(((quiet.get(name) ?? 0) / (quietSeconds.size * 1000)) * HOUR_MS, 0)
    const store = storeRequests.get(name)
    if (store != null) owner.storePerRequest = round(store.bytes / store.requests, 1)
    const perHour = ((traffic.get(name) ?? 0) / trafficMs) * HOUR_MS
    owner.projected = { perHour: round(perHour, 0), perDay: round(perHour * 24, 0) }
    const series = perSecond.get(name)
    if (series != null) owner.perSecond = [...series.entries()].sort((a, b) => a[0] - b[0]).map(([second, b]) => ({ second, ...b }))
  }

  const result: BytesResults = {
    backend: capture != null ? 'tcpdump' : 'socket',
    backendReason: start?.reason,
    owners
  }
  if (capture != null) result.tcpdump = { ...captureTotals(capture), check: crossCheck(events, capture) }
  return result
}

function quietSecondSet(sendTimes: number[], start: number, end: number): Set<number> {
  const quiet = new Set<number>()
  const sorted = sendTimes.slice().sort((a, b) => a - b)
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
function crossCheck(events: readonly CourierEvent[], capture: CapturedConversations): NonNullable<BytesResults['tcpdump']>['check'] {
  const flows = new Map<string, number>()
  for (const c of capture.conversations) {
    if (c.a.port == null || c.b.port == null) continue
    flows.set(`${c.a.ip}:${c.a.port}>${c.b.ip}:${c.b.port}`, c.aToB.payloadBytes)
    flows.set(`${c.b.ip}:${c.b.port}>${c.a.ip}:${c.a.port}`, c.bToA.payloadBytes)
  }
  const opened = new Map<string, EventOf<'conn.open'>>()
  for (const event of events) if (event.type === 'conn.open') opened.set(event.connId, event)
  const check: NonNullable<BytesResults['tcpdump']>['check'] = { directions: 0, equal: 0, mismatches: [] }
  for (const event of events) {
    if (event.type !== 'conn.close') continue
    const open = opened.get(event.connId)
    if (open == null) continue
    const captured = flows.get(`${open.localAddr}>${open.remoteAddr}`) ?? 0
    check.directions++
    if (captured === event.bytesUp) check.equal++
    else if (check.mismatches.length < 50)
      check.mismatches.push({ owner: event.owner, connId: event.connId, direction: 'up', socket: event.bytesUp, capture: captured })
  }
  return check
}

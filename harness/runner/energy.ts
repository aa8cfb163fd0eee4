import { dirname, isAbsolute, resolve } from 'node:path'
import { readPcap } from '../capture/index.js'
import { compareRadios, listBuiltinProfiles, loadRadioProfile, priceTimeline, type RadioProfile } from '../energy/index.js'
import { Column, InvalidInputError, type CourierEvent, type DeviceEnergy, type InputProblem, type RadioPacket, userKeyed } from '../interface/index.js'
import type { LoadedScenario, ScenarioConfig } from '../scenario/index.js'

/** A phone's radio when the scenario names none. */
export const DEFAULT_RADIO = 'lte'
/** The radios every device's traffic is also priced on, for the what-if. */
const WHAT_IF = ['lte', '3g', 'wifi']
const TIMELINE_SPAN_LIMIT = 5000
/** Model and phone may differ this much (relative) before the difference is flagged. */
export const DISAGREEMENT_LIMIT = 0.25

/** Checks every device's `radio:` before anything starts; a profile file is resolved beside the scenario. */
export function validateRadios(scenario: LoadedScenario): void {
  const problems: InputProblem[] = []
  for (const [device, config] of Object.entries(scenario.config.devices)) {
    if (config.radio == null) continue
    try {
      loadRadioProfile(radioPath(config.radio, scenario.file))
    } catch (error) {
      if (!(error instanceof InvalidInputError)) throw error
      const inFile = error.problems.some((p) => p.location.file !== '<radio>')
      problems.push(
        ...error.problems.map((p) => (inFile ? p : { ...p, location: scenario.locate(['devices', device, 'radio']), path: `devices.${device}.radio` }))
      )
    }
  }
  if (problems.length > 0) throw new InvalidInputError(problems)
}

function radioPath(radio: string, scenarioFile: string): string {
  const builtin = listBuiltinProfiles().some((p) => p.name === radio)
  if (builtin || isAbsolute(radio) || !/[\\/]|\.json$/.test(radio)) return radio
  return resolve(dirname(scenarioFile), radio)
}

/**
 * Each device's radio timeline: the packets of its own connections in the run's capture when
 * tcpdump recorded one (found by the device's socket ports), else its socket reads and writes.
 * Labels name the fleet node at the other end.
 */
export interface DeviceTimeline {
  source: 'tcpdump' | 'socket' | 'none'
  /** Labelled by the fleet node at the other end. */
  packets: RadioPacket[]
  /** What each packet was for, in the same order (see protocolLabeler). */
  protocols: string[]
}

export async function deviceRadioTimelines(
  events: readonly CourierEvent[],
  capturePath?: string,
  receptions: ReceptionTimes = receptionTimes(events)
): Promise<Map<string, DeviceTimeline>> {
  const devices = new Set(events.flatMap((e) => (e.type === 'device.up' ? [e.device] : [])))
  const nodeByPort = new Map<number, string>()
  for (const event of events) {
    if (event.type === 'link.change') {
      // a shaped link's port stands for the fleet node behind it
      for (const [port, node] of Object.entries(event.ports ?? {})) nodeByPort.set(Number(port), node)
    }
    if (event.type === 'node.link') nodeByPort.set(event.port, event.b)
    if (event.type !== 'node.up') continue
    for (const addr of event.addrs) {
      const port = Number(/\/tcp\/(\d+)/.exec(addr)?.[1])
      if (port > 0) nodeByPort.set(port, event.node)
    }
  }
  const connections = new Map<string, { device: string; label: string }>()
  const devicePorts = new Map<number, { device: string; label: string }>()
  for (const event of events) {
    if (event.type !== 'conn.open' || !devices.has(event.owner)) continue
    const remotePort = Number(event.remoteAddr.split(':').at(-1))
    const localPort = Number(event.localAddr.split(':').at(-1))
    const entry = { device: event.owner, label: nodeByPort.get(remotePort) ?? `port ${remotePort}` }
    connections.set(event.connId, entry)
    devicePorts.set(localPort, entry)
  }
  const timelines = new Map<string, DeviceTimeline>()
  for (const device of devices) timelines.set(device, { source: capturePath != null ? 'tcpdump' : 'socket', packets: [], protocols: [] })
  const protocolOf = protocolLabeler(events, receptions)
  const start = events.find((e) => e.type === 'run.start')
  const wallClockMs = start?.type === 'run.start' ? start.wallClockMs : undefined
  const add = (device: string, packet: RadioPacket, runMs: number | undefined): void => {
    const timeline = timelines.get(device)
    if (timeline == null) return
    timeline.packets.push(packet)
    timeline.protocols.push(runMs == null ? 'control' : protocolOf(device, runMs, packet.direction))
  }
  const runMsOf = (timestampUs: number): number | undefined => (wallClockMs == null ? undefined : timestampUs / 1000 - wallClockMs)
  // A device whose sockets courier cannot see (an Appium phone: its app talks from the Appium
  // server's process or from the phone) owns the captured connections to fleet ports that no
  // courier-owned socket explains, when it is the only such device; otherwise it is not priced.
  const unseen = [...devices].filter((device) => ![...connections.values()].some((c) => c.device === device))
  // a shaper's own socket towards a node is courier's too (link.connection), not a phone's
  const known = new Set(events.flatMap((e) => (e.type === 'conn.open' ? [e.localAddr] : e.type === 'link.connection' ? [e.upstream] : [])))
  const foreignOwner = unseen.length === 1 ? unseen[0] : undefined
  for (const device of unseen) if (device !== foreignOwner || capturePath == null) timelines.set(device, { source: 'none', packets: [], protocols: [] })
  if (capturePath != null) {
    for await (const packet of readPcap(capturePath)) {
      const t = packet.transport
      if (t == null) continue
      const up = devicePorts.get(t.srcPort)
      const down = devicePorts.get(t.dstPort)
      const owner = up ?? down
      if (owner != null) {
        add(
          owner.device,
          { time: packet.timestampUs / 1e6, bytes: packet.wireLength, direction: up != null ? 'up' : 'down', label: owner.label },
          runMsOf(packet.timestampUs)
        )
        continue
      }
      if (foreignOwner == null || packet.ip == null) continue
      const toFleet = nodeByPort.get(t.dstPort)
      const fromFleet = nodeByPort.get(t.srcPort)
      const other = toFleet != null ? `${packet.ip.src}:${t.srcPort}` : `${packet.ip.dst}:${t.dstPort}`
      if ((toFleet ?? fromFleet) == null || known.has(other)) continue
      add(
        foreignOwner,
        { time: packet.timestampUs / 1e6, bytes: packet.wireLength, direction: toFleet != null ? 'up' : 'down', label: toFleet ?? fromFleet },
        runMsOf(packet.timestampUs)
      )
    }
  } else {
    for (const event of events) {
      if (event.type !== 'bytes.chunk') continue
      const owner = connections.get(event.connId)
      if (owner == null) continue
      add(owner.device, { time: event.t / 1000, bytes: event.bytes, direction: event.direction, label: owner.label }, event.t)
    }
  }
  return timelines
}

const RELAY_WINDOW_MS = 30

/**
 * Each device's live arrival times, by relay and by filter, in time order: all that energy
 * pricing reads of msg.received. A streamed log keeps these numbers instead of the events (a big
 * run has millions of receptions).
 */
export class ReceptionTimes {
  // chunked columns rather than arrays grown by copying: ten million events bring five million receptions
  readonly relay = new Map<string, Column>()
  readonly filter = new Map<string, Column>()

  add(e: CourierEvent): void {
    if (e.type !== 'msg.received' || (e.via !== 'relay' && e.via !== 'filter')) return
    const map = e.via === 'relay' ? this.relay : this.filter
    let list = map.get(e.device)
    if (list == null) map.set(e.device, (list = new Column()))
    list.push(e.t)
  }
}

export function receptionTimes(events: readonly CourierEvent[]): ReceptionTimes {
  const times = new ReceptionTimes()
  for (const e of events) times.add(e)
  return times
}

/**
 * Tells what a device's packet was for from the run's events: inside one of its history requests
 * it is store traffic; from a light device's send to its LIGHTPUSH answer, lightpush; within 30 ms
 * after it sent a message, or before it received one live, relay (or filter, for a push); anything
 * else is control (gossip control, identify, keep-alives, muxer frames, filter pings).
 */
export function protocolLabeler(
  events: readonly CourierEvent[],
  receptions: ReceptionTimes = receptionTimes(events)
): (device: string, runMs: number, direction: 'up' | 'down') => string {
  const storeWindows = new Map<string, Array<[number, number]>>()
  const lightpushWindows = new Map<string, Array<[number, number]>>()
  const sends = new Map<string, number[]>()
  const receives = receptions.relay
  const pushes = receptions.filter
  const started = new Map<string, number>()
  const lightpushSent = new Map<string, number>()
  const push = <T>(map: Map<string, T[]>, key: string, value: T): void => {
    ;(map.get(key) ?? map.set(key, []).get(key))?.push(value)
  }
  for (const e of events) {
    if (e.type === 'store.query') started.set(e.requestId, e.t)
    else if (e.type === 'store.response') push(storeWindows, e.device, [started.get(e.requestId) ?? e.t, e.t + 50] as [number, number])
    else if (e.type === 'msg.sent' && e.device != null && e.via === 'lightpush') {
      if (!lightpushSent.has(e.hash)) lightpushSent.set(e.hash, e.t)
    } else if (e.type === 'msg.sent' && e.device != null) push(sends, e.device, e.t)
    else if (e.type === 'lightpush.response') push(lightpushWindows, e.device, [lightpushSent.get(e.hash) ?? e.t, e.t + 50] as [number, number])
  }
  const near = (list: number[] | Column | undefined, from: number, to: number): boolean => {
    if (list == null) return false
    const at = Array.isArray(list) ? (i: number): number => list[i] : (i: number): number => list.get(i)
    let lo = 0
    let hi = list.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (at(mid) < from) lo = mid + 1
      else hi = mid
    }
    return lo < list.length && at(lo) <= to
  }
  const inside = (windows: Map<string, Array<[number, number]>>, device: string, t: number): boolean =>
    windows.get(device)?.some(([a, b]) => t >= a && t <= b) === true
  return (device, t, direction) => {
    if (inside(storeWindows, device, t)) return 'store'
    if (inside(lightpushWindows, device, t)) return 'lightpush'
    if (direction === 'up' ? near(sends.get(device), t - RELAY_WINDOW_MS, t) : near(receives.get(device), t, t + RELAY_WINDOW_MS)) return 'relay'
    if (direction === 'down' && near(pushes.get(device), t, t + RELAY_WINDOW_MS)) return 'filter'
    return 'control'
  }
}

/** Prices every device's timeline on its radio, and on the other radios for the what-if. */
export function priceDevices(
  config: ScenarioConfig,
  scenarioFile: string,
  timelines: Map<string, DeviceTimeline>,
  delivered: Record<string, number>,
  durationSeconds: number,
  measured: Record<string, NonNullable<DeviceEnergy['measured']>> = {}
): Record<string, DeviceEnergy> {
  const out = userKeyed<DeviceEnergy>()
  const whatIfProfiles = WHAT_IF.map((name) => loadRadioProfile(name))
  for (const [device, timeline] of timelines) {
    if (timeline.source === 'none') continue
    // device names are the user's (`constructor` is one): own keys only
    const radio = (Object.hasOwn(config.devices, device) ? config.devices[device].radio : undefined) ?? DEFAULT_RADIO
    const profile: RadioProfile = loadRadioProfile(radioPath(radio, scenarioFile))
    const options = { messages: Object.hasOwn(delivered, device) ? delivered[device] : undefined, durationSeconds }
    const report = priceTimeline(timeline.packets, profile, options)
    // the same packets labelled by purpose instead of by node: same total, another split
    const byPurpose = priceTimeline(
      timeline.packets.map((p, i) => ({ ...p, label: timeline.protocols[i] })),
      profile,
      { ...options, timeline: false }
    ).byLabel
    const comparison = compareRadios(timeline.packets, whatIfProfiles, { ...options, timeline: false })
    const notes = [...report.notes]
    if (report.timeline.length > TIMELINE_SPAN_LIMIT) notes.push(`state timeline cut to its first ${TIMELINE_SPAN_LIMIT} of ${report.timeline.length} spans`)
    out[device] = {
      radio,
      timelineSource: timeline.source,
      profile: { name: report.profile.name, source: report.profile.source, verified: report.profile.verified },
      packets: report.packets,
      totalJoules: report.totalJoules,
      mAh: report.mAh,
      mAhPerHour: report.mAhPerHour,
      joulesPerMessage: report.joulesPerMessage,
      joulesPerKB: report.joulesPerKB,
      radioActiveSeconds: report.radioActiveSeconds,
      promotions: report.promotions,
      tailShare: report.tailShare,
      promotionShare: report.promotionShare,
      byKind: report.byKind,
      states: report.states,
      byLabel: report.byLabel,
      byProtocol: byPurpose,
      timeline: report.timeline
        .slice(0, TIMELINE_SPAN_LIMIT)
        .map((span) => ({ state: String(span.state), kind: span.kind, start: span.start, end: span.end, joules: span.joules })),
      whatIf: comparison.rows.map((row) => ({
        profile: row.profile,
        totalJoules: row.totalJoules,
        mAh: row.mAh,
        mAhPerHour: row.mAhPerHour,
        tailShare: row.tailShare,
        verified: row.verified
      })),
      notes
    }
    const phone = Object.hasOwn(measured, device) ? measured[device] : undefined
    if (phone != null) {
      out[device].measured = phone
      out[device].disagreement = compareWithPhone(report.mAh, report.radioActiveSeconds, phone)
      if (out[device].disagreement?.flagged === true) notes.push(`model and phone disagree by more than ${DISAGREEMENT_LIMIT * 100}%: see disagreement`)
    }
  }
  return out
}

/**
 * The radio energy of a device's packets between two run-clock times (a block and the moment the
 * device got around it): the same model as its whole-run figure, over those packets only, tails
 * after them included. Null when the device has no timeline.
 */
export function priceWindow(
  config: ScenarioConfig,
  scenarioFile: string,
  device: string,
  timeline: DeviceTimeline | undefined,
  fromMs: number,
  toMs: number,
  wallClockMs: number
): number | null {
  if (timeline == null || timeline.source === 'none') return null
  // a tcpdump timeline is in epoch seconds, a socket one in run seconds
  const origin = timeline.source === 'tcpdump' ? wallClockMs / 1000 : 0
  const from = origin + fromMs / 1000
  const to = origin + toMs / 1000
  const packets = timeline.packets.filter((p) => p.time >= from && p.time <= to)
  if (packets.length === 0) return 0
  const radio = (Object.hasOwn(config.devices, device) ? config.devices[device].radio : undefined) ?? DEFAULT_RADIO
  return priceTimeline(packets, loadRadioProfile(radioPath(radio, scenarioFile)), { timeline: false }).totalJoules
}

/** Relative differences between the model and what the phone measured; flagged past the limit. */
export function compareWithPhone(
  modelMAh: number,
  modelRadioSeconds: number,
  phone: NonNullable<DeviceEnergy['measured']>
): NonNullable<DeviceEnergy['disagreement']> {
  const relative = (model: number, measuredValue: number | undefined): number | undefined =>
    measuredValue == null || measuredValue <= 0 ? undefined : Math.abs(model - measuredValue) / measuredValue
  const mAh = relative(modelMAh, phone.mAh)
  const radioActiveSeconds = relative(modelRadioSeconds, phone.radioActiveSeconds)
  const flagged = [mAh, radioActiveSeconds].some((r) => r != null && r > DISAGREEMENT_LIMIT)
  return { mAh, radioActiveSeconds, limit: DISAGREEMENT_LIMIT, flagged }
}

/** The last battery figures each device reported of itself (Android batterystats at the end of the run). */
export function phoneMeasurements(events: readonly CourierEvent[]): Record<string, NonNullable<DeviceEnergy['measured']>> {
  const out = userKeyed<NonNullable<DeviceEnergy['measured']>>()
  for (const event of events) {
    if (event.type !== 'device.battery' || event.phase !== 'end' || (event.mAh == null && event.radioActiveMs == null)) continue
    out[event.device] = { mAh: event.mAh, radioActiveSeconds: event.radioActiveMs == null ? undefined : event.radioActiveMs / 1000, source: event.source }
  }
  return { ...out }
}

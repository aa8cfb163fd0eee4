// Turns results + events into the precomputed, bounded ReportData the page draws. Two passes over
// the events in time order, each a fold: the first keeps a few numbers per message in typed
// columns (send time, sender, topic, each device's first arrival) and the series drawn point by
// point, and chooses the message explorer's messages; the second keeps only those messages'
// events. So memory grows with messages by tens of bytes, never with every event of the run, and a
// log read as a stream (EventPasses) never has to be in memory at all.
import { quantileSorted } from 'simple-statistics'
import { Column, IntColumn, StringIds, type CourierEvent, type DeviceDelivery, type MetricValue, type Results } from '../../harness/interface/index.js'
import {
  VERDICT_TEXT,
  flowProblem,
  flowTests,
  formatBytes,
  formatCount,
  formatMs,
  formatRatio,
  formatValue,
  harnessHealthLine,
  replayCommand,
  sortThresholds,
  verdictExplanation
} from '../format.js'
import type { Buckets, DevicePivot, DeviceRow, ExplorerMessage, FaultBand, FaultMarker, MetricGroup, ReportData, Series, TrendView, XY } from './report-data.js'
import { bytesSection, energySection, reliabilitySection, type BytesSamples } from './sections.js'
import { thresholdEvidence } from '../why.js'

/** Size limits and choices of the HTML report; defaults keep a 10,000,000-event run under 10 MB. */
export interface ReportDataOptions {
  /** Files in the run directory to link, with sizes in bytes. */
  artifacts?: Array<{ name: string; bytes?: number }>
  /** Device-sent messages kept in the message explorer (default 3000). */
  maxExplorerDeviceMessages?: number
  /** Crowd messages sampled into the message explorer (default 300). */
  maxExplorerCrowdMessages?: number
  /** Journey steps kept across all explorer messages (default 150,000). */
  maxExplorerSteps?: number
  /** A series with more points than this is reduced to buckets (default 1500). */
  maxRawPoints?: number
  /** Buckets of a downsampled series (default 300). */
  buckets?: number
  /** The scenario's last nights from the history database (reports/trend.ts trendView), drawn beside this run. */
  history?: TrendView
}

/** Something that takes a run's events one by one, in time order. */
export interface EventConsumer {
  add(event: CourierEvent): void
}

/**
 * One pass over a run's events in time order into a consumer made for it, as often as asked: a
 * log on disk is read again each time (harness/runner passEventLog), an array is walked again.
 * `make` may be called more than once in a pass (a log found out of order is read again); the
 * consumer returned is the one that saw the whole pass.
 */
export type EventPasses = <C extends EventConsumer>(make: () => C) => Promise<C>

const CROWD = 'crowd'

/** Event types the first pass reads for what they are; any other event with a `hash` is a step of that message's journey. */
const NOT_STEPS = new Set([
  'scenario.start',
  'scenario.end',
  'device.up',
  'device.subscribe',
  'device.failed',
  'device.offline',
  'device.online',
  'node.up',
  'node.down',
  'partition.start',
  'partition.heal',
  'bytes.sample',
  'timeline.action',
  'store.query',
  'store.response',
  'harness.lag'
])

/** The message an event is a journey step of, if any: both passes must agree on it. */
function stepOf(e: CourierEvent): string | undefined {
  if (e.type === 'msg.sent' || e.type === 'msg.received') return e.hash
  if (NOT_STEPS.has(e.type)) return undefined
  const hash = (e as { hash?: unknown }).hash
  return typeof hash === 'string' ? hash : undefined
}

// one slot per message: chunked typed columns (harness/analysis/fold.ts), never copied to grow
const f64 = (): Column => new Column()
const i32 = (empty: number): IntColumn => new IntColumn(empty)

/** Strings to small numbers and back. */
class Names {
  readonly list: string[] = []
  private readonly ids = new Map<string, number>()
  id(s: string): number {
    let i = this.ids.get(s)
    if (i == null) {
      i = this.list.length
      this.list.push(s)
      this.ids.set(s, i)
    }
    return i
  }
}

/** One device's first arrival of each message (the earliest; the first in the log among equal times). */
interface Arrivals {
  t: Column
  via: IntColumn
}

type Band = Omit<FaultBand, 'from' | 'to'> & { fromT: number; toT: number | null; fromTimeline?: boolean }

interface Chosen {
  devices: number[]
  crowd: number[]
  fromDevices: number
  fromCrowd: number
  step: number
  trimmed: boolean
}

/** report.html's first pass: everything the page draws except the explorer's journeys. */
export class ReportEventsFold implements EventConsumer {
  scenarioStartT: number | null = null
  scenarioEndT: number | null = null
  maxT = 0
  readonly deviceSet: Set<string>
  readonly subscriptions = new Map<string, Set<string>>()
  readonly failedAt = new Map<string, number>()
  readonly nodeRole = new Map<string, string>()
  private readonly offlineOpen = new Map<string, number>()
  private readonly downOpen = new Map<string, { t: number; reason: string }>()
  private readonly bands: Band[] = []
  private readonly markers: Array<{ t: number; label: string }> = []
  private readonly pendingQueries = new Map<string, { t: number; store: string }>()
  readonly storeQueries: Array<{ t: number; store: string; latency: number; bytes: number; messages: number; ok: boolean }> = []
  readonly lag = new Map<string, { t: number[]; p99: number[]; cpu: number[] }>()
  /** msg.received payload samples, kept only for devices with no wire samples: bytesOverTime draws those from wire bytes. */
  readonly received: BytesSamples['payload'] = []
  readonly wire: BytesSamples['wire'] = new Map()
  private partitionEvents = false

  // per message, by index in the order messages were first named
  /** a hash per message: a byte pool, not a map of strings (a long run names millions) */
  readonly hashes = new StringIds()
  readonly texts = new Names()
  readonly sentT = f64()
  readonly sender = i32(-1)
  readonly topic = i32(-1)
  readonly bytes = f64()
  /** journey steps (events) of each message, for the explorer's step budget */
  readonly steps = i32(0)
  readonly arrivals = new Map<string, Arrivals>()
  private chosen: Chosen | null = null

  constructor(
    readonly results: Results,
    readonly options: ReportDataOptions = {}
  ) {
    this.deviceSet = new Set<string>(Object.keys(results.delivery?.devices ?? {}))
  }

  private message(hash: string): number {
    const i = this.hashes.id(hash)
    this.steps.set(i, this.steps.get(i) + 1)
    return i
  }

  add(e: CourierEvent): void {
    if (this.chosen != null) throw new Error('ReportEventsFold: an event after the explorer was chosen')
    if (e.t > this.maxT) this.maxT = e.t
    const { bands, markers } = this
    switch (e.type) {
      case 'scenario.start':
        this.scenarioStartT ??= e.t
        break
      case 'scenario.end':
        this.scenarioEndT = e.t
        break
      case 'device.up':
        this.deviceSet.add(e.device)
        break
      case 'device.subscribe': {
        this.deviceSet.add(e.device)
        let set = this.subscriptions.get(e.device)
        if (set == null) this.subscriptions.set(e.device, (set = new Set()))
        set.add(e.topic)
        break
      }
      case 'device.failed':
        if (!this.failedAt.has(e.device)) this.failedAt.set(e.device, e.t)
        markers.push({ t: e.t, label: `${e.device} failed` })
        break
      case 'device.offline':
        if (!this.offlineOpen.has(e.device)) this.offlineOpen.set(e.device, e.t)
        break
      case 'device.online': {
        const from = this.offlineOpen.get(e.device)
        if (from != null) {
          bands.push({ fromT: from, toT: e.t, kind: 'offline', label: `${e.device} offline` })
          this.offlineOpen.delete(e.device)
        }
        break
      }
      case 'node.up': {
        this.nodeRole.set(e.node, e.role)
        const down = this.downOpen.get(e.node)
        if (down != null) {
          bands.push({ fromT: down.t, toT: e.t, kind: 'down', label: `${e.node} ${down.reason}` })
          this.downOpen.delete(e.node)
        }
        break
      }
      case 'node.down':
        this.nodeRole.set(e.node, e.role)
        if (!this.downOpen.has(e.node)) this.downOpen.set(e.node, { t: e.t, reason: e.reason })
        break
      case 'partition.start':
        this.partitionEvents = true
        bands.push({ fromT: e.t, toT: null, kind: 'partition', label: `partition ${describeGroups(e.groups)}`.trim() })
        break
      case 'partition.heal': {
        const open = bands.findLast((b) => b.kind === 'partition' && b.fromTimeline !== true && b.toT == null)
        if (open != null) open.toT = e.t
        break
      }
      case 'bytes.sample': {
        let w = this.wire.get(e.owner)
        if (w == null) {
          this.wire.set(e.owner, (w = { t: [], protocol: [], up: [], down: [] }))
          // from now on this owner's chart is its wire bytes: its payload samples are never drawn
          let kept = 0
          for (const r of this.received) if (r.device !== e.owner) this.received[kept++] = r
          this.received.length = kept
        }
        w.t.push(e.t)
        w.protocol.push(e.protocol)
        w.up.push(e.up)
        w.down.push(e.down)
        break
      }
      case 'timeline.action': {
        if (e.action === 'send') break
        const detail = e.detail ?? {}
        const forMs = durationOf(detail.forMs ?? detail.durationMs ?? detail.for)
        if (e.action === 'partition' && !this.partitionEvents) {
          bands.push({
            fromT: e.t,
            toT: forMs == null ? null : e.t + forMs,
            kind: 'partition',
            label: `partition ${describeGroups(detail.groups)}`.trim(),
            fromTimeline: true
          })
        } else if (/^(heal|partition\.heal)$/.test(e.action) && !this.partitionEvents) {
          const open = bands.findLast((b) => b.kind === 'partition' && b.fromTimeline === true && b.toT == null)
          if (open != null) open.toT = e.t
        }
        // a store fault with a length is a window like a partition: a labelled band, not a bare line
        if ((e.action === 'desync' || e.action === 'slow') && forMs != null && typeof detail.store === 'string') {
          const what =
            e.action === 'desync'
              ? 'desync (archives nothing)'
              : `slow (answers ${typeof detail.delay === 'number' ? formatMs(detail.delay) : String(detail.delay ?? '')} late)`
          bands.push({ fromT: e.t, toT: e.t + forMs, kind: 'store', label: `${detail.store} ${what}` })
          break
        }
        markers.push({ t: e.t, label: `#${e.index} ${e.action} ${describeDetail(detail)}`.trim() })
        break
      }
      case 'msg.sent': {
        const i = this.message(e.hash)
        this.sentT.set(i, e.t)
        this.topic.set(i, this.texts.id(e.topic))
        this.bytes.set(i, e.bytes)
        const sender = e.device ?? (e.user != null || this.nodeRole.get(e.node ?? '') === 'crowd' ? CROWD : (e.node ?? 'unknown'))
        this.sender.set(i, this.texts.id(sender))
        break
      }
      case 'msg.received': {
        const i = this.message(e.hash)
        let a = this.arrivals.get(e.device)
        if (a == null) this.arrivals.set(e.device, (a = { t: f64(), via: i32(-1) }))
        const first = a.t.get(i)
        const duplicate = !Number.isNaN(first)
        if (!duplicate || e.t < first) {
          a.t.set(i, e.t)
          a.via.set(i, this.texts.id(e.via))
        }
        this.deviceSet.add(e.device)
        if (!this.wire.has(e.device)) this.received.push({ device: e.device, t: e.t, via: e.via, bytes: e.bytes, duplicate: e.duplicate || duplicate })
        break
      }
      case 'store.query':
        this.pendingQueries.set(e.requestId, { t: e.t, store: e.store })
        break
      case 'store.response': {
        const q = this.pendingQueries.get(e.requestId)
        if (q == null) break
        this.pendingQueries.delete(e.requestId)
        this.storeQueries.push({
          t: q.t,
          store: e.store,
          latency: e.t - q.t,
          bytes: e.bytes,
          messages: e.messages,
          ok: e.status >= 200 && e.status < 300 && e.error == null
        })
        break
      }
      case 'harness.lag': {
        let s = this.lag.get(e.process)
        if (s == null) this.lag.set(e.process, (s = { t: [], p99: [], cpu: [] }))
        s.t.push(e.t)
        s.p99.push(e.p99)
        s.cpu.push(e.cpu)
        break
      }
      default: {
        // msg.relayed, msg.stored, msg.rendered and any later event about one message
        const hash = stepOf(e)
        if (hash != null) this.message(hash)
      }
    }
  }

  get deviceOrder(): string[] {
    return [...this.deviceSet].sort((a, b) => a.localeCompare(b))
  }

  isDevice(name: string | null): boolean {
    return name != null && this.deviceSet.has(name)
  }

  senderOf(i: number): string | null {
    const s = this.sender.get(i)
    return s < 0 ? null : this.texts.list[s]!
  }

  /** Whether `device` should have got message `i`. */
  expects(device: string, i: number): boolean {
    const sentT = this.sentT.get(i)
    if (this.senderOf(i) === device || Number.isNaN(sentT)) return false
    const subs = this.subscriptions.get(device)
    if (subs != null && !subs.has(this.texts.list[this.topic.get(i)]!)) return false
    const failed = this.failedAt.get(device)
    return failed == null || sentT < failed
  }

  arrivalT(device: string, i: number): number {
    return this.arrivals.get(device)?.t.get(i) ?? Number.NaN
  }

  /** The late bound of results' delivery matrix; results.json from before it marks nothing late. */
  get lateMs(): number {
    return this.results.delivery?.matrix?.lateAfterMs ?? Infinity
  }

  /**
   * The explorer's messages, chosen once every event is in: lost and late device messages first,
   * an even sample of the crowd's, within the step budget. Their hashes are what the second pass keeps.
   */
  choose(): Set<string> {
    this.chosen ??= this.chooseExplorer()
    const wanted = new Set<string>()
    for (const i of [...this.chosen.devices, ...this.chosen.crowd]) wanted.add(this.hashes.name(i))
    return wanted
  }

  private chooseExplorer(): Chosen {
    const options = this.options
    const maxDevice = options.maxExplorerDeviceMessages ?? 3000
    const maxCrowd = options.maxExplorerCrowdMessages ?? 300
    const maxSteps = options.maxExplorerSteps ?? 150_000
    const deviceOrder = this.deviceOrder
    const late = this.lateMs
    const fromDevices: number[] = []
    const fromCrowd: number[] = []
    for (let i = 0; i < this.hashes.size; i++) {
      if (Number.isNaN(this.sentT.get(i))) continue
      if (this.isDevice(this.senderOf(i))) fromDevices.push(i)
      else fromCrowd.push(i)
    }
    const sentT = (i: number): number => this.sentT.get(i)
    const problems = (i: number): number =>
      deviceOrder.filter((d) => {
        if (!this.expects(d, i)) return false
        const t = this.arrivalT(d, i)
        return Number.isNaN(t) || t - sentT(i) > late
      }).length
    // keep the messages a reader most wants to follow (lost or late) when there are too many
    const byInterest = (list: number[]): number[] =>
      list
        .map((i) => ({ i, p: problems(i) }))
        .sort((a, b) => (b.p > 0 ? 1 : 0) - (a.p > 0 ? 1 : 0) || sentT(a.i) - sentT(b.i))
        .map((x) => x.i)
    let chosenDevices = fromDevices.length > maxDevice ? byInterest(fromDevices).slice(0, maxDevice) : fromDevices
    const step = Math.max(1, Math.ceil(fromCrowd.length / Math.max(1, maxCrowd)))
    const chosenCrowd =
      maxCrowd === 0
        ? []
        : fromCrowd
            .sort((a, b) => sentT(a) - sentT(b))
            .filter((_, k) => k % step === 0)
            .slice(0, maxCrowd)
    const stepsOf = (i: number): number => this.steps.get(i)
    let total = 0
    for (const i of chosenDevices) total += stepsOf(i)
    for (const i of chosenCrowd) total += stepsOf(i)
    let trimmed = false
    while (total > maxSteps && chosenCrowd.length > 0) {
      total -= stepsOf(chosenCrowd.pop()!)
      trimmed = true
    }
    if (total > maxSteps) {
      chosenDevices = byInterest(chosenDevices)
      while (total > maxSteps && chosenDevices.length > 0) {
        total -= stepsOf(chosenDevices.pop()!)
        trimmed = true
      }
    }
    chosenDevices.sort((a, b) => sentT(a) - sentT(b))
    chosenCrowd.sort((a, b) => sentT(a) - sentT(b))
    return { devices: chosenDevices, crowd: chosenCrowd, fromDevices: fromDevices.length, fromCrowd: fromCrowd.length, step, trimmed }
  }

  /** The fault bands and markers, on the report's seconds axis. */
  faults(S: (t: number) => number, lastT: number): { faultBands: FaultBand[]; faultMarkers: FaultMarker[] } {
    const { scenarioEndT } = this
    const bands = [...this.bands]
    for (const [device, from] of this.offlineOpen) bands.push({ fromT: from, toT: null, kind: 'offline', label: `${device} offline` })
    for (const [node, down] of this.downOpen) bands.push({ fromT: down.t, toT: null, kind: 'down', label: `${node} ${down.reason}` })
    // timeline partitions are only a fallback for logs without partition.start events
    const kept = this.partitionEvents ? bands.filter((b) => b.fromTimeline !== true) : bands
    // teardown stops every node after the scenario; those are not faults
    const faults = kept.filter((b) => scenarioEndT == null || b.fromT < scenarioEndT)
    const faultBands: FaultBand[] = faults
      .map((b) => ({ from: S(b.fromT), to: S(b.toT ?? scenarioEndT ?? lastT), kind: b.kind, label: b.label }))
      .sort((a, b) => a.from - b.from)
    const faultMarkers: FaultMarker[] = this.markers.map((m) => ({ t: S(m.t), label: m.label })).sort((a, b) => a.t - b.t)
    return { faultBands, faultMarkers }
  }

  /** Each device's latency CDF and latency over time, from first arrivals of sent messages. */
  latencySeries(
    deviceOrder: string[],
    S: (t: number) => number,
    maxRaw: number,
    nBuckets: number
  ): { cdf: Series[]; latencyOverTime: Series[]; downsampled: boolean; deviceMsgCount: number; crowdMsgCount: number; orphanArrivals: number } {
    const n = this.hashes.size
    const all = [...this.arrivals.values()]
    const per = deviceOrder.map((device) => ({ device, a: this.arrivals.get(device), count: 0 }))
    let orphanArrivals = 0
    let deviceMsgCount = 0
    let crowdMsgCount = 0
    for (let i = 0; i < n; i++) {
      if (Number.isNaN(this.sentT.get(i))) {
        for (const a of all) if (!Number.isNaN(a.t.get(i))) orphanArrivals++
        continue
      }
      if (this.isDevice(this.senderOf(i))) deviceMsgCount++
      else crowdMsgCount++
      for (const p of per) if (p.a != null && !Number.isNaN(p.a.t.get(i))) p.count++
    }
    let downsampled = false
    const cdf: Series[] = []
    const latencyOverTime: Series[] = []
    for (const p of per) {
      // typed columns, not arrays of pairs: a device of a long run has millions of arrivals
      const latency = new Float64Array(p.count)
      const xs = new Float64Array(p.count)
      const ys = new Float64Array(p.count)
      let k = 0
      for (let i = 0; i < n && p.a != null; i++) {
        const sentT = this.sentT.get(i)
        const t = p.a.t.get(i)
        if (Number.isNaN(sentT) || Number.isNaN(t)) continue
        latency[k] = t - sentT
        xs[k] = S(sentT)
        ys[k] = round1(t - sentT)
        k++
      }
      latency.sort()
      cdf.push({ name: p.device, raw: cdfPoints(latency, 400), total: latency.length })
      const s = seriesOf(p.device, xs, ys, maxRaw, nBuckets)
      if (s.buckets != null) downsampled = true
      latencyOverTime.push(s)
    }
    return { cdf, latencyOverTime, downsampled, deviceMsgCount, crowdMsgCount, orphanArrivals }
  }

  /** ReportData from this pass and the explorer's journeys (ExplorerSteps over `choose()`). */
  finish(journeys: ExplorerSteps): ReportData {
    this.chosen ??= this.chooseExplorer()
    return reportData(this, this.chosen, journeys)
  }
}

/** report.html's second pass: every event of the explorer's messages, and each one's msgId. */
export class ExplorerSteps implements EventConsumer {
  readonly events = new Map<string, CourierEvent[]>()
  readonly msgIds = new Map<string, string>()
  constructor(private readonly wanted: ReadonlySet<string>) {}

  add(e: CourierEvent): void {
    const hash = stepOf(e)
    if (hash == null || !this.wanted.has(hash)) return
    let list = this.events.get(hash)
    if (list == null) this.events.set(hash, (list = []))
    list.push(e)
    // a send names the message; an arrival only until a send does
    if (e.type === 'msg.sent') this.msgIds.set(hash, e.msgId)
    else if (e.type === 'msg.received' && (this.msgIds.get(hash) ?? '') === '') this.msgIds.set(hash, e.msgId)
  }
}

/** Precomputes every chart series, table and index of the report from events in memory. */
export function buildReportData(results: Results, events: Iterable<CourierEvent>, options: ReportDataOptions = {}): ReportData {
  const list = Array.isArray(events) ? (events as readonly CourierEvent[]) : [...events]
  const fold = new ReportEventsFold(results, options)
  for (const e of list) fold.add(e)
  const steps = new ExplorerSteps(fold.choose())
  for (const e of list) steps.add(e)
  return fold.finish(steps)
}

/** buildReportData over events read pass by pass (a log on disk read twice, never held whole). */
export async function buildReportDataFrom(results: Results, passes: EventPasses, options: ReportDataOptions = {}): Promise<ReportData> {
  const fold = await passes(() => new ReportEventsFold(results, options))
  const wanted = fold.choose()
  const steps = await passes(() => new ExplorerSteps(wanted))
  return fold.finish(steps)
}

/** EventPasses over events in memory. */
export function arrayPasses(events: Iterable<CourierEvent>): EventPasses {
  const list = Array.isArray(events) ? (events as readonly CourierEvent[]) : [...events]
  return async (make) => {
    const consumer = make()
    for (const e of list) consumer.add(e)
    return consumer
  }
}

function reportData(f: ReportEventsFold, chosen: Chosen, journeys: ExplorerSteps): ReportData {
  const { results, options, deviceSet, nodeRole, storeQueries, lag, wire, received, scenarioStartT, scenarioEndT, maxT } = f
  const maxRaw = options.maxRawPoints ?? 1500
  const nBuckets = options.buckets ?? 300
  const notes: string[] = []
  const t0 = scenarioStartT ?? results.timing?.scenarioStartMs ?? 0
  const S = (t: number): number => round3((t - t0) / 1000)
  const lastT = Math.max(maxT, scenarioEndT ?? 0)
  const endS = S(lastT)
  const { faultBands, faultMarkers } = f.faults(S, lastT)
  const deviceOrder = f.deviceOrder

  // the delivery matrix and its late bound are results' (harness/analysis); results.json written
  // before they existed has neither: the matrix is left out and the explorer marks nothing late
  const matrix = results.delivery?.matrix
  if (matrix == null)
    notes.push(
      'This results.json predates the delivery matrix and per-store query latency: they are left out. `courier report RUN_DIR` recomputes results from events.ndjson with them.'
    )

  // ---- latency
  const { cdf, latencyOverTime, downsampled, deviceMsgCount, crowdMsgCount, orphanArrivals } = f.latencySeries(deviceOrder, S, maxRaw, nBuckets)
  if (orphanArrivals > 0)
    notes.push(`${formatCount(orphanArrivals)} arrivals belong to messages with no msg.sent event; they are left out of latency and the delivery matrix.`)
  if (downsampled)
    notes.push(
      `Latency over time is downsampled: a series with more than ${formatCount(maxRaw)} messages is drawn as ${nBuckets} time buckets (median, p95 and maximum of each bucket).`
    )

  // ---- bytes and energy
  const bytes = bytesSection(results, deviceSet, { wire, payload: received }, deviceOrder, S, endS)
  const energy = energySection(results, deviceSet, deviceOrder)
  const reliability = reliabilitySection(results, S)

  // ---- store
  const stores = [...new Set(storeQueries.map((q) => q.store))].sort()
  const storeSeries = (pick: (q: (typeof storeQueries)[number]) => number): Series[] =>
    stores.map((store) =>
      series(
        store,
        storeQueries.filter((q) => q.ok && q.store === store).map((q): XY => [S(q.t), round1(pick(q))]),
        maxRaw,
        nBuckets
      )
    )
  // per-store figures are results' (harness/analysis); stores without a timed query come last
  const storeTable = [...stores, ...Object.keys(results.store?.byStore ?? {}).filter((s) => !stores.includes(s))].map((store) => {
    const byStore = results.store?.byStore?.[store]
    return {
      store,
      queries: byStore?.queries ?? 0,
      failed: byStore?.failed ?? 0,
      answered: byStore?.answered ?? null,
      messages: byStore?.messages ?? 0,
      bytes: formatBytes(byStore?.bytes ?? 0),
      p50: formatMs(byStore?.latency?.p50),
      p95: formatMs(byStore?.latency?.p95)
    }
  })
  const st = results.store
  const storeSummary =
    st == null || st.queries === 0
      ? 'No history (store) queries in this run.'
      : `${formatCount(st.queries)} store queries, ${formatCount(st.failed)} failed; latency p50 ${formatMs(st.latency.p50)}, p95 ${formatMs(st.latency.p95)}, max ${formatMs(st.latency.max)}.`
  // the sent-message checks are store queries too (hash-only, not counted in results.store): say so beside the history figures
  const sentChecks = Object.values(results.reliability?.sentChecks ?? {})
  const checkCount = sentChecks.reduce((s, c) => s + c.checks, 0)
  const storeChecks = checkCount > 0 ? { count: checkCount, devices: sentChecks.filter((c) => c.checks > 0).length } : null

  // ---- harness self-monitoring
  let harnessDownsampled = false
  const lagSeries: Series[] = []
  const cpuSeries: Series[] = []
  for (const [proc, s] of [...lag].sort((a, b) => a[0].localeCompare(b[0]))) {
    const lagS = series(
      proc,
      s.t.map((t, i): XY => [S(t), round1(s.p99[i]!)]),
      maxRaw,
      nBuckets
    )
    const cpuS = series(
      proc,
      s.t.map((t, i): XY => [S(t), round1(s.cpu[i]!)]),
      maxRaw,
      nBuckets
    )
    if (lagS.buckets != null) harnessDownsampled = true
    lagSeries.push(lagS)
    cpuSeries.push(cpuS)
  }
  if (harnessDownsampled) notes.push(`Harness samples are downsampled to ${nBuckets} buckets per process; the charts draw each bucket's maximum.`)

  // ---- metrics
  const owners = new Set<string>([...deviceSet, ...nodeRole.keys(), ...Object.keys(results.bytes?.owners ?? {}), ...Object.keys(results.energy ?? {})])
  const { groups, pivots } = groupMetrics(results.metrics ?? {}, owners, deviceSet)

  // ---- explorer
  const explorer = buildExplorer(f, chosen, journeys, S)
  if (explorer.note !== '') notes.push(explorer.note)

  const devices: DeviceRow[] = deviceOrder.map((name) => deviceRow(name, results.delivery?.devices?.[name], results))
  const overall = results.delivery?.overall

  return {
    meta: {
      title: `${VERDICT_TEXT[results.verdict]}: ${results.scenario.name}`,
      scenario: { name: results.scenario.name, file: results.scenario.file, seed: results.scenario.seed, duration: formatMs(results.scenario.durationMs) },
      runId: results.runId,
      status: results.status,
      verdict: results.verdict,
      verdictText: VERDICT_TEXT[results.verdict],
      explanation: verdictExplanation(results),
      reasons: results.verdictReasons ?? [],
      replay: replayCommand(results),
      run: formatMs(results.timing?.runMs),
      tool: toolText(results.tool),
      scenarioStartMs: t0,
      endS
    },
    headline: headline(results, overall),
    thresholds: sortThresholds(results.thresholds ?? []).map((t) => {
      const ev = thresholdEvidence(results, t)
      const row = ev.device != null ? deviceOrder.indexOf(ev.device) : -1
      return {
        metric: t.metric,
        expression: t.expression,
        measured: formatValue(t.value, t.unit),
        passed: t.passed,
        message: t.message,
        why: t.passed ? null : ev.why,
        href: `#${row >= 0 ? `device-${row}` : ev.section}`
      }
    }),
    devices,
    deviceOrder,
    faults: { bands: faultBands, markers: faultMarkers },
    latency: { cdf, overTime: latencyOverTime, downsampled, lateAfterMs: matrix?.lateAfterMs ?? null, lateSource: matrix?.lateSource ?? '' },
    matrix: { senders: matrix?.senders ?? [], receivers: matrix?.receivers ?? [], cells: matrix?.cells ?? [] },
    paths: {
      duplicates: Object.fromEntries(deviceOrder.map((d) => [d, results.delivery?.devices?.[d]?.duplicates?.byPath ?? {}])),
      first: Object.fromEntries(deviceOrder.map((d) => [d, results.delivery?.devices?.[d]?.firstByPath ?? {}]))
    },
    bytes,
    energy,
    reliability,
    store: {
      queries: storeSeries((q) => q.latency),
      sizes: storeSeries((q) => q.bytes),
      failed: storeQueries.filter((q) => !q.ok).map((q): XY => [S(q.t), round1(q.latency)]),
      table: storeTable,
      summary: storeSummary,
      checks: storeChecks
    },
    harness: {
      lag: lagSeries,
      cpu: cpuSeries,
      limitMs: results.harness?.lagLimitMs ?? 0,
      summary: harnessHealthLine(results),
      saturated: results.harness?.saturated ?? false,
      downsampled: harnessDownsampled
    },
    metrics: { groups, pivots, count: Object.keys(results.metrics ?? {}).length },
    explorer: { ...explorer, totalMessages: deviceMsgCount + crowdMsgCount, deviceMessages: deviceMsgCount, crowdMessages: crowdMsgCount },
    errors: (results.errors ?? []).slice(0, 200).map((e) => ({ t: formatMs(e.t), component: e.component, error: e.error })),
    ...(results.leaks == null ? {} : { leaks: leaksData(results.leaks) }),
    ...(results.destinations == null ? {} : { destinations: destinationsData(results.destinations) }),
    ...(results.censorship == null || results.censorship.length === 0
      ? {}
      : {
          censorship: results.censorship.map((b) => ({
            device: b.device,
            nodes: b.nodes.join(', '),
            at: formatMs(b.atMs),
            until: b.liftedMs == null ? 'for good' : formatMs(b.liftedMs),
            reached: b.reachedMs == null ? 'never' : `after ${formatMs(b.reachedMs)}`,
            via: b.reachedVia == null ? '' : `${b.reachedVia} (${b.source ?? ''})`,
            bytes: formatBytes(b.bytes),
            energy: b.joules == null ? '' : formatValue(b.joules, 'joules'),
            peerExchange: `${formatCount(b.peerExchange.answers)} answers, ${formatCount(b.peerExchange.learned)} learned`,
            ok: b.reachedMs != null
          }))
        }),
    flows: (results.flows ?? []).map((f) => ({
      name: f.name,
      device: f.device,
      spec: f.spec,
      at: formatMs(f.t - t0),
      passed: f.passed,
      tests: flowTests(f),
      duration: formatMs(f.durationMs),
      problem: flowProblem(f),
      failedTests: f.failedTests
    })),
    artifacts: (options.artifacts ?? []).map((a) => ({ name: a.name, size: a.bytes == null ? '' : formatBytes(a.bytes) })),
    notes,
    ...(options.history == null ? {} : { history: options.history })
  }
}

/** The explorer's messages (chosen by ReportEventsFold) with their journeys (ExplorerSteps). */
function buildExplorer(
  f: ReportEventsFold,
  chosen: Chosen,
  journeys: ExplorerSteps,
  S: (t: number) => number
): Omit<ReportData['explorer'], 'totalMessages' | 'deviceMessages' | 'crowdMessages'> {
  const deviceOrder = f.deviceOrder
  const late = f.lateMs
  const strings: string[] = []
  const index = new Map<string, number>()
  const str = (s: string): number => {
    let i = index.get(s)
    if (i == null) {
      i = strings.length
      strings.push(s)
      index.set(s, i)
    }
    return i
  }
  const toMessage = (i: number): ExplorerMessage => {
    const hash = f.hashes.name(i)
    const sentT = f.sentT.get(i)
    const steps: ExplorerMessage['steps'] = [...(journeys.events.get(hash) ?? [])]
      .sort((a, b) => a.t - b.t)
      .map((e) => {
        const x = e as { device?: string; node?: string; store?: string; user?: string; via?: string; duplicate?: boolean }
        const kind = e.type.startsWith('msg.') ? e.type.slice(4) : e.type
        const where =
          e.type === 'msg.sent' && x.device == null ? `${x.node ?? '?'}${x.user != null ? ` (${x.user})` : ''}` : (x.device ?? x.store ?? x.node ?? '')
        return [round1(e.t - sentT), str(kind), str(where), x.via == null ? -1 : str(x.via), x.duplicate === true ? 1 : 0]
      })
    const missing: string[] = []
    const lateTo: string[] = []
    for (const d of deviceOrder) {
      if (!f.expects(d, i)) continue
      const t = f.arrivalT(d, i)
      if (Number.isNaN(t)) missing.push(d)
      else if (t - sentT > late) lateTo.push(d)
    }
    return {
      hash,
      msgId: journeys.msgIds.get(hash) ?? '',
      sender: f.senderOf(i) ?? 'unknown',
      topic: f.texts.list[f.topic.get(i)] ?? '',
      bytes: f.bytes.get(i),
      sentAt: S(sentT),
      steps,
      missing,
      late: lateTo
    }
  }
  const { devices: chosenDevices, crowd: chosenCrowd, fromDevices, fromCrowd, step, trimmed } = chosen
  const list = [...chosenDevices, ...chosenCrowd].map(toMessage)
  const parts: string[] = []
  if (chosenDevices.length < fromDevices)
    parts.push(`${formatCount(chosenDevices.length)} of ${formatCount(fromDevices)} device messages (lost and late ones first)`)
  if (chosenCrowd.length < fromCrowd)
    parts.push(
      `a sample of ${formatCount(chosenCrowd.length)} of ${formatCount(fromCrowd)} crowd messages (every ${step}th in send order${trimmed ? ', trimmed to fit' : ''})`
    )
  const note = parts.length === 0 ? '' : `The message explorer holds ${parts.join(' and ')}; events.ndjson has every message.`
  const interesting =
    list.find((m) => fromDevices > 0 && f.isDevice(m.sender) && (m.missing.length > 0 || m.late.length > 0)) ??
    list.find((m) => f.isDevice(m.sender)) ??
    list[0]
  return { strings, messages: list, note, defaultHash: interesting?.hash ?? null }
}

function deviceRow(name: string, d: DeviceDelivery | undefined, results: Results): DeviceRow {
  const errors = (results.errors ?? []).filter((e) => e.component === name || e.component.endsWith(`:${name}`)).map((e) => `${formatMs(e.t)}: ${e.error}`)
  if (d == null) {
    return {
      name,
      failed: errors.length > 0,
      expected: 0,
      delivered: 0,
      lost: 0,
      lossRate: 'n/a',
      latency: { p50: 'n/a', p90: 'n/a', p95: 'n/a', p99: 'n/a', max: 'n/a', mean: 'n/a' },
      render: { p50: 'n/a', p95: 'n/a', max: 'n/a' },
      duplicates: { total: 0, rate: 'n/a', byPath: {} },
      firstByPath: {},
      lostMessages: [],
      errors
    }
  }
  return {
    name,
    failed: d.failed,
    expected: d.expected,
    delivered: d.delivered,
    lost: d.lost,
    lossRate: formatRatio(d.lossRate),
    latency: {
      p50: formatMs(d.latency?.p50),
      p90: formatMs(d.latency?.p90),
      p95: formatMs(d.latency?.p95),
      p99: formatMs(d.latency?.p99),
      max: formatMs(d.latency?.max),
      mean: formatMs(d.latency?.mean)
    },
    render: { p50: formatMs(d.renderLatency?.p50), p95: formatMs(d.renderLatency?.p95), max: formatMs(d.renderLatency?.max) },
    duplicates: { total: d.duplicates?.total ?? 0, rate: formatRatio(d.duplicates?.rate), byPath: d.duplicates?.byPath ?? {} },
    firstByPath: d.firstByPath ?? {},
    lostMessages: (d.lostMessages ?? []).slice(0, 100),
    errors
  }
}

function headline(results: Results, overall: DeviceDelivery | undefined): ReportData['headline'] {
  const cards: ReportData['headline'] = []
  const m = results.delivery?.messages
  if (m != null)
    cards.push({
      label: 'Messages sent',
      value: formatCount(m.sent),
      tone: 'plain',
      hint: `${formatCount(m.byDevices)} by devices, ${formatCount(m.byCrowd)} by the crowd`
    })
  if (overall != null) {
    cards.push({
      label: 'Delivered',
      value: `${formatCount(overall.delivered)} / ${formatCount(overall.expected)}`,
      tone: overall.lost > 0 ? 'bad' : 'good',
      hint: `${formatCount(overall.lost)} lost (${formatRatio(overall.lossRate)})`
    })
    const latencyFailed = (results.thresholds ?? []).some((t) => !t.passed && t.metric.startsWith('delivery.latency'))
    cards.push({
      label: 'Latency p95',
      value: formatMs(overall.latency?.p95),
      tone: latencyFailed ? 'bad' : 'plain',
      hint: `p50 ${formatMs(overall.latency?.p50)}, max ${formatMs(overall.latency?.max)}`
    })
    cards.push({
      label: 'Duplicates',
      value: formatRatio(overall.duplicates?.rate),
      tone: (overall.duplicates?.total ?? 0) > 0 ? 'warn' : 'good',
      hint: `${formatCount(overall.duplicates?.total)} extra arrivals`
    })
  }
  const st = results.store
  if (st != null && st.queries > 0)
    cards.push({
      label: 'Store queries',
      value: formatCount(st.queries),
      tone: st.failed > 0 ? 'warn' : 'plain',
      hint: `${formatCount(st.failed)} failed, p95 ${formatMs(st.latency?.p95)}`
    })
  const h = results.harness
  if (h != null)
    cards.push({
      label: 'Harness lag p99',
      value: formatMs(h.lagP99Ms),
      tone: h.saturated ? 'bad' : 'good',
      hint: h.saturated ? `over the ${formatMs(h.lagLimitMs)} limit: figures untrustworthy` : `limit ${formatMs(h.lagLimitMs)}: figures trustworthy`
    })
  return cards
}

/** Metrics grouped by their first name segment; `<prefix>.<owner>.<figure>` pivoted per device or node. */
function groupMetrics(metrics: Record<string, MetricValue>, owners: Set<string>, devices: Set<string>): { groups: MetricGroup[]; pivots: DevicePivot[] } {
  const groups = new Map<string, MetricGroup>()
  const pivots = new Map<string, { figures: Set<string>; rows: Map<string, Map<string, MetricValue>> }>()
  // longest names first, so an owner called `a.b` wins over `a`
  const ownerList = [...owners].sort((a, b) => b.length - a.length)
  for (const [name, mv] of Object.entries(metrics).sort((a, b) => a[0].localeCompare(b[0]))) {
    const dot = name.indexOf('.')
    const prefix = dot < 0 ? name : name.slice(0, dot)
    const rest = dot < 0 ? '' : name.slice(dot + 1)
    const owner = ownerList.find((o) => rest.startsWith(`${o}.`))
    if (owner != null) {
      const figure = rest.slice(owner.length + 1)
      let p = pivots.get(prefix)
      if (p == null) pivots.set(prefix, (p = { figures: new Set(), rows: new Map() }))
      p.figures.add(figure)
      let row = p.rows.get(owner)
      if (row == null) p.rows.set(owner, (row = new Map()))
      row.set(figure, mv)
      continue
    }
    let g = groups.get(prefix)
    if (g == null) groups.set(prefix, (g = { prefix, rows: [] }))
    g.rows.push({ name, value: formatValue(mv.value, mv.unit), unit: mv.unit })
  }
  return {
    groups: [...groups.values()],
    pivots: [...pivots].map(([prefix, p]) => {
      const figures = [...p.figures].sort()
      return {
        prefix,
        figures,
        rows: [...p.rows]
          .sort((a, b) => Number(devices.has(b[0])) - Number(devices.has(a[0])) || a[0].localeCompare(b[0]))
          .map(([owner, row]) => ({
            device: owner,
            isDevice: devices.has(owner),
            values: figures.map((f) => {
              const mv = row.get(f)
              if (mv == null) return null
              const text =
                mv.unit === 'bytes/h' && typeof mv.value === 'number'
                  ? `${formatValue(mv.value, mv.unit)} (${formatBytes(mv.value * 24)}/day)`
                  : formatValue(mv.value, mv.unit)
              return { text, value: typeof mv.value === 'number' ? mv.value : null, unit: mv.unit }
            })
          }))
      }
    })
  }
}

/** The latency above which an arrival is late: the option, else the tightest `delivery.latency.* <` threshold, else 2 s. */
/** A duration as ms from a number (ms) or text like `1m`, `30s`, `500ms`. */
function durationOf(value: unknown): number | null {
  if (typeof value === 'number' && Number.isFinite(value)) return value
  if (typeof value !== 'string') return null
  const m = /^\s*([\d.]+)\s*(ms|s|m|min|h)?\s*$/.exec(value)
  if (m == null) return null
  const n = Number(m[1])
  const unit = m[2] ?? 'ms'
  return n * (unit === 'ms' ? 1 : unit === 's' ? 1000 : unit === 'h' ? 3_600_000 : 60_000)
}

function describeGroups(groups: unknown): string {
  if (!Array.isArray(groups)) return ''
  return groups.map((g) => (Array.isArray(g) ? `[${g.map(String).join(', ')}]` : String(g))).join(' | ')
}

function describeDetail(detail: Record<string, unknown>): string {
  const parts: string[] = []
  for (const [k, v] of Object.entries(detail)) {
    if (v == null || typeof v === 'object') continue
    parts.push(k === 'device' || k === 'node' ? String(v) : `${k} ${String(v)}`)
    if (parts.length >= 3) break
  }
  return parts.join(', ')
}

function toolText(tool: unknown): string {
  if (tool == null || typeof tool !== 'object') return ''
  const t = tool as Record<string, unknown>
  const parts: string[] = []
  if (typeof t.courier === 'string') parts.push(`courier ${t.courier}`)
  if (typeof t.node === 'string') parts.push(`node ${t.node}`)
  if (typeof t.libp2p === 'string') parts.push(`libp2p ${t.libp2p}`)
  if (typeof t.gitCommit === 'string') parts.push(`commit ${t.gitCommit.slice(0, 10)}`)
  return parts.join(', ')
}

/** Empirical CDF points; beyond `maxPoints` values, evenly spaced quantiles plus the exact maximum. */
export function cdfPoints(sorted: ArrayLike<number>, maxPoints: number): XY[] {
  const n = sorted.length
  const out: XY[] = []
  if (n <= maxPoints) {
    for (let i = 0; i < n; i++) out.push([round1(sorted[i]!), round4((i + 1) / n)])
    return out
  }
  for (let k = 1; k <= maxPoints; k++) {
    const i = Math.min(n - 1, Math.ceil((k / maxPoints) * n) - 1)
    out.push([round1(sorted[i]!), round4((i + 1) / n)])
  }
  return out
}

/** Keeps a series whole when small; otherwise per-bucket min, median, p95 and max. */
export function series(name: string, points: XY[], maxRaw: number, nBuckets: number): Series {
  if (points.length <= maxRaw) return { name, raw: points.sort((a, b) => a[0] - b[0]), total: points.length }
  return { name, buckets: bucketize(points, nBuckets), total: points.length }
}

/** series() of points held as two columns. */
function seriesOf(name: string, xs: Float64Array, ys: Float64Array, maxRaw: number, nBuckets: number): Series {
  if (xs.length <= maxRaw)
    return series(
      name,
      Array.from(xs, (x, i): XY => [x, ys[i]!]),
      maxRaw,
      nBuckets
    )
  return { name, buckets: bucketizeColumns(xs, ys, nBuckets), total: xs.length }
}

export function bucketize(points: XY[], nBuckets: number): Buckets {
  return bucketizeColumns(
    Float64Array.from(points, (p) => p[0]),
    Float64Array.from(points, (p) => p[1]),
    nBuckets
  )
}

function bucketizeColumns(xs: Float64Array, ys: Float64Array, nBuckets: number): Buckets {
  let lo = Infinity
  let hi = -Infinity
  for (const x of xs) {
    if (x < lo) lo = x
    if (x > hi) hi = x
  }
  const width = hi > lo ? (hi - lo) / nBuckets : 1
  const bin = (x: number): number => Math.min(nBuckets - 1, Math.floor((x - lo) / width))
  // each bucket's values side by side in one column (a counting sort by bucket), not an array per bucket
  const start = new Int32Array(nBuckets + 1)
  for (const x of xs) start[bin(x) + 1]!++
  for (let b = 0; b < nBuckets; b++) start[b + 1]! += start[b]!
  const fill = start.slice(0, nBuckets)
  const grouped = new Float64Array(ys.length)
  for (let i = 0; i < xs.length; i++) grouped[fill[bin(xs[i]!)]!++] = ys[i]!
  const out: Buckets = { t: [], min: [], p50: [], p95: [], max: [], count: [] }
  for (let b = 0; b < nBuckets; b++) {
    const values = grouped.subarray(start[b]!, start[b + 1]!)
    if (values.length === 0) continue
    values.sort()
    out.t.push(round3(lo + (b + 0.5) * width))
    out.min.push(round1(values[0]!))
    out.p50.push(round1(quantileSorted(values as unknown as number[], 0.5)))
    out.p95.push(round1(quantileSorted(values as unknown as number[], 0.95)))
    out.max.push(round1(values[values.length - 1]!))
    out.count.push(values.length)
  }
  return out
}

function round1(v: number): number {
  return Math.round(v * 10) / 10
}
function round3(v: number): number {
  return Math.round(v * 1000) / 1000
}
function round4(v: number): number {
  return Math.round(v * 10000) / 10000
}

function leaksData(leaks: NonNullable<Results['leaks']>): NonNullable<ReportData['leaks']> {
  const scanned = `${formatCount(leaks.scanned.files)} files (${formatBytes(leaks.scanned.bytes)}) and ${formatCount(leaks.scanned.packets)} captured packets scanned in ${formatMs(leaks.scanned.ms)}`
  const kinds = Object.entries(leaks.byKind)
    .map(([kind, n]) => `${formatCount(n ?? 0)} ${kind}`)
    .join(', ')
  const skipped = leaks.skipped.length > 0 ? ` Not scanned: ${leaks.skipped.map((s) => `${s.file} (${s.reason})`).join('; ')}.` : ''
  const dismissed = ` ${formatCount(leaks.hexDismissed)} 64-hex strings were not taken for keys (hashes the run names, or no key-like word before them and no peer's identity).`
  return {
    clean: leaks.count === 0,
    summary:
      (leaks.count === 0
        ? `No secrets found: ${scanned}.`
        : `${formatCount(leaks.count)} ${leaks.count === 1 ? 'secret' : 'secrets'} found (${kinds}): ${scanned}.${leaks.redacted === true ? ' They were masked in the files (--redact).' : ''}`) +
      dismissed +
      skipped,
    findings: leaks.findings.slice(0, 200).map((f) => ({
      kind: f.kind,
      detail: f.detail,
      where: `${f.file}${f.line != null ? `:${f.line}` : ''}${f.packet != null ? `, packet ${f.packet} (${f.flow ?? ''})` : ''}, byte ${f.offset}`,
      excerpt: f.excerpt
    })),
    more: Math.max(0, leaks.count - 200)
  }
}

function destinationsData(d: NonNullable<Results['destinations']>): NonNullable<ReportData['destinations']> {
  const summary =
    d.list.length === 0
      ? `No endpoint outside the fleet (${d.fleetHosts.join(', ')}) was contacted in the capture.`
      : `${formatCount(d.list.length)} ${d.list.length === 1 ? 'endpoint' : 'endpoints'} outside the fleet (${d.fleetHosts.join(', ')}) ${d.list.length === 1 ? 'was' : 'were'} contacted, ${formatCount(d.thirdParty)} not in destinations.allow. Names come from the capture: a TLS server name (sni) or a DNS answer (dns).`
  const others = d.otherPrograms ?? []
  const othersNote =
    others.length === 0
      ? ''
      : ` Left out: ${formatCount(others.length)} ${others.length === 1 ? 'endpoint' : 'endpoints'} that only other programs on this host contacted (${others
          .slice(0, 5)
          .map((o) => `${o.protocol} ${o.ip}:${o.port} by ${o.by.join('/') || '?'}`)
          .join(', ')}${others.length > 5 ? ', ...' : ''}).`
  const lookups = d.lookups ?? []
  const lookupsNote =
    lookups.length === 0
      ? ''
      : ` Not counted: ${formatCount(lookups.reduce((n, l) => n + l.queries, 0))} name lookup(s) to ${lookups.map((l) => `${l.ip}:${l.port}`).join(', ')} that no socket poll tied to courier's processes (any program on the host makes them).`
  return {
    summary: summary + othersNote + lookupsNote,
    rows: d.list.slice(0, 500).map((x) => ({
      remote: `${x.protocol} ${x.ip.includes(':') ? `[${x.ip}]` : x.ip}:${x.port}`,
      host: x.host == null ? '' : `${x.host} (${x.named ?? ''})`,
      from: x.from.join(', ') + (x.by == null ? '' : ` (${x.by.join('/')})`),
      up: formatBytes(x.bytesUp),
      down: formatBytes(x.bytesDown),
      first: formatMs(x.firstMs),
      last: formatMs(x.lastMs),
      allowed: x.allowedBy == null ? 'third party' : `allowed (${x.allowedBy})`,
      thirdParty: x.allowedBy == null
    }))
  }
}

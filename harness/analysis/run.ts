import type {
  BytesResults,
  CensorshipResult,
  CourierEvent,
  DeliveryMatrix,
  EventOf,
  FlowResult,
  HarnessHealth,
  LateAfter,
  MetricValue,
  PeerProtocolResults,
  ProcessHealth,
  Results
} from '../interface/index.js'
import { userKeyed } from '../interface/index.js'
import { BytesFold, type CapturedConversations } from './bytes.js'
import { DeliveryFold, type LatencySamples } from './delivery.js'
import { FlowsFold, flowMetrics } from './flows.js'
import { PeersFold } from './peers.js'
import { CensorshipFold, censorshipMetrics } from './censorship.js'
import { ReliabilityFold } from './reliability.js'
import { lateAfter, MatrixFold, type LatencyThreshold } from './matrix.js'
import { getOr, type Fold } from './fold.js'
import { MessageLedger } from './ledger.js'
import { round, summarize } from './stats.js'

export type RunAnalysis = Required<Pick<Results, 'reliability' | 'flows'>> &
  Pick<Results, 'timing' | 'metrics' | 'delivery' | 'store' | 'harness' | 'errors' | 'bytes' | 'reliability' | 'flows' | 'links' | 'peers' | 'censorship'> & {
    /** Sections whose analysis failed (a bug in courier), left out rather than losing the rest. */
    failedSections: string[]
  }

export interface AnalysisOptions {
  /** Event-loop delay p99 (ms) beyond which the harness counts as saturated. */
  lagLimitMs: number
  /** The run's packet capture, analysed, when tcpdump recorded one. */
  capture?: CapturedConversations
  /** Device -> account (devices of one account are one person's); default: each device its own. */
  accounts?: Record<string, string>
  /** A push whose message is not shown this long after it arrived is phantom. */
  pushBoundMs?: number
  /** Flow names the scenario's timeline runs: each gets its metrics even if it never ran. */
  flows?: string[]
  /** The run's thresholds as the gate parsed them: the tightest `delivery.latency.*` bound says when an arrival is late (default 2 s). */
  thresholds?: readonly LatencyThreshold[]
}

/** Every figure of a run, from its events alone (pure: `courier report` gives the same answer). */
export function analyzeRun(events: readonly CourierEvent[], options: AnalysisOptions): RunAnalysis {
  const fold = new RunFold()
  for (const event of events) fold.add(event)
  return fold.finish(options)
}

/** The metrics with every value null when `unknown` (their section's analysis failed). */
function valuesUnknownIf(unknown: boolean, metrics: Record<string, MetricValue>): Record<string, MetricValue> {
  if (!unknown) return metrics
  return Object.fromEntries(Object.entries(metrics).map(([name, m]) => [name, { value: null, unit: m.unit }]))
}

/** What a section's fold gives, or the error that made it leave its figures out. */
type Guarded<R, O> = { fold: Fold<R, O>; error?: unknown }

/**
 * Every analysis of a run in one pass: each event goes to each section's fold once, in time order,
 * and `finish` builds the figures. `analyzeRun` feeds it an array; `analyzeEventLog` feeds it
 * events.ndjson line by line, so a run of ten million events is never held whole.
 */
export class RunFold implements Fold<RunAnalysis, AnalysisOptions> {
  private readonly ledger = new MessageLedger()
  private readonly delivery = new DeliveryFold(this.ledger)
  private readonly reliability = new ReliabilityFold(this.ledger)
  private readonly store = new StoreFold()
  private readonly harness = new HarnessFold()
  private readonly bytes: Guarded<BytesResults | undefined, CapturedConversations | undefined> = { fold: new BytesFold() }
  private readonly flows: Guarded<FlowResult[], void> = { fold: new FlowsFold() }
  private readonly peers: Guarded<PeerProtocolResults, void> = { fold: new PeersFold() }
  private readonly links: Guarded<Results['links'], void> = { fold: new LinksFold() }
  private readonly censorship: Guarded<CensorshipResult[], void> = { fold: new CensorshipFold() }
  private readonly matrix: Guarded<DeliveryMatrix, { late: LateAfter; devices?: Iterable<string> }> = { fold: new MatrixFold(this.ledger.hashes) }
  private lastT: number | undefined
  private scenarioStart: number | null = null
  private scenarioEnd: number | null = null
  private readonly errors: RunAnalysis['errors'] = []
  private dropped = 0

  add(event: CourierEvent): void {
    this.lastT = event.t
    if (event.type === 'scenario.start') this.scenarioStart ??= event.t
    else if (event.type === 'scenario.end') this.scenarioEnd ??= event.t
    else if (event.type === 'harness.error') this.errors.push({ t: event.t, component: event.component, error: event.error })
    else if (event.type === 'device.failed') this.errors.push({ t: event.t, component: event.device, error: event.error })
    else if (event.type === 'timeline.dropped') this.dropped += event.count
    // reliability takes its checkpoints of the ledger before the ledger takes this event
    this.reliability.add(event)
    this.ledger.add(event)
    this.delivery.add(event)
    this.store.add(event)
    this.harness.add(event)
    for (const section of [this.bytes, this.flows, this.peers, this.links, this.censorship, this.matrix] as Array<Guarded<unknown, never>>) {
      if (section.error != null) continue
      try {
        section.fold.add(event)
      } catch (error) {
        section.error = error
      }
    }
  }

  /** The message hashes the folds have seen (msg.* events' `hash`), for the secrets scan not to keep them again. */
  get messageHashes(): { has(hash: string): boolean } {
    return this.ledger.hashes
  }

  /** A run's samples behind its latency summaries (what `courier compare` and the history test). */
  latencySamples(): LatencySamples {
    const samples: LatencySamples = { overall: [], devices: {}, render: [], renderDevices: {} }
    this.delivery.finish(samples)
    return samples
  }

  finish(options: AnalysisOptions): RunAnalysis {
    const delivery = this.delivery.finish()
    const store = this.store.finish()
    const harness = this.harness.finish(options.lagLimitMs)
    const failedSections: string[] = []
    const failed = new Set<string>()
    // sections that may be left out: a bug in one must not cost the run its other figures
    const guarded = <R, O>(section: string, part: Guarded<R, O>, finishOptions: O, instead: R): R => {
      try {
        if (part.error != null) throw part.error
        return part.fold.finish(finishOptions)
      } catch (error) {
        failed.add(section)
        failedSections.push(`${section}: analysis failed (${error instanceof Error ? error.message : String(error)}); its figures are left out`)
        return instead
      }
    }
    const bytes = guarded('bytes', this.bytes, options.capture, undefined)
    const reliability = this.reliability.finish({ accounts: options.accounts ?? userKeyed(), pushBoundMs: options.pushBoundMs })
    const flows = guarded('flows', this.flows, undefined, [])
    const timing = {
      runMs: this.lastT ?? 0,
      scenarioStartMs: this.scenarioStart,
      scenarioEndMs: this.scenarioEnd
    }
    const errors = this.errors
    const dropped = this.dropped

    const metrics = userKeyed<MetricValue>()
    const put = (name: string, value: number | boolean | null, unit: MetricValue['unit']): void => {
      metrics[name] = { value, unit }
    }
    const putDelivery = (prefix: string, d: typeof delivery.overall): void => {
      for (const stat of ['p50', 'p90', 'p95', 'p99', 'max', 'mean'] as const) {
        put(`${prefix}.latency.${stat}`, d.latency[stat], 'ms')
        put(`${prefix}.renderLatency.${stat}`, d.renderLatency[stat], 'ms')
      }
      put(`${prefix}.loss`, d.lossRate, 'ratio')
      put(`${prefix}.lost`, d.lost, 'count')
      put(`${prefix}.expected`, d.expected, 'count')
      put(`${prefix}.delivered`, d.delivered, 'count')
      put(`${prefix}.duplicates.rate`, d.duplicates.rate, 'ratio')
      put(`${prefix}.duplicates.count`, d.duplicates.total, 'count')
      put(`${prefix}.duplicates.relay`, d.duplicates.byPath.relay ?? 0, 'count')
      put(`${prefix}.duplicates.store`, d.duplicates.byPath.store ?? 0, 'count')
      put(`${prefix}.duplicates.filter`, d.duplicates.byPath.filter ?? 0, 'count')
    }
    putDelivery('delivery', delivery.overall)
    for (const [device, d] of Object.entries(delivery.devices)) putDelivery(`delivery.${device}`, d)
    put('messages.sent', delivery.messages.sent, 'count')
    put('store.queries', store.queries, 'count')
    put('store.failed', store.failed, 'count')
    put('store.latency.p50', store.latency.p50, 'ms')
    put('store.latency.p95', store.latency.p95, 'ms')
    put('store.latency.max', store.latency.max, 'ms')
    // work the scenario asked for that did not happen (harness/runner/timeline.ts)
    put('timeline.dropped', dropped, 'count')
    put('devices.failed', Object.values(delivery.devices).filter((d) => d.failed).length, 'count')
    put('harness.lag.p99', harness.lagP99Ms, 'ms')
    put('harness.lag.max', harness.lagMaxMs, 'ms')
    for (const [owner, b] of Object.entries(bytes?.owners ?? {})) {
      put(`bytes.${owner}.up`, b.up, 'bytes')
      put(`bytes.${owner}.down`, b.down, 'bytes')
      put(`bytes.${owner}.total`, b.up + b.down, 'bytes')
      put(`bytes.${owner}.down.perMessage`, b.perMessage.down, 'bytes')
      put(`bytes.${owner}.total.perMessage`, b.perMessage.total, 'bytes')
      put(`bytes.${owner}.duplicates.relay`, b.duplicateBytes.relay ?? 0, 'bytes')
      put(`bytes.${owner}.duplicates.store`, b.duplicateBytes.store ?? 0, 'bytes')
      put(`bytes.${owner}.duplicates.filter`, b.duplicateBytes.filter ?? 0, 'bytes')
      put(`bytes.${owner}.background.perHour`, b.backgroundPerHour, 'bytes/h')
      put(`bytes.${owner}.store.perRequest`, b.storePerRequest, 'bytes')
      put(`bytes.${owner}.projected.perHour`, b.projected.perHour, 'bytes/h')
      put(`bytes.${owner}.projected.perDay`, b.projected.perDay, 'bytes')
    }
    if (bytes?.tcpdump != null) {
      const { check } = bytes.tcpdump
      put('capture.check.mismatches', check.directions - check.equal - (check.unsentAtReset?.directions ?? 0), 'count')
      put('capture.dropped', bytes.tcpdump.dropped, 'count')
    }
    const auditedStores = Object.values(reliability.audit.stores)
    put('store.inSync', reliability.audit.inSync, 'boolean')
    put('store.missing', auditedStores.length === 0 ? null : Math.max(...auditedStores.map((s) => s.missing)), 'count')
    put('history.consistent', reliability.history.consistent, 'boolean')
    put(
      'history.differences',
      Object.values(reliability.history.accounts).reduce((n, a) => n + a.differences.length, 0),
      'count'
    )
    put(
      'partition.crossLost',
      reliability.partitions.reduce((n, p) => n + p.cross.lost, 0),
      'count'
    )
    const heals = reliability.partitions.map((p) => p.healToFullDeliveryMs).filter((v): v is number => v != null)
    put('partition.healToDelivery.max', heals.length === 0 ? null : Math.max(...heals), 'ms')
    // no episode means no device ever had to fail over: zero time lost to it
    const failovers = reliability.failover.map((f) => f.ms ?? Infinity)
    put('store.failover.max', failovers.length === 0 ? 0 : Math.max(...failovers.filter(Number.isFinite), 0), 'ms')
    put('store.failover.unrecovered', reliability.failover.filter((f) => f.ms == null).length, 'count')
    // as for stores: no lost subscription, no time lost
    const filterEpisodes = reliability.filterFailover ?? []
    const finiteMax = (values: Array<number | null>): number => Math.max(0, ...values.filter((v): v is number => v != null))
    put('filter.failover.max', finiteMax(filterEpisodes.map((f) => f.ms)), 'ms')
    put('filter.failover.unrecovered', filterEpisodes.filter((f) => f.ms == null).length, 'count')
    put('filter.notice.max', finiteMax(filterEpisodes.map((f) => f.noticeMs)), 'ms')
    put('sync.falseUpToDate', reliability.upToDate.falsePositives, 'count')
    put('history.checkpoints.inconsistent', reliability.history.checkpoints.filter((c) => !c.consistent).length, 'count')
    const checks = Object.values(reliability.sentChecks)
    put(
      'sent.resent',
      checks.reduce((n, c) => n + c.resent, 0),
      'count'
    )
    put(
      'sent.unconfirmed',
      checks.reduce((n, c) => n + c.unconfirmed, 0),
      'count'
    )
    put('store.switches', reliability.storeChoice.switches.length, 'count')
    put('store.sync.fetched', reliability.storeSync.fetched, 'count')
    for (const [device, c] of Object.entries(reliability.crowd?.devices ?? {})) {
      put(`crowd.${device}.messagesPerHour`, c.messagesPerHour, 'count')
      put(`crowd.${device}.messageBytesPerHour`, c.messageBytesPerHour, 'bytes/h')
      put(`crowd.${device}.previewBytesPerHour`, c.previewBytesPerHour, 'bytes/h')
    }
    put('push.received', reliability.push.received, 'count')
    put('push.phantom', reliability.push.phantom, 'count')
    put('push.renderDelay.p95', reliability.push.renderDelay.p95, 'ms')
    for (const stage of ['total', 'dial', 'firstPage', 'transfer', 'render'] as const) {
      put(`store.stages.${stage}.p95`, reliability.stages[`${stage}Ms`].p95, 'ms')
    }
    const peers = guarded('peers', this.peers, undefined, undefined)
    put('metadata.mismatches', peers?.metadata.mismatch ?? null, 'count')
    put('peerExchange.requests', peers?.peerExchange.requests ?? null, 'count')
    // a failed section's counts are unknown, not zero: `flows.failed == 0` must not pass on them
    Object.assign(metrics, valuesUnknownIf(failed.has('flows'), flowMetrics(flows, options.flows)))
    const links = guarded('links', this.links, undefined, undefined)
    const censorship = guarded('censorship', this.censorship, undefined, [])
    Object.assign(metrics, valuesUnknownIf(failed.has('censorship'), censorshipMetrics(censorship, Object.keys(delivery.devices))))
    const matrix = guarded('delivery matrix', this.matrix, { late: lateAfter(options.thresholds ?? []), devices: Object.keys(delivery.devices) }, undefined)
    return {
      timing,
      metrics,
      delivery: matrix == null ? delivery : { ...delivery, matrix },
      store,
      harness,
      errors,
      bytes,
      reliability,
      flows,
      links,
      peers,
      failedSections,
      ...(censorship.length > 0 ? { censorship } : {})
    }
  }
}

/** What the run shaped and how; absent when it shaped nothing. */
class LinksFold implements Fold<Results['links']> {
  private backend: EventOf<'link.backend'> | undefined
  private readonly devices = new Set<string>()
  private readonly pairs = new Map<string, NonNullable<Results['links']>['nodePairs'][number]>()

  add(e: CourierEvent): void {
    if (e.type === 'link.backend') this.backend ??= e
    else if (e.type === 'link.change') this.devices.add(e.device)
    else if (e.type === 'node.link') this.pairs.set(`${e.a}>${e.b}`, { a: e.a, b: e.b, port: e.port, up: e.up, down: e.down })
  }

  finish(): Results['links'] {
    const backend = this.backend
    if (backend == null) return undefined
    return { backend: backend.backend, netem: backend.netem, devices: [...this.devices], nodePairs: [...this.pairs.values()] }
  }
}

class StoreFold implements Fold<Results['store']> {
  private readonly started = new Map<string, number>()
  // a query is answered once: a second response to one requestId is counted, not timed again
  private readonly pending = new Map<string, number>()
  private readonly latencies: number[] = []
  private readonly byStore: Results['store']['byStore'] = userKeyed()
  private readonly answered = new Map<string, number[]>()
  private queries = 0
  private failed = 0

  add(event: CourierEvent): void {
    if (event.type === 'store.query') {
      this.started.set(event.requestId, event.t)
      this.pending.set(event.requestId, event.t)
    }
    if (event.type !== 'store.response') return
    this.queries++
    const entry = (this.byStore[event.store] ??= { queries: 0, failed: 0, messages: 0, bytes: 0 })
    entry.queries++
    entry.messages += event.messages
    entry.bytes += event.bytes
    const asked = this.pending.get(event.requestId)
    this.pending.delete(event.requestId)
    if (asked != null && event.status >= 200 && event.status < 300 && event.error == null) getOr(this.answered, event.store, () => []).push(event.t - asked)
    if (event.status !== 200) {
      this.failed++
      entry.failed++
      return
    }
    const start = this.started.get(event.requestId)
    if (start != null) this.latencies.push(event.t - start)
  }

  finish(): Results['store'] {
    for (const [store, entry] of Object.entries(this.byStore)) {
      const list = this.answered.get(store) ?? []
      entry.answered = list.length
      entry.latency = summarize(list)
    }
    return { queries: this.queries, failed: this.failed, latency: summarize(this.latencies), byStore: this.byStore }
  }
}

/** Each harness.lag sample covers the second before it; samples from the start-up are left out. */
const SAMPLE_MS = 1000

/**
 * The harness is saturated when the p99 of its per-second event-loop delay samples, taken over the
 * traffic phase, is above the limit: latency measured then would partly be the harness's own. Each
 * harness process (courier's, and each worker of `--workers`) is judged on its own samples: one
 * saturated worker is enough, and the figures are the worst process's, which is named.
 */
class HarnessFold implements Fold<HarnessHealth, number> {
  private start: number | undefined
  private end: number | undefined
  private readonly samples: Array<{ t: number; process: string; p99: number; max: number; cpu: number; rssMb: number }> = []

  add(e: CourierEvent): void {
    if (e.type === 'scenario.start') this.start ??= e.t
    else if (e.type === 'scenario.end') this.end ??= e.t
    else if (e.type === 'harness.lag') this.samples.push({ t: e.t, process: e.process, p99: e.p99, max: e.max, cpu: e.cpu, rssMb: e.rssMb })
  }

  /**
   * Each harness process (courier's, and each worker of `--workers`) is judged on its own samples:
   * one saturated worker is enough, and the figures are the worst process's, which is named.
   */
  finish(lagLimitMs: number): HarnessHealth {
    const start = this.start ?? 0
    const end = this.end ?? Infinity
    const samples = this.samples.filter((s) => s.t >= start + SAMPLE_MS && s.t <= end + SAMPLE_MS)
    if (samples.length === 0) return { lagP99Ms: null, lagMaxMs: null, cpuMaxPercent: null, rssMaxMb: null, lagLimitMs, saturated: false, samples: 0 }
    const byProcess = new Map<string, typeof samples>()
    for (const sample of samples) {
      const list = byProcess.get(sample.process)
      if (list == null) byProcess.set(sample.process, [sample])
      else list.push(sample)
    }
    const processes = new Map([...byProcess].map(([name, list]): [string, ProcessHealth] => [name, processHealth(list, lagLimitMs)]))
    const [worstName, worst] = [...processes].reduce((a, b) => (b[1].lagP99Ms > a[1].lagP99Ms ? b : a))
    const all = processHealth(samples, lagLimitMs)
    return {
      lagP99Ms: worst.lagP99Ms,
      lagMaxMs: all.lagMaxMs,
      cpuMaxPercent: all.cpuMaxPercent,
      rssMaxMb: all.rssMaxMb,
      lagLimitMs,
      saturated: worst.saturated,
      samples: samples.length,
      // one process (courier's own, the only one before workers) keeps results.json as it was
      ...(processes.size > 1 ? { process: worstName, processes: Object.fromEntries(processes) } : {})
    }
  }
}

/** One process's figures from its samples; maxima by a loop (a day of 1 s samples is too many arguments for a spread). */
function processHealth(list: ReadonlyArray<{ p99: number; max: number; cpu: number; rssMb: number }>, lagLimitMs: number): ProcessHealth {
  const lagP99Ms = summarize(list.map((s) => s.p99)).p99 ?? 0
  let lagMax = -Infinity
  let cpuMax = -Infinity
  let rssMax = -Infinity
  for (const s of list) {
    if (s.max > lagMax) lagMax = s.max
    if (s.cpu > cpuMax) cpuMax = s.cpu
    if (s.rssMb > rssMax) rssMax = s.rssMb
  }
  return { lagP99Ms, lagMaxMs: round(lagMax), cpuMaxPercent: round(cpuMax), rssMaxMb: round(rssMax), saturated: lagP99Ms > lagLimitMs, samples: list.length }
}

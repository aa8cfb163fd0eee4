// The array analysis as it was before it became folds (harness/analysis at bdda291), kept unchanged
// as the oracle the stream equivalence test compares the folds with. Nothing else may import it.
// One deliberate change since: harness health judges each process's samples on their own (--workers).
import type { CourierEvent, HarnessHealth, MetricValue, ProcessHealth, Results } from '../../../harness/interface/index.js'
import { userKeyed } from '../../../harness/interface/index.js'
import { analyzeBytes, type CapturedConversations } from './bytes.js'
import { analyzeDelivery } from './delivery.js'
import { analyzeFlows, flowMetrics } from './flows.js'
import { analyzePeers } from './peers.js'
import { analyzeCensorship, censorshipMetrics } from './censorship.js'
import { analyzeReliability } from './reliability.js'
import { deliveryMatrix, lateAfter, type LatencyThreshold } from './matrix.js'
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
  const delivery = analyzeDelivery(events)
  const store = analyzeStore(events)
  const harness = analyzeHarness(events, options.lagLimitMs)
  const failedSections: string[] = []
  // sections that may be left out: a bug in one must not cost the run its other figures
  const guarded = <T>(section: string, analyse: () => T, instead: T): T => {
    try {
      return analyse()
    } catch (error) {
      failedSections.push(`${section}: analysis failed (${error instanceof Error ? error.message : String(error)}); its figures are left out`)
      return instead
    }
  }
  const bytes = guarded('bytes', () => analyzeBytes(events, options.capture), undefined)
  const reliability = analyzeReliability(events, options.accounts ?? userKeyed(), options.pushBoundMs)
  const flows = guarded('flows', () => analyzeFlows(events), [])
  const timing = {
    runMs: events.at(-1)?.t ?? 0,
    scenarioStartMs: events.find((e) => e.type === 'scenario.start')?.t ?? null,
    scenarioEndMs: events.find((e) => e.type === 'scenario.end')?.t ?? null
  }
  const errors = events.flatMap((e) =>
    e.type === 'harness.error'
      ? [{ t: e.t, component: e.component, error: e.error }]
      : e.type === 'device.failed'
        ? [{ t: e.t, component: e.device, error: e.error }]
        : []
  )

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
  put(
    'timeline.dropped',
    events.reduce((n, e) => (e.type === 'timeline.dropped' ? n + e.count : n), 0),
    'count'
  )
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
    put('capture.check.mismatches', bytes.tcpdump.check.directions - bytes.tcpdump.check.equal - (bytes.tcpdump.check.unsentAtReset?.directions ?? 0), 'count')
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
  const peers = guarded('peers', () => analyzePeers(events), undefined)
  put('metadata.mismatches', peers?.metadata.mismatch ?? null, 'count')
  put('peerExchange.requests', peers?.peerExchange.requests ?? null, 'count')
  Object.assign(metrics, flowMetrics(flows, options.flows))
  const links = guarded('links', () => analyzeLinks(events), undefined)
  const censorship = guarded('censorship', () => analyzeCensorship(events), [])
  Object.assign(metrics, censorshipMetrics(censorship, Object.keys(delivery.devices)))
  const matrix = guarded('delivery matrix', () => deliveryMatrix(events, lateAfter(options.thresholds ?? []), Object.keys(delivery.devices)), undefined)
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

/** What the run shaped and how; absent when it shaped nothing. */
function analyzeLinks(events: readonly CourierEvent[]): Results['links'] {
  const backend = events.find((e) => e.type === 'link.backend')
  if (backend?.type !== 'link.backend') return undefined
  const devices = new Set<string>()
  const pairs = new Map<string, NonNullable<Results['links']>['nodePairs'][number]>()
  for (const e of events) {
    if (e.type === 'link.change') devices.add(e.device)
    else if (e.type === 'node.link') pairs.set(`${e.a}>${e.b}`, { a: e.a, b: e.b, port: e.port, up: e.up, down: e.down })
  }
  return { backend: backend.backend, netem: backend.netem, devices: [...devices], nodePairs: [...pairs.values()] }
}

function analyzeStore(events: readonly CourierEvent[]): Results['store'] {
  const started = new Map<string, number>()
  // a query is answered once: a second response to one requestId is counted, not timed again
  const pending = new Map<string, number>()
  const latencies: number[] = []
  const byStore: Results['store']['byStore'] = userKeyed()
  const answered = new Map<string, number[]>()
  let queries = 0
  let failed = 0
  for (const event of events) {
    if (event.type === 'store.query') {
      started.set(event.requestId, event.t)
      pending.set(event.requestId, event.t)
    }
    if (event.type !== 'store.response') continue
    queries++
    const entry = (byStore[event.store] ??= { queries: 0, failed: 0, messages: 0, bytes: 0 })
    entry.queries++
    entry.messages += event.messages
    entry.bytes += event.bytes
    const asked = pending.get(event.requestId)
    pending.delete(event.requestId)
    if (asked != null && event.status >= 200 && event.status < 300 && event.error == null) {
      let list = answered.get(event.store)
      if (list == null) answered.set(event.store, (list = []))
      list.push(event.t - asked)
    }
    if (event.status !== 200) {
      failed++
      entry.failed++
      continue
    }
    const start = started.get(event.requestId)
    if (start != null) latencies.push(event.t - start)
  }
  for (const [store, entry] of Object.entries(byStore)) {
    const list = answered.get(store) ?? []
    entry.answered = list.length
    entry.latency = summarize(list)
  }
  return { queries, failed, latency: summarize(latencies), byStore }
}

/** Each harness.lag sample covers the second before it; samples from the start-up are left out. */
const SAMPLE_MS = 1000

/**
 * The harness is saturated when the p99 of its per-second event-loop delay samples, taken over the
 * traffic phase, is above the limit: latency measured then would partly be the harness's own. Each
 * harness process is judged on its own samples; the figures are the worst process's.
 */
// with --workers (harness/worker), each harness process is judged on its own samples: the array
// form of that rule, as the workers branch wrote it before analysis became folds
function analyzeHarness(events: readonly CourierEvent[], lagLimitMs: number): HarnessHealth {
  const start = events.find((e) => e.type === 'scenario.start')?.t ?? 0
  const end = events.find((e) => e.type === 'scenario.end')?.t ?? Infinity
  const samples = events.filter(
    (e): e is Extract<CourierEvent, { type: 'harness.lag' }> => e.type === 'harness.lag' && e.t >= start + SAMPLE_MS && e.t <= end + SAMPLE_MS
  )
  if (samples.length === 0) return { lagP99Ms: null, lagMaxMs: null, cpuMaxPercent: null, rssMaxMb: null, lagLimitMs, saturated: false, samples: 0 }
  const names = [...new Set(samples.map((s) => s.process))]
  const processes: Record<string, ProcessHealth> = {}
  for (const name of names) {
    const own = samples.filter((s) => s.process === name)
    const p99 = summarize(own.map((s) => s.p99)).p99 ?? 0
    processes[name] = {
      lagP99Ms: p99,
      lagMaxMs: round(Math.max(...own.map((s) => s.max))),
      cpuMaxPercent: round(Math.max(...own.map((s) => s.cpu))),
      rssMaxMb: round(Math.max(...own.map((s) => s.rssMb))),
      saturated: p99 > lagLimitMs,
      samples: own.length
    }
  }
  const worst = names.reduce((a, b) => (processes[b].lagP99Ms > processes[a].lagP99Ms ? b : a))
  return {
    lagP99Ms: processes[worst].lagP99Ms,
    lagMaxMs: round(Math.max(...samples.map((s) => s.max))),
    cpuMaxPercent: round(Math.max(...samples.map((s) => s.cpu))),
    rssMaxMb: round(Math.max(...samples.map((s) => s.rssMb))),
    lagLimitMs,
    saturated: processes[worst].saturated,
    samples: samples.length,
    ...(names.length > 1 ? { process: worst, processes } : {})
  }
}

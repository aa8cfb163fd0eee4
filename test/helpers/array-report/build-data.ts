// report.html's data as reports/html/build-data.ts built it before it became a bounded stream
// (commit f0a8188, every event of every message kept), unchanged but for import paths: the oracle
// test/unit/report-stream.test.ts compares the streamed report data with. Nothing else may import it.
import { quantileSorted } from 'simple-statistics'
import type { CourierEvent, DeviceDelivery, MetricValue, Results } from '../../../harness/interface/index.js'
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
} from '../../../reports/format.js'
import type {
  Buckets,
  DevicePivot,
  DeviceRow,
  ExplorerMessage,
  FaultBand,
  FaultMarker,
  MetricGroup,
  ReportData,
  Series,
  TrendView,
  XY
} from '../../../reports/html/report-data.js'
import { bytesSection, energySection, reliabilitySection, type BytesSamples } from '../../../reports/html/sections.js'
import { thresholdEvidence } from '../../../reports/why.js'

/** Size limits and choices of the HTML report; defaults keep a 1,000,000-event run under 10 MB. */
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

interface Arrival {
  t: number
  via: string
  n: number
}

interface MsgRecord {
  hash: string
  msgId: string
  topic: string
  bytes: number
  sender: string | null
  sentT: number | null
  arrivals: Map<string, Arrival> | null
  events: CourierEvent[]
}

const CROWD = 'crowd'

/** Precomputes every chart series, table and index of the report. */
export function buildReportData(results: Results, events: Iterable<CourierEvent>, options: ReportDataOptions = {}): ReportData {
  const maxRaw = options.maxRawPoints ?? 1500
  const nBuckets = options.buckets ?? 300
  const notes: string[] = []

  // ---- one pass over the events
  let scenarioStartT: number | null = null
  let scenarioEndT: number | null = null
  let maxT = 0
  const messages = new Map<string, MsgRecord>()
  const deviceSet = new Set<string>(Object.keys(results.delivery?.devices ?? {}))
  const subscriptions = new Map<string, Set<string>>()
  const failedAt = new Map<string, number>()
  const nodeRole = new Map<string, string>()
  const offlineOpen = new Map<string, number>()
  const downOpen = new Map<string, { t: number; reason: string }>()
  const bands: Array<Omit<FaultBand, 'from' | 'to'> & { fromT: number; toT: number | null; fromTimeline?: boolean }> = []
  const markers: Array<{ t: number; label: string }> = []
  const pendingQueries = new Map<string, { t: number; store: string }>()
  const storeQueries: Array<{ t: number; store: string; latency: number; bytes: number; messages: number; ok: boolean }> = []
  const lag = new Map<string, { t: number[]; p99: number[]; cpu: number[] }>()
  const received: BytesSamples['payload'] = []
  const wire: BytesSamples['wire'] = new Map()
  let partitionEvents = false
  let orphanArrivals = 0

  const record = (hash: string): MsgRecord => {
    let r = messages.get(hash)
    if (r == null) {
      r = { hash, msgId: '', topic: '', bytes: 0, sender: null, sentT: null, arrivals: null, events: [] }
      messages.set(hash, r)
    }
    return r
  }

  for (const e of events) {
    if (e.t > maxT) maxT = e.t
    switch (e.type) {
      case 'scenario.start':
        scenarioStartT ??= e.t
        break
      case 'scenario.end':
        scenarioEndT = e.t
        break
      case 'device.up':
        deviceSet.add(e.device)
        break
      case 'device.subscribe': {
        deviceSet.add(e.device)
        let set = subscriptions.get(e.device)
        if (set == null) subscriptions.set(e.device, (set = new Set()))
        set.add(e.topic)
        break
      }
      case 'device.failed':
        if (!failedAt.has(e.device)) failedAt.set(e.device, e.t)
        markers.push({ t: e.t, label: `${e.device} failed` })
        break
      case 'device.offline':
        if (!offlineOpen.has(e.device)) offlineOpen.set(e.device, e.t)
        break
      case 'device.online': {
        const from = offlineOpen.get(e.device)
        if (from != null) {
          bands.push({ fromT: from, toT: e.t, kind: 'offline', label: `${e.device} offline` })
          offlineOpen.delete(e.device)
        }
        break
      }
      case 'node.up': {
        nodeRole.set(e.node, e.role)
        const down = downOpen.get(e.node)
        if (down != null) {
          bands.push({ fromT: down.t, toT: e.t, kind: 'down', label: `${e.node} ${down.reason}` })
          downOpen.delete(e.node)
        }
        break
      }
      case 'node.down':
        nodeRole.set(e.node, e.role)
        if (!downOpen.has(e.node)) downOpen.set(e.node, { t: e.t, reason: e.reason })
        break
      case 'partition.start':
        partitionEvents = true
        bands.push({ fromT: e.t, toT: null, kind: 'partition', label: `partition ${describeGroups(e.groups)}`.trim() })
        break
      case 'partition.heal': {
        const open = bands.findLast((b) => b.kind === 'partition' && b.fromTimeline !== true && b.toT == null)
        if (open != null) open.toT = e.t
        break
      }
      case 'bytes.sample': {
        let w = wire.get(e.owner)
        if (w == null) wire.set(e.owner, (w = { t: [], protocol: [], up: [], down: [] }))
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
        if (e.action === 'partition' && !partitionEvents) {
          bands.push({
            fromT: e.t,
            toT: forMs == null ? null : e.t + forMs,
            kind: 'partition',
            label: `partition ${describeGroups(detail.groups)}`.trim(),
            fromTimeline: true
          })
        } else if (/^(heal|partition\.heal)$/.test(e.action) && !partitionEvents) {
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
        const r = record(e.hash)
        r.sentT = e.t
        r.msgId = e.msgId
        r.topic = e.topic
        r.bytes = e.bytes
        r.sender = e.device ?? (e.user != null || nodeRole.get(e.node ?? '') === 'crowd' ? CROWD : (e.node ?? 'unknown'))
        r.events.push(e)
        break
      }
      case 'msg.received': {
        const r = record(e.hash)
        if (r.msgId === '') r.msgId = e.msgId
        r.events.push(e)
        const arrivals = r.arrivals ?? (r.arrivals = new Map())
        const a = arrivals.get(e.device)
        if (a == null) arrivals.set(e.device, { t: e.t, via: e.via, n: 1 })
        else {
          a.n++
          if (e.t < a.t) {
            a.t = e.t
            a.via = e.via
          }
        }
        deviceSet.add(e.device)
        received.push({ device: e.device, t: e.t, via: e.via, bytes: e.bytes, duplicate: e.duplicate || a != null })
        break
      }
      case 'store.query':
        pendingQueries.set(e.requestId, { t: e.t, store: e.store })
        break
      case 'store.response': {
        const q = pendingQueries.get(e.requestId)
        if (q == null) break
        pendingQueries.delete(e.requestId)
        storeQueries.push({
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
        let s = lag.get(e.process)
        if (s == null) lag.set(e.process, (s = { t: [], p99: [], cpu: [] }))
        s.t.push(e.t)
        s.p99.push(e.p99)
        s.cpu.push(e.cpu)
        break
      }
      default: {
        // msg.relayed, msg.stored, msg.rendered and any later event about one message
        const hash = (e as { hash?: unknown }).hash
        if (typeof hash === 'string') record(hash).events.push(e)
      }
    }
  }

  const t0 = scenarioStartT ?? results.timing?.scenarioStartMs ?? 0
  const S = (t: number): number => round3((t - t0) / 1000)
  const lastT = Math.max(maxT, scenarioEndT ?? 0)
  const endS = S(lastT)
  for (const [device, from] of offlineOpen) bands.push({ fromT: from, toT: null, kind: 'offline', label: `${device} offline` })
  for (const [node, down] of downOpen) bands.push({ fromT: down.t, toT: null, kind: 'down', label: `${node} ${down.reason}` })
  // timeline partitions are only a fallback for logs without partition.start events
  const kept = partitionEvents ? bands.filter((b) => b.fromTimeline !== true) : bands
  // teardown stops every node after the scenario; those are not faults
  const faults = kept.filter((b) => scenarioEndT == null || b.fromT < scenarioEndT)
  const faultBands: FaultBand[] = faults
    .map((b) => ({ from: S(b.fromT), to: S(b.toT ?? scenarioEndT ?? lastT), kind: b.kind, label: b.label }))
    .sort((a, b) => a.from - b.from)
  const faultMarkers: FaultMarker[] = markers.map((m) => ({ t: S(m.t), label: m.label })).sort((a, b) => a.t - b.t)

  const deviceOrder = [...deviceSet].sort((a, b) => a.localeCompare(b))
  const isDevice = (name: string | null): boolean => name != null && deviceSet.has(name)
  const expects = (device: string, r: MsgRecord): boolean => {
    if (r.sender === device || r.sentT == null) return false
    const subs = subscriptions.get(device)
    if (subs != null && !subs.has(r.topic)) return false
    const failed = failedAt.get(device)
    return failed == null || r.sentT < failed
  }

  // the delivery matrix and its late bound are results' (harness/analysis); results.json written
  // before they existed has neither: the matrix is left out and the explorer marks nothing late
  const matrix = results.delivery?.matrix
  const lateMs = matrix?.lateAfterMs ?? Infinity
  if (matrix == null)
    notes.push(
      'This results.json predates the delivery matrix and per-store query latency: they are left out. `courier report RUN_DIR` recomputes results from events.ndjson with them.'
    )

  // ---- latency
  const latencies = new Map<string, number[]>(deviceOrder.map((d) => [d, []]))
  const overTime = new Map<string, XY[]>(deviceOrder.map((d) => [d, []]))
  let deviceMsgCount = 0
  let crowdMsgCount = 0
  for (const r of messages.values()) {
    if (r.sentT == null) {
      if (r.arrivals != null) orphanArrivals += r.arrivals.size
      continue
    }
    if (isDevice(r.sender)) deviceMsgCount++
    else crowdMsgCount++
    for (const [device, a] of r.arrivals ?? []) {
      const l = a.t - r.sentT
      latencies.get(device)?.push(l)
      overTime.get(device)?.push([S(r.sentT), round1(l)])
    }
  }
  if (orphanArrivals > 0)
    notes.push(`${formatCount(orphanArrivals)} arrivals belong to messages with no msg.sent event; they are left out of latency and the delivery matrix.`)

  let downsampled = false
  const cdf: Series[] = deviceOrder.map((device) => {
    const values = latencies.get(device)!.sort((a, b) => a - b)
    return { name: device, raw: cdfPoints(values, 400), total: values.length }
  })
  const latencyOverTime: Series[] = deviceOrder.map((device) => {
    const s = series(device, overTime.get(device)!, maxRaw, nBuckets)
    if (s.buckets != null) downsampled = true
    return s
  })
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
  const explorer = buildExplorer({ messages, isDevice, deviceOrder, expects, late: lateMs, S, options })
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

interface ExplorerInput {
  messages: Map<string, MsgRecord>
  isDevice: (name: string | null) => boolean
  deviceOrder: string[]
  expects: (device: string, r: MsgRecord) => boolean
  late: number
  S: (t: number) => number
  options: ReportDataOptions
}

function buildExplorer({
  messages,
  isDevice,
  deviceOrder,
  expects,
  late,
  S,
  options
}: ExplorerInput): Omit<ReportData['explorer'], 'totalMessages' | 'deviceMessages' | 'crowdMessages'> {
  const maxDevice = options.maxExplorerDeviceMessages ?? 3000
  const maxCrowd = options.maxExplorerCrowdMessages ?? 300
  const maxSteps = options.maxExplorerSteps ?? 150_000
  const fromDevices: MsgRecord[] = []
  const fromCrowd: MsgRecord[] = []
  for (const r of messages.values()) {
    if (r.sentT == null) continue
    if (isDevice(r.sender)) fromDevices.push(r)
    else fromCrowd.push(r)
  }
  const problems = (r: MsgRecord): number =>
    deviceOrder.filter((d) => expects(d, r) && (r.arrivals?.get(d) == null || r.arrivals.get(d)!.t - r.sentT! > late)).length
  // keep the messages a reader most wants to follow (lost or late) when there are too many
  const byInterest = (list: MsgRecord[]): MsgRecord[] =>
    list
      .map((r) => ({ r, p: problems(r) }))
      .sort((a, b) => (b.p > 0 ? 1 : 0) - (a.p > 0 ? 1 : 0) || a.r.sentT! - b.r.sentT!)
      .map((x) => x.r)
  let chosenDevices = fromDevices.length > maxDevice ? byInterest(fromDevices).slice(0, maxDevice) : fromDevices
  const step = Math.max(1, Math.ceil(fromCrowd.length / Math.max(1, maxCrowd)))
  const chosenCrowd =
    maxCrowd === 0
      ? []
      : fromCrowd
          .sort((a, b) => a.sentT! - b.sentT!)
          .filter((_, i) => i % step === 0)
          .slice(0, maxCrowd)
  const stepsOf = (r: MsgRecord): number => r.events.length
  let total = [...chosenDevices, ...chosenCrowd].reduce((s, r) => s + stepsOf(r), 0)
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
  chosenDevices.sort((a, b) => a.sentT! - b.sentT!)
  chosenCrowd.sort((a, b) => a.sentT! - b.sentT!)

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
  const toMessage = (r: MsgRecord): ExplorerMessage => {
    const sentT = r.sentT!
    const steps: ExplorerMessage['steps'] = [...r.events]
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
      if (!expects(d, r)) continue
      const a = r.arrivals?.get(d)
      if (a == null) missing.push(d)
      else if (a.t - sentT > late) lateTo.push(d)
    }
    return { hash: r.hash, msgId: r.msgId, sender: r.sender ?? 'unknown', topic: r.topic, bytes: r.bytes, sentAt: S(sentT), steps, missing, late: lateTo }
  }
  const list = [...chosenDevices, ...chosenCrowd].map(toMessage)
  const parts: string[] = []
  if (chosenDevices.length < fromDevices.length)
    parts.push(`${formatCount(chosenDevices.length)} of ${formatCount(fromDevices.length)} device messages (lost and late ones first)`)
  if (chosenCrowd.length < fromCrowd.length)
    parts.push(
      `a sample of ${formatCount(chosenCrowd.length)} of ${formatCount(fromCrowd.length)} crowd messages (every ${step}th in send order${trimmed ? ', trimmed to fit' : ''})`
    )
  const note = parts.length === 0 ? '' : `The message explorer holds ${parts.join(' and ')}; events.ndjson has every message.`
  const interesting =
    list.find((m) => fromDevices.length > 0 && isDevice(m.sender) && (m.missing.length > 0 || m.late.length > 0)) ??
    list.find((m) => isDevice(m.sender)) ??
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
export function cdfPoints(sorted: number[], maxPoints: number): XY[] {
  const n = sorted.length
  if (n === 0) return []
  if (n <= maxPoints) return sorted.map((v, i) => [round1(v), round4((i + 1) / n)])
  const out: XY[] = []
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

export function bucketize(points: XY[], nBuckets: number): Buckets {
  let lo = Infinity
  let hi = -Infinity
  for (const [x] of points) {
    if (x < lo) lo = x
    if (x > hi) hi = x
  }
  const width = hi > lo ? (hi - lo) / nBuckets : 1
  const bins: number[][] = Array.from({ length: nBuckets }, () => [])
  for (const [x, y] of points) bins[Math.min(nBuckets - 1, Math.floor((x - lo) / width))]!.push(y)
  const out: Buckets = { t: [], min: [], p50: [], p95: [], max: [], count: [] }
  bins.forEach((values, i) => {
    if (values.length === 0) return
    values.sort((a, b) => a - b)
    out.t.push(round3(lo + (i + 0.5) * width))
    out.min.push(round1(values[0]!))
    out.p50.push(round1(quantileSorted(values, 0.5)))
    out.p95.push(round1(quantileSorted(values, 0.95)))
    out.max.push(round1(values[values.length - 1]!))
    out.count.push(values.length)
  })
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

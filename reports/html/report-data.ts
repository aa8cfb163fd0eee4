// The JSON embedded in report.html: everything the page draws, precomputed in Node so the page
// only lays out (a 1,000,000-event run must open in seconds). Times on charts are seconds of
// scenario time (0 = scenario.start) unless a field says otherwise.
import type { MatrixCell } from '../../harness/interface/results.js'

/** One x/y point, as Chart.js takes it. */
export type XY = [number, number]

/** Per-bucket statistics of a downsampled series: bucket start times and the values per bucket. */
export interface Buckets {
  t: number[]
  min: number[]
  p50: number[]
  p95: number[]
  max: number[]
  count: number[]
}

/** A series either kept whole or reduced to buckets. */
export interface Series {
  name: string
  raw?: XY[]
  buckets?: Buckets
  /** Points before downsampling. */
  total: number
}

export interface FaultBand {
  from: number
  to: number
  /** `store`: a store fault window (desync: archives nothing; slow: answers late). */
  kind: 'offline' | 'down' | 'partition' | 'store' | 'other'
  label: string
}

export interface FaultMarker {
  t: number
  label: string
}

export interface ThresholdRow {
  metric: string
  expression: string
  measured: string
  passed: boolean
  message: string
  /** One line naming the evidence (device, store, messages) of a failed threshold; null when passed or nothing more is known. */
  why: string | null
  /** `#id` of the section or table that explains the figure. */
  href: string
}

export interface DeviceRow {
  name: string
  failed: boolean
  expected: number
  delivered: number
  lost: number
  lossRate: string
  latency: { p50: string; p90: string; p95: string; p99: string; max: string; mean: string }
  render: { p50: string; p95: string; max: string }
  duplicates: { total: number; rate: string; byPath: Record<string, number> }
  firstByPath: Record<string, number>
  lostMessages: string[]
  /** Errors from results.errors about this device. */
  errors: string[]
}

export type { MatrixCell }

export interface MetricGroup {
  prefix: string
  rows: Array<{ name: string; value: string; unit: string }>
}

/** Metrics named `<prefix>.<owner>.<figure>` (owner: a device or a fleet node), pivoted to owners x figures. */
export interface DevicePivot {
  prefix: string
  figures: string[]
  rows: Array<{ device: string; isDevice: boolean; values: Array<{ text: string; value: number | null; unit: string } | null> }>
}

/** A bar chart over devices (or owners): one or more series, stacked or side by side. */
export interface BarChart {
  id: string
  title: string
  note?: string
  axis: string
  labels: string[]
  stacked: boolean
  /** Single-series charts colour each bar by its device. */
  colorByLabel: boolean
  /** Set when there is nothing to draw: the sentence shown instead of an empty chart. */
  empty?: string
  series: Array<{ label: string; values: Array<number | null>; texts: string[] }>
}

/** A cell of a generic table: text, or text with a tone and alignment. */
export type TableCell = string | { text: string; tone?: 'good' | 'bad' | 'warn' | 'muted'; num?: boolean; mono?: boolean }

/** A table built in Node and only laid out by the page. */
export interface TableBlock {
  id: string
  title: string
  note?: string
  headers: string[]
  rows: TableCell[][]
}

/** Radio states of one device over time (energy), as floating bars. */
export interface RadioTimeline {
  device: string
  /** [start s, end s, state index] relative to the first span of any device. */
  spans: Array<[number, number, number]>
  truncated: boolean
}

export interface JourneyStep {
  /** ms after the message was sent (negative if seen before the send event). */
  dt: number
  kind: string
  where: string
  via: string | null
  duplicate: boolean
}

export interface ExplorerMessage {
  hash: string
  msgId: string
  sender: string
  topic: string
  bytes: number
  /** Scenario seconds at send, or null if the send event is missing. */
  sentAt: number | null
  /** Compact steps: [dt ms, kind index, where index, via index (-1 none), duplicate 0/1] into `strings`. */
  steps: Array<[number, number, number, number, number]>
  /** Expected receivers that never got it. */
  missing: string[]
  /** Receivers whose first arrival was late. */
  late: string[]
}

export interface ReportData {
  meta: {
    title: string
    scenario: { name: string; file: string; seed: number; duration: string }
    runId: string
    status: string
    verdict: 'pass' | 'fail' | 'inconclusive' | 'interrupted'
    verdictText: string
    explanation: string
    reasons: string[]
    replay: string
    run: string
    tool: string
    /** Run time (ms) of scenario.start; events before it have negative scenario time. */
    scenarioStartMs: number
    /** Scenario seconds where charts end. */
    endS: number
  }
  headline: Array<{ label: string; value: string; tone: 'good' | 'bad' | 'warn' | 'plain'; hint: string }>
  thresholds: ThresholdRow[]
  devices: DeviceRow[]
  /** Device names in a fixed order, so a device has one colour on every chart. */
  deviceOrder: string[]
  faults: { bands: FaultBand[]; markers: FaultMarker[] }
  /** From results.delivery.matrix; null (and the matrix empty) in results written before it existed. */
  latency: { cdf: Series[]; overTime: Series[]; downsampled: boolean; lateAfterMs: number | null; lateSource: string }
  matrix: { senders: string[]; receivers: string[]; cells: Array<Array<MatrixCell | null>> }
  paths: { duplicates: Record<string, Record<string, number>>; first: Record<string, Record<string, number>> }
  bytes: {
    /** Bytes per device per bucket, stacked by protocol (wire, from bytes.sample) or by path (payload, from msg.received). */
    overTime: Array<{ device: string; bucketS: number; t: number[]; stacks: Record<string, number[]>; source: 'wire' | 'payload'; caption: string }>
    charts: BarChart[]
    tables: TableBlock[]
    summary: string
  }
  energy: { charts: BarChart[]; tables: TableBlock[]; timeline: { states: string[]; kinds: string[]; devices: RadioTimeline[] } | null; summary: string }
  reliability: { tables: TableBlock[]; summary: string }
  store: {
    queries: Series[]
    sizes: Series[]
    failed: XY[]
    table: Array<{ store: string; queries: number; failed: number; answered: number | null; messages: number; bytes: string; p50: string; p95: string }>
    summary: string
    /** The sent-message checks (hash-only store queries, in Reliability) beside the history queries; null when there were none. */
    checks: { count: number; devices: number } | null
  }
  harness: {
    lag: Series[]
    cpu: Series[]
    limitMs: number
    summary: string
    saturated: boolean
    downsampled: boolean
  }
  metrics: { groups: MetricGroup[]; pivots: DevicePivot[]; count: number }
  explorer: {
    strings: string[]
    messages: ExplorerMessage[]
    totalMessages: number
    deviceMessages: number
    crowdMessages: number
    note: string
    defaultHash: string | null
  }
  errors: Array<{ t: string; component: string; error: string }>
  /** The secrets scan (absent when the run has none): findings already redacted by the scanner. */
  leaks?: { summary: string; clean: boolean; findings: Array<{ kind: string; detail: string; where: string; excerpt: string }>; more: number }
  /** Timeline blocks of devices and how each was got around (absent when nothing was blocked). */
  censorship?: Array<{
    device: string
    nodes: string
    at: string
    until: string
    reached: string
    via: string
    bytes: string
    energy: string
    peerExchange: string
    ok: boolean
  }>
  /** Remote endpoints outside the fleet (absent without a capture). */
  destinations?: {
    summary: string
    rows: Array<{ remote: string; host: string; from: string; up: string; down: string; first: string; last: string; allowed: string; thirdParty: boolean }>
  }
  /** QA flows run by the timeline (absent in reports built before flows existed). */
  flows?: Array<{
    name: string
    device: string
    spec: string
    at: string
    passed: boolean
    tests: string
    duration: string
    problem: string
    failedTests: Array<{ title: string; error: string }>
  }>
  artifacts: Array<{ name: string; size: string }>
  notes: string[]
  /** The last nights of this scenario from the history database, this run included (absent without a history). */
  history?: TrendView
}

/** A trend as pages draw it (reports/trend.ts trendView): report.html's History section and `courier trend --html`. */
export interface TrendView {
  scenario: string
  /** The scenario's content hash, shortened. */
  hash: string
  alpha: number
  notes: string[]
  /** `current`: this run's own point (tonight, in a nightly's report). */
  points: Array<{ date: string; build: string; runs: number; verdicts: string; current: boolean }>
  figures: Array<{
    metric: string
    /** Median per point, null where the point has no value. */
    values: Array<number | null>
    texts: string[]
    /** Against the point before: null for the first point and where a side has no value. */
    marks: Array<'~' | 'worse' | 'better' | 'changed' | null>
    changes: string[]
    tests: string[]
  }>
}

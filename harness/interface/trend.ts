/** What `courier trend` produces: one scenario's figures across recorded nights, each night against the one before. */
import type { Change, Direction, SignificanceTest, Side } from './comparison.js'
import type { MetricUnit } from './results.js'

/** The runs recorded together (one `courier run`, repeats included): one point on the axis. */
export interface TrendPoint {
  set: string
  /** Start of its first run, ISO 8601. */
  startedAt: string
  build: { key: string; label: string }
  runs: number
  seeds: number[]
  verdicts: string[]
  dirs: string[]
}

/** How a point differs from the one before, judged as `courier compare` judges a figure. */
export interface TrendStep {
  change: Change
  delta: number
  percent: number | null
  test: SignificanceTest
  tolerance: number
  /** As in FigureComparison: the assumed run-to-run noise with fewer than 3 runs a point. */
  noiseFloor?: number
  /** As in FigureComparison: the larger harness lag p99 a latency change had to exceed. */
  harnessLagMs?: number
}

export interface TrendFigure {
  metric: string
  unit: MetricUnit
  direction: Direction
  /** One per point; null where that point has no value for the figure. */
  values: Array<Side | null>
  /** steps[i] is point i against point i - 1; null for the first point and where either side has no value. */
  steps: Array<TrendStep | null>
}

export interface Trend {
  scenario: { name: string; hash: string }
  alpha: number
  points: TrendPoint[]
  figures: TrendFigure[]
  /** Figures not shown (no --figure named them) that changed beyond noise and tolerance somewhere on the trend. */
  alsoChanged: string[]
  /** Every figure (shown or not) the newest point is worse on than the point before: what `courier trend --fail-on-worse` gates on. */
  newestWorse: string[]
  /** What was left out and why (older points past --last, runs of an earlier version of the scenario). */
  notes: string[]
}

import { closest, distance } from 'fastest-levenshtein'
import { compareRuns, DEFAULT_ALPHA, directionOf, summarizeRepeats, type RunSample } from '../compare/index.js'
import { globMatches, InvalidInputError, type MetricValue, type Trend, type TrendFigure, type TrendPoint } from '../interface/index.js'
import type { HistoryRun } from './store.js'

/** Figures a trend shows when none is asked for (those the runs have); the others that changed are named in `alsoChanged`. */
export const HEADLINE_FIGURES = ['delivery.latency.p50', 'delivery.latency.p95', 'delivery.loss', 'delivery.duplicates.rate', 'harness.lag.p99']

export interface TrendOptions {
  /** Metric names or globs (`bytes.*.total`); default HEADLINE_FIGURES. */
  figures?: string[]
  /** Keep only the last N points. */
  last?: number
  alpha?: number
}

/**
 * One scenario's runs as a trend. Runs recorded together form a point; each point is compared
 * with the one before it by harness/compare exactly as `courier compare PREVIOUS THIS` would:
 * Mann-Whitney U on the stored per-message latencies, a bootstrap interval with 3+ runs a side,
 * a range check with repeats on one side, and below 3 runs a side the noise floor besides the
 * figure's tolerance (the scenario's `regress:` entry, else 5 %). A mark therefore means
 * the same thing on the trend as in a compare between those two nights.
 *
 * `runs` must be of one scenario content (one hash) and in start order.
 */
export function trendOf(runs: readonly HistoryRun[], options: TrendOptions = {}): Trend {
  if (runs.length === 0) throw new Error('trendOf needs at least one run')
  const alpha = options.alpha ?? DEFAULT_ALPHA
  const sets = new Map<string, HistoryRun[]>()
  for (const run of runs) {
    const list = sets.get(run.set)
    if (list == null) sets.set(run.set, [run])
    else list.push(run)
  }
  let groups = [...sets.values()]
  const notes: string[] = []
  if (options.last != null && groups.length > options.last) {
    notes.push(`${groups.length - options.last} earlier point(s) left out (--last ${options.last})`)
    groups = groups.slice(-options.last)
  }
  const available = [...new Set(groups.flatMap((g) => g.flatMap((r) => Object.keys(r.metrics))))].sort()
  const requested = options.figures == null || options.figures.length === 0 ? null : selectFigures(available, options.figures)
  const wanted = requested ?? available
  const points: TrendPoint[] = groups.map((g) => ({
    set: g[0].set,
    startedAt: g[0].startedAt,
    build: { key: g[g.length - 1].build.key, label: g[g.length - 1].build.label },
    runs: g.length,
    seeds: g.map((r) => r.seed),
    verdicts: g.map((r) => r.verdict),
    dirs: g.map((r) => r.dir)
  }))
  const figures = new Map<string, TrendFigure>()
  const sample = (run: HistoryRun): RunSample => ({
    dir: run.dir,
    scenarioName: run.scenario.name,
    scenarioHash: run.scenario.hash,
    metrics: only(run.metrics, wanted),
    latencies: run.latencies
  })
  const figure = (metric: string, value: MetricValue): TrendFigure => {
    let f = figures.get(metric)
    if (f == null) {
      f = { metric, unit: value.unit, direction: 'neutral', values: points.map(() => null), steps: points.map(() => null) }
      figures.set(metric, f)
    }
    return f
  }
  groups.forEach((group, i) => {
    // each figure's median and range over the point's runs, as compare prints a side
    for (const [metric, side] of Object.entries(summarizeRepeats(group.map((r) => only(r.metrics, wanted))))) {
      const t = figure(metric, { value: null, unit: side.unit })
      t.direction = directionOf(metric, side.unit)
      t.values[i] = { median: side.median, min: side.min, max: side.max, runs: side.runs }
    }
    if (i === 0) return
    const previous = groups[i - 1]
    const comparison = compareRuns(previous.map(sample), group.map(sample), { alpha, tolerances: group[group.length - 1].tolerances })
    for (const f of comparison.figures) {
      figure(f.metric, { value: null, unit: f.unit }).steps[i] = {
        change: f.change,
        delta: f.delta,
        percent: f.percent,
        test: f.test,
        tolerance: f.tolerance,
        ...(f.noiseFloor == null ? {} : { noiseFloor: f.noiseFloor }),
        ...(f.harnessLagMs == null ? {} : { harnessLagMs: f.harnessLagMs })
      }
    }
  })
  let shown = [...figures.values()]
  const last = points.length - 1
  const newestWorse =
    last < 1
      ? []
      : shown
          .filter((f) => f.steps[last]?.change === 'worse')
          .map((f) => f.metric)
          .sort()
  let alsoChanged: string[] = []
  if (requested == null) {
    alsoChanged = shown
      .filter((f) => !HEADLINE_FIGURES.includes(f.metric) && f.steps.some((s) => s != null && s.change !== '~'))
      .map((f) => f.metric)
      .sort()
    shown = shown.filter((f) => HEADLINE_FIGURES.includes(f.metric))
    shown.sort((a, b) => HEADLINE_FIGURES.indexOf(a.metric) - HEADLINE_FIGURES.indexOf(b.metric))
  } else {
    shown.sort((a, b) => requested.indexOf(a.metric) - requested.indexOf(b.metric))
  }
  return { scenario: { name: runs[0].scenario.name, hash: runs[0].scenario.hash }, alpha, points, figures: shown, alsoChanged, newestWorse, notes }
}

function only(metrics: Record<string, MetricValue>, names: readonly string[]): Record<string, MetricValue> {
  const out: Record<string, MetricValue> = {}
  for (const name of names) if (metrics[name] != null) out[name] = metrics[name]
  return out
}

/**
 * The figures asked for, in the order asked: exact names and globs against the figures the
 * history holds. A name it does not hold is a typo until shown otherwise (exit 2 with the
 * nearest name), never an empty trend.
 */
export function selectFigures(available: readonly string[], requested: readonly string[]): string[] {
  const out: string[] = []
  const problems = []
  for (const name of requested) {
    const matches = name.includes('*') ? available.filter((m) => globMatches(name, m)) : available.filter((m) => m === name)
    if (matches.length === 0) {
      const near = available.length === 0 || name.includes('*') ? undefined : closest(name, available as string[])
      const hint =
        near != null && distance(name, near) <= Math.max(3, Math.floor(name.length / 3))
          ? `did you mean "${near}"?`
          : 'figure names are the metric names of a run\'s results.json (the report\'s "All metrics" section)'
      problems.push({
        location: { file: '--figure' },
        path: '',
        message: `no recorded run has the figure "${name}"`,
        expected: 'a metric name of results.json (globs with * allowed)',
        found: name,
        hint
      })
      continue
    }
    for (const m of matches) if (!out.includes(m)) out.push(m)
  }
  if (problems.length > 0) throw new InvalidInputError(problems)
  return out
}

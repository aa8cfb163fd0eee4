import { createHash } from 'node:crypto'
import type { BuildInfo, Change, Comparison, Direction, FigureComparison, MetricUnit, MetricValue, SignificanceTest, Side } from '../interface/index.js'
import { globMatches } from '../interface/index.js'
import type { LatencySamples } from '../analysis/index.js'
import { bootstrapMeanDifference, mannWhitney, spread } from './statistics.js'

/** One run as the comparison sees it: its figures, its latency samples and what it ran. */
export interface RunSample {
  dir: string
  scenarioName: string
  /** hashScenario of the resolved scenario: runs of different scenarios are not comparable. */
  scenarioHash: string
  metrics: Record<string, MetricValue>
  latencies: LatencySamples
  /** The build under test, when the run recorded one (the first run's stands for its side). */
  build?: BuildInfo
}

/** A `regress:` entry: a metric name or glob and the relative change it may make before it counts. */
export interface Tolerance {
  pattern: string
  ratio: number
}

export interface CompareOptions {
  tolerances?: Tolerance[]
  /** Relative change a figure may make when no `regress:` entry names it. */
  defaultTolerance?: number
  /**
   * The relative change two runs of one build make between them, assumed when a side has fewer
   * than 3 runs and that noise cannot be measured (default NOISE_FLOOR).
   */
  noiseFloor?: number
  alpha?: number
  resamples?: number
  seed?: number
}

export const DEFAULT_TOLERANCE = 0.05
export const DEFAULT_ALPHA = 0.05
/**
 * Run-to-run change assumed with fewer than 3 runs a side. Calibrated with `npm run bench:compare`
 * (pairs of identical smoke runs, README "False alarms"): below it, identical runs of this machine
 * were flagged worse more often than alpha allows.
 */
export const NOISE_FLOOR = 0.25
/** Below this many runs a side, a per-run figure has no noise estimate worth the name. */
export const MIN_RUNS_FOR_BOOTSTRAP = 3

/** Share of a run's messages above each tail figure; a figure with fewer than MIN_TAIL_MESSAGES above it is not judged without repeats. */
const TAIL_SHARE: Record<string, number> = { p90: 0.1, p95: 0.05, p99: 0.01, max: 0 }
export const MIN_TAIL_MESSAGES = 3

/** The event-loop delay figure of every run (harness/analysis health). */
const HARNESS_LAG = 'harness.lag.p99'
const LATENCY = /^delivery\.(?:([^.]+)\.)?(latency|renderLatency)\.(p50|p90|p95|p99|max|mean)$/

export class IncomparableRunsError extends Error {
  override readonly name = 'IncomparableRunsError'
}

/**
 * Compares two sets of runs figure by figure.
 *
 * Why two tests: per-message latencies are many, skewed and heavy-tailed (a few store fetches or
 * retransmissions sit far out), so a rank test (Mann-Whitney U) that assumes no distribution is
 * the honest one. Per-run figures (rates, bytes, counts) have one value per run, a handful of
 * values whose distribution is unknown: a bootstrap interval of the difference in means needs no
 * normality either.
 *
 * The rank test treats messages as independent, but a run's messages share its conditions, so
 * between two runs of one build it finds a "difference" far more often than alpha (45 % of
 * identical smoke pairs, README "False alarms"). Noise between runs can only be measured with
 * repeats: with 3+ runs a side a latency figure must also move beyond the bootstrap interval of
 * its per-run values; with fewer, every figure must move beyond an assumed noise floor besides
 * its tolerance, and the output says so.
 */
export function compareRuns(base: readonly RunSample[], candidate: readonly RunSample[], options: CompareOptions = {}): Comparison {
  if (base.length === 0 || candidate.length === 0) throw new IncomparableRunsError('both sides need at least one run')
  const alpha = options.alpha ?? DEFAULT_ALPHA
  const figures: FigureComparison[] = []
  const unmatched: string[] = []
  const names = new Set([...base.flatMap((r) => Object.keys(r.metrics)), ...candidate.flatMap((r) => Object.keys(r.metrics))])
  const lags = [...base, ...candidate].map((r) => r.metrics[HARNESS_LAG]?.value).filter((v): v is number => typeof v === 'number' && Number.isFinite(v))
  const harnessLag = lags.length === 0 ? undefined : Math.max(...lags)
  for (const metric of [...names].sort()) {
    const a = numbers(
      base.map((r) => r.metrics),
      metric
    )
    const b = numbers(
      candidate.map((r) => r.metrics),
      metric
    )
    if (a.values.length === 0 || b.values.length === 0) {
      if (a.values.length + b.values.length > 0) unmatched.push(metric)
      continue
    }
    const unit = a.unit ?? b.unit ?? 'count'
    const direction = directionOf(metric, unit)
    const baseSide = side(a.values)
    const candidateSide = side(b.values)
    const delta = candidateSide.median - baseSide.median
    const percent = baseSide.median === 0 ? null : delta / Math.abs(baseSide.median)
    const test = significance(metric, base, candidate, a.values, b.values, options)
    // the rank test says which side's latencies are higher; a figure moving the other way (a tail
    // that rose while the bulk fell) is not what the test found, so it is not called significant
    const significant =
      test.kind === 'tail'
        ? false
        : test.kind === 'mann-whitney'
          ? test.p < alpha &&
            test.u < (test.baseSamples * test.candidateSamples) / 2 === delta > 0 &&
            (test.runs == null || test.runs.low > 0 || test.runs.high < 0)
          : test.kind === 'bootstrap'
            ? test.low > 0 || test.high < 0
            : test.kind === 'range'
              ? !test.overlap
              : true
    // the run is the unit that carries a build's noise (which relay the mesh put first, GC, the
    // scheduler: every message of a run shares them), so a rank test over one run's messages
    // cannot tell two runs of one build apart from two builds; without repeats, the change must
    // also clear an assumed run-to-run noise
    const noiseMeasured = a.values.length >= MIN_RUNS_FOR_BOOTSTRAP && b.values.length >= MIN_RUNS_FOR_BOOTSTRAP
    const noiseFloor = noiseMeasured ? undefined : (options.noiseFloor ?? NOISE_FLOOR)
    const tolerance = Math.max(toleranceFor(metric, options.tolerances ?? [], options.defaultTolerance ?? DEFAULT_TOLERANCE), noiseFloor ?? 0)
    // a delivery latency includes courier's own delay (its event loop carries every hop), which
    // a loaded machine raises on one side only: a latency change smaller than the worse side's
    // harness lag p99 may be courier's, not the client's
    const harnessLagMs = LATENCY.test(metric) ? harnessLag : undefined
    const beyondTolerance = delta !== 0 && (percent == null || Math.abs(percent) > tolerance) && (harnessLagMs == null || Math.abs(delta) > harnessLagMs)
    let change: Change = '~'
    if (significant && beyondTolerance) {
      if (direction === 'neutral') change = 'changed'
      else change = (direction === 'lower') === delta > 0 ? 'worse' : 'better'
    }
    figures.push({
      metric,
      unit,
      direction,
      base: baseSide,
      candidate: candidateSide,
      delta,
      percent,
      test,
      significant,
      tolerance,
      ...(noiseFloor == null ? {} : { noiseFloor }),
      ...(harnessLagMs == null ? {} : { harnessLagMs }),
      change
    })
  }
  return {
    alpha,
    base: { runs: base.length, scenario: base[0].scenarioName, dirs: base.map((r) => r.dir), ...(base[0].build == null ? {} : { build: base[0].build }) },
    candidate: {
      runs: candidate.length,
      scenario: candidate[0].scenarioName,
      dirs: candidate.map((r) => r.dir),
      ...(candidate[0].build == null ? {} : { build: candidate[0].build })
    },
    figures,
    unmatched,
    worse: figures.filter((f) => f.change === 'worse').length,
    better: figures.filter((f) => f.change === 'better').length
  }
}

/** Refuses sets whose runs ran different scenarios (seeds aside), unless forced. */
export function checkSameScenario(base: readonly RunSample[], candidate: readonly RunSample[], force = false): string[] {
  const hashes = new Set([...base, ...candidate].map((r) => r.scenarioHash))
  if (hashes.size <= 1) return []
  const describe = (r: RunSample): string => `${r.dir}: ${r.scenarioName} (${r.scenarioHash.slice(0, 12)})`
  const lines = [base[0], ...candidate].filter((r, i, all) => all.findIndex((o) => o.scenarioHash === r.scenarioHash) === i).map(describe)
  if (force) return lines
  throw new IncomparableRunsError(`the runs are of different scenarios:\n  ${lines.join('\n  ')}`)
}

/** Content hash of a resolved scenario without its seed: repeats and reseeded runs of one scenario share it. */
export function hashScenario(resolved: unknown): string {
  const copy = typeof resolved === 'object' && resolved != null ? { ...(resolved as Record<string, unknown>) } : resolved
  if (typeof copy === 'object' && copy != null) delete (copy as Record<string, unknown>).seed
  return createHash('sha256').update(stableJson(copy)).digest('hex')
}

function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`
  if (typeof value === 'object' && value != null) {
    return `{${Object.keys(value)
      .sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${stableJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`
  }
  return JSON.stringify(value) ?? 'null'
}

/** Which way is good for a figure; the workload (messages sent, crowd) and the harness's own health have no better side. */
export function directionOf(metric: string, unit: MetricUnit): Direction {
  if (
    /^(harness|crowd|capture)\.|^bytes\.crowd-[^.]+\.|^messages\.sent$|\.expected$|^store\.queries$|^peerExchange\.requests$|^store\.sync\.fetched$|^flows\.run$|^push\.received$|^store\.switches$/.test(
      metric
    )
  )
    return 'neutral'
  if (/\.delivered$/.test(metric)) return 'higher'
  if (unit === 'boolean') return 'neutral'
  if (unit === 'count')
    return /lost|duplicates|failed|missing|differences|unrecovered|mismatches|falseUpToDate|inconsistent|resent|unconfirmed|phantom|promotions/.test(metric)
      ? 'lower'
      : 'neutral'
  return 'lower'
}

/** An exact name wins over globs; among globs the one with most literal characters wins. */
export function toleranceFor(metric: string, tolerances: readonly Tolerance[], fallback: number): number {
  let best: { score: number; ratio: number } | null = null
  for (const { pattern, ratio } of tolerances) {
    if (!globMatches(pattern, metric)) continue
    const score = pattern.includes('*') ? pattern.replace(/\*/g, '').length : Infinity
    if (best == null || score > best.score) best = { score, ratio }
  }
  return best?.ratio ?? fallback
}

function significance(
  metric: string,
  base: readonly RunSample[],
  candidate: readonly RunSample[],
  a: number[],
  b: number[],
  options: CompareOptions
): SignificanceTest {
  const latency = LATENCY.exec(metric)
  if (latency != null) {
    const device = latency[1]
    const render = latency[2] === 'renderLatency'
    const pick = (r: RunSample): number[] =>
      device == null ? (render ? r.latencies.render : r.latencies.overall) : ((render ? r.latencies.renderDevices : r.latencies.devices)[device] ?? [])
    const sa = base.flatMap(pick)
    const sb = candidate.flatMap(pick)
    const result = mannWhitney(sa, sb)
    // a run's messages share its conditions (machine load, timing): with repeats, the per-run
    // figure must move beyond run-to-run noise too, or a one-off slow run passes for a regression
    const runs =
      a.length >= MIN_RUNS_FOR_BOOTSTRAP && b.length >= MIN_RUNS_FOR_BOOTSTRAP
        ? {
            ...bootstrapMeanDifference(a, b, { resamples: options.resamples ?? 2000, level: 1 - (options.alpha ?? DEFAULT_ALPHA), seed: options.seed ?? 1 }),
            level: 1 - (options.alpha ?? DEFAULT_ALPHA)
          }
        : undefined
    // without repeats, a tail figure of few messages is one or two of them (the max always is):
    // the rank test speaks for the bulk, and nothing measures how far such a tail moves by chance
    const share = TAIL_SHARE[latency[3]]
    const above = share == null ? Infinity : Math.floor(Math.min(sa.length, sb.length) * share)
    if (runs == null && above < MIN_TAIL_MESSAGES) return { kind: 'tail', messages: Math.min(sa.length, sb.length), above }
    if (result != null)
      return { kind: 'mann-whitney', u: result.u, p: result.p, baseSamples: sa.length, candidateSamples: sb.length, ...(runs == null ? {} : { runs }) }
  }
  if (a.length >= MIN_RUNS_FOR_BOOTSTRAP && b.length >= MIN_RUNS_FOR_BOOTSTRAP) {
    const level = 1 - (options.alpha ?? DEFAULT_ALPHA)
    return { kind: 'bootstrap', ...bootstrapMeanDifference(a, b, { resamples: options.resamples ?? 2000, level, seed: options.seed ?? 1 }), level }
  }
  // one side repeated: a base value inside the other side's observed range is not told apart from its noise
  if (a.length >= 2 || b.length >= 2) {
    const overlap = Math.min(...a) <= Math.max(...b) && Math.min(...b) <= Math.max(...a)
    return { kind: 'range', overlap }
  }
  return {
    kind: 'none',
    reason: `no noise estimate (${a.length} vs ${b.length} run(s); ${MIN_RUNS_FOR_BOOTSTRAP} a side needed): judged on tolerance and the noise floor alone`
  }
}

function numbers(runs: ReadonlyArray<Record<string, MetricValue>>, metric: string): { values: number[]; unit: MetricUnit | undefined } {
  const values: number[] = []
  let unit: MetricUnit | undefined
  for (const run of runs) {
    const m = run[metric]
    if (m == null) continue
    unit ??= m.unit
    if (typeof m.value === 'number' && Number.isFinite(m.value)) values.push(m.value)
    else if (typeof m.value === 'boolean') values.push(m.value ? 1 : 0)
  }
  return { values, unit }
}

function side(values: number[]): Side {
  const s = spread(values)
  return { median: s.median, min: s.min, max: s.max, runs: values.length }
}

/** Each figure's median and range over repeated runs (courier run --repeat). */
export function summarizeRepeats(runs: ReadonlyArray<Record<string, MetricValue>>): Record<string, Side & { unit: MetricUnit }> {
  const names = new Set(runs.flatMap((r) => Object.keys(r)))
  const summary: Record<string, Side & { unit: MetricUnit }> = {}
  for (const metric of [...names].sort()) {
    const { values, unit } = numbers(runs, metric)
    if (values.length === 0 || unit == null) continue
    summary[metric] = { ...side(values), unit }
  }
  return summary
}

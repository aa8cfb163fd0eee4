import { errorFunction, mean, median, wilcoxonRankSum } from 'simple-statistics'
import { seededRandom } from '../interface/index.js'

/** Two-sided Mann-Whitney U test, normal approximation with tie and continuity correction. */
export interface MannWhitney {
  /** U of the first sample: how often one of its values beats (is below) one of the second's. */
  u: number
  z: number
  p: number
}

/**
 * As scipy.stats.mannwhitneyu(a, b, method='asymptotic', use_continuity=True). The normal
 * approximation is fine from about 8 values a side; below that p is only indicative.
 */
export function mannWhitney(a: readonly number[], b: readonly number[]): MannWhitney | null {
  const n1 = a.length
  const n2 = b.length
  if (n1 === 0 || n2 === 0) return null
  const w = wilcoxonRankSum([...a], [...b])
  const u = w - (n1 * (n1 + 1)) / 2
  const n = n1 + n2
  const counts = new Map<number, number>()
  for (const x of [...a, ...b]) counts.set(x, (counts.get(x) ?? 0) + 1)
  let ties = 0
  for (const t of counts.values()) ties += t ** 3 - t
  const variance = ((n1 * n2) / 12) * (n + 1 - ties / (n * (n - 1)))
  if (!(variance > 0)) return { u, z: 0, p: 1 }
  const centred = u - (n1 * n2) / 2
  const z = (Math.max(0, Math.abs(centred) - 0.5) * Math.sign(centred)) / Math.sqrt(variance)
  return { u, z, p: Math.min(1, 2 * (1 - normalCdf(Math.abs(z)))) }
}

/** erf rather than simple-statistics' z table, whose 0.01 steps make small p values coarse. */
export function normalCdf(z: number): number {
  return 0.5 * (1 + errorFunction(z / Math.SQRT2))
}

/** Percentile bootstrap interval of mean(b) - mean(a), seeded so the same runs give the same interval. */
export function bootstrapMeanDifference(
  a: readonly number[],
  b: readonly number[],
  options: { resamples?: number; level?: number; seed?: number } = {}
): { low: number; high: number } {
  const resamples = options.resamples ?? 2000
  const level = options.level ?? 0.95
  const random = seededRandom(options.seed ?? 1, 'compare/bootstrap')
  const draw = (xs: readonly number[]): number => {
    let sum = 0
    for (let i = 0; i < xs.length; i++) sum += xs[Math.floor(random() * xs.length)]
    return sum / xs.length
  }
  const diffs = new Float64Array(resamples)
  for (let i = 0; i < resamples; i++) diffs[i] = draw(b) - draw(a)
  diffs.sort()
  const tail = (1 - level) / 2
  const at = (q: number): number => diffs[Math.min(resamples - 1, Math.max(0, Math.floor(q * resamples)))]
  return { low: at(tail), high: at(1 - tail) }
}

export function spread(values: readonly number[]): { median: number; min: number; max: number; mean: number } {
  return { median: median([...values]), min: Math.min(...values), max: Math.max(...values), mean: mean([...values]) }
}

import { quantileSorted, mean } from 'simple-statistics'
import type { LatencySummary } from '../interface/index.js'

/** Percentiles by linear interpolation between closest ranks (simple-statistics; numpy's default). */
export function summarize(values: ArrayLike<number>): LatencySummary {
  return summarizeInPlace(Float64Array.from(values))
}

/**
 * summarize, sorting `values` itself: a long run's latencies are millions, and every copy of them
 * (a JS array as well as a typed one) was as big again at the moment results are built.
 */
export function summarizeInPlace(values: Float64Array): LatencySummary {
  if (values.length === 0) return { count: 0, p50: null, p90: null, p95: null, p99: null, max: null, mean: null }
  const sorted = values.sort()
  // simple-statistics reads x[i] and x.length only: a typed array gives the same figures
  const list = sorted as unknown as number[]
  const q = (p: number): number => round(quantileSorted(list, p))
  return { count: list.length, p50: q(0.5), p90: q(0.9), p95: q(0.95), p99: q(0.99), max: round(list[list.length - 1]!), mean: round(mean(list)) }
}

export function round(value: number, digits = 3): number {
  const factor = 10 ** digits
  return Math.round(value * factor) / factor
}

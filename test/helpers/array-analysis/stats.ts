import { quantileSorted, mean } from 'simple-statistics'
import type { LatencySummary } from '../../../harness/interface/index.js'

/** Percentiles by linear interpolation between closest ranks (simple-statistics; numpy's default). */
export function summarize(values: number[]): LatencySummary {
  if (values.length === 0) return { count: 0, p50: null, p90: null, p95: null, p99: null, max: null, mean: null }
  const sorted = Float64Array.from(values).sort()
  const list = Array.from(sorted)
  const q = (p: number): number => round(quantileSorted(list, p))
  return { count: list.length, p50: q(0.5), p90: q(0.9), p95: q(0.95), p99: q(0.99), max: round(list[list.length - 1]), mean: round(mean(list)) }
}

export function round(value: number, digits = 3): number {
  const factor = 10 ** digits
  return Math.round(value * factor) / factor
}

/** What `courier compare` produces: two sets of runs side by side, figure by figure. */
import type { BuildInfo, MetricUnit } from './results.js'

export type Direction = 'lower' | 'higher' | 'neutral'
/** `~` within noise or tolerance; `changed` is beyond both on a figure with no better side (a workload count). */
export type Change = '~' | 'worse' | 'better' | 'changed'

export type SignificanceTest =
  /** `runs`: with 3+ runs a side, the bootstrap interval of the per-run figure, which must also exclude 0 (run-level noise). */
  | { kind: 'mann-whitney'; u: number; p: number; baseSamples: number; candidateSamples: number; runs?: { low: number; high: number; level: number } }
  | { kind: 'bootstrap'; low: number; high: number; level: number }
  /** Fewer than 3 runs a side but repeats on one: do the two sides' ranges (min..max) overlap? */
  | { kind: 'range'; overlap: boolean }
  | { kind: 'none'; reason: string }
  /**
   * A latency tail (p90..max) with fewer than 3 messages above it on the smaller side and fewer
   * than 3 runs a side: not judged (always `~`); repeat the runs to judge it.
   */
  | { kind: 'tail'; messages: number; above: number }

export interface Side {
  median: number
  min: number
  max: number
  runs: number
}

export interface FigureComparison {
  metric: string
  unit: MetricUnit
  direction: Direction
  base: Side
  candidate: Side
  delta: number
  /** Relative change of the medians; null when the base is 0. */
  percent: number | null
  test: SignificanceTest
  significant: boolean
  /** The relative change the figure may make before it counts: its tolerance, or the noise floor when that is larger. */
  tolerance: number
  /**
   * Present when either side has fewer than 3 runs: run-to-run noise was not measured, so the
   * figure must also move beyond this assumed noise (a ratio) before it counts.
   */
  noiseFloor?: number
  /**
   * Latency figures: the larger harness lag p99 of the runs compared (ms). Courier's own delay is
   * in every delivery latency, so a change must also be larger than this to count.
   */
  harnessLagMs?: number
  change: Change
}

export interface Comparison {
  alpha: number
  base: { runs: number; scenario: string; dirs: string[]; build?: BuildInfo }
  candidate: { runs: number; scenario: string; dirs: string[]; build?: BuildInfo }
  figures: FigureComparison[]
  /** Figures only one side has (a device added or removed, capture off on one side). */
  unmatched: string[]
  worse: number
  better: number
}

/** `*` matches any run of characters, dots included: `bytes.*.perMessage` covers `bytes.alice.down.perMessage`. */
export function globMatches(pattern: string, metric: string): boolean {
  const source = pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*')
  return new RegExp(`^${source}$`).test(metric)
}

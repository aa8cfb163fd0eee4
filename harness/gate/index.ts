import {
  ExitCode,
  InvalidInputError,
  formatThresholdValue,
  globMatches,
  type InputProblem,
  type MetricValue,
  type ThresholdResult,
  type Verdict
} from '../interface/index.js'
import { metricCatalogue } from '../analysis/metric-catalogue.js'
import { flowNames, suggest, type LoadedScenario } from '../scenario/index.js'
import { compare, parseThreshold, type Threshold } from './threshold.js'
import { parseRatio } from '../scenario/units.js'

export { parseThreshold, compare, type Threshold, type Comparator } from './threshold.js'

/** Checks every `expect:` entry against the metrics this scenario will produce, before anything starts. */
export function validateExpectations(scenario: LoadedScenario): Threshold[] {
  const { relays, stores, gateways } = scenario.nodes
  const catalogue = metricCatalogue({
    devices: Object.keys(scenario.config.devices),
    nodes: [...relays, ...stores, ...gateways],
    flows: flowNames(scenario.config)
  })
  const known = [...catalogue.keys()]
  const problems: InputProblem[] = []
  const thresholds: Threshold[] = []
  for (const [metric, raw] of Object.entries(scenario.config.expect)) {
    const unit = catalogue.get(metric)
    if (unit == null) {
      problems.push({
        location: scenario.locate(['expect', metric], 'key'),
        path: `expect.${metric}`,
        message: `unknown metric "${metric}"`,
        expected: 'a metric courier measures (see README: Metrics)',
        found: metric,
        hint: suggest(metric, known) ?? `metrics start with: ${[...new Set(known.map((k) => k.split('.')[0]))].join(', ')}`
      })
      continue
    }
    const parsed = parseThreshold(metric, unit, raw)
    if (!parsed.ok) {
      problems.push({
        location: scenario.locate(['expect', metric]),
        path: `expect.${metric}`,
        message: 'invalid threshold',
        expected: parsed.expected,
        found: parsed.found
      })
      continue
    }
    thresholds.push(parsed.threshold)
  }
  if (problems.length > 0) throw new InvalidInputError(problems)
  return thresholds
}

export function evaluateThresholds(thresholds: Threshold[], metrics: Record<string, MetricValue>): ThresholdResult[] {
  return thresholds.map((threshold) => {
    const raw = metrics[threshold.metric]?.value ?? null
    // NaN (a 0/0 somewhere) compares false with everything, so "!= 0" would pass on it
    const measured = Number.isNaN(raw) ? null : raw
    let passed: boolean
    if (measured == null) passed = false
    else if (typeof threshold.target === 'boolean' || typeof measured === 'boolean') passed = measured === threshold.target
    else passed = compare(measured, threshold.comparator, threshold.target)
    const shown = measured == null ? 'no value (nothing was measured)' : formatThresholdValue(measured, threshold.unit)
    const wanted =
      typeof threshold.target === 'boolean' ? String(threshold.target) : `${threshold.comparator} ${formatThresholdValue(threshold.target, threshold.unit)}`
    return {
      metric: threshold.metric,
      expression: threshold.expression,
      value: measured,
      unit: threshold.unit,
      passed,
      message: `${threshold.metric} = ${shown}, wanted ${wanted}`
    }
  })
}

export function decideVerdict(input: {
  status: 'complete' | 'interrupted' | 'failed'
  thresholds: ThresholdResult[]
  harnessSaturated: boolean
  harnessReason?: string
  devicesNotStarted?: string[]
  incomplete?: string[]
}): { verdict: Verdict; reasons: string[] } {
  const failed = input.thresholds.filter((t) => !t.passed)
  if (input.status === 'interrupted') return { verdict: 'interrupted', reasons: ['the run was interrupted before it finished'] }
  if (input.status === 'failed') return { verdict: 'fail', reasons: ['the run failed'] }
  // a saturated harness makes the latency figures its own, so neither a pass nor a fail is trustworthy
  if (input.harnessSaturated) return { verdict: 'inconclusive', reasons: [input.harnessReason ?? 'the harness was saturated'] }
  // a device that never started makes every figure about it, and about its peers, incomplete
  const notStarted = input.devicesNotStarted ?? []
  if (notStarted.length > 0) return { verdict: 'inconclusive', reasons: [`device(s) could not start: ${notStarted.join(', ')}; the run went on without them`] }
  // work that never happened (a send cannot be lost if it was never made) or figures that could
  // not be computed: thresholds that pass on them would pass on nothing
  const incomplete = input.incomplete ?? []
  if (incomplete.length > 0) return { verdict: 'inconclusive', reasons: [...incomplete, ...failed.map((t) => t.message)] }
  if (failed.length > 0) return { verdict: 'fail', reasons: failed.map((t) => t.message) }
  return { verdict: 'pass', reasons: [] }
}

/** Thresholds of an already-validated config (for `courier report`, which has no source file to point into). */
export function thresholdsFromConfig(expect: Record<string, string | number | boolean>, devices: string[], nodes: string[], flows: string[]): Threshold[] {
  const catalogue = metricCatalogue({ devices, nodes, flows })
  return Object.entries(expect).flatMap(([metric, raw]) => {
    const unit = catalogue.get(metric)
    if (unit == null) return []
    const parsed = parseThreshold(metric, unit, raw)
    return parsed.ok ? [parsed.threshold] : []
  })
}

/**
 * The process exit code for a verdict. An inconclusive run exits 3: the infrastructure could not
 * measure trustworthily, which CI must not read as a pass nor blame on the code under test.
 */
export function exitCodeForVerdict(verdict: Verdict): number {
  switch (verdict) {
    case 'pass':
      return ExitCode.pass
    case 'fail':
      return ExitCode.thresholdFailed
    case 'inconclusive':
      return ExitCode.infrastructure
    case 'interrupted':
      return ExitCode.interrupted
  }
}

/** A parsed `regress:` entry (the same shape harness/compare takes). */
export interface RegressTolerance {
  pattern: string
  ratio: number
}

/**
 * Checks every `regress:` entry before anything starts: a name or glob must match a metric this
 * scenario produces (a typo would silently fall back to the default), and the value must be a
 * percentage.
 */
export function validateRegressions(scenario: LoadedScenario): RegressTolerance[] {
  const { relays, stores, gateways } = scenario.nodes
  const known = [
    ...metricCatalogue({ devices: Object.keys(scenario.config.devices), nodes: [...relays, ...stores, ...gateways], flows: flowNames(scenario.config) }).keys()
  ]
  const problems: InputProblem[] = []
  const tolerances: RegressTolerance[] = []
  for (const [pattern, raw] of Object.entries(scenario.config.regress)) {
    if (!known.some((metric) => globMatches(pattern, metric))) {
      problems.push({
        location: scenario.locate(['regress', pattern], 'key'),
        path: `regress.${pattern}`,
        message: pattern.includes('*') ? `"${pattern}" matches no metric` : `unknown metric "${pattern}"`,
        expected: 'a metric courier measures, or a glob over them such as bytes.*.perMessage (see README: Metrics)',
        found: pattern,
        hint: suggest(pattern, known) ?? `metrics start with: ${[...new Set(known.map((k) => k.split('.')[0]))].join(', ')}`
      })
      continue
    }
    const ratio = parseRatio(raw)
    if (!ratio.ok) {
      problems.push({
        location: scenario.locate(['regress', pattern]),
        path: `regress.${pattern}`,
        message: 'invalid tolerance',
        expected: 'the relative change allowed, such as "10%"',
        found: JSON.stringify(raw)
      })
      continue
    }
    tolerances.push({ pattern, ratio: ratio.value })
  }
  if (problems.length > 0) throw new InvalidInputError(problems)
  return tolerances
}

/** Tolerances of an already-validated config (a run directory's resolved scenario). */
export function regressionsFromConfig(regress: Record<string, string | number> | undefined): RegressTolerance[] {
  return Object.entries(regress ?? {}).flatMap(([pattern, raw]) => {
    const ratio = parseRatio(raw)
    return ratio.ok ? [{ pattern, ratio: ratio.value }] : []
  })
}

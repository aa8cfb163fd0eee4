import type { CourierEvent, FlowResult, MetricValue } from '../../../harness/interface/index.js'

/** Failed tests kept per flow run in results (the events hold them all). */
const FAILED_TESTS_LIMIT = 20

/**
 * QA flow runs from their events, in start order. A `flow.end` closes the most recent open
 * `flow.start` of the same device and flow; one without a start is a flow that never ran.
 */
export function analyzeFlows(events: readonly CourierEvent[]): FlowResult[] {
  const runs: FlowResult[] = []
  const open = new Map<string, FlowResult>()
  const key = (device: string, flow: string): string => `${device}\u0000${flow}`
  for (const event of events) {
    if (event.type === 'flow.start') {
      const run = newRun(event)
      runs.push(run)
      open.set(key(event.device, event.flow), run)
    } else if (event.type === 'flow.test') {
      const run = open.get(key(event.device, event.flow))
      if (run != null && !event.passed && run.failedTests.length < FAILED_TESTS_LIMIT)
        run.failedTests.push({ title: event.title, error: event.error ?? 'failed' })
    } else if (event.type === 'flow.end') {
      let run = open.get(key(event.device, event.flow))
      open.delete(key(event.device, event.flow))
      if (run == null) {
        run = newRun(event)
        runs.push(run)
      }
      Object.assign(run, { passed: event.passed, tests: event.tests, passes: event.passes, failures: event.failures, durationMs: event.durationMs })
      if (event.error != null) run.error = event.error
    }
  }
  // a flow still open when the log ends was cut off (the run was interrupted or courier died)
  for (const run of open.values()) run.error ??= 'the flow did not finish before the run ended'
  return runs
}

/**
 * `flows.run` and `flows.failed` (counts), and per flow name `flow.<name>.duration` (the longest
 * run, ms; null if it never ran) and `flow.<name>.passed` (every run passed).
 */
export function flowMetrics(flows: readonly FlowResult[], names: readonly string[] = []): Record<string, MetricValue> {
  const metrics: Record<string, MetricValue> = {
    'flows.run': { value: flows.length, unit: 'count' },
    'flows.failed': { value: flows.filter((f) => !f.passed).length, unit: 'count' }
  }
  for (const name of new Set([...names, ...flows.map((f) => f.name)])) {
    const runs = flows.filter((f) => f.name === name)
    const durations = runs.flatMap((f) => (f.durationMs == null ? [] : [f.durationMs]))
    metrics[`flow.${name}.duration`] = { value: durations.length === 0 ? null : Math.max(...durations), unit: 'ms' }
    metrics[`flow.${name}.passed`] = { value: runs.length === 0 ? null : runs.every((f) => f.passed), unit: 'boolean' }
  }
  return metrics
}

/** A flow run as its first event names it; its outcome fills in from flow.test and flow.end. */
function newRun(event: { flow: string; device: string; spec: string; t: number }): FlowResult {
  return {
    name: event.flow,
    device: event.device,
    spec: event.spec,
    t: event.t,
    passed: false,
    tests: 0,
    passes: 0,
    failures: 0,
    durationMs: null,
    failedTests: []
  }
}

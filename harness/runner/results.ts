import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { analyzeRun } from '../analysis/index.js'
import { decideVerdict, evaluateThresholds, thresholdsFromConfig, type Threshold } from '../gate/index.js'
import { InvalidInputError, RESULTS_SCHEMA_VERSION, type CourierEvent, type Results } from '../interface/index.js'
import type { ScenarioConfig } from '../scenario/index.js'
import { readEventLog } from './event-log.js'

export interface BuildResultsInput {
  events: readonly CourierEvent[]
  thresholds?: Threshold[]
}

/** results.json from the event log: the runner and `courier report` both come through here. */
export function buildResults ({ events, thresholds }: BuildResultsInput): Results {
  const start = events.find((e): e is Extract<CourierEvent, { type: 'run.start' }> => e.type === 'run.start')
  if (start == null) throw new InvalidInputError([{ location: { file: 'events.ndjson', line: 1 }, path: '', message: 'the event log has no run.start event', hint: 'is this a courier run directory?' }])
  const config = start.scenario as ScenarioConfig
  const end = events.findLast((e): e is Extract<CourierEvent, { type: 'run.end' }> => e.type === 'run.end')
  // a log without run.end was cut short: the process died or was killed before it could finish
  const status = end?.status ?? 'interrupted'
  const analysis = analyzeRun(events, { lagLimitMs: config.harness.maxLagP99 })
  const applied = thresholds ?? thresholdsFromConfig(config.expect, Object.keys(config.devices))
  const thresholdResults = evaluateThresholds(applied, analysis.metrics)
  const harnessReason = analysis.harness.saturated
    ? `harness saturated: event-loop delay p99 ${analysis.harness.lagP99Ms ?? '?'} ms > limit ${analysis.harness.lagLimitMs} ms; latency figures would include courier's own delay`
    : undefined
  const { verdict, reasons } = decideVerdict({ status, thresholds: thresholdResults, harnessSaturated: analysis.harness.saturated, harnessReason })
  return {
    schemaVersion: RESULTS_SCHEMA_VERSION,
    runId: start.runId,
    scenario: { name: config.name, file: start.scenarioFile, seed: start.seed, durationMs: config.duration, resolved: config },
    tool: start.tool,
    status,
    verdict,
    verdictReasons: end?.reason != null && status !== 'complete' ? [end.reason, ...reasons] : reasons,
    ...analysis,
    thresholds: thresholdResults
  }
}

/** Recomputes a run's results from RUN_DIR/events.ndjson alone. */
export async function recomputeResults (runDir: string): Promise<Results> {
  const events = await readEventLog(join(runDir, 'events.ndjson'))
  return buildResults({ events })
}

export async function readResults (runDir: string): Promise<Results> {
  return JSON.parse(await readFile(join(runDir, 'results.json'), 'utf8')) as Results
}

import { resolve } from 'node:path'
import type { LatencySamples } from '../analysis/index.js'
import { hashScenario } from '../compare/index.js'
import { regressionsFromConfig } from '../gate/index.js'
import type { BuildInfo, EventOf, Results } from '../interface/index.js'
import type { HistoryBuild, HistoryRun } from './store.js'

/** What a history row reads of a run's log: its run.start and its latency samples (harness/runner RunLog, or deliveryLatencySamples of the events). */
export interface HistoryLog {
  start: EventOf<'run.start'> | undefined
  latencies: LatencySamples
}

/**
 * A finished run as a history row. The scenario hash and tolerances come from the resolved
 * scenario in run.start, exactly as `courier compare` reads them, so a trend and a compare of the
 * same two runs agree.
 */
export function historyRunFrom(dir: string, results: Results, log: HistoryLog, set: string, fallbackStartMs?: number): HistoryRun {
  const { start } = log
  const scenario = start?.scenario != null ? start.scenario : results.scenario.resolved
  const wallClock = start?.wallClockMs
  return {
    runId: results.runId,
    set,
    // runs from before run.start carried the wall clock: the caller's estimate (the event log's mtime less the run's length)
    startedAt: new Date(Math.round(wallClock ?? fallbackStartMs ?? Date.now())).toISOString(),
    scenario: { name: results.scenario.name, hash: hashScenario(scenario) },
    seed: results.scenario.seed,
    build: historyBuild(results.build),
    verdict: results.verdict,
    status: results.status,
    dir: resolve(dir),
    tolerances: regressionsFromConfig((scenario as { regress?: Record<string, string | number> } | undefined)?.regress),
    metrics: results.metrics,
    latencies: log.latencies
  }
}

/** The build on a trend's axis: the app under test when there is one, else courier itself. */
export function historyBuild(build: BuildInfo | undefined): HistoryBuild {
  const courierVersion = build?.courier.version ?? 'unknown'
  const courierCommit = build?.courier.commit ?? null
  const courier = `courier ${courierVersion}${courierCommit == null ? '' : ` @ ${courierCommit.slice(0, 7)}`}`
  const app = build?.app
  if (app != null) {
    const name = app.version == null ? `sha256 ${app.sha256.slice(0, 12)}` : `${app.version}${app.build == null ? '' : ` (${app.build})`}`
    return {
      key: `app:${app.sha256}`,
      label: `${app.id ?? app.kind} ${name}`,
      appSha256: app.sha256,
      appId: app.id,
      appVersion: app.version,
      courierVersion,
      courierCommit
    }
  }
  return {
    key: `courier:${courierVersion}:${courierCommit ?? ''}`,
    label: courier,
    appSha256: null,
    appId: null,
    appVersion: null,
    courierVersion,
    courierCommit
  }
}

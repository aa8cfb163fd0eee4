import { stat } from 'node:fs/promises'
import { basename, dirname, join, resolve } from 'node:path'
import { historyRunFrom, trendOf, updateHistory, type HistoryLog } from '../../harness/history/index.js'
import { InvalidInputError, type Results } from '../../harness/interface/index.js'
import { trendView, type TrendView } from '../../reports/index.js'

/** Points of history report.html draws beside a run when --history-last does not say. */
export const DEFAULT_HISTORY_LAST = 10

/** `--history` alone: history.sqlite in the folder that holds the run directories. */
export function historyFile(flag: string | boolean | undefined, outputFolder: string): string | null {
  if (flag == null || flag === false) return null
  // `courier run --history x.yaml` hands the scenario to the optional value
  if (typeof flag === 'string' && /\.ya?ml$/i.test(flag)) {
    throw new InvalidInputError([
      {
        location: { file: '--history' },
        path: '',
        message: 'a scenario file was taken as the history database',
        expected: 'a database file such as runs/history.sqlite, or --history alone after the scenarios',
        found: flag,
        hint: 'put --history after the scenario files, or give it a file: --history runs/history.sqlite'
      }
    ])
  }
  return flag === true ? join(outputFolder, 'history.sqlite') : flag
}

/** The repeats of one `courier run --repeat` (RUN_DIR/run-N) are one point of a trend; any other run is its own. */
export function historySet(runDir: string): string {
  const dir = resolve(runDir)
  return /^run-\d+$/.test(basename(dir)) ? dirname(dir) : dir
}

/**
 * Records a finished run into FILE and returns the scenario's last `last` points for its report.
 * Interrupted and failed runs are left out: their figures cover part of a run and would read as a
 * change on the trend.
 */
export async function recordRun(
  file: string,
  runDir: string,
  results: Results,
  log: Partial<HistoryLog> & Pick<HistoryLog, 'start'>,
  last: number
): Promise<TrendView | null> {
  if (results.status !== 'complete') {
    process.stderr.write(`courier: not recorded in the history ${file}: the run is ${results.status}\n`)
    return null
  }
  if (log.latencies == null) throw new Error('recordRun: the run log was read without its latency samples')
  const logged = await stat(join(runDir, 'events.ndjson')).catch(() => null)
  const run = historyRunFrom(
    runDir,
    results,
    { start: log.start, latencies: log.latencies },
    historySet(runDir),
    logged == null ? undefined : logged.mtimeMs - results.timing.runMs
  )
  const runs = await updateHistory(file, (db) => {
    db.insert(run)
    return db.runs({ scenarioName: run.scenario.name, scenarioHash: run.scenario.hash })
  })
  process.stderr.write(`recorded in the history ${file} (${runs.length} run(s) of ${results.scenario.name})\n`)
  return trendView(trendOf(runs, { last }), { current: run.set })
}

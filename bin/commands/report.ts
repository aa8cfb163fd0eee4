import { createReadStream } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { createInterface } from 'node:readline'
import { join, resolve } from 'node:path'
import { Option, type Command } from 'commander'
import { checkHistoryFile } from '../../harness/history/index.js'
import { DEFAULT_HISTORY_LAST, recordRun } from './history.js'
import { exitCodeForVerdict } from '../../harness/gate/index.js'
import { InvalidInputError, printable, type CourierEvent } from '../../harness/interface/index.js'
import { recomputeRun } from '../../harness/runner/index.js'
import { renderConsoleSummary, writeRunReports } from '../../reports/index.js'
import { completeConfig, type ConfiguredSecret } from '../../harness/runner/index.js'
import { configuredSecrets } from './shared.js'

export function registerReportCommand(program: Command): void {
  program
    .command('report')
    .description('Recompute results.json and report.html of a run directory from its artifacts alone (events.ndjson, capture.pcap).')
    .argument('<run-dir>', 'a run directory written by `courier run`')
    .option('--junit <file>', 'write JUnit XML')
    .option('--markdown <file>', 'write a Markdown summary')
    .option(
      '--history <file>',
      'add the run to this history database (created if missing; a run already there is replaced) and show its last nights in report.html'
    )
    .addOption(
      new Option('--history-last <n>', `nights of history report.html shows beside this run (default ${DEFAULT_HISTORY_LAST})`).argParser((v) => {
        const n = Number(v)
        if (!Number.isInteger(n) || n < 1 || n > 1000)
          throw new InvalidInputError([
            { location: { file: '--history-last' }, path: '', message: 'not a number of nights', expected: 'a whole number from 1 to 1000', found: v }
          ])
        return n
      })
    )
    .option('--redact', "mask what the secrets scan finds in the run's artifacts, in place, then report from the masked files")
    .option('--allow-truncated', 'report even when the capture cannot be read (cut short or damaged): its figures are left out and named')
    .addHelpText(
      'after',
      '\nExit codes as for `courier run`: 0 pass, 1 a threshold failed, 2 not a run directory, 3 inconclusive (harness saturated), 130 the run was interrupted.'
    )
    .action(
      async (
        runDir: string,
        flags: { junit?: string; markdown?: string; allowTruncated?: boolean; history?: string; historyLast?: number; redact?: boolean }
      ) => {
        if (flags.history != null) await checkHistoryFile(flags.history)
        const secrets = await runSecrets(runDir)
        const { results, log } = await recomputeRun(runDir, {
          allowDamagedCapture: flags.allowTruncated === true,
          secrets,
          redact: flags.redact === true,
          latencySamples: flags.history != null
        })
        await writeFile(join(runDir, 'results.json'), JSON.stringify(results, null, 2) + '\n')
        // the log is never held: the history takes what the results pass gathered, report.html reads it twice more
        const trend = flags.history == null ? null : await recordRun(flags.history, runDir, results, log, flags.historyLast ?? DEFAULT_HISTORY_LAST)
        await writeRunReports(runDir, results, log.passes, {
          ...(trend == null ? {} : { history: trend }),
          junit: flags.junit == null ? false : resolve(flags.junit),
          markdown: flags.markdown == null ? false : resolve(flags.markdown)
        })
        process.stdout.write(renderConsoleSummary(results, { color: process.stdout.isTTY === true }) + '\n')
        for (const gap of results.gaps ?? []) process.stderr.write(`courier report: could not rebuild: ${printable(gap, 2000)}\n`)
        process.exitCode = exitCodeForVerdict(results.verdict)
      }
    )
}

/** The configured secrets of a recorded run: the names its resolved scenario and profiles give, valued from this environment. */
async function runSecrets(runDir: string): Promise<ConfiguredSecret[]> {
  // run.start is the log's first line: no need to read a big log twice
  const lines = createInterface({ input: createReadStream(join(runDir, 'events.ndjson')).on('error', () => {}), crlfDelay: Infinity })
  let first: string | undefined
  try {
    for await (const line of lines) {
      first = line
      break
    }
  } catch {
    return []
  } finally {
    lines.close()
  }
  let start: Partial<Extract<CourierEvent, { type: 'run.start' }>> | undefined
  try {
    start = JSON.parse(first ?? '')
  } catch {
    return []
  }
  if (start?.type !== 'run.start') return []
  return await configuredSecrets(completeConfig(start.scenario, []).config, start.scenarioFile ?? '')
}

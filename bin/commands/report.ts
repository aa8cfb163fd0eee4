import { createReadStream } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { createInterface } from 'node:readline'
import { join, resolve } from 'node:path'
import type { Command } from 'commander'
import { exitCodeForVerdict } from '../../harness/gate/index.js'
import { printable, type CourierEvent } from '../../harness/interface/index.js'
import { readEventLog, recomputeResults } from '../../harness/runner/index.js'
import { renderConsoleSummary, writeRunReports } from '../../reports/index.js'
import { completeConfig, type ConfiguredSecret } from '../../harness/runner/index.js'
import { configuredSecrets } from './shared.js'

export function registerReportCommand (program: Command): void {
  program
    .command('report')
    .description('Recompute results.json and report.html of a run directory from its artifacts alone (events.ndjson, capture.pcap).')
    .argument('<run-dir>', 'a run directory written by `courier run`')
    .option('--junit <file>', 'write JUnit XML')
    .option('--markdown <file>', 'write a Markdown summary')
    .option('--redact', 'mask what the secrets scan finds in the run\'s artifacts, in place, then report from the masked files')
    .option('--allow-truncated', 'report even when the capture cannot be read (cut short or damaged): its figures are left out and named')
    .addHelpText('after', '\nExit codes as for `courier run`: 0 pass, 1 a threshold failed, 2 not a run directory, 3 inconclusive (harness saturated), 130 the run was interrupted.')
    .action(async (runDir: string, flags: { junit?: string, markdown?: string, allowTruncated?: boolean, redact?: boolean }) => {
      const secrets = await runSecrets(runDir)
      const results = await recomputeResults(runDir, { allowDamagedCapture: flags.allowTruncated === true, secrets, redact: flags.redact === true })
      await writeFile(join(runDir, 'results.json'), JSON.stringify(results, null, 2) + '\n')
      await writeRunReports(runDir, results, await readEventLog(join(runDir, 'events.ndjson')), {
        junit: flags.junit == null ? false : resolve(flags.junit),
        markdown: flags.markdown == null ? false : resolve(flags.markdown)
      })
      process.stdout.write(renderConsoleSummary(results, { color: process.stdout.isTTY === true }) + '\n')
      for (const gap of results.gaps ?? []) process.stderr.write(`courier report: could not rebuild: ${printable(gap, 2000)}\n`)
      process.exitCode = exitCodeForVerdict(results.verdict)
    })
}

/** The configured secrets of a recorded run: the names its resolved scenario and profiles give, valued from this environment. */
async function runSecrets (runDir: string): Promise<ConfiguredSecret[]> {
  // run.start is the log's first line: no need to read a big log twice
  const lines = createInterface({ input: createReadStream(join(runDir, 'events.ndjson')).on('error', () => {}), crlfDelay: Infinity })
  let first: string | undefined
  try { for await (const line of lines) { first = line; break } } catch { return [] } finally { lines.close() }
  let start: Partial<Extract<CourierEvent, { type: 'run.start' }>> | undefined
  try { start = JSON.parse(first ?? '') } catch { return [] }
  if (start?.type !== 'run.start') return []
  return await configuredSecrets(completeConfig(start.scenario, []).config, start.scenarioFile ?? '')
}

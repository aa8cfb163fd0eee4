import { existsSync, statSync } from 'node:fs'
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { Option, type Command } from 'commander'
import { deliveryLatencySamples } from '../../harness/analysis/index.js'
import { checkSameScenario, compareRuns, hashScenario, IncomparableRunsError, NOISE_FLOOR, type RunSample } from '../../harness/compare/index.js'
import { regressionsFromConfig, type RegressTolerance } from '../../harness/gate/index.js'
import { ExitCode, InvalidInputError, type Comparison, type Results } from '../../harness/interface/index.js'
import { latencySamplesOfLog } from '../../harness/runner/index.js'
import { parseRatio } from '../../harness/scenario/index.js'
import { appendStepSummary, renderCompareConsole, renderCompareHtml, renderCompareJUnit, renderCompareMarkdown } from '../../reports/index.js'

export interface CompareFlags {
  all?: boolean
  force?: boolean
  markdown?: string
  junit?: string
  html?: string
  noiseFloor?: number
}

export function registerCompareCommand(program: Command): void {
  program
    .command('compare')
    .description('Compare a candidate with a base, figure by figure, beyond noise and tolerance: did it get worse?')
    .argument('<base>', 'a run directory, or a directory of repeated runs (courier run --repeat)')
    .argument('<candidate>', 'a run directory, or a directory of repeated runs')
    .option('--all', 'list every figure, not only those that changed')
    .option('--force', 'compare runs of different scenarios anyway')
    .option('--markdown <file>', 'write the comparison as Markdown for a pull request (it is also appended to $GITHUB_STEP_SUMMARY when set)')
    .option('--junit <file>', 'write JUnit XML: one testcase per figure, a failure for each worse one')
    .option('--html <file>', "write a static HTML page in the report's style")
    .addOption(
      new Option(
        '--noise-floor <ratio>',
        `with fewer than 3 runs a side, the change a figure must exceed besides its tolerance, e.g. 25% (default ${NOISE_FLOOR * 100} %)`
      ).argParser(parseNoiseFloor)
    )
    .addHelpText(
      'after',
      `
~ means within noise (not significant at alpha 0.05) or within the figure's tolerance (default 5 %,
set per figure in the scenario's regress: block). Latency: Mann-Whitney U on every message's
delivery latency, and with 3+ runs a side a bootstrap interval of the per-run figure. Per-run
figures: a bootstrap interval of the mean change with 3+ runs a side. With fewer runs, noise
between runs is not measured: a figure must also move beyond the noise floor (--noise-floor).
Exit codes: 0 nothing worse, 1 a figure is worse, 2 bad input (not a run directory, different scenarios).`
    )
    .action(async (base: string, candidate: string, flags: CompareFlags) => {
      const comparison = await compareDirectories(base, candidate, flags)
      process.stdout.write(renderCompareConsole(comparison, { all: flags.all, color: process.stdout.isTTY === true }) + '\n')
      await writeCompareOutputs(comparison, flags)
      process.exitCode = comparison.worse > 0 ? ExitCode.thresholdFailed : ExitCode.pass
    })
}

/** Loads both sides and compares them; bad input (a missing directory, different scenarios) is an InvalidInputError. */
export async function compareDirectories(
  base: string,
  candidate: string,
  flags: { force?: boolean; tolerances?: RegressTolerance[]; noiseFloor?: number } = {}
): Promise<Comparison> {
  const [a, b] = [await loadRunSet(base, 'base'), await loadRunSet(candidate, 'candidate')]
  try {
    const differing = checkSameScenario(a.runs, b.runs, flags.force === true)
    if (differing.length > 0) process.stderr.write(`warning: comparing runs of different scenarios (--force):\n  ${differing.join('\n  ')}\n`)
  } catch (error) {
    if (!(error instanceof IncomparableRunsError)) throw error
    throw new InvalidInputError([
      {
        location: { file: resolve(candidate) },
        path: '',
        message: error.message.split('\n')[0],
        found: error.message
          .split('\n')
          .slice(1)
          .map((l) => l.trim())
          .join('; '),
        hint: 'compare runs of one scenario (seeds may differ), or pass --force'
      }
    ])
  }
  return compareRuns(a.runs, b.runs, { tolerances: flags.tolerances ?? b.tolerances, ...(flags.noiseFloor == null ? {} : { noiseFloor: flags.noiseFloor }) })
}

export async function writeCompareOutputs(comparison: Comparison, flags: CompareFlags): Promise<void> {
  const outputs: Array<[string | undefined, () => string]> = [
    [flags.markdown, () => renderCompareMarkdown(comparison, { all: flags.all })],
    [flags.junit, () => renderCompareJUnit(comparison)],
    [flags.html, () => renderCompareHtml(comparison, { all: flags.all })]
  ]
  for (const [file, render] of outputs) {
    if (file == null) continue
    await mkdir(dirname(resolve(file)), { recursive: true })
    await writeFile(resolve(file), render())
    process.stderr.write(`wrote ${file}\n`)
  }
  // in a GitHub Actions job the comparison lands on the run's summary page, as `courier run`'s does
  const summary = await appendStepSummary(renderCompareMarkdown(comparison, { all: flags.all }))
  if (summary != null) process.stderr.write(`appended to ${summary}\n`)
}

/** One run directory (results.json there) or a directory of repeats (run-1, run-2... each with results.json). */
export async function loadRunSet(dir: string, side: string): Promise<{ runs: RunSample[]; tolerances: RegressTolerance[] }> {
  const problem = (message: string, hint: string): InvalidInputError =>
    new InvalidInputError([{ location: { file: resolve(dir) }, path: '', message: `${side}: ${message}`, hint }])
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw problem('no such directory', 'give a run directory written by `courier run` (or `courier run --repeat N`)')
  let dirs: string[]
  if (existsSync(join(dir, 'results.json'))) dirs = [dir]
  else {
    const entries = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory() && existsSync(join(dir, e.name, 'results.json')))
    dirs = entries
      .map((e) => e.name)
      .sort((x, y) => x.localeCompare(y, 'en', { numeric: true }))
      .map((name) => join(dir, name))
  }
  if (dirs.length === 0)
    throw problem(
      'not a run directory: no results.json in it or in its subdirectories',
      'give a run directory written by `courier run` (or `courier run --repeat N`)'
    )
  const runs: RunSample[] = []
  let tolerances: RegressTolerance[] = []
  for (const runDir of dirs) {
    let results: Results
    try {
      results = JSON.parse(await readFile(join(runDir, 'results.json'), 'utf8')) as Results
    } catch (error) {
      throw new InvalidInputError([
        {
          location: { file: resolve(runDir, 'results.json') },
          path: '',
          message: `${side}: results.json is not readable JSON`,
          found: error instanceof Error ? error.message : String(error)
        }
      ])
    }
    // read as a stream: a comparison of ten-million-event runs holds their latency samples, not their logs
    const { start, latencies } = existsSync(join(runDir, 'events.ndjson'))
      ? await latencySamplesOfLog(join(runDir, 'events.ndjson'))
      : { start: undefined, latencies: deliveryLatencySamples([]) }
    const scenario = start != null ? start.scenario : results.scenario.resolved
    tolerances = regressionsFromConfig((scenario as { regress?: Record<string, string | number> } | undefined)?.regress)
    runs.push({
      dir: runDir,
      scenarioName: results.scenario.name,
      scenarioHash: hashScenario(scenario),
      metrics: results.metrics,
      latencies,
      ...(results.build == null ? {} : { build: results.build })
    })
  }
  return { runs, tolerances }
}

function parseNoiseFloor(value: string): number {
  const parsed = parseRatio(value)
  if (!parsed.ok)
    throw new InvalidInputError([{ location: { file: '--noise-floor' }, path: '', message: 'not a ratio', expected: parsed.expected, found: value }])
  return parsed.value
}

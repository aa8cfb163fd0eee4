import { mkdir, writeFile } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { Option, type Command } from 'commander'
import { closest, distance } from 'fastest-levenshtein'
import { HistoryDb, trendOf, type HistoryRun } from '../../harness/history/index.js'
import { ExitCode, InvalidInputError, type Trend } from '../../harness/interface/index.js'
import { renderTrendConsole, renderTrendHtml } from '../../reports/index.js'

interface TrendFlags {
  scenario?: string
  figure?: string[]
  last?: number
  json?: boolean
  html?: string
  failOnWorse?: boolean
}

export function registerTrendCommand(program: Command): void {
  program
    .command('trend')
    .description(
      'Show figures of one scenario across recorded nights (a history database), the build on the axis, each night against the one before: where did a figure change beyond noise?'
    )
    .argument('<db>', 'a history database written by `courier run --history` or `courier report --history`')
    .option('--scenario <name>', 'the scenario to trend (needed when the database holds several)')
    .option(
      '--figure <name...>',
      'figures to show (metric names of results.json, globs with *); default: the headline figures (the other figures that changed are named)'
    )
    .addOption(new Option('--last <n>', 'only the last n points').argParser(parsePositive('--last')))
    .option('--json', 'print the trend as JSON instead of tables')
    .option('--html <file>', "also write a page with a chart per figure, in the report's style")
    .option('--fail-on-worse', 'exit 1 when the newest point is worse than the one before on any figure (the nightly gate: tonight against last night)')
    .addHelpText(
      'after',
      `
A point is the runs one \`courier run\` recorded (its repeats included). Each point is compared with
the one before exactly as \`courier compare\` compares two run directories: Mann-Whitney U on the
stored per-message latencies, a bootstrap interval on per-run figures with 3+ runs a point; with
fewer runs a point, a figure must also move beyond compare's noise floor (25 %) besides its
tolerance (regress: in the scenario, else 5 %). Only runs of the scenario's latest content (by content hash, seed aside) are trended.
Exit codes: 0 shown (with --fail-on-worse: and the newest point is worse on no figure), 1 with
--fail-on-worse: a figure got worse, 2 bad input (no such database, not a courier history, unknown
scenario or figure).`
    )
    .action(async (file: string, flags: TrendFlags) => {
      const trend = await loadTrend(file, flags)
      process.stdout.write(
        flags.json === true ? JSON.stringify(trend, null, 2) + '\n' : renderTrendConsole(trend, { color: process.stdout.isTTY === true }) + '\n'
      )
      if (flags.html != null) {
        const path = resolve(flags.html)
        await mkdir(dirname(path), { recursive: true })
        await writeFile(path, renderTrendHtml(trend))
        process.stderr.write(`wrote ${flags.html}\n`)
      }
      if (flags.failOnWorse === true && trend.newestWorse.length > 0) {
        const [before, newest] = trend.points.slice(-2)
        process.stderr.write(
          `courier trend: ${trend.scenario.name}: the newest point (${newest.build.label}, ${newest.startedAt}) is worse than the one before (${before.build.label}) on ${trend.newestWorse.length} figure(s): ${trend.newestWorse.join(', ')}\n`
        )
        process.exitCode = ExitCode.thresholdFailed
      } else {
        process.exitCode = ExitCode.pass
      }
    })
}

/** The trend of one scenario from FILE, as `courier trend` prints it. */
export async function loadTrend(file: string, flags: TrendFlags): Promise<Trend> {
  const db = await HistoryDb.open(file)
  let runs: HistoryRun[]
  const notes: string[] = []
  try {
    const scenarios = db.scenarios()
    const names = [...new Set(scenarios.map((s) => s.name))]
    const problem = (message: string, found: string | undefined, hint: string): InvalidInputError =>
      new InvalidInputError([
        { location: { file: flags.scenario == null ? resolve(file) : '--scenario' }, path: '', message, ...(found == null ? {} : { found }), hint }
      ])
    if (names.length === 0) throw problem('the history database holds no runs yet', undefined, 'record runs into it: courier run SCENARIO --history FILE')
    let name: string
    if (flags.scenario != null) {
      if (!names.includes(flags.scenario)) {
        const near = closest(flags.scenario, names)
        throw problem(
          `no runs of a scenario named "${flags.scenario}"`,
          flags.scenario,
          distance(near, flags.scenario) <= Math.max(3, Math.floor(flags.scenario.length / 3))
            ? `did you mean "${near}"? (recorded: ${names.join(', ')})`
            : `recorded: ${names.join(', ')}`
        )
      }
      name = flags.scenario
    } else if (names.length > 1) {
      throw problem(
        'the history database holds several scenarios: say which with --scenario',
        names.join(', '),
        `e.g. courier trend ${file} --scenario ${names[names.length - 1]}`
      )
    } else {
      name = names[0]
    }
    const versions = scenarios.filter((s) => s.name === name)
    const latest = versions[versions.length - 1]
    const older = versions.slice(0, -1).reduce((sum, v) => sum + v.runs, 0)
    if (older > 0) notes.push(`${older} run(s) of an earlier version of ${name} (different content, so not comparable) left out`)
    runs = db.runs({ scenarioName: name, scenarioHash: latest.hash })
  } finally {
    db.close()
  }
  const trend = trendOf(runs, { figures: flags.figure, last: flags.last })
  trend.notes.push(...notes)
  return trend
}

function parsePositive(flag: string): (value: string) => number {
  return (value) => {
    const n = Number(value)
    if (!Number.isInteger(n) || n < 1)
      throw new InvalidInputError([{ location: { file: flag }, path: '', message: 'not a number of points', expected: 'a whole number >= 1', found: value }])
    return n
  }
}

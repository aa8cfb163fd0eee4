import { existsSync, statSync } from 'node:fs'
import { readdir } from 'node:fs/promises'
import { dirname, extname, join, resolve } from 'node:path'
import { Option, type Command } from 'commander'
import { deviceFactory, prepareDevices, type DeviceProfile } from '../../devices/index.js'
import { ExitCode, InvalidInputError, printable, type BuildInfo, type Results } from '../../harness/interface/index.js'
import { buildInfo, makeDirectory, resolveScenario, runScenario, type ResolvedScenario, type Progress, type RunLog } from '../../harness/runner/index.js'
import { withOverrides, type LoadedScenario } from '../../harness/scenario/index.js'
import { formatValue, renderCompareConsole, renderConsoleSummary, writeRunReports } from '../../reports/index.js'
import { hashScenario, summarizeRepeats } from '../../harness/compare/index.js'
import { regressionsFromConfig } from '../../harness/gate/index.js'
import { writeFile } from 'node:fs/promises'
import { compareDirectories, loadRunSet } from './compare.js'
import { checkHistoryFile } from '../../harness/history/index.js'
import type { TrendView } from '../../reports/index.js'
import { DEFAULT_HISTORY_LAST, historyFile, recordRun } from './history.js'
import {
  configuredSecrets,
  consoleLogger,
  fleetHostProblem,
  interruptOnSignals,
  parseFleetHost,
  worstExitCode,
  parseWorkers,
  WORKERS_HELP,
  remoteWorkersOption,
  REMOTE_WORKERS_OPTION,
  WORKER_LISTEN_OPTION,
  WORKER_WAIT_OPTION,
  type RemoteWorkerFlags
} from './shared.js'

interface RunFlags extends RemoteWorkerFlags {
  out?: string
  workers?: number
  seed?: number
  junit?: string
  markdown?: string
  verbose?: boolean
  progress: boolean
  fleetHost?: string
  repeat?: number
  baseline?: string
  build?: string
  history?: string | boolean
  historyLast?: number
  redact?: boolean
}

export function registerRunCommand(program: Command): void {
  program
    .command('run')
    .description('Run scenarios: start the fleet, play the crowd and the timeline, write a run directory, gate on thresholds.')
    .argument('<scenario...>', 'scenario YAML files (several run one after another)')
    .option('-o, --out <dir>', 'run directory (with several scenarios: a parent directory); default runs/<name>-<time>')
    .addOption(new Option('--seed <n>', 'override the scenario seed').argParser(parseSeed))
    .option('--junit <file>', 'write JUnit XML (one testcase per threshold, QA flow and failed device)')
    .option('--markdown <file>', 'write a Markdown summary (also appended to $GITHUB_STEP_SUMMARY when set)')
    .option('--no-progress', 'no progress line while running')
    .option('--fleet-host <ip>', "IPv4 address the fleet listens on (default: the scenario's network.host, 127.0.0.1); use an interface a real phone can reach")
    .option('-v, --verbose', 'log component errors as they happen')
    .addOption(new Option('--workers <n>', WORKERS_HELP).argParser(parseWorkers))
    .addOption(REMOTE_WORKERS_OPTION())
    .addOption(WORKER_LISTEN_OPTION())
    .addOption(WORKER_WAIT_OPTION())
    .addOption(
      new Option(
        '--repeat <n>',
        "run each scenario n times into RUN_DIR/run-1..run-n (seeds: the scenario's seed + i - 1 unless --seed pins it), then print each figure's median and range"
      ).argParser(parseRepeat)
    )
    .option(
      '--build <file>',
      "the app under test (.apk or .ipa): its sha256, id and version go into results.json, the summary and JUnit (default: an appium device profile's app.path)"
    )
    .option(
      '--redact',
      "mask what the secrets scan finds (keys, mnemonics, configured secrets, leaks.patterns) in the run's artifacts, in place, before results and reports are written"
    )
    .option(
      '--baseline <dir>',
      'after the run, compare it with this run directory (or directory of repeats) like `courier compare`; exit 1 when a figure is worse'
    )
    .option(
      '--history [file]',
      "record each run's figures in this history database (SQLite; alone: history.sqlite in the output folder, beside the run directories) and show its last nights in report.html; `courier trend FILE` reads it"
    )
    .addOption(
      new Option('--history-last <n>', `nights of history report.html shows beside this run (default ${DEFAULT_HISTORY_LAST})`).argParser(parseHistoryLast)
    )
    .addHelpText(
      'after',
      `
Exit codes: 0 pass, 1 a threshold failed, 2 invalid input, 3 infrastructure error or inconclusive (harness saturated), 130 interrupted.
The run directory holds events.ndjson (every event, streamed), results.json, a copy of the scenario and reports.
Every run writes RUN_DIR/report.html (one offline file). Ctrl-C stops everything in reverse order and still\nwrites partial results and the report, marked interrupted.`
    )
    .action(async (files: string[], flags: RunFlags) => {
      // validate everything before starting anything
      const remoteWorkers = remoteWorkersOption(flags)
      const prepared: Array<ResolvedScenario<DeviceProfile> & { build: BuildInfo }> = []
      const problems: InvalidInputError[] = []
      for (const file of files) {
        try {
          const one = await resolveScenario(file, {
            overrides: { seed: flags.seed, networkHost: flags.fleetHost == null ? undefined : parseFleetHost(flags.fleetHost) },
            devices: prepareDevices
          })
          const { config } = one.scenario
          const hostProblem =
            flags.fleetHost != null
              ? fleetHostProblem(config.network.host, { file: '--fleet-host' }, '')
              : fleetHostProblem(config.network.host, one.scenario.locate(['network', 'host']), 'network.host')
          if (hostProblem != null) throw new InvalidInputError([hostProblem])
          const appPath = flags.build ?? [...one.profiles.values()].map((p) => p.app?.path).find((p) => p != null && /\.(apk|ipa)$/i.test(p))
          prepared.push({ ...one, build: await buildInfo(appPath) })
        } catch (error) {
          if (error instanceof InvalidInputError) problems.push(error)
          else throw error
        }
      }
      if (problems.length > 0) throw new InvalidInputError(problems.flatMap((p) => p.problems))
      // a baseline that cannot be compared must fail before a run is spent on it
      const baseline = flags.baseline == null ? null : await loadRunSet(flags.baseline, 'baseline')
      if (baseline != null) {
        for (const { scenario } of prepared) {
          const hash = hashScenario(JSON.parse(JSON.stringify(scenario.config)))
          if (baseline.runs.some((r) => r.scenarioHash !== hash)) {
            throw new InvalidInputError([
              {
                location: { file: resolve(flags.baseline ?? '') },
                path: '',
                message: `the baseline is not a run of ${scenario.config.name} (${scenario.file}): its scenario differs`,
                hint: 'give a baseline run of the same scenario (seeds may differ); `courier compare --force` compares different scenarios by hand'
              }
            ])
          }
        }
      }
      // a history file that cannot be used must fail before a run is spent on it
      const history = historyFile(flags.history, flags.out == null ? 'runs' : prepared.length > 1 ? flags.out : dirname(resolve(flags.out)))
      if (history != null) await checkHistoryFile(history)
      const historyLast = flags.historyLast ?? DEFAULT_HISTORY_LAST
      // where results go is checked (and made) before anything starts: an unwritable --out must
      // not cost a whole run, and a file in its place is never written over
      await makeDirectory(flags.out ?? 'runs', flags.out != null && prepared.length === 1 ? 'run directory' : 'directory for run directories')
      if (flags.out != null && prepared.length === 1 && (await readdir(flags.out)).length > 0) {
        throw new InvalidInputError([
          {
            location: { file: flags.out },
            path: '',
            message: 'the run directory is not empty; courier never overwrites a recorded run',
            hint: 'choose another --out directory, or leave --out out to get a new one under runs/'
          }
        ])
      }
      // --junit and --markdown folders too: a CI job must not find out after the run that its test report had nowhere to go
      for (const [option, file] of [
        ['--junit', flags.junit],
        ['--markdown', flags.markdown]
      ] as const) {
        if (file == null) continue
        await makeDirectory(dirname(resolve(file)), `folder for ${option}`, option)
        if (existsSync(file) && statSync(file).isDirectory())
          throw new InvalidInputError([
            {
              location: { file: option },
              path: '',
              message: `${file} is a directory`,
              expected: 'a file path (written over if it exists)',
              hint: `give ${option} a file name, e.g. ${join(file, option === '--junit' ? 'junit.xml' : 'summary.md')}`
            }
          ])
      }
      const repeat = flags.repeat ?? 1

      const interrupt = interruptOnSignals('stopping, writing partial results')
      const log = consoleLogger(flags.verbose === true)
      const codes: number[] = []
      try {
        for (const { scenario: resolved, thresholds, build, profiles } of prepared) {
          const createDevice = deviceFactory(profiles)
          const setDir = runDirFor(resolved, flags.out, prepared.length > 1)
          const firstSeed = resolved.config.seed
          const repeats: Array<{ dir: string; results: Results }> = []
          for (let i = 1; i <= repeat; i++) {
            if (interrupt.signal.aborted) break
            const runDir = flags.repeat == null ? setDir : join(setDir, `run-${i}`)
            // each repeat is its own resolved scenario: the seed is part of what run.start records
            const scenario = flags.repeat == null ? resolved : withOverrides(resolved, { seed: flags.seed ?? firstSeed + i - 1 })
            const progress = progressPrinter(scenario.config.name, flags.progress)
            log.info(`courier: running ${printable(scenario.config.name)} (${printable(scenario.file)}) -> ${printable(runDir)}`)
            const several =
              [prepared.length > 1 ? scenario.config.name : undefined, flags.repeat == null ? undefined : `run-${i}`].filter((p) => p != null).join('-') ||
              undefined
            const onResults = async (dir: string, results: Results, log: RunLog): Promise<void> => {
              let trend: TrendView | null = null
              if (history != null) {
                // a history that cannot be written is a missing artifact (exit 3), but tonight's reports are still written
                try {
                  trend = await recordRun(history, dir, results, log, historyLast)
                } catch (error) {
                  process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`)
                  codes.push(ExitCode.infrastructure)
                }
              }
              await writeRunReports(dir, results, log.passes, {
                ...(trend == null ? {} : { history: trend }),
                junit: flags.junit == null ? false : resolve(suffixed(flags.junit, several)),
                markdown: flags.markdown == null ? false : resolve(suffixed(flags.markdown, several)),
                stepSummary: true
              })
            }
            const secrets = await configuredSecrets(scenario.config, scenario.file)
            const outcome = await runScenario(scenario, {
              runDir,
              thresholds,
              createDevice,
              signal: interrupt.signal,
              log,
              onProgress: progress.update,
              onResults,
              build,
              secrets,
              redact: flags.redact === true,
              latencySamples: history != null,
              workers: flags.workers,
              ...remoteWorkers
            })
            progress.done()
            process.stdout.write(renderConsoleSummary(outcome.results, { color: process.stdout.isTTY === true }) + '\n')
            process.stdout.write(`run directory: ${outcome.runDir} (report: ${join(outcome.runDir, 'report.html')})\n`)
            codes.push(outcome.exitCode)
            repeats.push({ dir: outcome.runDir, results: outcome.results })
          }
          if (flags.repeat != null && repeats.length > 0) process.stdout.write((await writeRepeatSummary(setDir, resolved.config.name, repeats)) + '\n')
          if (baseline != null && repeats.length > 0 && !interrupt.signal.aborted) {
            const comparison = await compareDirectories(flags.baseline ?? '', setDir, { tolerances: regressionsFromConfig(resolved.config.regress) })
            process.stdout.write(renderCompareConsole(comparison, { color: process.stdout.isTTY === true }) + '\n')
            if (comparison.worse > 0) codes.push(ExitCode.thresholdFailed)
          }
        }
      } finally {
        interrupt.release()
      }
      process.exitCode = interrupt.signal.aborted ? ExitCode.interrupted : worstExitCode(codes)
    })
}

function runDirFor(scenario: LoadedScenario, out: string | undefined, several: boolean): string {
  const stamp = new Date()
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, '')
    .replace('T', '-')
  // a file name has 255 bytes at most: the name part is kept well under that
  const name = `${scenario.config.name.replace(/[^a-zA-Z0-9_-]+/g, '-').slice(0, 80)}-${stamp}`
  if (out == null) return join('runs', name)
  return several ? join(out, name) : out
}

/** With several scenarios each gets its own JUnit or Markdown file: report.xml -> report-<name>.xml. */
function suffixed(path: string, name: string | undefined): string {
  if (name == null) return path
  const ext = extname(path)
  return `${path.slice(0, path.length - ext.length)}-${name}${ext}`
}

function parseRepeat(value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1 || n > 1000) {
    throw new InvalidInputError([
      { location: { file: '--repeat' }, path: '', message: 'not a number of runs', expected: 'a whole number from 1 to 1000', found: value }
    ])
  }
  return n
}

/** RUN_DIR/summary.json and the printed table: each figure's median and range over the repeats. */
async function writeRepeatSummary(dir: string, name: string, repeats: Array<{ dir: string; results: Results }>): Promise<string> {
  const figures = summarizeRepeats(repeats.map((r) => r.results.metrics))
  await writeFile(
    join(dir, 'summary.json'),
    JSON.stringify(
      { scenario: name, runs: repeats.map((r) => ({ dir: r.dir, seed: r.results.scenario.seed, verdict: r.results.verdict })), figures },
      null,
      2
    ) + '\n'
  )
  const headline = Object.entries(figures).filter(([metric]) =>
    /^delivery\.(latency\.(p50|p95|p99)|loss|delivered|duplicates\.rate)$|^messages\.sent$|^bytes\.[^.]+\.total$|^harness\.lag\.p99$/.test(metric)
  )
  const lines = [
    `${name}: ${repeats.length} runs (${repeats.map((r) => `seed ${r.results.scenario.seed} ${r.results.verdict}`).join(', ')})`,
    '  figure: median (min..max)'
  ]
  for (const [metric, f] of headline) lines.push(`  ${metric}: ${formatValue(f.median, f.unit)} (${formatValue(f.min, f.unit)}..${formatValue(f.max, f.unit)})`)
  lines.push(`every figure: ${join(dir, 'summary.json')}; compare with: courier compare BASE ${dir}`)
  return lines.join('\n')
}

function parseHistoryLast(value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1 || n > 1000) {
    throw new InvalidInputError([
      { location: { file: '--history-last' }, path: '', message: 'not a number of nights', expected: 'a whole number from 1 to 1000', found: value }
    ])
  }
  return n
}

function parseSeed(value: string): number {
  const seed = Number(value)
  if (!Number.isInteger(seed) || seed < 0) {
    throw new InvalidInputError([{ location: { file: '--seed' }, path: '', message: 'not a seed', expected: 'a whole number >= 0', found: value }])
  }
  return seed
}

function progressPrinter(name: string, enabled: boolean): { update: (p: Progress) => void; done: () => void } {
  const tty = process.stderr.isTTY === true
  let lastPrinted = 0
  let printedInline = false
  return {
    update: (p) => {
      if (!enabled) return
      const line = `[${printable(name, 40)}] ${p.phase.padEnd(8)} ${(p.scenarioMs / 1000).toFixed(0).padStart(4)}s/${(p.durationMs / 1000).toFixed(0)}s  sent ${p.sent}  received ${p.received}  duplicates ${p.duplicates}  harness lag p99 ${p.lagP99Ms.toFixed(1)} ms`
      if (tty) {
        process.stderr.write(`\r\x1b[2K${line}`)
        printedInline = true
      } else if (Date.now() - lastPrinted >= 5000 || p.phase === 'stopping') {
        process.stderr.write(`${line}\n`)
        lastPrinted = Date.now()
      }
    },
    done: () => {
      if (printedInline) process.stderr.write('\n')
    }
  }
}

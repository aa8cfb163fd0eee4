import { readdir } from 'node:fs/promises'
import { extname, join, resolve } from 'node:path'
import { Option, type Command } from 'commander'
import { createDevice, prepareDevices } from '../../devices/index.js'
import { ExitCode, InvalidInputError, printable, type CourierEvent, type Results } from '../../harness/interface/index.js'
import { makeDirectory, prepareScenario, runScenario, type PreparedScenario, type Progress } from '../../harness/runner/index.js'
import type { LoadedScenario } from '../../harness/scenario/index.js'
import { renderConsoleSummary, writeRunReports } from '../../reports/index.js'
import { consoleLogger, fleetHostProblem, interruptOnSignals, parseFleetHost, worstExitCode } from './shared.js'

interface RunFlags {
  out?: string
  seed?: number
  junit?: string
  markdown?: string
  verbose?: boolean
  progress: boolean
  fleetHost?: string
}

export function registerRunCommand (program: Command): void {
  program
    .command('run')
    .description('Run scenarios: start the fleet, play the crowd and the timeline, write a run directory, gate on thresholds.')
    .argument('<scenario...>', 'scenario YAML files (several run one after another)')
    .option('-o, --out <dir>', 'run directory (with several scenarios: a parent directory); default runs/<name>-<time>')
    .addOption(new Option('--seed <n>', 'override the scenario seed').argParser(parseSeed))
    .option('--junit <file>', 'write JUnit XML (one testcase per threshold, QA flow and failed device)')
    .option('--markdown <file>', 'write a Markdown summary (also appended to $GITHUB_STEP_SUMMARY when set)')
    .option('--no-progress', 'no progress line while running')
    .option('--fleet-host <ip>', 'IPv4 address the fleet listens on (default: the scenario\'s network.host, 127.0.0.1); use an interface a real phone can reach')
    .option('-v, --verbose', 'log component errors as they happen')
    .addHelpText('after', `
Exit codes: 0 pass, 1 a threshold failed, 2 invalid input, 3 infrastructure error or inconclusive (harness saturated), 130 interrupted.
The run directory holds events.ndjson (every event, streamed), results.json, a copy of the scenario and reports.
Every run writes RUN_DIR/report.html (one offline file). Ctrl-C stops everything in reverse order and still\nwrites partial results and the report, marked interrupted.`)
    .action(async (files: string[], flags: RunFlags) => {
      // validate everything before starting anything
      const prepared: PreparedScenario[] = []
      const problems: InvalidInputError[] = []
      for (const file of files) {
        try {
          const one = await prepareScenario(file, { seed: flags.seed })
          const { config } = one.scenario
          if (flags.fleetHost != null) config.network.host = parseFleetHost(flags.fleetHost)
          const hostProblem = flags.fleetHost != null
            ? fleetHostProblem(config.network.host, { file: '--fleet-host' }, '')
            : fleetHostProblem(config.network.host, one.scenario.locate(['network', 'host']), 'network.host')
          if (hostProblem != null) throw new InvalidInputError([hostProblem])
          await prepareDevices(one.scenario)
          prepared.push(one)
        } catch (error) {
          if (error instanceof InvalidInputError) problems.push(error)
          else throw error
        }
      }
      if (problems.length > 0) throw new InvalidInputError(problems.flatMap((p) => p.problems))
      // where results go is checked (and made) before anything starts: an unwritable --out must
      // not cost a whole run, and a file in its place is never written over
      await makeDirectory(flags.out ?? 'runs', flags.out != null && prepared.length === 1 ? 'run directory' : 'directory for run directories')
      if (flags.out != null && prepared.length === 1 && (await readdir(flags.out)).length > 0) {
        throw new InvalidInputError([{ location: { file: flags.out }, path: '', message: 'the run directory is not empty; courier never overwrites a recorded run', hint: 'choose another --out directory, or leave --out out to get a new one under runs/' }])
      }

      const interrupt = interruptOnSignals('stopping, writing partial results')
      const log = consoleLogger(flags.verbose === true)
      const codes: number[] = []
      try {
        for (const { scenario, thresholds } of prepared) {
          if (interrupt.signal.aborted) break
          const runDir = runDirFor(scenario, flags.out, prepared.length > 1)
          const progress = progressPrinter(scenario.config.name, flags.progress)
          log.info(`courier: running ${printable(scenario.config.name)} (${printable(scenario.file)}) -> ${printable(runDir)}`)
          const several = prepared.length > 1 ? scenario.config.name : undefined
          const onResults = async (dir: string, results: Results, events: CourierEvent[]): Promise<void> => {
            await writeRunReports(dir, results, events, {
              junit: flags.junit == null ? false : resolve(suffixed(flags.junit, several)),
              markdown: flags.markdown == null ? false : resolve(suffixed(flags.markdown, several)),
              stepSummary: true
            })
          }
          const outcome = await runScenario(scenario, { runDir, thresholds, createDevice, signal: interrupt.signal, log, onProgress: progress.update, onResults })
          progress.done()
          process.stdout.write(renderConsoleSummary(outcome.results, { color: process.stdout.isTTY === true }) + '\n')
          process.stdout.write(`run directory: ${outcome.runDir} (report: ${join(outcome.runDir, 'report.html')})\n`)
          codes.push(outcome.exitCode)
        }
      } finally {
        interrupt.release()
      }
      process.exitCode = interrupt.signal.aborted ? ExitCode.interrupted : worstExitCode(codes)
    })
}

function runDirFor (scenario: LoadedScenario, out: string | undefined, several: boolean): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, '').replace('T', '-')
  // a file name has 255 bytes at most: the name part is kept well under that
  const name = `${scenario.config.name.replace(/[^a-zA-Z0-9_-]+/g, '-').slice(0, 80)}-${stamp}`
  if (out == null) return join('runs', name)
  return several ? join(out, name) : out
}

/** With several scenarios each gets its own JUnit or Markdown file: report.xml -> report-<name>.xml. */
function suffixed (path: string, name: string | undefined): string {
  if (name == null) return path
  const ext = extname(path)
  return `${path.slice(0, path.length - ext.length)}-${name}${ext}`
}

function parseSeed (value: string): number {
  const seed = Number(value)
  if (!Number.isInteger(seed) || seed < 0) {
    throw new InvalidInputError([{ location: { file: '--seed' }, path: '', message: 'not a seed', expected: 'a whole number >= 0', found: value }])
  }
  return seed
}

function progressPrinter (name: string, enabled: boolean): { update: (p: Progress) => void, done: () => void } {
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
    done: () => { if (printedInline) process.stderr.write('\n') }
  }
}

import { spawn, type ChildProcess } from 'node:child_process'
import { rmSync } from 'node:fs'
import { mkdtemp, readFile, rename, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The compiled CLI, run as a user would run it (a separate node process). */
export const COURIER_BIN = fileURLToPath(new URL('../../bin/courier.js', import.meta.url))
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url))

export interface CliResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

export function startCourier(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): { child: ChildProcess; done: Promise<CliResult> } {
  const child = spawn(process.execPath, [COURIER_BIN, ...args], {
    cwd: options.cwd ?? REPO_ROOT,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let stdout = ''
  let stderr = ''
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString()
  })
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
  })
  const done = new Promise<CliResult>((resolve) => {
    child.on('close', (code, signal) => {
      resolve({ code, signal, stdout, stderr })
    })
  })
  return { child, done }
}

export interface RunCourierOptions {
  cwd?: string
  env?: NodeJS.ProcessEnv
  timeoutMs?: number
  /**
   * `courier run ... --out DIR` that comes out inconclusive because courier's own harness was
   * saturated is run once more into the same DIR (the first moves to DIR-saturated): the tests run
   * scenarios side by side on two cores, and a saturated run has no verdict to check. A second
   * saturated run is returned as it is. Off for a test that saturates the harness on purpose.
   */
  retrySaturated?: boolean
}

export async function runCourier(args: string[], options: RunCourierOptions = {}): Promise<CliResult> {
  const first = await runOnce(args, options)
  const outIndex = args.indexOf('--out')
  // a run recorded in a history database stays recorded: no second night for the same test
  const retry = args[0] === 'run' && options.retrySaturated !== false && outIndex >= 0 && !args.includes('--history')
  if (!retry || first.code !== 3 || !/harness saturated/.test(first.stdout)) return first
  const out = args[outIndex + 1]
  process.stderr.write(`# courier ${args.slice(1, 2).join(' ')}: inconclusive (harness saturated), run again; the first run is in ${out}-saturated\n`)
  await rename(out, `${out}-saturated`)
  return await runOnce(args, options)
}

async function runOnce(args: string[], options: RunCourierOptions): Promise<CliResult> {
  const { child, done } = startCourier(args, options)
  const timer = setTimeout(() => {
    child.kill('SIGKILL')
  }, options.timeoutMs ?? 120_000)
  try {
    return await done
  } finally {
    clearTimeout(timer)
  }
}

const made: string[] = []
// A test file whose tests all passed leaves nothing in /tmp (runs with captures are megabytes each);
// one with a failure keeps its directories, which its failure messages name.
process.on('exit', (code) => {
  if (code !== 0 || (process.exitCode ?? 0) !== 0) return
  for (const dir of made) rmSync(dir, { recursive: true, force: true })
})

/** `courier run FILE --out DIR/<out>` (default `run`), rerun once when the harness was saturated (runCourier). */
export async function runConclusive(file: string, dir: string, options: { out?: string; args?: string[] } = {}): Promise<{ result: CliResult; out: string }> {
  const out = join(dir, options.out ?? 'run')
  const result = await runCourier(['run', file, '--out', out, '--no-progress', ...(options.args ?? [])])
  return { result, out }
}

export async function tempDir(prefix = 'courier-test-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  made.push(dir)
  return dir
}

export async function writeScenario(dir: string, name: string, text: string): Promise<string> {
  const file = join(dir, name)
  await writeFile(file, text)
  return file
}

/**
 * Runs `each` over the items, at most `width` at once, and fails with every failure after all ran.
 * Scenario runs mostly wait on scenario time, but fleet start-up is CPU: two cores carry three.
 */
export async function pool<T>(items: readonly T[], width: number, each: (item: T) => Promise<void>): Promise<void> {
  const queue = items.slice()
  const failures: unknown[] = []
  await Promise.all(
    Array.from({ length: width }, async () => {
      for (let next = queue.shift(); next != null; next = queue.shift())
        await each(next).catch((error: unknown) => {
          failures.push(error)
        })
    })
  )
  if (failures.length > 0) throw failures.length === 1 ? failures[0] : new AggregateError(failures, failures.map(String).join('\n\n'))
}

/** Waits (up to 30 s) until a run in `runDir` has reached scenario time zero: fleet and devices up. */
export async function waitForScenarioStart(runDir: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const text = await readFile(join(runDir, 'events.ndjson'), 'utf8').catch(() => '')
    if (text.includes('"scenario.start"')) return
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

/** Whether a process still exists (signal 0 checks without sending anything). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

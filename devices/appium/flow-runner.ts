import { AsyncLocalStorage } from 'node:async_hooks'
import { execFile } from 'node:child_process'
import { basename } from 'node:path'
import Mocha from 'mocha'
import type { FlowScreen } from './flow-screen.js'

// Why Mocha itself and not @wdio/mocha-framework: that package is the wdio testrunner's adapter
// (MochaAdapter(cid, config, specs, capabilities, reporter)). Used on its own it wants a runner
// config, a reporter speaking the runner's IPC events, wdio.conf hooks and @wdio/logger, and it
// does not provide what a flow needs most: the `browser`/`driver` globals bound to a session that
// already exists (the wdio runner creates its own session per spec). It is built on Mocha's
// programmatic API anyway; courier uses that API directly, with the adapter's own technique for
// loading a spec afresh each time (a cache-busting query on the ESM URL). Specs written for the
// wdio runner's Mocha framework (describe/it, global driver/browser/$/$$) run unchanged, except
// for runner-only extras (wdio.conf hooks, expect-webdriverio's global `expect`: use node:assert).

/** What a flow's spec sees as globals, besides Mocha's describe/it/before/after. */
export interface FlowGlobals {
  driver: WebdriverIO.Browser
  browser: WebdriverIO.Browser
  $: WebdriverIO.Browser['$']
  $$: WebdriverIO.Browser['$$']
  screen: FlowScreen
  /** About this run of the flow: names, topic, deadline. */
  flow: FlowInfo
}

export interface FlowInfo {
  name: string
  device: string
  spec: string
  /** The device's topic (the chat courier opened) and all its topics. */
  topic: string
  topics: string[]
  platform: string
  profile: string
  timeoutMs: number
  /** Date.now() at which the flow is stopped. */
  deadline: number
}

export interface FlowTestResult {
  title: string
  passed: boolean
  durationMs: number
  error?: string
}

export interface FlowRunResult {
  tests: number
  passes: number
  failures: number
  durationMs: number
  /** Why the flow failed as a whole: it did not load, defined no tests, timed out, was interrupted. */
  error?: string
}

export interface RunFlowInit {
  file: string
  globals: FlowGlobals
  timeoutMs: number
  /** The run stopping (Ctrl-C, the end of the traffic phase): the flow is aborted, with the reason as its error. */
  signal?: AbortSignal
  /** Aborted by the runner at the deadline; the `screen` helper's waits listen to it. */
  deadline: AbortController
  /** Each test (or failed hook) as it ends, for events timed when they happen. */
  onTest: (result: FlowTestResult) => void
  /** Applied to every error text (secrets). */
  scrub?: (text: string) => string
}

const GLOBAL_NAMES = ['driver', 'browser', '$', '$$', 'screen', 'flow'] as const
const current = new AsyncLocalStorage<FlowGlobals>()
let globalsInstalled = false
/** Loading a spec runs its describe() calls against Mocha's globals of the moment: one load at a time. */
let loading: Promise<unknown> = Promise.resolve()
let loads = 0
/** After a timeout, a test stuck in a command gets this long to notice the abort before the flow ends without it. */
const ABORT_GRACE_MS = 1000

/**
 * Each name reads the flow running in the current async context, so flows on two devices can run
 * at the same time, each seeing its own session; outside a flow they are undefined.
 */
function installGlobals(): void {
  if (globalsInstalled) return
  globalsInstalled = true
  for (const name of GLOBAL_NAMES) {
    const existing = Object.getOwnPropertyDescriptor(globalThis, name)
    if (existing != null && existing.configurable !== true) continue
    Object.defineProperty(globalThis, name, { configurable: true, enumerable: false, get: () => current.getStore()?.[name] })
  }
}

/** Runs one Mocha spec against an existing WebdriverIO session and reports each test; never throws. */
export async function runFlowSpec(init: RunFlowInit): Promise<FlowRunResult> {
  installGlobals()
  const scrub = init.scrub ?? ((text: string) => text)
  const started = Date.now()
  let tests = 0
  let passes = 0
  let failures = 0
  const mocha = new Mocha({ timeout: init.timeoutMs, reporter: SilentReporter, ui: 'bdd', color: false, checkLeaks: false, fullTrace: false })
  mocha.addFile(init.file)
  const result = (error?: string): FlowRunResult => ({
    tests,
    passes,
    failures,
    durationMs: Date.now() - started,
    ...(error == null ? {} : { error: scrub(error) })
  })

  const load = loading.then(async () => {
    const run = ++loads
    await current.run(init.globals, async () => {
      await mocha.loadFilesAsync({ esmDecorator: (file) => `${String(file)}?flow=${run}` })
    })
  })
  loading = load.catch(() => {})
  try {
    await load
  } catch (error) {
    try {
      mocha.dispose()
    } catch {
      /* nothing loaded */
    }
    const where = error instanceof SyntaxError ? await syntaxErrorLine(init.file) : undefined
    return result(`the spec did not load: ${describeError(error, init.file)}${where == null ? '' : ` (${where})`}`)
  }

  return await new Promise<FlowRunResult>((resolve) => {
    let settled = false
    const finish = (error?: string): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      init.signal?.removeEventListener('abort', onAbort)
      resolve(result(error))
    }
    let runner: ReturnType<Mocha['run']> | undefined
    const stop = (why: string): void => {
      runner?.abort()
      init.deadline.abort(new Error(why))
      // a test blocked in a WebDriver command ends when the command does; the flow does not wait
      setTimeout(() => {
        finish(why)
      }, ABORT_GRACE_MS).unref()
    }
    const timer = setTimeout(() => {
      stop(`timed out after ${init.timeoutMs / 1000} s`)
    }, init.timeoutMs)
    const onAbort = (): void => {
      const reason = init.signal?.reason
      stop(`stopped: ${reason instanceof Error ? reason.message : 'the run is stopping'}`)
    }
    init.signal?.addEventListener('abort', onAbort, { once: true })
    if (init.signal?.aborted === true) {
      onAbort()
      return
    }

    current.run(init.globals, () => {
      runner = mocha.run(() => {
        // process listeners (uncaughtException, unhandledRejection) are Mocha's only while it runs
        try {
          mocha.dispose()
        } catch {
          /* still running after an abort: nothing to release yet */
        }
        if (tests === 0 && failures === 0) finish('the spec defines no tests (describe/it)')
        else if (init.deadline.signal.aborted) finish(String((init.deadline.signal.reason as Error | undefined)?.message ?? 'aborted'))
        else finish()
      })
      runner.on('pass', (test) => {
        tests++
        passes++
        init.onTest({ title: titleOf(test), passed: true, durationMs: test.duration ?? 0 })
      })
      runner.on('fail', (runnable, error) => {
        failures++
        if (runnable.type === 'test') tests++
        init.onTest({ title: titleOf(runnable), passed: false, durationMs: runnable.duration ?? 0, error: scrub(describeError(error, init.file)) })
      })
    })
  })
}

/** Mocha's reporters print; a flow's results go into courier's events instead. */
class SilentReporter {}

function titleOf(runnable: { fullTitle(): string; title: string }): string {
  try {
    return runnable.fullTitle()
  } catch {
    return runnable.title
  }
}

/**
 * Where a syntax error is: Node does not put it in the error an import() rejects with, only in
 * what it prints, so `node --check` is asked (only when a spec failed to load).
 */
async function syntaxErrorLine(file: string): Promise<string | undefined> {
  return await new Promise((resolve) => {
    execFile(process.execPath, ['--check', file], { timeout: 5000 }, (_error, _stdout, stderr) => {
      const at = new RegExp(`${escapeRegExp(file)}:(\\d+)`).exec(String(stderr))
      resolve(at == null ? undefined : `${basename(file)}:${at[1]}`)
    })
  })
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

/**
 * The first line of an error and where in the spec it was thrown (`open-chat.spec.js:14:7`):
 * what a QA engineer needs to find the step, without courier's or WebdriverIO's stack.
 */
export function describeError(error: unknown, specFile: string): string {
  const message = error instanceof Error ? error.message : String(error)
  const first =
    message
      .split('\n')
      .map((line) => line.trim())
      .find((line) => line !== '') ?? (error instanceof Error ? error.name : 'error')
  const name = basename(specFile)
  const stack = error instanceof Error ? (error.stack ?? '') : ''
  const at = new RegExp(`${escapeRegExp(name)}(?:\\?[^:\\s)]*)?:(\\d+):(\\d+)`).exec(stack)
  const text = first.length > 300 ? `${first.slice(0, 297)}...` : first
  return at == null ? text : `${text} (${name}:${at[1]}:${at[2]})`
}

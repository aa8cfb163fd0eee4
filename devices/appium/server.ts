import { spawn, execFile, type ChildProcess } from 'node:child_process'
import { createWriteStream, existsSync } from 'node:fs'
import { mkdir, rm, stat } from 'node:fs/promises'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { InfrastructureError, maskSecrets, secretForms } from '../../harness/interface/index.js'
import { installedAppiumDrivers } from './host-tools.js'

const execFileAsync = promisify(execFile)

/** courier's checkout (or installed package) root: dist/devices/appium/ is three levels down. */
export const COURIER_ROOT = fileURLToPath(new URL('../../../', import.meta.url))
/** Appium's home for courier: its drivers and manifest live here, inside courier's node_modules, so nothing global is touched. */
export const DEFAULT_APPIUM_HOME = join(COURIER_ROOT, 'node_modules', '.cache', 'courier-appium')
/** The courier-owned driver package, installed into the Appium home from the repo. */
export const COURIER_DRIVER_DIR = join(COURIER_ROOT, 'devices', 'appium', 'courier-appium-driver')
const APPIUM_MAIN = join(COURIER_ROOT, 'node_modules', 'appium', 'index.js')
const LAUNCHER = join(COURIER_ROOT, 'dist', 'devices', 'appium', 'server-launcher.js')

export interface AppiumServerInit {
  /** Appium driver names to load (`--use-drivers`): only what the scenario needs. */
  drivers: string[]
  /** Insecure features to allow, e.g. `courier:adb_shell` or `uiautomator2:adb_shell`. */
  allowInsecure?: string[]
  /** Default: node_modules/.cache/courier-appium in courier's root. */
  home?: string
  /** Give up (InfrastructureError) when the server does not answer /status within this (default 20 s). */
  startTimeoutMs?: number
  /** The server's own log goes here (the run directory); nothing is printed. */
  logFile?: string
  /** Strings replaced by *** in the log file (passwords typed at sign-in show up in Appium's command log). */
  redact?: string[]
  signal?: AbortSignal
}

/** An Appium server process courier started; `stop()` kills it and is safe to call twice. */
export interface AppiumServer {
  url: string
  port: number
  pid: number
  stop(): Promise<void>
}

const running = new Set<ChildProcess>()
let exitHookInstalled = false

/**
 * Starts Appium 3 on 127.0.0.1 and a free port with only the given drivers. The process is in its
 * own process group and is killed on stop, on abort, and when courier's process exits; if courier
 * is killed outright, the server exits when its stdin pipe closes.
 */
export async function startAppiumServer(init: AppiumServerInit): Promise<AppiumServer> {
  const home = init.home ?? DEFAULT_APPIUM_HOME
  if (!existsSync(APPIUM_MAIN)) throw new InfrastructureError(`the appium package is not installed in ${COURIER_ROOT} (run npm install)`)
  if (init.drivers.includes('courier')) await ensureCourierDriver(home, init.signal)
  const timeoutMs = init.startTimeoutMs ?? 20_000
  const deadline = Date.now() + timeoutMs
  let lastError = ''
  // a free port found by binding can be taken before Appium binds it: try a couple of times
  for (let attempt = 0; attempt < 3 && Date.now() < deadline; attempt++) {
    init.signal?.throwIfAborted()
    const port = await freePort()
    const server = await launch(init, home, port, deadline)
    if (server.ok) return server.server
    lastError = server.error
    if (!server.retry) break
  }
  throw new InfrastructureError(
    `the Appium server did not start within ${Math.round(timeoutMs / 1000)} s: ${lastError} (check that \`node ${APPIUM_MAIN} driver list --installed\` works with APPIUM_HOME=${home})`
  )
}

async function launch(
  init: AppiumServerInit,
  home: string,
  port: number,
  deadline: number
): Promise<{ ok: true; server: AppiumServer } | { ok: false; error: string; retry: boolean }> {
  const args = [
    LAUNCHER,
    'server',
    '--address',
    '127.0.0.1',
    '--port',
    String(port),
    '--use-drivers',
    init.drivers.join(','),
    '--log-no-colors',
    '--log-timestamp'
  ]
  if (init.allowInsecure != null && init.allowInsecure.length > 0) args.push('--allow-insecure', init.allowInsecure.join(','))
  const child = spawn(process.execPath, args, {
    cwd: home,
    env: { ...process.env, APPIUM_HOME: home },
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true
  })
  track(child)
  let output = ''
  const log = init.logFile == null ? undefined : createWriteStream(init.logFile, { flags: 'a' })
  const forms = secretForms(init.redact ?? [])
  const scrub = (text: string): string => maskSecrets(text, forms)
  // whole lines only, so a secret split across two chunks is still found
  let partial = ''
  const collect = (chunk: Buffer): void => {
    const text = partial + chunk.toString()
    const cut = text.lastIndexOf('\n') + 1
    partial = text.slice(cut)
    const lines = scrub(text.slice(0, cut))
    log?.write(lines)
    if (output.length < 64_000) output += lines
  }
  child.stdout?.on('data', collect)
  child.stderr?.on('data', collect)
  let exited: string | undefined
  child.once('exit', (code, signal) => {
    exited = `exited with ${signal ?? `code ${String(code)}`}`
    running.delete(child)
    log?.end(scrub(partial))
  })
  const stop = once(async () => {
    await killGroup(child)
  })
  const onAbort = (): void => {
    void stop()
  }
  init.signal?.addEventListener('abort', onAbort, { once: true })
  const url = `http://127.0.0.1:${port}`
  while (Date.now() < deadline) {
    if (exited != null) {
      const inUse = /EADDRINUSE|address already in use/i.test(output)
      return { ok: false, error: `Appium ${exited}${inUse ? ' (port taken)' : ''}: ${lastLines(output)}`, retry: inUse }
    }
    if (init.signal?.aborted === true) {
      await stop()
      init.signal.throwIfAborted()
    }
    if (await statusOk(url)) {
      // the signal guards the start only: once up, the server is the device's to stop, after its
      // end-of-run readings (battery, logs), which on Ctrl-C come after the run-wide signal fired
      init.signal?.removeEventListener('abort', onAbort)
      return {
        ok: true,
        server: {
          url,
          port,
          pid: child.pid ?? -1,
          stop: async () => {
            init.signal?.removeEventListener('abort', onAbort)
            await stop()
          }
        }
      }
    }
    await sleep(50)
  }
  await stop()
  return { ok: false, error: `no answer on ${url}/status: ${lastLines(output)}`, retry: false }
}

async function statusOk(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/status`, { signal: AbortSignal.timeout(1000) })
    await response.body?.cancel()
    return response.ok
  } catch {
    return false
  }
}

/** SIGTERM to the whole process group, SIGKILL after 3 s; resolves when the server process is gone. */
async function killGroup(child: ChildProcess): Promise<void> {
  if (child.exitCode != null || child.signalCode != null || child.pid == null) return
  const gone = new Promise<void>((resolve) => {
    child.once('exit', () => {
      resolve()
    })
  })
  const signal = (name: NodeJS.Signals): void => {
    try {
      process.kill(-(child.pid as number), name)
    } catch {
      /* already gone */
    }
  }
  signal('SIGTERM')
  const timer = setTimeout(() => {
    signal('SIGKILL')
  }, 3000)
  await gone
  clearTimeout(timer)
  child.stdin?.destroy()
}

function track(child: ChildProcess): void {
  running.add(child)
  if (exitHookInstalled) return
  exitHookInstalled = true
  // last resort when courier exits without stopping its devices (process.exit on a second Ctrl-C)
  process.once('exit', () => {
    for (const c of running) {
      try {
        process.kill(-(c.pid as number), 'SIGKILL')
      } catch {
        /* gone */
      }
    }
  })
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | undefined
  return async () => {
    done ??= fn()
    await done
  }
}

async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address != null ? address.port : 0
      server.close(() => {
        resolve(port)
      })
    })
  })
}

function lastLines(text: string): string {
  return text.trim().split('\n').slice(-5).join(' | ').slice(0, 600)
}

/**
 * Installs the courier driver into the Appium home with Appium's own `driver install --source=local`
 * when it is missing or was installed from another checkout. npm's global prefix and cache are
 * redirected into the Appium home, because `--source=local` runs `npm link`, which would otherwise
 * write to the global prefix. A lock directory keeps two courier processes from installing at once.
 */
export async function ensureCourierDriver(home = DEFAULT_APPIUM_HOME, signal?: AbortSignal): Promise<void> {
  if (await courierDriverInstalled(home)) return
  await mkdir(home, { recursive: true })
  const lock = join(home, '.install-lock')
  const deadline = Date.now() + 60_000
  while (true) {
    try {
      await mkdir(lock)
      break
    } catch {
      // a lock older than a minute was left by a killed install
      const age = await stat(lock).then(
        (s) => Date.now() - s.mtimeMs,
        () => 0
      )
      if (age > 60_000) await rm(lock, { recursive: true, force: true })
      if (Date.now() > deadline) throw new InfrastructureError(`another courier is installing the Appium driver (lock ${lock})`)
      await sleep(200, undefined, { signal })
    }
  }
  try {
    if (await courierDriverInstalled(home)) return
    // a stale install (another checkout's path) is replaced
    await rm(join(home, 'node_modules'), { recursive: true, force: true })
    await rm(join(home, 'package.json'), { force: true })
    const prefix = join(home, 'npm-global')
    await mkdir(join(prefix, 'lib'), { recursive: true })
    try {
      await execFileAsync(process.execPath, [APPIUM_MAIN, 'driver', 'install', '--source=local', COURIER_DRIVER_DIR], {
        cwd: home,
        signal,
        timeout: 120_000,
        env: {
          ...process.env,
          APPIUM_HOME: home,
          APPIUM_OMIT_PEER_DEPS: '1',
          npm_config_prefix: prefix,
          npm_config_cache: join(home, 'npm-cache'),
          npm_config_update_notifier: 'false',
          npm_config_audit: 'false',
          npm_config_fund: 'false'
        }
      })
    } catch (error) {
      const detail = (error as { stderr?: string; stdout?: string }).stderr ?? (error as Error).message
      throw new InfrastructureError(`installing courier's Appium driver into ${home} failed: ${lastLines(String(detail))}`, { cause: error })
    }
    if (!(await courierDriverInstalled(home))) throw new InfrastructureError(`courier's Appium driver is not in ${home} after installing it`)
  } finally {
    await rm(lock, { recursive: true, force: true })
  }
}

/** Whether Appium's manifest in `home` lists the courier driver installed from this checkout. */
export async function courierDriverInstalled(home = DEFAULT_APPIUM_HOME): Promise<boolean> {
  const installed = (await installedAppiumDrivers(home)).courier
  return (
    installed?.pkgName === 'courier-appium-driver' &&
    installed.installPath === COURIER_DRIVER_DIR.replace(/\/$/, '') &&
    existsSync(join(home, 'node_modules', 'courier-appium-driver', 'package.json'))
  )
}

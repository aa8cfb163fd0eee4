import { networkInterfaces } from 'node:os'
import { Option } from 'commander'
import { ExitCode, InvalidInputError, type InputProblem, type Logger, type SourceLocation } from '../../harness/interface/index.js'
import type { ConfiguredSecret } from '../../harness/runner/index.js'
import { findUserFile, type ScenarioConfig } from '../../harness/scenario/index.js'
import { loadProfileFile } from '../../devices/appium/index.js'

export function consoleLogger(verbose: boolean): Logger {
  return {
    info: (message) => {
      process.stderr.write(`${message}\n`)
    },
    warn: (message) => {
      process.stderr.write(`warning: ${message}\n`)
    },
    debug: (message) => {
      if (verbose) process.stderr.write(`debug: ${message}\n`)
    }
  }
}

/** Exit codes of several runs combine to the most serious one. */
/** More processes than this is a typo, not a machine: each worker is a Node process with its own libp2p stack. */
const MAX_WORKERS = 64

/** `--workers N`: processes carrying the fleet, courier's own included (1: everything in it, as before workers existed). */
export function parseWorkers(value: string): number {
  const n = Number(value)
  if (!/^\d+$/.test(value.trim()) || !Number.isInteger(n) || n < 1 || n > MAX_WORKERS) {
    throw new InvalidInputError([
      {
        location: { file: '--workers' },
        path: '',
        message: 'not a number of processes',
        expected: `a whole number from 1 to ${MAX_WORKERS} (1: the whole fleet in courier's own process)`,
        found: value
      }
    ])
  }
  return n
}

/** `--worker-listen` and `courier worker --join`: HOST:PORT, an IPv4 address and a TCP port. */
export function parseHostPort(flag: string): (value: string) => { host: string; port: number } {
  return (value) => {
    const match = /^(\d{1,3}(?:\.\d{1,3}){3}):(\d{1,5})$/.exec(value.trim())
    const port = Number(match?.[2])
    if (match == null || !match[1].split('.').every((o) => Number(o) <= 255) || port < 1 || port > 65535) {
      throw new InvalidInputError([
        { location: { file: flag }, path: '', message: 'not an address and port', expected: 'IPv4:PORT, e.g. 10.0.0.5:7400', found: value }
      ])
    }
    return { host: match[1], port }
  }
}

/** `--remote-workers N`: how many `courier worker --join` processes a run waits for. */
export function parseRemoteWorkers(value: string): number {
  const n = Number(value)
  if (!/^\d+$/.test(value.trim()) || n < 1 || n > MAX_WORKERS) {
    throw new InvalidInputError([
      {
        location: { file: '--remote-workers' },
        path: '',
        message: 'not a number of workers',
        expected: `a whole number from 1 to ${MAX_WORKERS}`,
        found: value
      }
    ])
  }
  return n
}

export interface RemoteWorkerFlags {
  remoteWorkers?: number
  workerListen?: { host: string; port: number }
  workerWait: number
}

/** `--remote-workers`, `--worker-listen` and `--worker-wait`, on `run` and `fleet up` (fresh Options for each command). */
export const REMOTE_WORKERS_OPTION = (): Option =>
  new Option(
    '--remote-workers <n>',
    'also wait for n workers on other hosts (`courier worker --join HOST:PORT` there) and give them relays and crowd gateways like the forked ones; needs --worker-listen, and a --fleet-host those hosts reach'
  ).argParser(parseRemoteWorkers)
export const WORKER_LISTEN_OPTION = (): Option =>
  new Option('--worker-listen <host:port>', 'where remote workers join (an address of this machine they reach)').argParser(parseHostPort('--worker-listen'))
export const WORKER_WAIT_OPTION = (): Option =>
  new Option('--worker-wait <seconds>', 'how long to wait for the remote workers before giving up (exit 3)').default(120).argParser(parseWorkerWait)

/** The runner's `remoteWorkers` option from the flags; one of the pair without the other is refused. */
export function remoteWorkersOption(flags: RemoteWorkerFlags): { remoteWorkers?: { count: number; host: string; port: number; timeoutMs: number } } {
  if ((flags.remoteWorkers != null) !== (flags.workerListen != null)) {
    throw new InvalidInputError([
      {
        location: { file: flags.remoteWorkers != null ? '--remote-workers' : '--worker-listen' },
        path: '',
        message: flags.remoteWorkers != null ? 'remote workers need a place to join' : 'no remote workers to listen for',
        hint: 'give both: --remote-workers N --worker-listen HOST:PORT'
      }
    ])
  }
  if (flags.remoteWorkers == null || flags.workerListen == null) return {}
  return { remoteWorkers: { count: flags.remoteWorkers, ...flags.workerListen, timeoutMs: flags.workerWait * 1000 } }
}

function parseWorkerWait(value: string): number {
  const seconds = Number(value)
  if (value.trim() === '' || !Number.isFinite(seconds) || seconds <= 0 || seconds > 86_400) {
    throw new InvalidInputError([
      { location: { file: '--worker-wait' }, path: '', message: 'not a number of seconds', expected: 'seconds, more than 0 and at most a day', found: value }
    ])
  }
  return seconds
}

/** `courier worker --join`: HOST:PORT where HOST may be a name (a cluster's Service name resolves to the run's pod). */
export function parseJoinTarget(value: string): { host: string; port: number } {
  const match = /^([A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?):(\d{1,5})$/.exec(value.trim())
  const port = Number(match?.[3])
  if (match == null || port < 1 || port > 65535) {
    throw new InvalidInputError([
      { location: { file: '--join' }, path: '', message: 'not a host and port', expected: 'HOST:PORT, e.g. 10.0.0.5:7400 or courier-run:7400', found: value }
    ])
  }
  return { host: match[1], port }
}

/** The help text of `--workers` on `run` and `fleet up`. */
export const WORKERS_HELP =
  "processes that carry the fleet, courier's own included (default 1: all in it); N > 1 forks N - 1 worker processes and spreads the relays, crowd gateways and simulated devices so each process has about as many libp2p nodes, while stores and the event log stay in courier's process (and devices a worker cannot run as faithfully: other drivers, shaped links, blocks; the run says which and why). A scenario with node links keeps every node and device in courier's process and says so"

export function worstExitCode(codes: number[]): number {
  const rank = [0, 1, 2, 3, 130]
  return codes.reduce((worst, code) => (rank.indexOf(code) > rank.indexOf(worst) ? code : worst), 0)
}

/** `--fleet-host`: an IPv4 address (whether it is this machine's is for the fleet, or `courier doctor`, to find out). */
export function parseFleetHost(value: string): string {
  const octets = value.split('.')
  if (octets.length !== 4 || !octets.every((o) => /^\d{1,3}$/.test(o) && Number(o) <= 255)) {
    throw new InvalidInputError([
      {
        location: { file: '--fleet-host' },
        path: '',
        message: 'not an IPv4 address',
        expected: 'an address of this machine the phone can reach, e.g. 192.168.1.20',
        found: value
      }
    ])
  }
  return value
}

/**
 * The fleet listens on this address, so it must be one of this machine's: any other fails deep in
 * libp2p with EADDRNOTAVAIL. Loopback (127.0.0.0/8) and 0.0.0.0 (every interface) always are.
 */
export function fleetHostProblem(host: string, location: SourceLocation, path: string): InputProblem | undefined {
  if (host.startsWith('127.') || host === '0.0.0.0') return undefined
  const local = Object.values(networkInterfaces()).flatMap((list) => (list ?? []).filter((a) => a.family === 'IPv4').map((a) => a.address))
  if (local.includes(host)) return undefined
  return {
    location,
    path,
    message: `${host} is not an address of this machine`,
    expected: `one of: ${local.join(', ')}`,
    found: host,
    hint: 'courier doctor --fleet-host <ip> lists what a phone can reach'
  }
}

/**
 * The run-wide AbortSignal from Ctrl-C and SIGTERM: the first asks for a graceful stop (`stopping`
 * says what that does), a second exits at once. `release()` removes the handlers.
 */
export function interruptOnSignals(stopping: string): { signal: AbortSignal; release: () => void } {
  const controller = new AbortController()
  let signals = 0
  const onSignal = (signal: NodeJS.Signals): void => {
    signals++
    if (signals > 1) {
      process.stderr.write(`\n${signal} again: exiting now without cleanup\n`)
      process.exit(ExitCode.interrupted)
    }
    process.stderr.write(`\n${signal}: ${stopping} (press Ctrl-C again to exit at once)\n`)
    controller.abort(new Error(signal))
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  return {
    signal: controller.signal,
    release: () => {
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
    }
  }
}

/**
 * The secrets a run is configured with: every environment variable the scenario (`leaks.secrets`,
 * appium servers' user and key) and its device profiles (sign-in and fleet steps' `env:`, servers)
 * name, with its value now. Unset ones are left out: they cannot leak.
 */
export async function configuredSecrets(config: ScenarioConfig, scenarioFile: string, env: NodeJS.ProcessEnv = process.env): Promise<ConfiguredSecret[]> {
  const names = new Set<string>(config.leaks?.secrets ?? [])
  const collect = (value: unknown, depth: number): void => {
    if (value == null || typeof value !== 'object' || depth > 8) return
    for (const [key, inner] of Object.entries(value)) {
      if (typeof inner === 'string' && (key === 'env' || key === 'user' || key === 'key') && /^[A-Z_][A-Z0-9_]*$/.test(inner)) names.add(inner)
      else collect(inner, depth + 1)
    }
  }
  for (const device of Object.values(config.devices ?? {})) {
    if (device.driver !== 'appium') continue
    collect(device.server, 0)
    const file = findUserFile(device.profile, scenarioFile)
    // a profile that cannot be read was reported by validation; here it only has no names to give
    if (file != null)
      collect(
        await loadProfileFile(file).then(
          (p) => p.profile,
          () => undefined
        ),
        0
      )
  }
  return [...names].flatMap((name) => {
    const value = env[name]
    return value == null || value === '' ? [] : [{ name, value }]
  })
}

import { connect, type Socket } from 'node:net'
import { hostname } from 'node:os'
import { setTimeout as sleep } from 'node:timers/promises'
import { Option, type Command } from 'commander'
import { InfrastructureError, InvalidInputError } from '../../harness/interface/index.js'
import { serveRunner, WORKER_PROTOCOL } from '../../harness/worker/index.js'
import { parseFleetHost, parseJoinTarget } from './shared.js'

interface WorkerFlags {
  join: { host: string; port: number }
  host?: string
  wait: number
}

/** A worker may be started before its run listens: it tries again this often. */
const RETRY_EVERY_MS = 500

export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description(
      "Carry part of a run's fleet on this host: join a `courier run --remote-workers N --worker-listen HOST:PORT` and host the relays and crowd gateways it gives."
    )
    .addOption(new Option('--join <host:port>', "the run's --worker-listen address").argParser(parseJoinTarget).makeOptionMandatory())
    .option('--host <ip>', "address this host's nodes listen on and announce (one the run's host and devices reach; default: the scenario's network.host)")
    .addOption(
      new Option('--wait <seconds>', 'keep trying to reach the run this long (it may not listen yet)').default(60).argParser((value) => {
        const n = Number(value)
        if (!Number.isFinite(n) || n < 0)
          throw new InvalidInputError([{ location: { file: '--wait' }, path: '', message: 'not a number of seconds', found: value }])
        return n
      })
    )
    .addHelpText(
      'after',
      `
The worker stops its nodes and exits (0) when the run ends or its connection to the run is lost,
whatever ended it. Exit codes: 0 the run ended, 2 invalid input, 3 the run could not be reached.`
    )
    .action(async (flags: WorkerFlags) => {
      const listenHost = flags.host == null ? undefined : parseFleetHost(flags.host)
      const socket = await reach(flags.join, flags.wait * 1000)
      // COURIER_WORKER_CLOCK_SKEW_MS: a test hook, a host whose monotonic clock reads differently
      const skew = Number(process.env.COURIER_WORKER_CLOCK_SKEW_MS ?? '0')
      serveRunner(socket, {
        listenHost,
        clockSkewMs: Number.isFinite(skew) ? skew : 0,
        hello: {
          kind: 'hello',
          protocol: WORKER_PROTOCOL,
          pid: process.pid,
          hostname: hostname(),
          courier: await courierVersion(),
          ...(listenHost == null ? {} : { listenHost })
        }
      })
      process.stderr.write(`courier worker ${process.pid}: joined ${flags.join.host}:${flags.join.port}\n`)
      // serveRunner exits the process when the run lets go of it
      await new Promise(() => {})
    })
}

async function reach(target: { host: string; port: number }, withinMs: number): Promise<Socket> {
  const deadline = Date.now() + withinMs
  for (;;) {
    try {
      return await new Promise<Socket>((resolve, reject) => {
        const socket = connect(target.port, target.host)
        socket.once('connect', () => {
          socket.off('error', reject)
          socket.setNoDelay(true)
          socket.setKeepAlive(true, 5000)
          resolve(socket)
        })
        socket.once('error', reject)
      })
    } catch (error) {
      if (Date.now() + RETRY_EVERY_MS > deadline)
        throw new InfrastructureError(`cannot reach the run at ${target.host}:${target.port}: ${error instanceof Error ? error.message : String(error)}`)
      await sleep(RETRY_EVERY_MS)
    }
  }
}

async function courierVersion(): Promise<string> {
  const { readFile } = await import('node:fs/promises')
  return (JSON.parse(await readFile(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version
}

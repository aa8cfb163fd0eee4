import { fork, type ChildProcess } from 'node:child_process'
import { createServer, type Server, type Socket } from 'node:net'
import { fileURLToPath } from 'node:url'
import type { Duplex } from 'node:stream'
import { InfrastructureError, type Clock, type EventData, type EventSink, type EventType, type Logger } from '../interface/index.js'
import type { FleetMember, FleetNodeInit, PartitionState } from '../fleet/index.js'
import type { LoadedScenario } from '../scenario/index.js'
import { FramedChannel } from './frames.js'
import { WORKER_PROTOCOL, type ExchangeEntry, type RunnerCommand, type WorkerDeviceInit, type WorkerMessage, type WorkerNodeInit } from './protocol.js'
import { RemoteNode } from './remote-node.js'
import { RemoteDevice } from './remote-device.js'

const MAIN = fileURLToPath(new URL('./main.js', import.meta.url))
const POLYFILL = fileURLToPath(new URL('../polyfill.js', import.meta.url))
/** Round trips per clock check; the one with the smallest RTT is kept (as the js-waku device does). */
const CLOCK_SAMPLES = 7
const ORIGIN_SAMPLES = 9
/** A worker that has not stopped its nodes this long after `shutdown` is killed: teardown must end. */
const SHUTDOWN_MS = 10_000
const EXIT_WAIT_MS = 3_000
const END_CLOCK_MS = 2_000
/** A request nobody answers (a wedged worker) fails instead of hanging the run. */
const REQUEST_TIMEOUT_MS = 30_000

/** Names of workers that join over TCP (`courier worker --join`). */
export const REMOTE_PREFIX = 'remote-'

/** Where `--workers N` puts a scenario's nodes and simulated devices; an empty map keeps everything in courier's process. */
export interface Placement {
  workers: number
  /** Worker name -> node names. */
  byWorker: Map<string, string[]>
  /** Worker name -> the simulated devices it hosts (forked workers only). */
  devices: Map<string, string[]>
  /** Each device that stays in courier's process, and why. */
  devicesKept: Map<string, string>
  /** Why the scenario keeps every node in courier's process although more workers were asked for. */
  note?: string
}

/**
 * `workers` processes carry the fleet: courier's own and `workers - 1` worker processes. Stores
 * (the audit, store sync and store faults reach into them) and the event log stay in courier's
 * process; the relays and crowd gateways are dealt one at a time to whichever process carries the
 * fewest libp2p nodes so far (courier's counting its stores and simulated devices, a worker winning
 * a tie), so each process ends with about the same number of nodes: courier's process gets relays
 * only when it has fewer than a fair share. Then each simulated device that can move leaves
 * courier's process for the forked worker with the fewest libp2p nodes, if that worker carries
 * fewer than courier's process would without the device: the count evens out, and the nodes sit
 * where they sat before devices could move. Node links reroute dials inside courier's process, so
 * a scenario with them keeps every node and device there, and the placement says why: nothing runs
 * somewhere it would be wrong.
 */
export function planPlacement(scenario: LoadedScenario, workers: number, nodeLinksActive: boolean, remote = 0): Placement {
  if (!Number.isInteger(workers) || workers < 1) throw new Error(`workers must be a whole number >= 1, not ${workers}`)
  if (!Number.isInteger(remote) || remote < 0) throw new Error(`remote workers must be a whole number >= 0, not ${remote}`)
  const byWorker = new Map<string, string[]>()
  const devices = new Map<string, string[]>()
  const devicesKept = new Map<string, string>()
  if (workers === 1 && remote === 0) return { workers, byWorker, devices, devicesKept }
  if (nodeLinksActive)
    return {
      workers,
      byWorker,
      devices,
      devicesKept,
      note: "the scenario shapes links between fleet nodes (network.links or a timeline link on a node): node links reroute dials inside courier's own process, so every fleet node and device runs there"
    }
  // workers that join over TCP come after the forked ones (`remote-1`...), in the order they join
  const forked = Array.from({ length: workers - 1 }, (_, i) => `worker-${i + 1}`)
  const names = [...forked, ...Array.from({ length: remote }, (_, i) => `${REMOTE_PREFIX}${i + 1}`)]
  for (const name of names) byWorker.set(name, [])
  for (const name of forked) devices.set(name, [])
  // js-waku and browser devices run in processes of their own, appium ones on phones: only simulated ones weigh here
  const simulated = Object.values(scenario.config.devices).filter((device) => device.driver === 'simulated').length
  const load = new Map<string, number>([...names.map((name): [string, number] => [name, 0]), ['runner', scenario.nodes.stores.length + simulated]])
  for (const node of [...scenario.nodes.relays, ...scenario.nodes.gateways]) {
    const [lightest] = [...load].reduce((best, entry) => (entry[1] < best[1] ? entry : best))
    load.set(lightest, (load.get(lightest) ?? 0) + 1)
    byWorker.get(lightest)?.push(node)
  }
  for (const [device, config] of Object.entries(scenario.config.devices)) {
    const kept = mustStay(scenario, device, config.driver, 'link' in config && config.link != null, forked.length > 0)
    if (kept != null) {
      devicesKept.set(device, kept)
      continue
    }
    const [lightest, carried] = forked.map((name): [string, number] => [name, load.get(name) ?? 0]).reduce((best, entry) => (entry[1] < best[1] ? entry : best))
    const runner = load.get('runner') ?? 0
    if (carried >= runner - 1) {
      devicesKept.set(device, `balance: courier's process carries ${runner} libp2p nodes with it, the lightest worker ${carried}`)
      continue
    }
    load.set('runner', runner - 1)
    load.set(lightest, carried + 1)
    devices.get(lightest)?.push(device)
  }
  return { workers, byWorker, devices, devicesKept }
}

/** Why a device cannot leave courier's process, or undefined when a forked worker would run it as faithfully. */
function mustStay(scenario: LoadedScenario, device: string, driver: string, linked: boolean, forkedWorkers: boolean): string | undefined {
  if (driver !== 'simulated')
    return `the ${driver} driver: only simulated devices move (this one's client runs in a browser, a child process or a phone of its own, driven from courier's process)`
  if (linked || scenario.config.timeline.some((entry) => entry.link?.device === device))
    return "its link is shaped in courier's process (the userspace shaper): every byte of it passes through courier's process wherever the device runs, and the link's delays would span two event loops"
  if (scenario.config.timeline.some((entry) => entry.block?.device === device))
    return "a block in the timeline: the device's refused dials are decided on each dial in courier's process (the block's address rules against the fleet's current addresses)"
  if (!forkedWorkers)
    return "workers on other hosts take no devices: courier's capture on this host would not see the packets between a device and the nodes beside it there, so its bytes and radio energy would be wrong"
  return undefined
}

export interface WorkerComponents {
  clock: Clock
  events: EventSink
  log: Logger
  onError: (component: string, error: unknown) => void
  /** A peer id's node or device name, for the events of a worker that never heard of that peer. */
  peerName: (peerId: string) => string | undefined
  /** A device this worker hosted died with it: the runner records it as failed and the run goes on without it. */
  onDeviceLost?: (device: string, error: Error) => void
}

type Pending = { resolve: (value: unknown) => void; reject: (error: Error) => void; timer?: NodeJS.Timeout }

/** One worker process and its channel, from the runner's side. */
export class WorkerProcess {
  private child?: ChildProcess
  private channel?: FramedChannel
  private nextId = 1
  private readonly pending = new Map<number, Pending>()
  private exited?: Promise<void>
  private stopping = false
  private readonly hosted: RemoteNode[] = []
  private readonly hostedDevices: RemoteDevice[] = []
  private lastStderr: string[] = []
  private joined?: JoinedWorker
  alive = false

  constructor(
    readonly name: string,
    private readonly components: WorkerComponents
  ) {}

  get pid(): number | undefined {
    return this.child?.pid ?? this.joined?.hello.pid
  }

  /** A worker that joined over TCP carries this one's nodes instead of a forked process. */
  adopt(joined: JoinedWorker): void {
    this.joined = joined
  }

  /** The runner's stand-in for a node this worker will host. */
  host(init: FleetNodeInit): RemoteNode {
    const node = new RemoteNode(init, this)
    this.hosted.push(node)
    return node
  }

  /** The runner's stand-in for a simulated device this worker hosts (built there when it starts). */
  hostDevice(init: WorkerDeviceInit): RemoteDevice {
    const device = new RemoteDevice(init, this)
    this.hostedDevices.push(device)
    return device
  }

  async start(scenario: LoadedScenario, gateways: string[]): Promise<void> {
    if (this.joined != null) {
      await this.startJoined(scenario, gateways, this.joined)
      return
    }
    const child = fork(MAIN, [], {
      // the runner's own node flags too (as fork's default would): `node --cpu-prof courier ...` profiles its workers; a debugger port cannot be shared
      execArgv: [...process.execArgv.filter((arg) => !arg.startsWith('--inspect') && !arg.startsWith('--debug')), '--import', POLYFILL],
      // fd 4 is the frame channel; the IPC channel (fd 3) only tells the worker when the runner is gone
      stdio: ['ignore', 'pipe', 'pipe', 'ipc', 'pipe'],
      serialization: 'json'
    })
    this.child = child
    this.alive = true
    const log = (data: Buffer): void => {
      const lines = data.toString().trimEnd().split('\n')
      this.lastStderr = [...this.lastStderr, ...lines].slice(-5)
      for (const line of lines) this.components.log.debug(`${this.name}: ${line}`)
    }
    child.stdout?.on('data', log)
    child.stderr?.on('data', log)
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.onExit(code, signal)
        resolve()
      })
    })
    const stream = child.stdio[4] as Duplex | null
    if (stream == null) throw new Error(`${this.name}: no channel to the worker process`)
    this.channel = new FramedChannel(stream, (message) => {
      this.onMessage(message as WorkerMessage)
    })
    this.channel.onClose((reason) => {
      this.failPending(new Error(`${this.name}: channel closed (${reason})`))
    })
    // the run clock's zero on the host's monotonic clock, read as close together as two calls get
    await this.initialize(scenario, gateways, runOriginNs(this.components.clock), { pid: child.pid ?? -1 })
  }

  /** A worker on another host reads another monotonic clock: its origin is the run's, moved by the offset measured. */
  private async startJoined(scenario: LoadedScenario, gateways: string[], joined: JoinedWorker): Promise<void> {
    this.channel = joined.channel
    this.alive = !joined.channel.isClosed
    joined.route((message) => {
      this.onMessage(message)
    })
    joined.channel.onClose((reason) => {
      this.failPending(new Error(`${this.name}: connection closed (${reason})`))
      // the connection is the worker: losing it mid-run is the worker's death
      if (this.alive) this.onExit(null, null, reason)
    })
    const offset = await this.measureHostClock()
    await this.initialize(scenario, gateways, runOriginNs(this.components.clock) + offset.offsetNs, {
      pid: joined.hello.pid,
      host: joined.remoteAddress,
      hostname: joined.hello.hostname,
      clockOffsetMs: Math.round(Number(offset.offsetNs) / 1e3) / 1e3,
      clockRttMs: Math.round(Number(offset.rttNs) / 1e3) / 1e3
    })
  }

  /** Worker host's monotonic clock minus this one's (ns), from the round trip with the smallest RTT. */
  private async measureHostClock(): Promise<{ offsetNs: bigint; rttNs: bigint }> {
    let best: { offsetNs: bigint; rttNs: bigint } | undefined
    for (let i = 0; i < CLOCK_SAMPLES; i++) {
      const sent = process.hrtime.bigint()
      const theirs = BigInt((await this.request({ cmd: 'hrtime' })) as string)
      const received = process.hrtime.bigint()
      const rttNs = received - sent
      if (best == null || rttNs < best.rttNs) best = { offsetNs: theirs - (sent + received) / 2n, rttNs }
    }
    return best ?? { offsetNs: 0n, rttNs: 0n }
  }

  private async initialize(
    scenario: LoadedScenario,
    gateways: string[],
    originNs: bigint,
    up: Omit<EventData<'worker.up'>, 'worker' | 'nodes'>
  ): Promise<void> {
    const nodes: WorkerNodeInit[] = this.hosted.map(({ init }) => {
      const { exchangePeers, light, ...rest } = init
      void light
      return { ...rest, exchange: exchangePeers != null }
    })
    await this.request({ cmd: 'init', init: { worker: this.name, originNs: originNs.toString(), config: scenario.config, gateways, nodes } })
    this.components.events.emit('worker.up', { worker: this.name, ...up, nodes: this.hosted.map((node) => node.name) })
    await this.measureClock('start')
  }

  /** Worker clock minus run clock from the tightest of a few round trips; recorded, not applied (both read CLOCK_MONOTONIC). */
  async measureClock(phase: 'start' | 'end'): Promise<void> {
    const { clock, events } = this.components
    let best: { rtt: number; offset: number } | undefined
    for (let i = 0; i < CLOCK_SAMPLES; i++) {
      const sent = clock.now()
      const theirs = (await this.request({ cmd: 'clock' })) as number
      const received = clock.now()
      const rtt = received - sent
      if (best == null || rtt < best.rtt) best = { rtt, offset: theirs - (sent + received) / 2 }
    }
    if (best != null)
      events.emit('worker.clock', {
        worker: this.name,
        phase,
        offsetMs: Math.round(best.offset * 1000) / 1000,
        rttMs: Math.round(best.rtt * 1000) / 1000,
        samples: CLOCK_SAMPLES
      })
  }

  /** `timeoutMs: null`: no limit (a device's calls); the worker's death still fails the request. */
  async request(command: DistributiveOmit<RunnerCommand, 'id'>, options: { timeoutMs?: number | null } = {}): Promise<unknown> {
    const channel = this.channel
    if (!this.alive || channel == null || channel.isClosed) throw new Error(`${this.name} is not running`)
    const id = this.nextId++
    const timeoutMs = options.timeoutMs === undefined ? REQUEST_TIMEOUT_MS : options.timeoutMs
    return await new Promise((resolve, reject) => {
      const timer =
        timeoutMs == null
          ? undefined
          : setTimeout(() => {
              this.pending.delete(id)
              reject(new Error(`${this.name}: no answer to ${command.cmd} within ${timeoutMs / 1000} s`))
            }, timeoutMs)
      timer?.unref()
      this.pending.set(id, { resolve, reject, timer })
      channel.send({ ...command, id })
    })
  }

  private onMessage(message: WorkerMessage): void {
    if (message.kind === 'events') {
      const { events, peerName } = this.components
      for (const [t, type, data] of message.events) {
        // a worker names only the peers it hosts; the runner knows the devices and other processes' nodes
        if (typeof data.peer === 'string') data.peer = peerName(data.peer) ?? data.peer
        events.emit(type as EventType, data as never, t)
      }
      return
    }
    if (message.kind === 'log') {
      this.components.log[message.level](message.message)
      return
    }
    // a second hello is noise: the worker said who it is when it joined
    if (message.kind === 'hello') return
    const pending = this.pending.get(message.id)
    if (pending == null) return
    this.pending.delete(message.id)
    clearTimeout(pending.timer)
    if (message.ok) pending.resolve(message.result)
    else pending.reject(new Error(message.error))
  }

  private failPending(error: Error): void {
    for (const [id, pending] of this.pending) {
      clearTimeout(pending.timer)
      this.pending.delete(id)
      pending.reject(error)
    }
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null, lostConnection?: string): void {
    this.alive = false
    const expected = this.stopping
    const { events } = this.components
    events.emit('worker.exit', { worker: this.name, pid: this.pid ?? -1, code, signal, expected })
    this.failPending(new Error(`${this.name} exited (${signal ?? `code ${code}`})`))
    this.channel?.close('the worker exited')
    if (expected) return
    // a worker that dies mid-run takes its nodes with it: each is a node death, and the run goes on
    const died = this.hosted.filter((node) => node.lost())
    for (const node of died) events.emit('node.down', { node: node.name, role: node.role, reason: 'crashed' })
    const tail = this.lastStderr.length > 0 ? `; its last output: ${this.lastStderr.join(' | ')}` : ''
    const how = lostConnection != null ? `its connection was lost: ${lostConnection}` : (signal ?? `exit code ${code}`)
    // its devices too: the same record as a device whose own call failed, so the timeline skips them from here on
    const devices = this.hostedDevices.filter((device) => device.lost())
    for (const device of devices) this.components.onDeviceLost?.(device.name, new Error(`its worker ${this.name} (process ${this.pid ?? '?'}) died (${how})`))
    const alsoDevices = devices.length > 0 ? ` and its devices ${devices.map((d) => d.name).join(', ')}` : ''
    this.components.onError(
      this.name,
      new Error(
        `worker process ${this.pid ?? '?'} died (${how}); its nodes ${died.map((n) => n.name).join(', ') || '(none up)'}${alsoDevices} died with it${tail}`
      )
    )
    this.components.log.warn(
      `courier: ${this.name} died (${how}); its nodes are recorded as crashed${devices.length > 0 ? ' and its devices as failed' : ''} and the run goes on`
    )
  }

  /** Stops the worker's nodes, then the process; kills it if it does not go. Never throws. */
  async stop(): Promise<void> {
    this.stopping = true
    if (this.joined != null) {
      if (this.alive) {
        await Promise.race([this.measureClock('end').catch(() => {}), new Promise((resolve) => setTimeout(resolve, END_CLOCK_MS).unref())])
        await Promise.race([this.request({ cmd: 'shutdown' }).catch(() => {}), new Promise((resolve) => setTimeout(resolve, SHUTDOWN_MS).unref())])
        this.alive = false
        this.components.events.emit('worker.exit', { worker: this.name, pid: this.pid ?? -1, code: null, signal: null, expected: true })
      }
      // closing the connection is what makes a joined worker leave
      this.joined.channel.close('the runner is done')
      return
    }
    const child = this.child
    if (child == null) return
    if (this.alive) {
      // a wedged worker must not hold teardown for seven request timeouts: the end check is a courtesy
      await Promise.race([this.measureClock('end').catch(() => {}), new Promise((resolve) => setTimeout(resolve, END_CLOCK_MS).unref())])
      await Promise.race([this.request({ cmd: 'shutdown' }).catch(() => {}), new Promise((resolve) => setTimeout(resolve, SHUTDOWN_MS).unref())])
      this.channel?.close('the runner is done')
      if (child.connected) child.disconnect()
    }
    const waited = await Promise.race([
      this.exited?.then(() => true),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), EXIT_WAIT_MS).unref())
    ])
    if (waited !== true && this.alive) {
      child.kill('SIGKILL')
      await this.exited
    }
  }

  /** Ends the process at once, as a crash would (tests; Ctrl-C twice). */
  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    this.child?.kill(signal)
    this.joined?.channel.close(`killed (${signal})`)
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never

/**
 * The run clock's zero on this host's monotonic clock (ns). The run clock is read between two
 * monotonic readings, a few times, and the tightest bracket kept: on a loaded machine the process
 * can be preempted between two reads for milliseconds, which would shift every worker event by as
 * much (seen in CI: a worker 8.5 ms ahead of the runner).
 */
export function runOriginNs(clock: Clock): bigint {
  let best: { gapNs: bigint; originNs: bigint } | undefined
  for (let i = 0; i < ORIGIN_SAMPLES; i++) {
    const before = process.hrtime.bigint()
    const runNs = BigInt(Math.round(clock.now() * 1e6))
    const after = process.hrtime.bigint()
    const gapNs = after - before
    if (best == null || gapNs < best.gapNs) best = { gapNs, originNs: (before + after) / 2n - runNs }
  }
  return (best as { originNs: bigint }).originNs
}

type Hello = Extract<WorkerMessage, { kind: 'hello' }>

/** A worker that connected over TCP and said hello, not yet given nodes. */
export interface JoinedWorker {
  hello: Hello
  /** The address it connected from: its host, as this runner sees it. */
  remoteAddress: string
  channel: FramedChannel
  /** Where its frames go after the hello. */
  route: (handler: (message: WorkerMessage) => void) => void
}

/** Where workers join a run: `courier run --remote-workers N --worker-listen HOST:PORT`. */
export interface JoinOptions {
  host: string
  port: number
  /** How many must join before the fleet starts. */
  count: number
  /** How long to wait for all of them. */
  timeoutMs: number
  signal?: AbortSignal
}

/**
 * Accepts `count` workers on host:port: each connects, says hello in courier's frames with the
 * protocol version this runner speaks, and waits for its nodes. Anything else that connects is
 * dropped without counting. Resolves once all joined; rejects with an InfrastructureError naming
 * how many came when the time runs out.
 */
export async function acceptWorkers(options: JoinOptions, log: Logger): Promise<JoinedWorker[]> {
  const joined: JoinedWorker[] = []
  const server: Server = createServer()
  const sockets = new Set<Socket>()
  let accepting = true
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(options.port, options.host, () => {
        server.off('error', reject)
        resolve()
      })
    }).catch((error: unknown) => {
      throw new InfrastructureError(`cannot listen for workers on ${options.host}:${options.port}: ${error instanceof Error ? error.message : String(error)}`)
    })
    log.info(`courier: waiting for ${options.count} worker(s): on each host run  courier worker --join ${options.host}:${options.port}`)
    return await new Promise<JoinedWorker[]>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(
          new InfrastructureError(
            `${joined.length} of ${options.count} worker(s) joined on ${options.host}:${options.port} within ${Math.round(options.timeoutMs / 1000)} s: start \`courier worker --join ${options.host}:${options.port}\` on each worker host`
          )
        )
      }, options.timeoutMs)
      const onAbort = (): void => {
        clearTimeout(timer)
        reject(options.signal?.reason)
      }
      options.signal?.addEventListener('abort', onAbort, { once: true })
      server.on('connection', (socket) => {
        sockets.add(socket)
        socket.setNoDelay(true)
        // a host that vanishes without a FIN is noticed, not waited on forever
        socket.setKeepAlive(true, 5000)
        let handler: ((message: WorkerMessage) => void) | undefined
        let hello: Hello | undefined
        const channel = new FramedChannel(socket, (message) => {
          if (hello != null) {
            handler?.(message as WorkerMessage)
            return
          }
          const first = message as Partial<Hello>
          if (first.kind !== 'hello' || first.protocol !== WORKER_PROTOCOL || typeof first.pid !== 'number') {
            channel.close(first.kind === 'hello' ? `it speaks worker protocol ${String(first.protocol)}` : 'its first message is not a hello')
            return
          }
          hello = first as Hello
          if (joined.length >= options.count) {
            channel.close('enough workers joined')
            return
          }
          sockets.delete(socket)
          joined.push({
            hello,
            remoteAddress: socket.remoteAddress?.replace(/^::ffff:/, '') ?? '?',
            channel,
            route: (next) => {
              handler = next
            }
          })
          log.info(`courier: worker ${hello.hostname} (pid ${hello.pid}) joined from ${socket.remoteAddress ?? '?'}`)
          if (joined.length === options.count) {
            clearTimeout(timer)
            options.signal?.removeEventListener('abort', onAbort)
            resolve(joined)
          }
        })
        channel.onClose((reason) => {
          // a stray client (a port scanner, a browser) is told nothing and counted for nothing
          if (hello == null && accepting)
            log.warn(`courier: a connection from ${socket.remoteAddress ?? '?'} is not a courier worker of protocol ${WORKER_PROTOCOL} (${reason}); dropped`)
        })
      })
    })
  } catch (error) {
    for (const worker of joined) worker.channel.close('the run did not start')
    throw error
  } finally {
    // late or stray connections go with the listener: the run has its workers
    accepting = false
    for (const socket of sockets) socket.destroy()
    server.close()
  }
}

/** The worker processes of one run. */
export class WorkerPool {
  readonly workers: WorkerProcess[]
  private readonly byNode = new Map<string, WorkerProcess>()
  private readonly byDevice = new Map<string, WorkerProcess>()

  constructor(
    readonly placement: Placement,
    private readonly components: WorkerComponents,
    private readonly join?: JoinOptions
  ) {
    this.workers = [...placement.byWorker.keys()].map((name) => new WorkerProcess(name, components))
    // a worker that missed a partition change would let through what the partition forbids: said as an error
    this.onGatesError = (worker, error) => {
      components.onError(worker, new Error(`the partition or block could not be sent: ${error instanceof Error ? error.message : String(error)}`))
    }
    for (const worker of this.workers) for (const node of placement.byWorker.get(worker.name) ?? []) this.byNode.set(node, worker)
    for (const worker of this.workers) for (const device of placement.devices.get(worker.name) ?? []) this.byDevice.set(device, worker)
  }

  get active(): boolean {
    return this.workers.length > 0
  }

  /** For Fleet's `place` hook: a stand-in for a node placed in a worker, else undefined (built in courier's process). */
  place = (init: FleetNodeInit): FleetMember | undefined => this.byNode.get(init.name)?.host(init)

  /** The worker a device is placed in, if any. */
  deviceWorker(device: string): string | undefined {
    return this.byDevice.get(device)?.name
  }

  /** A stand-in for a device placed in a worker, else undefined (the runner builds it with its own driver). */
  placeDevice(init: WorkerDeviceInit): RemoteDevice | undefined {
    return this.byDevice.get(init.name)?.hostDevice(init)
  }

  async start(scenario: LoadedScenario): Promise<void> {
    const remote = this.workers.filter((worker) => worker.name.startsWith(REMOTE_PREFIX))
    if (remote.length > 0) {
      if (this.join == null) throw new Error(`${remote.length} remote worker(s) placed but nowhere to accept them`)
      const joined = await acceptWorkers({ ...this.join, count: remote.length }, this.components.log)
      for (const [i, worker] of remote.entries()) worker.adopt(joined[i])
    }
    await Promise.all(
      this.workers.map(async (worker) => {
        await worker.start(scenario, scenario.nodes.gateways)
      })
    )
  }

  /** Every worker plays its gateways' share of the crowd from the same start on the run clock. */
  async startCrowd(startedAt: number, repeatEveryMs?: number): Promise<void> {
    await this.each({ cmd: 'crowd', startedAt, repeatEveryMs })
  }

  async stopCrowd(): Promise<void> {
    await this.each({ cmd: 'crowdStop' })
  }

  /**
   * Every worker's gates follow courier's partitions and blocks: called on each change, it queues
   * the state on every channel at once, so an `enforce` sent after the change finds it there.
   */
  shareGates(state: PartitionState): void {
    for (const worker of this.workers)
      if (worker.alive)
        worker.request({ cmd: 'gates', state }).catch((error: unknown) => {
          this.onGatesError(worker.name, error)
        })
  }

  private onGatesError: (worker: string, error: unknown) => void = () => {}

  /** Service nodes of other processes that are up, for each worker's peer-exchange answers. */
  async shareExchange(nodes: readonly FleetMember[]): Promise<void> {
    await Promise.all(
      this.workers.map(async (worker) => {
        const peers: ExchangeEntry[] = nodes
          .filter((node) => node.worker !== worker.name && node.role !== 'crowd' && node.running && node.enr !== '')
          .map((node) => ({ peerId: node.peerId, enr: node.enr }))
        if (worker.alive) await worker.request({ cmd: 'exchange', peers }).catch(() => {})
      })
    )
  }

  private async each(command: DistributiveOmit<RunnerCommand, 'id'>): Promise<void> {
    await Promise.all(
      this.workers.map(async (worker) => {
        // a dead worker's share is already recorded as its nodes' deaths
        if (worker.alive) await worker.request(command)
      })
    )
  }

  /** In reverse start order after the fleet stopped its nodes; never throws. */
  async stop(): Promise<void> {
    await Promise.all(
      [...this.workers].reverse().map(async (worker) => {
        await worker.stop()
      })
    )
  }
}

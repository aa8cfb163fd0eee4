import { fork, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { Duplex } from 'node:stream'
import type { Clock, EventSink, EventType, Logger } from '../interface/index.js'
import type { FleetMember, FleetNodeInit, PartitionState } from '../fleet/index.js'
import type { LoadedScenario } from '../scenario/index.js'
import { FramedChannel } from './frames.js'
import type { ExchangeEntry, RunnerCommand, WorkerMessage, WorkerNodeInit } from './protocol.js'
import { RemoteNode } from './remote-node.js'

const MAIN = fileURLToPath(new URL('./main.js', import.meta.url))
const POLYFILL = fileURLToPath(new URL('../polyfill.js', import.meta.url))
/** Round trips per clock check; the one with the smallest RTT is kept (as the js-waku device does). */
const CLOCK_SAMPLES = 7
/** A worker that has not stopped its nodes this long after `shutdown` is killed: teardown must end. */
const SHUTDOWN_MS = 10_000
const EXIT_WAIT_MS = 3_000
const END_CLOCK_MS = 2_000
/** A request nobody answers (a wedged worker) fails instead of hanging the run. */
const REQUEST_TIMEOUT_MS = 30_000

/** Where `--workers N` puts a scenario's nodes: worker name -> node names; an empty map keeps everything in courier's process. */
export interface Placement {
  workers: number
  byWorker: Map<string, string[]>
  /** Why the scenario keeps every node in courier's process although more workers were asked for. */
  note?: string
}

/**
 * `workers` processes carry the fleet: courier's own and `workers - 1` worker processes. Stores
 * (the audit, store sync and store faults reach into them), simulated devices and the event log
 * stay in courier's process; the relays and crowd gateways are dealt one at a time to whichever
 * process carries the fewest libp2p nodes so far (courier's counting its stores and simulated
 * devices, a worker winning a tie), so each process ends with about the same number of nodes:
 * courier's process gets relays only when it has fewer than a fair share. Node links reroute dials
 * inside courier's process, so a scenario with them keeps every node there, and the placement says
 * why: nothing runs somewhere it would be wrong.
 */
export function planPlacement(scenario: LoadedScenario, workers: number, nodeLinksActive: boolean): Placement {
  if (!Number.isInteger(workers) || workers < 1) throw new Error(`workers must be a whole number >= 1, not ${workers}`)
  const byWorker = new Map<string, string[]>()
  if (workers === 1) return { workers, byWorker }
  if (nodeLinksActive)
    return {
      workers,
      byWorker,
      note: "the scenario shapes links between fleet nodes (network.links or a timeline link on a node): node links reroute dials inside courier's own process, so every fleet node runs there"
    }
  const names = Array.from({ length: workers - 1 }, (_, i) => `worker-${i + 1}`)
  for (const name of names) byWorker.set(name, [])
  // js-waku and browser devices run in processes of their own, appium ones on phones: only simulated ones weigh here
  const simulated = Object.values(scenario.config.devices).filter((device) => device.driver === 'simulated').length
  const load = new Map<string, number>([...names.map((name): [string, number] => [name, 0]), ['runner', scenario.nodes.stores.length + simulated]])
  for (const node of [...scenario.nodes.relays, ...scenario.nodes.gateways]) {
    const [lightest] = [...load].reduce((best, entry) => (entry[1] < best[1] ? entry : best))
    load.set(lightest, (load.get(lightest) ?? 0) + 1)
    byWorker.get(lightest)?.push(node)
  }
  return { workers, byWorker }
}

export interface WorkerComponents {
  clock: Clock
  events: EventSink
  log: Logger
  onError: (component: string, error: unknown) => void
  /** A peer id's node or device name, for the events of a worker that never heard of that peer. */
  peerName: (peerId: string) => string | undefined
}

type Pending = { resolve: (value: unknown) => void; reject: (error: Error) => void; timer: NodeJS.Timeout }

/** One worker process and its channel, from the runner's side. */
export class WorkerProcess {
  private child?: ChildProcess
  private channel?: FramedChannel
  private nextId = 1
  private readonly pending = new Map<number, Pending>()
  private exited?: Promise<void>
  private stopping = false
  private readonly hosted: RemoteNode[] = []
  private lastStderr: string[] = []
  alive = false

  constructor(
    readonly name: string,
    private readonly components: WorkerComponents
  ) {}

  get pid(): number | undefined {
    return this.child?.pid
  }

  /** The runner's stand-in for a node this worker will host. */
  host(init: FleetNodeInit): RemoteNode {
    const node = new RemoteNode(init, this)
    this.hosted.push(node)
    return node
  }

  async start(scenario: LoadedScenario, gateways: string[]): Promise<void> {
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
    const { clock, events } = this.components
    // the run clock's zero on the host's monotonic clock, read as close together as two calls get
    const originNs = process.hrtime.bigint() - BigInt(Math.round(clock.now() * 1e6))
    const nodes: WorkerNodeInit[] = this.hosted.map(({ init }) => {
      const { exchangePeers, light, ...rest } = init
      void light
      return { ...rest, exchange: exchangePeers != null }
    })
    await this.request({ cmd: 'init', init: { worker: this.name, originNs: originNs.toString(), config: scenario.config, gateways, nodes } })
    events.emit('worker.up', { worker: this.name, pid: child.pid ?? -1, nodes: this.hosted.map((node) => node.name) })
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

  async request(command: DistributiveOmit<RunnerCommand, 'id'>): Promise<unknown> {
    const channel = this.channel
    if (!this.alive || channel == null || channel.isClosed) throw new Error(`${this.name} is not running`)
    const id = this.nextId++
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id)
        reject(new Error(`${this.name}: no answer to ${command.cmd} within ${REQUEST_TIMEOUT_MS / 1000} s`))
      }, REQUEST_TIMEOUT_MS)
      timer.unref()
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

  private onExit(code: number | null, signal: NodeJS.Signals | null): void {
    this.alive = false
    const expected = this.stopping
    const { events } = this.components
    events.emit('worker.exit', { worker: this.name, pid: this.child?.pid ?? -1, code, signal, expected })
    this.failPending(new Error(`${this.name} exited (${signal ?? `code ${code}`})`))
    this.channel?.close('the worker exited')
    if (expected) return
    // a worker that dies mid-run takes its nodes with it: each is a node death, and the run goes on
    const died = this.hosted.filter((node) => node.lost())
    for (const node of died) events.emit('node.down', { node: node.name, role: node.role, reason: 'crashed' })
    const tail = this.lastStderr.length > 0 ? `; its last output: ${this.lastStderr.join(' | ')}` : ''
    this.components.onError(
      this.name,
      new Error(
        `worker process ${this.child?.pid ?? '?'} died (${signal ?? `exit code ${code}`}); its nodes ${died.map((n) => n.name).join(', ') || '(none up)'} died with it${tail}`
      )
    )
    this.components.log.warn(`courier: ${this.name} died (${signal ?? `exit code ${code}`}); its nodes are recorded as crashed and the run goes on`)
  }

  /** Stops the worker's nodes, then the process; kills it if it does not go. Never throws. */
  async stop(): Promise<void> {
    this.stopping = true
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
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never

/** The worker processes of one run. */
export class WorkerPool {
  readonly workers: WorkerProcess[]
  private readonly byNode = new Map<string, WorkerProcess>()

  constructor(
    readonly placement: Placement,
    components: WorkerComponents
  ) {
    this.workers = [...placement.byWorker.keys()].map((name) => new WorkerProcess(name, components))
    // a worker that missed a partition change would let through what the partition forbids: said as an error
    this.onGatesError = (worker, error) => {
      components.onError(worker, new Error(`the partition or block could not be sent: ${error instanceof Error ? error.message : String(error)}`))
    }
    for (const worker of this.workers) for (const node of placement.byWorker.get(worker.name) ?? []) this.byNode.set(node, worker)
  }

  get active(): boolean {
    return this.workers.length > 0
  }

  /** For Fleet's `place` hook: a stand-in for a node placed in a worker, else undefined (built in courier's process). */
  place = (init: FleetNodeInit): FleetMember | undefined => this.byNode.get(init.name)?.host(init)

  async start(scenario: LoadedScenario): Promise<void> {
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

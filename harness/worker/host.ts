import type { Clock, CreateDevice, Device, DeviceComponents, EventData, EventSink, EventType, Logger } from '../interface/index.js'
import { CrowdGateway, CrowdPlayer, Partitions, planCrowd, RelayNode, type FleetMember, type FleetNode, type FleetNodeComponents } from '../fleet/index.js'
import { contentTopicFor, type ExchangeablePeer } from '../protocol/index.js'
import { seededRandom, type DeviceConfig, type ScenarioConfig } from '../scenario/index.js'
import type { DeviceCall, NodeInfo, RunnerCommand, WireEvent, WorkerDeviceInit, WorkerInit, WorkerMessage } from './protocol.js'
import { startSelfMonitor } from './self-monitor.js'

/** Events wait at most this long in a worker before they go to the runner (its log flushes every 100 ms anyway). */
const SEND_EVENTS_EVERY_MS = 25
const SEND_EVENTS_AT = 500

export interface WorkerHostOptions {
  /** The address this worker's nodes listen on and announce, instead of the scenario's (a worker on another host). */
  listenHost?: string
  /**
   * Added to this process's monotonic clock: a host whose clock reads differently, for tests of
   * the runner's offset measurement on one machine (COURIER_WORKER_CLOCK_SKEW_MS).
   */
  clockSkewMs?: number
  /**
   * Builds the simulated devices the runner places here. The forked entry (main.ts) wires in
   * courier's reference client; a worker without it (one that joined over TCP) is never given
   * devices, since the run's capture could not see their packets on another host.
   */
  createDevice?: CreateDevice<DeviceConfig>
}

/**
 * The worker side: builds the nodes the runner placed here, runs the commands it sends, and sends
 * back every event its nodes and its crowd share emit, stamped on the shared run clock.
 */
export class WorkerHost {
  private clock: Clock = { now: () => 0 }
  private readonly nodes = new Map<string, FleetNode>()
  private readonly devices = new Map<string, Device>()
  /** Tells the devices' pending dials and store queries to give up when the worker shuts down. */
  private readonly devicesAbort = new AbortController()
  private config?: ScenarioConfig
  private readonly partitions = new Partitions()
  private crowd?: CrowdPlayer
  private monitor?: { stop(): { p99: number } }
  private otherProcesses: ExchangeablePeer[] = []
  private buffer: WireEvent[] = []
  private flushTimer?: NodeJS.Timeout
  private name = 'worker'
  private stopped = false

  private readonly skewNs: bigint

  constructor(
    private readonly send: (message: WorkerMessage) => void,
    private readonly options: WorkerHostOptions = {}
  ) {
    this.skewNs = BigInt(Math.round((options.clockSkewMs ?? 0) * 1e6))
  }

  /** This host's monotonic clock in ns (with the test skew): what `originNs` is read on. */
  private hrtime(): bigint {
    return process.hrtime.bigint() + this.skewNs
  }

  readonly events: EventSink = {
    emit: <K extends EventType>(type: K, data: EventData<K>, at?: number): void => {
      this.buffer.push([at ?? this.clock.now(), type, data as unknown as Record<string, unknown>])
      if (this.buffer.length >= SEND_EVENTS_AT) this.flush()
      else
        this.flushTimer ??= setTimeout(() => {
          this.flush()
        }, SEND_EVENTS_EVERY_MS)
    }
  }

  /** Sends what is buffered; a reply always goes after the events its command caused. */
  flush(): void {
    clearTimeout(this.flushTimer)
    this.flushTimer = undefined
    if (this.buffer.length === 0) return
    const events = this.buffer
    this.buffer = []
    this.send({ kind: 'events', events })
  }

  onError = (component: string, error: unknown): void => {
    this.events.emit('harness.error', { component, error: error instanceof Error ? error.message : String(error) })
  }

  async receive(command: RunnerCommand): Promise<void> {
    try {
      const result = await this.handle(command)
      this.flush()
      this.send({ kind: 'reply', id: command.id, ok: true, result })
    } catch (error) {
      this.flush()
      this.send({ kind: 'reply', id: command.id, ok: false, error: error instanceof Error ? error.message : String(error) })
    }
  }

  private node(name: string): FleetNode {
    const node = this.nodes.get(name)
    if (node == null) throw new Error(`${this.name} hosts no node ${name}`)
    return node
  }

  private info(node: FleetNode): NodeInfo {
    return { peerId: node.peerId, multiaddrs: node.multiaddrs, port: node.port, enr: node.enr }
  }

  private async handle(command: RunnerCommand): Promise<unknown> {
    switch (command.cmd) {
      case 'init':
        this.init(command.init)
        return undefined
      case 'clock':
        return this.clock.now()
      case 'hrtime':
        return this.hrtime().toString()
      case 'start': {
        const node = this.node(command.node)
        await node.start()
        return this.info(node)
      }
      case 'connect': {
        const node = this.node(command.node)
        node.dialTargets.splice(0, node.dialTargets.length, ...command.targets)
        await node.connect()
        return undefined
      }
      case 'kill':
        await this.node(command.node).kill()
        return undefined
      case 'stop':
        await this.node(command.node).stop()
        return undefined
      case 'restart': {
        const node = this.node(command.node)
        await node.restart()
        return this.info(node)
      }
      case 'mesh':
        return await this.node(command.node).meshReady(command.topic)
      case 'crowd':
        this.crowd?.start({ startedAt: command.startedAt, repeatEveryMs: command.repeatEveryMs })
        return undefined
      case 'crowdStop':
        this.crowd?.stop()
        return undefined
      case 'exchange':
        this.otherProcesses = command.peers.map((peer) => ({ peerId: peer.peerId, enr: Buffer.from(peer.enr.replace(/^enr:/, ''), 'base64url') }))
        return undefined
      case 'gates':
        this.partitions.restore(command.state)
        return undefined
      case 'enforce':
        await this.node(command.node).enforcePartition()
        return undefined
      case 'device':
        await this.addDevice(command.init)
        return undefined
      case 'deviceCall':
        await this.callDevice(command.device, command.call)
        return undefined
      case 'shutdown':
        await this.shutdown()
        return undefined
    }
  }

  private async addDevice(init: WorkerDeviceInit): Promise<void> {
    const config = this.config?.devices[init.name]
    if (this.config == null || config == null) throw new Error(`${this.name}: no device ${init.name} in the scenario`)
    if (this.options.createDevice == null) throw new Error(`${this.name} cannot host devices (no device driver in this worker)`)
    const worker = this.name
    const emit = this.events.emit
    // the runner's log says which process a device's events came from: device.up names its worker
    const events: EventSink = {
      emit: <K extends EventType>(type: K, data: EventData<K>, at?: number): void => {
        emit(type, (type === 'device.up' ? { ...data, worker } : data) as EventData<K>, at)
      }
    }
    const log = (level: 'info' | 'warn' | 'debug') => (message: string) => {
      this.send({ kind: 'log', level, message })
    }
    const logger: Logger = { info: log('info'), warn: log('warn'), debug: log('debug') }
    const components: DeviceComponents = {
      clock: this.clock,
      events,
      log: logger,
      fleet: {
        relays: init.relays,
        stores: init.stores,
        pubsubTopic: init.pubsubTopic,
        contentTopic: contentTopicFor,
        peerName: (peerId) => init.peers[peerId],
        ...(init.websocket == null ? {} : { websocket: init.websocket }),
        ...(init.file == null ? {} : { file: init.file })
      },
      // the stream the runner would have drawn for this device: the same seed, the same label
      random: seededRandom(this.config.seed, `device/${init.name}`),
      byteAccounting: init.byteAccounting
    }
    this.devices.set(init.name, await this.options.createDevice(init.name, config, init.topics, components))
  }

  private async callDevice(name: string, call: DeviceCall): Promise<void> {
    const device = this.devices.get(name)
    if (device == null) throw new Error(`${this.name} hosts no device ${name}`)
    const options = { signal: this.devicesAbort.signal }
    switch (call.op) {
      case 'start':
        return await device.start(options)
      case 'stop':
        return await device.stop()
      case 'send':
        return await device.send(call.message, options)
      case 'online':
        return await device.setOnline(call.online, options)
      case 'sync':
        return await device.syncHistory?.(options)
      case 'push':
        return await device.onPush?.(call.hash, options)
      case 'skew':
        return await device.setClockSkew?.(call.skewMs, options)
    }
  }

  private init(init: WorkerInit): void {
    this.name = init.worker
    this.config = init.config
    const origin = BigInt(init.originNs)
    this.clock = { now: () => Number(this.hrtime() - origin) / 1e6 }
    const components: FleetNodeComponents = { clock: this.clock, events: this.events, onError: this.onError, partitions: this.partitions }
    // peer exchange hands out every service node that is up, wherever it runs
    const exchangePeers = (): ExchangeablePeer[] => [
      ...[...this.nodes.values()].filter((node) => node.role !== 'crowd').flatMap((node) => node.exchangeable ?? []),
      ...this.otherProcesses
    ]
    for (const { exchange, ...spec } of init.nodes) {
      const nodeInit = { ...spec, ...(this.options.listenHost == null ? {} : { host: this.options.listenHost }), ...(exchange ? { exchangePeers } : {}) }
      this.nodes.set(spec.name, spec.role === 'crowd' ? new CrowdGateway(nodeInit, components) : new RelayNode(nodeInit, components))
    }
    const { crowd } = init.config
    if (crowd != null) {
      const gateways: Array<FleetMember | undefined> = init.gateways.map((name) => this.nodes.get(name))
      if (gateways.some((gateway) => gateway != null))
        this.crowd = new CrowdPlayer(planCrowd(crowd, init.config.duration, init.config.seed), gateways, crowd.topic, init.config.network.pubsubTopic, {
          clock: this.clock,
          events: this.events,
          onError: this.onError
        })
    }
    this.monitor = startSelfMonitor(this.events, this.name)
  }

  /** Devices, then gateways, then relays (the run's reverse start order); never throws, so the reply always goes. */
  async shutdown(): Promise<void> {
    if (this.stopped) return
    this.stopped = true
    this.crowd?.stop()
    // the runner stops its devices before the workers; these are left only when it could not (its channel went)
    this.devicesAbort.abort()
    await Promise.all(
      [...this.devices].map(async ([name, device]) => {
        try {
          await device.stop()
        } catch (error) {
          this.onError(name, error)
        }
      })
    )
    const all = [...this.nodes.values()]
    for (const group of [all.filter((node) => node.role === 'crowd'), all.filter((node) => node.role !== 'crowd')]) {
      await Promise.all(
        group.map(async (node) => {
          try {
            await node.stop()
          } catch (error) {
            this.onError(node.name, error)
          }
        })
      )
    }
    this.monitor?.stop()
    this.flush()
  }
}

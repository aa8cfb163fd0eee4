import type { Message } from '@libp2p/gossipsub'
import { KEEP_ALIVE, type PeerId } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import type { Clock, EventSink, NodeRole } from '../interface/index.js'
import { createWakuNode, identityPrivateKey, meshPeers, nodeEnr, type ExchangeablePeer, type MetadataOutcome, type WakuLibp2p } from '../protocol/index.js'
import { LightService, type LightServiceInit } from './light-service.js'
import type { Partitions } from './partitions.js'

export interface FleetNodeComponents {
  clock: Clock
  events: EventSink
  onError: (component: string, error: unknown) => void
  partitions: Partitions
  /** Where this node's dial to `host:port` goes instead (a node link's shaper); absent: straight there. */
  dialPort?: (from: string, host: string, port: number) => number
}

export interface FleetNodeInit {
  name: string
  role: NodeRole
  pubsubTopic: string
  seed: number
  /** Whether this node joins the topic mesh (relays and stores do; crowd gateways only publish). */
  subscribe: boolean
  /** Socket byte accounting into the run's events. */
  accounting: boolean
  /** IPv4 address to listen on (default 127.0.0.1): a real phone must be able to reach it. */
  host?: string
  /** Light services' settings a test may change (a short TTL, a variant subscription table). */
  light?: Pick<LightServiceInit, 'ttlMs' | 'subscriptions'>
  /** Fixed TCP and WebSocket ports (`network.ports`); absent: free ports picked at first start. */
  ports?: { tcp: number; ws: number }
  /** The fleet's cluster and shards: 66/WAKU2-METADATA answers and the ENR's `rs` field. */
  clusterId: number
  shards: number[]
  /** Service nodes answer 34/WAKU2-PEER-EXCHANGE with these peers' ENRs; absent: no peer exchange. */
  exchangePeers?: () => ExchangeablePeer[]
}

/**
 * What the fleet and the runner need of a node wherever it runs: a `FleetNode` in this process, or
 * a node a worker process hosts (harness/worker's `RemoteNode`, driven over its channel).
 */
export interface FleetMember {
  readonly name: string
  readonly role: NodeRole
  readonly address: string
  readonly port: number
  readonly multiaddrs: string[]
  readonly enr: string
  readonly exchangeable: ExchangeablePeer | undefined
  readonly peerId: string
  /** Addresses of the peers this node dials at start (its topology edges); filled before `connect`. */
  readonly dialTargets: string[]
  readonly running: boolean
  /** The libp2p node while it runs in this process; a node in a worker process has none here. */
  readonly node?: WakuLibp2p
  /** The worker process hosting the node; undefined: courier's own process. */
  readonly worker?: string
  start(): Promise<void>
  connect(signal?: AbortSignal): Promise<void>
  enforcePartition(): Promise<void>
  kill(): Promise<void>
  stop(): Promise<void>
  restart(signal?: AbortSignal): Promise<void>
  /** Whether the node has a mesh peer on the topic (false while it is down). */
  meshReady(pubsubTopic: string): Promise<boolean>
}

/**
 * One real libp2p node of the fleet. It keeps its identity and port across kill/restart so peers
 * that knew it can find it again, as a real node restarting on the same host would.
 */
export class FleetNode implements FleetMember {
  readonly name: string
  readonly role: NodeRole
  node?: WakuLibp2p
  private listenPort = 0
  private wsListenPort = 0
  private peerIdText = ''
  private enrRecord?: { text: string; bytes: Uint8Array }
  /** Addresses of the peers this node dials at start (its topology edges). */
  readonly dialTargets: string[] = []
  running = false
  /** FILTER and LIGHTPUSH for light clients, on every node that relays (not on crowd gateways). */
  light?: LightService

  constructor(
    protected readonly init: FleetNodeInit,
    protected readonly components: FleetNodeComponents
  ) {
    this.name = init.name
    this.role = init.role
  }

  get address(): string {
    return `/ip4/${this.init.host ?? '127.0.0.1'}/tcp/${this.listenPort}/p2p/${this.peerIdText}`
  }

  /** TCP port this node listens on; kept across restarts. */
  get port(): number {
    return this.listenPort
  }

  /** Every address an outside client can dial: TCP, then WebSocket, each with /p2p. */
  get multiaddrs(): string[] {
    const host = this.init.host ?? '127.0.0.1'
    return [this.address, `/ip4/${host}/tcp/${this.wsListenPort}/ws/p2p/${this.peerIdText}`]
  }

  /** The node's 31/WAKU2-ENR as text (`enr:...`); empty before the first start. */
  get enr(): string {
    return this.enrRecord?.text ?? ''
  }

  /** What peer exchange tells about this node; undefined while it is down. */
  get exchangeable(): ExchangeablePeer | undefined {
    return this.running && this.enrRecord != null ? { peerId: this.peerIdText, enr: this.enrRecord.bytes } : undefined
  }

  get peerId(): string {
    return this.peerIdText
  }

  async meshReady(pubsubTopic: string): Promise<boolean> {
    return this.node != null && meshPeers(this.node, pubsubTopic).length > 0
  }

  async start(): Promise<void> {
    const route = this.components.dialPort
    const identitySeed = `${this.init.seed}/${this.name}`
    const { events } = this.components
    const node = await createWakuNode({
      identitySeed,
      port: this.listenPort !== 0 ? this.listenPort : (this.init.ports?.tcp ?? 0),
      wsPort: this.wsListenPort !== 0 ? this.wsListenPort : (this.init.ports?.ws ?? 0),
      host: this.init.host,
      accounting: this.init.accounting ? { owner: this.name, events } : undefined,
      denyPeer: (peer) => this.components.partitions.blocked(this.name, peer),
      dialPort: route == null ? undefined : (host, port) => route(this.name, host, port),
      metadata: {
        clusterId: this.init.clusterId,
        shards: this.init.shards,
        onPeer: (outcome: MetadataOutcome) => {
          events.emit('metadata.peer', { node: this.name, ...outcome, peer: this.components.partitions.peerName(outcome.peer) ?? outcome.peer })
        }
      },
      peerExchange:
        this.init.exchangePeers == null
          ? undefined
          : {
              peers: this.init.exchangePeers,
              onRequest: ({ peer, asked, answered }) => {
                events.emit('peerExchange.request', { node: this.name, peer: this.components.partitions.peerName(peer) ?? peer, asked, answered })
              }
            }
    })
    if (this.init.subscribe) {
      const { clock, events, onError, partitions } = this.components
      this.light = await LightService.attach({
        ...this.init.light,
        name: this.name,
        node,
        pubsubTopic: this.init.pubsubTopic,
        clock,
        events,
        onError,
        peerName: (peer) => partitions.peerName(peer),
        onLocalPublish: (data) => {
          this.deliverLocally(data)
        }
      })
    }
    await this.beforeStart(node)
    await node.start()
    this.node = node
    this.peerIdText = node.peerId.toString()
    this.components.partitions.register(this.name, this.peerIdText)
    const tcpPortOf = (ws: boolean): number => {
      const listening = node.getMultiaddrs().find((ma) => ma.getComponents().some((c) => c.name === 'ws') === ws)
      return Number(listening?.getComponents().find((c) => c.name === 'tcp')?.value ?? 0)
    }
    this.listenPort = tcpPortOf(false)
    this.wsListenPort = tcpPortOf(true)
    this.enrRecord ??= await nodeEnr({
      privateKey: identityPrivateKey(identitySeed),
      host: this.init.host ?? '127.0.0.1',
      tcpPort: this.listenPort,
      wsPort: this.wsListenPort,
      clusterId: this.init.clusterId,
      shards: this.init.shards,
      capabilities: { relay: true, store: this.role === 'store', filter: this.init.subscribe, lightPush: this.init.subscribe }
    })
    node.services.pubsub.addEventListener('message', (event) => {
      if (event.detail.topic !== this.init.pubsubTopic) return
      try {
        this.light?.onRelayMessage(event.detail.topic, event.detail.data)
        this.onMessage(event.detail)
      } catch (error) {
        this.components.onError(this.name, error)
      }
    })
    if (this.init.subscribe) node.services.pubsub.subscribe(this.init.pubsubTopic)
    this.running = true
    this.components.events.emit('node.up', {
      node: this.name,
      role: this.role,
      peerId: this.peerIdText,
      addrs: node.getMultiaddrs().map(String),
      enr: this.enr
    })
  }

  /** Dials this node's topology edges; tagged keep-alive so libp2p redials them after a drop. */
  async connect(signal?: AbortSignal): Promise<void> {
    const node = this.node
    if (node == null) return
    await Promise.all(
      this.dialTargets.map(async (target) => {
        try {
          const addr = multiaddr(target)
          const connection = await node.dial(addr, { signal })
          await tagKeepAlive(node, connection.remotePeer)
        } catch (error) {
          if (!this.running) return
          this.components.onError(this.name, new Error(`dial ${target}: ${(error as Error).message}`))
        }
      })
    )
  }

  /** Drops live connections the current partition forbids (new ones are refused by the gater). */
  async enforcePartition(): Promise<void> {
    const node = this.node
    if (node == null) return
    await Promise.all(
      node
        .getConnections()
        .filter((connection) => this.components.partitions.blocked(this.name, connection.remotePeer.toString()))
        .map(async (connection) => {
          await connection.close().catch(() => {
            connection.abort(new Error('partition'))
          })
        })
    )
  }

  async kill(): Promise<void> {
    await this.halt('killed')
  }

  async stop(): Promise<void> {
    await this.halt('stopped')
  }

  async restart(signal?: AbortSignal): Promise<void> {
    if (this.running) return
    await this.start()
    await this.connect(signal)
  }

  private async halt(reason: 'stopped' | 'killed'): Promise<void> {
    if (!this.running) return
    this.running = false
    this.light?.stop()
    this.light = undefined
    this.onHalt()
    const node = this.node
    this.node = undefined
    await node?.stop()
    this.components.events.emit('node.down', { node: this.name, role: this.role, reason })
  }

  /** A message this node published for a light client, handled as if gossipsub had delivered it. */
  private deliverLocally(data: Uint8Array): void {
    try {
      this.light?.onRelayMessage(this.init.pubsubTopic, data)
      this.onMessage({ type: 'unsigned', topic: this.init.pubsubTopic, data })
    } catch (error) {
      this.components.onError(this.name, error)
    }
  }

  protected async beforeStart(node: WakuLibp2p): Promise<void> {
    void node
  }

  /** Called as the node goes down, before libp2p stops: cancel anything the node is waiting on. */
  protected onHalt(): void {}

  protected onMessage(message: Message): void {
    void message
  }
}

export async function tagKeepAlive(node: WakuLibp2p, peer: PeerId): Promise<void> {
  await node.peerStore.merge(peer, { tags: { [KEEP_ALIVE]: { value: 1 } } })
}

import type { Clock, EventSink, FleetDirectory } from '../interface/index.js'
import { contentTopicFor, shardOfPubsubTopic, type ExchangeablePeer } from '../protocol/index.js'
import { seededRandom, shuffle } from '../interface/random.js'
import type { LoadedScenario } from '../scenario/index.js'
import { CrowdGateway, CrowdPlayer, planCrowd } from './crowd.js'
import type { FleetMember, FleetNodeComponents, FleetNodeInit } from './fleet-node.js'
import { RelayNode } from './relay-node.js'
import { StoreNode } from './store-node.js'
import { Partitions } from './partitions.js'

export interface FleetComponents {
  clock: Clock
  events: EventSink
  onError: (component: string, error: unknown) => void
  /** Where a node's dial to `host:port` goes instead (node links); absent: nodes dial each other directly. */
  dialPort?: (from: string, host: string, port: number) => number
  /**
   * A relay or crowd gateway that runs in another process: the node standing in for it here, or
   * undefined to build it in this process. Stores always run here (the audit, store sync and the
   * store faults reach into them).
   */
  place?: (init: FleetNodeInit) => FleetMember | undefined
}

export interface PartitionSpec {
  groups: string[][]
}

/**
 * Relay graph: a ring (so the fleet is connected) plus seeded random chords until every relay has
 * at least `degree` neighbours (or all the others, in a smaller fleet).
 */
export function planRelayEdges(relays: number, degree: number, seed: number): Array<[number, number]> {
  const random = seededRandom(seed, 'topology')
  const neighbours = Array.from({ length: relays }, () => new Set<number>())
  const link = (a: number, b: number): void => {
    if (a !== b) {
      neighbours[a].add(b)
      neighbours[b].add(a)
    }
  }
  if (relays > 1) for (let i = 0; i < relays; i++) link(i, (i + 1) % relays)
  // A relay counts the links it already has (ring, and chords other relays drew to it): a chord
  // drawn blindly could land on a ring neighbour and leave the relay below the asked degree.
  const wanted = Math.min(degree, relays - 1)
  for (let i = 0; i < relays; i++) {
    for (const j of shuffle(
      random,
      Array.from({ length: relays }, (_, k) => k).filter((k) => k !== i)
    )) {
      if (neighbours[i].size >= wanted) break
      link(i, j)
    }
  }
  const edges = neighbours.flatMap((set, a) => [...set].filter((b) => a < b).map((b) => `${a}-${b}`))
  return edges.sort().map((edge) => edge.split('-').map(Number) as [number, number])
}

/** The simulated peer network of a scenario: relays, stores, crowd gateways, and the crowd's plan. */
export class Fleet {
  readonly relays: FleetMember[]
  readonly stores: StoreNode[]
  readonly gateways: FleetMember[]
  readonly crowd?: CrowdPlayer
  readonly pubsubTopic: string
  /** 66/WAKU2-METADATA cluster and shards, from the static-sharding pubsub topic. */
  readonly clusterId: number
  readonly shards: number[]
  readonly partitions = new Partitions()

  constructor(
    private readonly scenario: LoadedScenario,
    private readonly components: FleetComponents
  ) {
    const { config } = scenario
    this.pubsubTopic = config.network.pubsubTopic
    const nodeComponents: FleetNodeComponents = { ...components, partitions: this.partitions }
    const shard = shardOfPubsubTopic(this.pubsubTopic)
    if (shard == null) throw new Error(`network.pubsubTopic ${this.pubsubTopic} is not /waku/2/rs/<cluster>/<shard>`)
    this.clusterId = shard.clusterId
    this.shards = [shard.shard]
    const base = {
      pubsubTopic: this.pubsubTopic,
      seed: config.seed,
      accounting: config.capture !== 'off',
      host: config.network.host,
      clusterId: this.clusterId,
      shards: this.shards
    }
    // node i of relays, stores, gateways (in that order) takes two ports from the base: stable addresses
    const order = [...scenario.nodes.relays, ...scenario.nodes.stores, ...scenario.nodes.gateways]
    const ports = (name: string): { ports?: { tcp: number; ws: number } } => {
      const basePort = config.network.ports
      if (basePort == null) return {}
      const index = order.indexOf(name)
      return { ports: { tcp: basePort + 2 * index, ws: basePort + 2 * index + 1 } }
    }
    const exchangePeers = (): ExchangeablePeer[] => this.nodes.filter((node) => node.role !== 'crowd').flatMap((node) => node.exchangeable ?? [])
    const service = { exchangePeers }
    const placed = (init: FleetNodeInit, local: () => FleetMember): FleetMember => components.place?.(init) ?? local()
    this.relays = scenario.nodes.relays.map((name) => {
      const init: FleetNodeInit = { ...base, ...ports(name), ...service, name, role: 'relay', subscribe: true }
      return placed(init, () => new RelayNode(init, nodeComponents))
    })
    this.stores = scenario.nodes.stores.map(
      (name) => new StoreNode({ ...base, ...ports(name), ...service, name, role: 'store', subscribe: true }, nodeComponents)
    )
    const syncEvery = config.network.storeSync
    if (syncEvery !== 'off') for (const store of this.stores) store.sync = { intervalMs: syncEvery, peers: () => this.stores }
    this.gateways = scenario.nodes.gateways.map((name) => {
      const init: FleetNodeInit = { ...base, ...ports(name), name, role: 'crowd', subscribe: false }
      return placed(init, () => new CrowdGateway(init, nodeComponents))
    })
    if (config.crowd != null) {
      // a gateway in a worker process has its share of the plan played there (harness/worker)
      this.crowd = new CrowdPlayer(planCrowd(config.crowd, config.duration, config.seed), this.gateways, config.crowd.topic, this.pubsubTopic, components)
    }
  }

  get nodes(): FleetMember[] {
    return [...this.relays, ...this.stores, ...this.gateways]
  }

  node(name: string): FleetMember | undefined {
    return this.nodes.find((n) => n.name === name)
  }

  /**
   * Starts relays, then stores and gateways, then wires the topology; resolves when meshes formed.
   * `onListening` runs once every node listens and before any connection exists, so a packet
   * capture started there sees every connection from its first byte.
   */
  async start(signal: AbortSignal, onListening?: (ports: number[]) => Promise<void>): Promise<void> {
    const { config } = this.scenario
    await Promise.all(
      this.relays.map(async (relay) => {
        await relay.start()
      })
    )
    for (const [a, b] of planRelayEdges(this.relays.length, config.network.degree, config.seed)) {
      this.relays[a].dialTargets.push(this.relays[b].address)
    }
    const random = seededRandom(config.seed, 'attachments')
    const attach = (node: FleetMember, count: number): void => {
      for (const relay of shuffle(random, this.relays).slice(0, count)) node.dialTargets.push(relay.address)
    }
    for (const store of this.stores) attach(store, 2)
    for (const gateway of this.gateways) attach(gateway, 2)
    await Promise.all(
      [...this.stores, ...this.gateways].map(async (node) => {
        await node.start()
      })
    )
    // WebSocket listeners too: a browser device's packets go there
    await onListening?.(this.nodes.flatMap((node) => node.multiaddrs.map((addr) => Number(/\/tcp\/(\d+)/.exec(addr)?.[1])).filter((port) => port > 0)))
    await Promise.all(
      this.nodes.map(async (node) => {
        await node.connect(signal)
      })
    )
    await this.waitForMesh(signal)
  }

  /**
   * Which node dials which: the topology edges (known once `start` has planned them, before any
   * dial) and, with store sync on, every store to every other store.
   */
  dialPairs(): Array<[FleetMember, FleetMember]> {
    const byAddress = new Map(this.nodes.map((node) => [node.address, node]))
    const pairs: Array<[FleetMember, FleetMember]> = []
    for (const node of this.nodes) {
      for (const target of node.dialTargets) {
        const other = byAddress.get(target)
        if (other != null) pairs.push([node, other])
      }
    }
    if (this.scenario.config.network.storeSync !== 'off') {
      for (const a of this.stores) for (const b of this.stores) if (a !== b) pairs.push([a, b])
    }
    return pairs
  }

  /** Every subscribed node has a mesh peer on the topic: until then publishes would be lost. */
  private async waitForMesh(signal: AbortSignal): Promise<void> {
    const subscribed = [...this.relays, ...this.stores]
    const deadline = Date.now() + 20_000
    while (!signal.aborted && Date.now() < deadline) {
      const ready = (await Promise.all(subscribed.map(async (node) => await node.meshReady(this.pubsubTopic)))).every(Boolean)
      if (ready || subscribed.length <= 1) return
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }

  /** Splits the network into groups; returns the groups with `rest` resolved to names. */
  async partition(spec: PartitionSpec): Promise<string[][]> {
    const groups = this.partitions.set(spec.groups)
    await Promise.all(
      this.nodes.map(async (node) => {
        await node.enforcePartition()
      })
    )
    return groups
  }

  /** Address rules of the blocks in force, per device: what the device's own dialer is refused. */
  private readonly blockRules = new Map<string, BlockRule[]>()

  /** The nodes with an address a rule matches (`host`, `port`, or both). */
  nodesMatching(rules: readonly BlockRule[]): string[] {
    return this.nodes
      .filter((node) =>
        node.multiaddrs.some((addr) => {
          const match = /^\/ip4\/([^/]+)\/tcp\/(\d+)/.exec(addr)
          return match != null && rules.some((rule) => ruleMatches(rule, match[1], Number(match[2])))
        })
      )
      .map((node) => node.name)
  }

  /**
   * Censors a device: these nodes refuse its connections and drop the ones it has; with `rules`
   * (a block by address or port), the device is refused exactly those addresses, the nodes are
   * the ones that have one of them.
   */
  async block(device: string, nodes: readonly string[], rules?: readonly BlockRule[]): Promise<void> {
    this.partitions.block(device, nodes)
    if (rules != null) this.blockRules.set(device, [...(this.blockRules.get(device) ?? []), ...rules])
    await Promise.all(
      this.nodes
        .filter((node) => nodes.includes(node.name))
        .map(async (node) => {
          await node.enforcePartition()
        })
    )
  }

  /** Whether a block of this device covers `host:port`: an address rule, or an address of a node that refuses it (TCP or WebSocket). */
  refuses(device: string, host: string, port: number): boolean {
    if ((this.blockRules.get(device) ?? []).some((rule) => ruleMatches(rule, host, port))) return true
    const blocked = this.partitions.blockedFor(device)
    if (blocked.size === 0) return false
    return this.nodes.some(
      (node) => blocked.has(node.name) && node.multiaddrs.some((addr) => addr.startsWith(`/ip4/${host}/tcp/${port}/`) || addr === `/ip4/${host}/tcp/${port}`)
    )
  }

  unblock(device: string, nodes: readonly string[], rules?: readonly BlockRule[]): void {
    this.partitions.unblock(device, nodes)
    if (rules != null)
      this.blockRules.set(
        device,
        (this.blockRules.get(device) ?? []).filter((rule) => !rules.includes(rule))
      )
  }

  /** Lifts the partition; nodes redial their topology edges (devices redial on their own). */
  async heal(signal?: AbortSignal): Promise<void> {
    this.partitions.clear()
    await Promise.all(
      this.nodes
        .filter((node) => node.running)
        .map(async (node) => {
          await node.connect(signal)
        })
    )
  }

  directory(): FleetDirectory {
    return {
      relays: this.relays.map((relay) => relay.address),
      stores: this.stores.map((store) => ({ name: store.name, addr: store.address })),
      pubsubTopic: this.pubsubTopic,
      contentTopic: contentTopicFor,
      peerName: (peerId) => this.nodes.find((node) => node.peerId === peerId)?.name,
      websocket: {
        relays: this.relays.flatMap((relay) => relay.multiaddrs.filter((addr) => addr.includes('/ws/'))),
        stores: this.stores.flatMap((store) => store.multiaddrs.filter((addr) => addr.includes('/ws/')).map((addr) => ({ name: store.name, addr })))
      }
    }
  }

  /** Stops in reverse start order; never throws, so teardown always completes. */
  async stop(): Promise<void> {
    this.crowd?.stop()
    for (const group of [this.gateways, this.stores, this.relays]) {
      await Promise.all(
        group.map(async (node) => {
          try {
            await node.stop()
          } catch (error) {
            this.components.onError(node.name, error)
          }
        })
      )
    }
  }
}

/** A censor's match: an address, a port, or both (a block by `addresses:`). */
export interface BlockRule {
  host?: string
  port?: number
}

/** `127.0.0.1`, `127.0.0.1:60001` or `:60001` as a rule. */
export function parseBlockRule(text: string): BlockRule {
  const [host, port] = text.split(':')
  return { ...(host === '' ? {} : { host }), ...(port == null || port === '' ? {} : { port: Number(port) }) }
}

function ruleMatches(rule: BlockRule, host: string, port: number): boolean {
  return (rule.host == null || rule.host === host) && (rule.port == null || rule.port === port)
}

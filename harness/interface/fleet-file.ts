import type { NodeRole } from './events.js'

/** What a fleet node serves to outside clients, as the fleet file lists it. */
export type FleetService = 'relay' | 'store' | 'lightpush' | 'filter' | 'peer-exchange'

/** One node of a running fleet, as `fleet.json` lists it. */
export interface FleetFileNode {
  name: string
  role: NodeRole
  peerId: string
  /** Every address it listens on, each ending in /p2p/<peerId> (TCP first). */
  multiaddrs: string[]
  /** Its 31/WAKU2-ENR ("enr:..."), or null where the fleet has none. */
  enr: string | null
  services: FleetService[]
}

/**
 * `fleet.json`: how to reach a running fleet. The role lists (`boot`, `relay`, `store`, `lightpush`,
 * `filter`, `peerExchange`) hold one dialable address per node (its TCP one), so `boot[0]` is a node, not a transport.
 */
export interface FleetFile {
  version: 1
  /** The scenario's name; the Status fleet configuration calls the fleet `courier.<name>`. */
  name: string
  scenario: string
  seed: number
  /** The address the fleet listens on. */
  host: string
  /** The Waku cluster (static sharding: the pubsub topics are /waku/2/rs/<cluster>/<shard>). */
  cluster: number
  shards: number[]
  pubsubTopics: string[]
  /** Content topics the scenario uses, in the order of its topics. */
  contentTopics: string[]
  /** Scenario topic name -> content topic. */
  topics: Record<string, string>
  boot: string[]
  relay: string[]
  store: string[]
  lightpush: string[]
  filter: string[]
  peerExchange: string[]
  nodes: FleetFileNode[]
}

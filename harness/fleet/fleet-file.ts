import type { FleetFile, FleetFileNode, FleetService } from '../interface/index.js'
import { contentTopicFor } from '../protocol/index.js'
import type { LoadedScenario } from '../scenario/index.js'
import type { Fleet } from './fleet.js'
import type { FleetMember } from './fleet-node.js'

/** A node's addresses (TCP, then WebSocket) and its ENR; a node that never started has no ENR. */
function nodeAddresses(node: FleetMember): { multiaddrs: string[]; enr: string | null } {
  return { multiaddrs: node.multiaddrs, enr: node.enr === '' ? null : node.enr }
}

function servicesOf(node: FleetMember): FleetService[] {
  // relays and stores run the light services (FILTER, LIGHTPUSH) and peer exchange beside relay; crowd gateways serve nothing
  if (node.role === 'relay') return ['relay', 'lightpush', 'filter', 'peer-exchange']
  if (node.role === 'store') return ['relay', 'store', 'lightpush', 'filter', 'peer-exchange']
  return []
}

/** The one address of a node clients dial by default: its TCP one (a role list holds one per node). */
function dialAddress(node: FleetFileNode): string {
  return node.multiaddrs.find((addr) => !/\/(ws|wss|tls)\//.test(addr)) ?? node.multiaddrs[0]
}

/** The records of `fleet.json` for a started fleet. */
export function describeFleet(fleet: Fleet, scenario: LoadedScenario): FleetFile {
  const { config } = scenario
  const nodes: FleetFileNode[] = fleet.nodes.map((node) => ({
    name: node.name,
    role: node.role,
    peerId: node.peerId,
    ...nodeAddresses(node),
    services: servicesOf(node)
  }))
  const serving = (service: FleetService): string[] => nodes.filter((node) => node.services.includes(service)).map(dialAddress)
  return {
    version: 1,
    name: config.name,
    scenario: scenario.file,
    seed: config.seed,
    host: config.network.host,
    cluster: fleet.clusterId,
    shards: fleet.shards,
    pubsubTopics: [fleet.pubsubTopic],
    contentTopics: scenario.topics.map(contentTopicFor),
    topics: Object.fromEntries(scenario.topics.map((topic) => [topic, contentTopicFor(topic)])),
    boot: nodes.filter((node) => node.role === 'relay').map(dialAddress),
    relay: serving('relay'),
    store: serving('store'),
    lightpush: serving('lightpush'),
    filter: serving('filter'),
    peerExchange: serving('peer-exchange'),
    nodes
  }
}

/** status-go's cluster id for the Status fleets (status.prod, status.staging); a Status build expects it. */
export const STATUS_CLUSTER = 16

/**
 * A fleet definition status-go loads for a custom fleet, keyed by fleet name (`courier.<name>`).
 *
 * Format followed: status-go `pkg/messaging/waku/fleets/fleets.go` (`Info`: `wakuNodes`,
 * `discV5BootstrapNodes`, `clusterID`, `storeNodes`; `Map` keyed by fleet name), read by
 * `params.LoadWakuFleetsFromFile` (e.g. the push-notification server's `-waku-fleet-config`), and
 * `pkg/messaging/types/store_node.go` (`StoreNode`: `id`, `name`, `custom`, `enr`, `addr`, ENR and
 * address as strings). `wakuNodes` are the relay nodes as static multiaddrs (status-go takes
 * `enrtree://` or multiaddrs there); `discV5BootstrapNodes` stays empty because courier's nodes serve
 * no discv5 (UDP): a client finds the other nodes by peer exchange from the boot nodes.
 */
export function statusFleetConfig(file: FleetFile): Record<string, StatusFleet> {
  return {
    [statusFleetName(file)]: {
      wakuNodes: file.boot,
      discV5BootstrapNodes: [],
      clusterID: file.cluster,
      storeNodes: file.nodes
        .filter((node) => node.services.includes('store'))
        .map((node) => ({
          id: node.name,
          name: `${node.name} (courier ${file.name})`,
          custom: true,
          // status-go skips an empty ENR and then uses addr
          enr: node.enr ?? '',
          addr: dialAddress(node)
        }))
    }
  }
}

export function statusFleetName(file: FleetFile): string {
  return `courier.${file.name}`
}

/** One fleet of status-go's fleets file. */
export interface StatusFleet {
  wakuNodes: string[]
  discV5BootstrapNodes: string[]
  clusterID: number
  storeNodes: Array<{ id: string; name: string; custom: boolean; enr: string; addr: string }>
}

import type { FleetFile, OutgoingMessage } from '../interface/index.js'
import type { FleetNodeInit, PartitionState } from '../fleet/index.js'
import type { ScenarioConfig } from '../scenario/index.js'

/**
 * What the runner and a worker process say to each other, one JSON frame each (frames.ts). A
 * worker hosts fleet nodes and plays its gateways' share of the crowd; it owns no policy: the
 * runner decides placement, topology and faults, and writes every event the worker sends.
 */

/** A node as the worker builds it: the runner's init without its functions (peer exchange's list is the worker's own). */
export type WorkerNodeInit = Omit<FleetNodeInit, 'exchangePeers' | 'light'> & { exchange: boolean }

export interface WorkerInit {
  /** The name its events and self-monitoring samples carry (`worker-1`). */
  worker: string
  /**
   * The run clock's zero as a reading of the host's monotonic clock (process.hrtime, ns, decimal
   * text): every process on the host reads the same CLOCK_MONOTONIC, so a worker's `t` is the
   * runner's without a correction.
   */
  originNs: string
  config: ScenarioConfig
  /** Every crowd gateway of the fleet in order: the plan sends user u through gateway u % length. */
  gateways: string[]
  nodes: WorkerNodeInit[]
}

/** A started node's addresses, for the runner's stand-in. */
export interface NodeInfo {
  peerId: string
  multiaddrs: string[]
  port: number
  enr: string
}

/** A peer other fleet nodes hand out in peer exchange: a node of another process. */
export interface ExchangeEntry {
  peerId: string
  /** The ENR's text (`enr:...`). */
  enr: string
}

/**
 * A simulated device as the worker builds it: its scenario entry is in `WorkerInit.config`; the
 * fleet as the runner's directory gives it, less the functions (content topics are computed the
 * same way here, node names come as a table, and its seeded random stream is drawn here from the
 * same seed and label).
 */
export interface WorkerDeviceInit {
  name: string
  topics: string[]
  relays: string[]
  stores: Array<{ name: string; addr: string }>
  pubsubTopic: string
  /** Fleet nodes' peer ids -> names (a restarted node keeps its identity, so the table holds for the run). */
  peers: Record<string, string>
  websocket?: { relays: string[]; stores: Array<{ name: string; addr: string }> }
  file?: FleetFile
  byteAccounting: boolean
}

/** One call of the Device contract on a device a worker hosts. */
export type DeviceCall =
  | { op: 'start' }
  | { op: 'stop' }
  | { op: 'send'; message: OutgoingMessage }
  | { op: 'online'; online: boolean }
  | { op: 'sync' }
  | { op: 'push'; hash: string }
  | { op: 'skew'; skewMs: number }

export type RunnerCommand =
  | { id: number; cmd: 'init'; init: WorkerInit }
  | { id: number; cmd: 'clock' }
  /** The worker host's monotonic clock in ns (decimal text), before init: a worker on another host reads another clock. */
  | { id: number; cmd: 'hrtime' }
  | { id: number; cmd: 'start'; node: string }
  | { id: number; cmd: 'connect'; node: string; targets: string[] }
  | { id: number; cmd: 'kill'; node: string }
  | { id: number; cmd: 'stop'; node: string }
  | { id: number; cmd: 'restart'; node: string }
  | { id: number; cmd: 'mesh'; node: string; topic: string }
  | { id: number; cmd: 'crowd'; startedAt: number; repeatEveryMs?: number }
  | { id: number; cmd: 'crowdStop' }
  /** Nodes of other processes that are up, for this worker's peer-exchange answers. */
  | { id: number; cmd: 'exchange'; peers: ExchangeEntry[] }
  /**
   * The runner's partitions and blocks, sent after every change: the worker's nodes' connection
   * gates decide on this copy. Sent before any `enforce` that depends on it, on the same channel.
   */
  | { id: number; cmd: 'gates'; state: PartitionState }
  /** Drop the node's connections the gates now forbid. */
  | { id: number; cmd: 'enforce'; node: string }
  /** Build a simulated device (not started): the runner's directory of the fleet is known once the fleet is up. */
  | { id: number; cmd: 'device'; init: WorkerDeviceInit }
  | { id: number; cmd: 'deviceCall'; device: string; call: DeviceCall }
  /** Stop every device, then every node (gateways, then relays), send what is buffered, answer, exit. */
  | { id: number; cmd: 'shutdown' }

/** Bumped when the frames' meaning changes: a runner refuses a worker of another protocol. */
export const WORKER_PROTOCOL = 1

/** An event as the worker recorded it: time on the run clock, type, data. */
export type WireEvent = [t: number, type: string, data: Record<string, unknown>]

export type WorkerMessage =
  | { kind: 'reply'; id: number; ok: true; result?: unknown }
  | { kind: 'reply'; id: number; ok: false; error: string }
  | { kind: 'events'; events: WireEvent[] }
  /** A hosted device's log line (its warnings reach the runner's terminal as a local device's would). */
  | { kind: 'log'; level: 'info' | 'warn' | 'debug'; message: string }
  /** A worker that joined over TCP (`courier worker --join`) says who it is first. */
  | { kind: 'hello'; protocol: typeof WORKER_PROTOCOL; pid: number; hostname: string; listenHost?: string; courier: string }

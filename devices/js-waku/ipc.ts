/**
 * The small protocol between the js-waku device (in the runner's process) and its child process,
 * over node's IPC channel. Every child message carries `t`: the child's own monotonic clock
 * (performance.now()), which the parent maps onto the run clock with the offset it measured.
 */

/** What the child needs to build its light node. */
export interface ChildStartInit {
  /** The name its events are recorded under. */
  owner: string
  /** courier's identity seed: the node's key, so the fleet (partitions) knows its peer id. */
  identitySeed: string
  /** Relay (service) nodes, as this device sees them (shaped links already rewritten). */
  bootstrap: string[]
  /** Store nodes: js-waku's `store.peers`, which its store client dials when it needs one. */
  storePeers: string[]
  clusterId: number
  shard: number
  contentTopics: string[]
  /** Filter subscriptions js-waku keeps at once (its `numPeersToUse`). */
  numPeers: number
  /** Count bytes at the child's sockets and send them as events. */
  accounting: boolean
  /** Give up starting when no service node is usable this long. */
  startTimeoutMs: number
}

export type ParentCommand =
  | { id: number; cmd: 'clock' }
  | { id: number; cmd: 'start'; init: ChildStartInit }
  | { id: number; cmd: 'send'; contentTopic: string; payloadHex: string; timestampMs: number }
  | { id: number; cmd: 'network'; online: boolean }
  | { id: number; cmd: 'query'; contentTopics: string[]; timeStartMs?: number; timeoutMs: number }
  | { id: number; cmd: 'stop' }

/** What a send became: the peers that accepted it and the ones that did not. */
export interface SendResult {
  successes: string[]
  failures: Array<{ peer?: string; error: string }>
}

/** A store query's outcome as js-waku ran it. */
export interface QueryResult {
  /** Child clock when the query began. */ startedT?: number
  store?: string
  messages: number
  pages: number
  bytes: number
  error?: string
}

export type ChildMessage =
  | { kind: 'reply'; id: number; t: number; ok: true; result?: unknown }
  | { kind: 'reply'; id: number; t: number; ok: false; error: string }
  /** A message js-waku handed to the app: from a filter push, or from a store page. */
  | { kind: 'message'; t: number; via: 'filter' | 'store'; hash: string; msgId?: string; from?: string; contentTopic: string; bytes: number }
  /** js-waku's filter subscription set changed (observed, never steered). */
  | { kind: 'filter'; t: number; peer: string; state: 'subscribed' | 'lost' | 'failed'; reason?: string }
  /** A courier event the child produced itself (socket accounting). */
  | { kind: 'event'; t: number; type: string; data: Record<string, unknown> }
  /** Something went wrong inside js-waku that the app would only see in its log. */
  | { kind: 'log'; t: number; level: 'warn' | 'info'; message: string }

/**
 * The event model: every component emits these into RUN_DIR/events.ndjson; every figure in a
 * report is derived from them afterwards. `t` is milliseconds since the run started, on the
 * runner's single monotonic clock.
 */

import type { BuildInfo, ClientIdentity } from './results.js'

/** How a message reached a device. */
export type DeliveryPath = 'relay' | 'store' | 'filter' | 'lightpush'

export type DeviceStatus = 'upToDate' | 'syncing' | 'failed'

export type NodeRole = 'relay' | 'store' | 'crowd'

/** How a device published: into its own gossipsub mesh, or through a service node (light mode). */
export type PublishPath = 'relay' | 'lightpush'

/** The four 12/WAKU2-FILTER v2 requests. */
export type FilterRequestType = 'ping' | 'subscribe' | 'unsubscribe' | 'unsubscribeAll'

interface EventMap {
  /** First line of every log: everything `courier report` needs to recompute results. */
  'run.start': {
    runId: string
    scenario: unknown
    scenarioFile: string
    seed: number
    tool: ToolInfo /** The build under test (--build FILE, a profile's app.path) and courier's identity. */
    build?: BuildInfo /** Wall clock (Unix ms) at t = 0: maps capture timestamps onto the run clock. */
    wallClockMs?: number
  }
  /** Scenario time zero: the fleet and devices are up; timeline `at:` counts from here. */
  'scenario.start': { note?: string }
  /** Traffic stopped; the grace period for late deliveries begins. */
  'scenario.end': { note?: string }
  'run.end': { status: 'complete' | 'interrupted' | 'failed'; reason?: string }

  /** `enr`: the node's 31/WAKU2-ENR text, what peer exchange hands out about it. */
  'node.up': { node: string; role: NodeRole; peerId: string; addrs: string[]; enr?: string }
  /**
   * 66/WAKU2-METADATA with one peer after identify: `mismatch` (another cluster) closed the
   * connection, as nwaku does; `unsupported`: the peer does not list the protocol.
   */
  'metadata.peer': { node: string; peer: string; status: 'ok' | 'mismatch' | 'unsupported' | 'failed'; clusterId?: number; shards?: number[]; error?: string }
  /** A 34/WAKU2-PEER-EXCHANGE query a service node answered. */
  'peerExchange.request': { node: string; peer: string; asked: number; answered: number }
  'node.down': { node: string; role: NodeRole; reason: 'stopped' | 'killed' | 'crashed' }
  /** A libp2p connection opened; ports let packet captures be attributed to nodes and devices. */
  'conn.open': { owner: string; remote: string; localAddr: string; remoteAddr: string; connId: string }
  'conn.close': { owner: string; connId: string; bytesUp: number; bytesDown: number }
  /**
   * Socket accounting: bytes one owner sent (up) and received (down) on one connection in the
   * last interval, per libp2p protocol; protocol `wire` is the TCP payload of the whole connection
   * (noise and yamux framing included), the figure of record.
   */
  'bytes.sample': { owner: string; connId: string; protocol: string; up: number; down: number }
  /** Which capture backend this run used, and why (tcpdump missing or not permitted, say). */
  'capture.start': { backend: 'tcpdump' | 'socket' | 'off'; file?: string; reason?: string; argv?: string[] }
  'capture.stop': { backend: 'tcpdump' | 'socket' | 'off'; packets?: number; dropped?: number }
  /** One socket write or read of a device, for radio energy models where no packet capture exists. */
  'bytes.chunk': { owner: string; connId: string; direction: 'up' | 'down'; bytes: number }

  /** `worker`: the worker process that hosts the device (`--workers N`); absent, courier's own. */
  'device.up': { device: string; driver: string; peerId?: string; worker?: string }
  'device.down': { device: string }
  'device.online': { device: string }
  /** The relay nodes a device was told about at start (its bootstrap list). */
  'device.bootstrap': { device: string; nodes: string[] }
  /** A device connected to a relay node it learned from its bootstrap list or by peer exchange. */
  'device.relay': { device: string; node: string; source: 'bootstrap' | 'peer-exchange' }
  /** A device's peer-exchange query answered: how many nodes it learned that it did not know. */
  'device.peerExchange': { device: string; node: string; answered: number; learned: number }
  /** Fleet nodes refuse a device's connections (censorship), until block.end. */
  'block.start': {
    device: string
    nodes: string[] /** A block by address or port: the rules as written; `nodes` are the nodes with a matching address. */
    addresses?: string[]
  }
  'block.end': { device: string; nodes: string[] }
  'device.offline': { device: string }
  /** A device crashed or could not do what it was asked; the run goes on without it. */
  'device.failed': { device: string; error: string }
  'device.status': { device: string; status: DeviceStatus }
  'device.subscribe': { device: string; topic: string }

  /** A message was published. `device` for devices, `node` + `user` for the crowd. */
  'msg.sent': {
    msgId: string
    hash: string
    topic: string
    bytes: number
    device?: string
    node?: string
    user?: string /** A device's way out; absent means relay (and always for the crowd). */
    via?: PublishPath
  }
  /** A relay or store node saw the message for the first time. */
  'msg.relayed': { node: string; hash: string }
  /** `via: 'sync'` when the store got it from a peer store (store sync) rather than from relay. */
  'msg.stored': { store: string; hash: string; via?: 'sync' }
  /** Every arrival at a device, first or duplicate. */
  'msg.received': { device: string; hash: string; msgId: string; via: DeliveryPath; bytes: number; duplicate: boolean }
  /** The message would now be on screen. */
  'msg.rendered': { device: string; hash: string; msgId: string }

  /** A sent-message check: a hash-only query asking the device's store which of its recent messages it holds. */
  'msg.confirm': { device: string; store: string; checked: number; found: number; bytes: number; error?: string }
  /** The store holds a message this device sent. */
  'msg.confirmed': { device: string; hash: string; msgId: string; store: string }
  /** A sent message still unconfirmed 10 s after it went out was published again. */
  'msg.resent': { device: string; hash: string; msgId: string; attempt: number }
  /** A device picked its store node by ping (ms; null: no answer within 4 s). */
  'store.select': { device: string; store: string; rttMs: Record<string, number | null> }
  /** After `failures` failed history requests a device moved on from one store to another (status-go: mailserver.not.working). */
  'store.switch': { device: string; from: string; to: string; failures: number }
  /**
   * Light mode, fleet side. `peer` is the subscriber's device name when the run knows it, else its
   * peer id. A request's answer (status 200, 400, 404, 503):
   */
  'filter.request': { node: string; peer: string; requestId: string; request: FilterRequestType; contentTopics: string[]; status: number }
  /** A service node forgot a subscriber: its connection closed, it was silent past the TTL, or the node went down. */
  'filter.drop': { node: string; peer: string; reason: 'disconnected' | 'expired' | 'node-down'; contentTopics: string[] }
  /** A service node pushed a message to a subscriber (`error`: the push did not get through). */
  'filter.push': { node: string; peer: string; hash: string; bytes: number; error?: string }
  /** A service node answered a LIGHTPUSH request; on 200 it published the message to `relayPeers` gossipsub peers. */
  'lightpush.request': { node: string; peer: string; requestId: string; hash?: string; status: number; relayPeers: number }
  /** Light mode, device side: a subscription on a service node was made, found lost (`reason`), or refused. */
  'filter.subscription': { device: string; node: string; state: 'subscribed' | 'lost' | 'failed'; contentTopics: string[]; reason?: string }
  /** A light device's LIGHTPUSH answer; status 0 means none came (see `error`). */
  'lightpush.response': { device: string; node: string; requestId: string; hash: string; status: number; relayPeers?: number; error?: string }

  'store.query': { device: string; store: string; requestId: string; topic: string; timeStart?: number; timeEnd?: number }
  'store.response': { device: string; store: string; requestId: string; status: number; messages: number; bytes: number; pages: number; error?: string }

  /** One history request's stages (run clock, ms): dial done, first page in, last page in, all shown. */
  'store.stages': {
    device: string
    store: string
    requestId: string
    sent: number
    dialed: number
    firstPage: number
    lastPage: number
    rendered: number
    messages: number
  }
  /**
   * After the traffic, each reachable store node is asked (hash-only queries) for every message that
   * reached the fleet, and for everything it holds on the run's topics.
   */
  'store.audit': { store: string; reachable: boolean; expected: number; missing: number; missingHashes: string[]; extra: number; error?: string }
  /** A store sync round with one peer store found messages missing here (or failed: a partition, a dead peer). */
  'store.sync': { store: string; peer: string; checked: number; missing: number; fetched: number; error?: string }
  /** A device's link (shaped in user space) was set up or changed; `ports` maps each shaped port to the fleet node behind it. */
  'link.change': { device: string; preset?: string; up: LinkFigures; down: LinkFigures; ports?: Record<string, string> }
  /**
   * A connection between two fleet nodes is shaped: `a` dials `b` through the shaper on `port`;
   * `up` is a to b, `down` b to a. Emitted when the shaper starts and whenever a timeline `link`
   * changes either node's access link.
   */
  'node.link': { a: string; b: string; port: number; up: LinkFigures; down: LinkFigures }
  /**
   * A connection crossed a shaper: `owner` (a device or the dialling node) to `target`; `dialer`
   * is the owner's socket, `upstream` the shaper's own socket towards the target, which a capture
   * sees as a connection of its own.
   */
  'link.connection': { owner: string; target: string; dialer: string; upstream: string }
  /** How this run shapes links, said once when it shapes any: courier's userspace relay, and whether this kernel has netem. */
  'link.backend': { backend: 'userspace'; netem: { available: boolean; reason: string } }
  /** A (simulated) push notification about a message reached a device, outside the p2p network. */
  'push.received': { device: string; hash: string; msgId: string }
  'timeline.action': { index: number; action: string; detail: Record<string, unknown> }
  /** Actions of a timeline entry that were due in the traffic phase and did not happen: the run cannot pass. */
  'timeline.dropped': { index: number; action: string; count: number; reason: string }
  /** The network split into groups of node and device names (resolved: no `rest`). */
  'partition.start': { groups: string[][] }
  'partition.heal': { note?: string }
  /** Self-monitoring sample of one harness process over the last interval. */
  'harness.lag': { process: string; p50: number; p99: number; max: number; cpu: number; rssMb: number }
  'harness.error': { component: string; error: string }
  /**
   * Where `courier run --workers N` put the fleet's nodes: each worker process's relays and crowd
   * gateways, and what stayed in courier's own process; `note` says why a scenario kept everything there.
   * `devices`: the simulated devices each worker hosts; `devicesKept`: each device that stays in
   * courier's process, and why (its driver, its shaped link, a block, or the balance of the count).
   */
  'workers.placement': {
    workers: number
    byWorker: Record<string, string[]>
    runner: string[]
    note?: string
    devices?: Record<string, string[]>
    devicesKept?: Record<string, string>
  }
  /** A worker process is up and hosts these nodes (not started yet). */
  /**
   * A worker started its nodes. One that joined over TCP from another host (`courier worker
   * --join`) also gives that host and the offset of its monotonic clock from the runner's (ms,
   * worker minus runner, from the round trip with the smallest RTT), which its run clock corrects.
   */
  'worker.up': { worker: string; pid: number; nodes: string[]; host?: string; hostname?: string; clockOffsetMs?: number; clockRttMs?: number }
  /**
   * The worker's clock minus the run clock (ms), from the IPC round trip with the smallest RTT. Both
   * read the host's one monotonic clock, so this checks the shared origin rather than correcting it.
   */
  'worker.clock': { worker: string; phase: 'start' | 'end'; offsetMs: number; rttMs: number; samples: number }
  /**
   * A worker process ended; `expected` false: it died mid-run, its running nodes are recorded as
   * `node.down` crashed and its devices as `device.failed`.
   */
  'worker.exit': { worker: string; pid: number; code: number | null; signal: string | null; expected: boolean }
  /** A UI-driven device (appium) showed its usable screen this long after its app was launched (sign-in included). */
  'device.usable': { device: string; launchMs: number; pollMs: number }
  /** Phone clock minus harness wall clock (ms), from the round trip with the smallest RTT; `resolutionMs` is the device clock's reading step. */
  /** The client under test as the device knows it: a package's version, or the app version installed on the phone. */
  'device.client': ClientIdentity & { device: string }
  'device.clock': { device: string; phase: 'start' | 'end'; offsetMs: number; rttMs: number; samples: number; resolutionMs: number; source: string }
  /** A phone's own battery figures: level 0..1 at start and end; at the end, the app's estimated mAh, radio-active time and bytes when batterystats was readable. */
  'device.battery': {
    device: string
    phase: 'start' | 'end'
    level?: number
    state?: string
    mAh?: number
    radioActiveMs?: number
    bytesRx?: number
    bytesTx?: number
    source: string
  }
  /** A file a device driver saved in the run directory (screenshot, page source, device log), path relative to it. */
  'device.artifact': { device: string; kind: 'screenshot' | 'pageSource' | 'log' | 'serverLog' | 'trace'; file: string; reason: string }
  /** The app went to the background or came back (appium devices). */
  'device.app': { device: string; state: 'background' | 'foreground' }
  /**
   * An appium profile's `fleet:` check: the fleet the app showed (`current`) against the run's
   * (`wanted`); `set`: its steps ran (`steps` of them, `ms` long) and the app showed `after`; `kept`: it was already on it.
   */
  'device.fleet': { device: string; action: 'kept' | 'set'; current: string; wanted: string; after?: string; steps?: number; ms?: number }
  /** A QA flow (a Mocha spec) started on a device's live session; `spec` as written in the scenario. */
  'flow.start': { device: string; flow: string; spec: string; timeoutMs: number }
  /** One test (`it`) of a flow finished; `error` is its first line and where in the spec it failed. */
  'flow.test': { device: string; flow: string; title: string; passed: boolean; durationMs: number; error?: string }
  /**
   * A flow ended. `passed` means every test passed and the flow did not time out or fail to load;
   * `durationMs` is null when it never started (its device had failed, say).
   */
  'flow.end': {
    device: string
    flow: string
    spec: string
    passed: boolean
    tests: number
    passes: number
    failures: number
    durationMs: number | null
    error?: string
  }
}

/** The owner name of the client that audits stores after the traffic: its bytes are courier's, not the product's. */
export const STORE_AUDITOR = 'store-auditor'

/** One direction of a shaped link. */
export interface LinkFigures {
  latencyMs: number
  jitterMs: number
  lossRate: number
  bandwidthBps: number
}

export type EventType = keyof EventMap

/** One line of events.ndjson. */
export type CourierEvent = { [K in EventType]: { t: number; type: K } & EventMap[K] }[EventType]

/** The event of one type, e.g. `EventOf<'msg.sent'>`. */
export type EventOf<K extends EventType> = Extract<CourierEvent, { type: K }>

/** The payload of one event type, without `t` and `type`. */
export type EventData<K extends EventType> = EventMap[K]

/** Where components put their events; the runner owns the one implementation. */
export interface EventSink {
  /**
   * `at`: when it happened on the run clock, for a device that learns of it a little later (a
   * browser page's own timestamps, a js-waku process's clock mapped through a measured offset);
   * never later than now. Default: now.
   */
  emit<K extends EventType>(type: K, data: EventMap[K], at?: number): void
}

export interface ToolInfo {
  courier: string
  node: string
  libp2p: string
  gitCommit?: string
  host: { platform: string; arch: string; cpus: number; memoryGb: number; hostname: string }
}

/** The one monotonic clock of a run. */
export interface Clock {
  /** Milliseconds since the run started. */
  now(): number
}

/** RUN_DIR/results.json: versioned; everything in it is derived from events.ndjson (and captures). */
import type { LinkFigures } from './events.js'

export const RESULTS_SCHEMA_VERSION = 1

export type Verdict = 'pass' | 'fail' | 'inconclusive' | 'interrupted'

/** What kind of quantity a metric is; thresholds must use a compatible unit. */
export type MetricUnit = 'ms' | 'ratio' | 'count' | 'bytes' | 'boolean' | 'joules' | 'mAh' | 'mAh/h' | 'bytes/h' | 'seconds'

export interface MetricValue {
  value: number | boolean | null
  unit: MetricUnit
}

export interface LatencySummary {
  count: number
  p50: number | null
  p90: number | null
  p95: number | null
  p99: number | null
  max: number | null
  mean: number | null
}

export interface DeviceDelivery {
  expected: number
  delivered: number
  lost: number
  lossRate: number
  /** send -> first msg.received */
  latency: LatencySummary
  /** send -> msg.rendered */
  renderLatency: LatencySummary
  duplicates: { total: number; rate: number; byPath: Record<string, number> }
  /** First arrivals by path (how messages got there). */
  firstByPath: Record<string, number>
  failed: boolean
  /** Message ids never delivered (capped list). */
  lostMessages: string[]
}

/** One store node's history queries, from the devices' store.query and store.response events. */
export interface StoreFigures {
  /** Responses (a failure counts as a query too). */
  queries: number
  /** Responses with a status other than 200. */
  failed: number
  messages: number
  bytes: number
  /** Responses with a 2xx status and no error that follow their store.query; absent in results written before it existed. */
  answered?: number
  /** store.query to store.response of the answered ones; absent in results written before it existed. */
  latency?: LatencySummary
}

/** When a first arrival counts as late, and where that bound came from. */
export interface LateAfter {
  ms: number
  /** `threshold delivery.latency.p95 < 2s`, or the default's reason. */
  source: string
}

/** Delivered / expected from one sender to one receiving device. */
export interface MatrixCell {
  expected: number
  onTime: number
  late: number
  lost: number
  duplicates: number
}

/** Every sender (devices, then `crowd`, then nodes) against every receiving device; null: nothing expected. */
export interface DeliveryMatrix {
  /** A first arrival later than this after the send is late (LateAfter.ms). */
  lateAfterMs: number
  lateSource: string
  senders: string[]
  receivers: string[]
  /** cells[sender][receiver], in the order of `senders` and `receivers`. */
  cells: Array<Array<MatrixCell | null>>
}

export interface ThresholdResult {
  metric: string
  expression: string
  /** Measured value, or null if the run produced none. */
  value: number | boolean | null
  unit: MetricUnit
  passed: boolean
  /** Human text: `delivery.latency.p95 = 812 ms, wanted < 2 s`. */
  message: string
}

/** One harness process's self-monitoring over the traffic phase. */
export interface ProcessHealth {
  lagP99Ms: number
  lagMaxMs: number
  cpuMaxPercent: number
  rssMaxMb: number
  saturated: boolean
  samples: number
}

export interface HarnessHealth {
  /** The worst process's event-loop delay p99 (with `--workers`, courier's and each worker's are judged apart). */
  lagP99Ms: number | null
  lagMaxMs: number | null
  cpuMaxPercent: number | null
  rssMaxMb: number | null
  /** The harness's own limit on event-loop delay p99 beyond which figures are not trusted. */
  lagLimitMs: number
  saturated: boolean
  samples: number
  /** With more than one harness process (`--workers`): the one with the worst lag p99, and each process's figures. */
  process?: string
  processes?: Record<string, ProcessHealth>
}

export interface Results {
  schemaVersion: typeof RESULTS_SCHEMA_VERSION
  runId: string
  scenario: { name: string; file: string; seed: number; durationMs: number; resolved: unknown }
  tool: unknown
  /** What was under test (the app file given with --build or a device profile's app.path) and courier itself; absent in results written before it existed. */
  build?: BuildInfo
  /** Per device, the client it ran as the device reported it (`device.client`); absent when none did. */
  clients?: Record<string, ClientIdentity>
  status: 'complete' | 'interrupted' | 'failed'
  verdict: Verdict
  verdictReasons: string[]
  /** Wall time of the run from the event log. */
  timing: { runMs: number; scenarioStartMs: number | null; scenarioEndMs: number | null }
  /** Flat metric table: every name a threshold may use. */
  metrics: Record<string, MetricValue>
  delivery: {
    overall: DeviceDelivery
    devices: Record<string, DeviceDelivery>
    messages: { sent: number; byDevices: number; byCrowd: number }
    /** Who got whose messages; absent in results written before it existed (`courier report RUN_DIR` recomputes it). */
    matrix?: DeliveryMatrix
  }
  store: {
    queries: number
    failed: number
    latency: LatencySummary
    byStore: Record<string, StoreFigures>
  }
  harness: HarnessHealth
  /** Byte figures; absent when the run had `capture: off`. */
  bytes?: BytesResults
  /** Radio energy per device; absent when the run had `capture: off`. */
  energy?: Record<string, DeviceEnergy>
  /** Absent only in results written before it existed. */
  reliability?: ReliabilityResults
  /** Metadata handshakes and peer-exchange answers of the fleet (absent in results written before they existed). */
  peers?: PeerProtocolResults
  /** How links were shaped, when the run shaped any: the backend, why not the kernel's netem, and what was shaped. */
  links?: LinkResults
  thresholds: ThresholdResult[]
  /** What could not be rebuilt from the artifacts (a run.start without its scenario, a failed analysis), in words; absent when nothing was missing. */
  gaps?: string[]
  errors: Array<{ t: number; component: string; error: string }>
  /** QA flows run by the timeline, in start order; absent in results written before flows existed. */
  flows?: FlowResult[]
  /** Secrets found in the run's artifacts (harness/leaks); absent when the scan could not run (said in gaps) or in results written before it existed. */
  leaks?: LeakResults
  /** Remote endpoints contacted outside the fleet, from the capture; absent without a tcpdump capture or in results written before it existed. */
  destinations?: DestinationResults
  /** Each timeline `block` and how the device got around it; absent when the timeline blocks nobody. */
  censorship?: CensorshipResult[]
}

/** One `block` of a device and what it took to reach the network again. */
export interface CensorshipResult {
  device: string
  /** Run clock when the block started, and when it was lifted (absent: for good). */
  atMs: number
  liftedMs?: number
  nodes: string[]
  /** From the block to the device's first relay connection to a node outside `nodes`; null: never (while blocked). */
  reachedMs: number | null
  reachedVia?: string
  /** How the device knew that node: its bootstrap list or peer exchange. */
  source?: 'bootstrap' | 'peer-exchange'
  /** Bytes the device's connections moved from the block to reaching the network (or to the block's or run's end). */
  bytes: number
  /** Peer-exchange answers the device had by then, and the nodes they taught it. */
  peerExchange: { answers: number; learned: number }
  /** Radio energy of the device's packets over the same window (its radio model); absent without energy figures. */
  joules?: number | null
}

/** One remote endpoint contacted outside the fleet's addresses, from the capture. */
export interface Destination {
  protocol: 'tcp' | 'udp'
  ip: string
  port: number
  /** Named by the capture itself: a TLS ClientHello's server name (sni) or a DNS answer (dns). */
  host?: string
  named?: 'sni' | 'dns'
  /** Local `ip:port` endpoints that contacted it (the fleet's addresses are never among them). */
  from: string[]
  connections: number
  packets: number
  /** Payload bytes sent to it and received from it. */
  bytesUp: number
  bytesDown: number
  /** First and last packet, ms on the run clock. */
  firstMs: number
  lastMs: number
  /** The `destinations.allow` entry that allows it; absent for a third party. */
  allowedBy?: string
  /**
   * Names of courier's own processes (itself, a device's process, a browser) seen holding one
   * of the `from` sockets; absent when no poll saw the socket (a short connection): counted all the same.
   */
  by?: string[]
}

export interface DestinationResults {
  /** First contact first. */
  list: Destination[]
  /** Destinations no `destinations.allow` entry names: the metric `destinations.thirdParty`. */
  thirdParty: number
  /** The addresses counted as the fleet (courier's own): traffic touching them is never a destination. */
  fleetHosts: string[]
  /**
   * Endpoints only other programs on this host contacted (the capture covers every interface):
   * their sockets were seen held by processes that are not courier's, so they are left out of `list`.
   */
  otherPrograms?: Array<{ protocol: 'tcp' | 'udp'; ip: string; port: number; by: string[] }>
  /**
   * Name lookups (port 53) on a real interface from sockets no poll tied to courier's processes:
   * a lookup's socket lives milliseconds, and every program on the host makes them, so they are
   * not destinations; the names in their answers still name the destinations that follow.
   */
  lookups?: Array<{ protocol: 'tcp' | 'udp'; ip: string; port: number; queries: number }>
  /** The socket polls that told courier's processes from others: how many, how often, or why there were none. */
  attribution?: { polls: number; intervalMs: number; error?: string }
}

/** What a leaked secret looks like: the kinds the scanner knows. */
export type LeakKind = 'mnemonic' | 'private-key' | 'keystore' | 'configured-secret' | 'pattern'

/** One secret found in one artifact. Never holds the secret itself. */
export interface LeakFinding {
  kind: LeakKind
  /** Which one: the pattern's name, the environment variable's name, the mnemonic's word count, why a hex string is a key. */
  detail: string
  /** Relative to the run directory, `/`-separated. */
  file: string
  /** 1-based line of a text file. */
  line?: number
  /** Byte offset of the secret's first byte in the file. */
  offset: number
  /** Bytes the secret spans; in a capture possibly over several packets (`ranges`). */
  length: number
  /** A capture: the packet (0-based, file order) holding the first byte, and the flow. */
  packet?: number
  flow?: string
  /** File byte ranges [offset, length] when the secret is split over packets. */
  ranges?: Array<[number, number]>
  /** The text around it with the secret replaced by [kind]. */
  excerpt: string
}

export interface LeakResults {
  /** At most 1000 listed, the first in file order; `count` is all of them. */
  findings: LeakFinding[]
  count: number
  byKind: Partial<Record<LeakKind, number>>
  scanned: { files: number; bytes: number; packets: number; ms: number }
  /** Files not read, and why (images, files too large). */
  skipped: Array<{ file: string; reason: string }>
  /** The environment variables whose values were looked for (names only: values are written nowhere). */
  configured: string[]
  /** 64-hex strings not reported: named by the run as hashes, or without a key-like context and not any peer's key. */
  hexDismissed: number
  /** Set by `--redact`: the findings' bytes were overwritten with `*` in the files. */
  redacted?: boolean
}

/** One run of a QA flow (a Mocha spec on an appium device's session). */
export interface FlowResult {
  name: string
  device: string
  spec: string
  /** Run clock (ms) when it started, or when it was due if it never started. */
  t: number
  passed: boolean
  tests: number
  passes: number
  failures: number
  /** Null when the flow never started. */
  durationMs: number | null
  /** Why the flow failed as a whole (did not load, timed out, device gone), if it did. */
  error?: string
  /** The tests that failed, with their first error line. */
  failedTests: Array<{ title: string; error: string }>
}

export interface LinkResults {
  backend: 'userspace'
  /** Whether this kernel has netem, and why not; courier has no netem backend either way (harness/links/README.md). */
  netem: { available: boolean; reason: string }
  /** Devices whose last mile was shaped. */
  devices: string[]
  /** Node-to-node connections shaped: `a` dials `b` through the shaper on `port`; figures as last set. */
  nodePairs: Array<{ a: string; b: string; port: number; up: LinkFigures; down: LinkFigures }>
}

/** Bytes of one device or fleet node. Wire = TCP payload at its sockets (noise + yamux included). */
export interface OwnerBytes {
  kind: 'device' | 'node'
  up: number
  down: number
  /** What each libp2p protocol's streams carried (inside encryption and multiplexing). */
  byProtocol: Record<string, { up: number; down: number }>
  /** Wire bytes per message delivered to this device (first arrivals); null for nodes or none delivered. */
  perMessage: { down: number | null; total: number | null }
  /** Message bytes that arrived again, by path (devices). */
  duplicateBytes: Record<string, number>
  /** Wire bytes per hour while nobody posted (keep-alives, gossip, discovery); null without a quiet second. */
  backgroundPerHour: number | null
  /** Mean bytes of one history request and its responses (devices that asked a store). */
  storePerRequest: number | null
  /** Wire bytes (up + down) per hour and per day at this scenario's message rate. */
  projected: { perHour: number | null; perDay: number | null }
  /** Wire bytes per second of the run, up and down (devices only; for charts). */
  perSecond?: Array<{ second: number; up: number; down: number }>
}

export interface BytesResults {
  /** The capture backend of record: tcpdump packets, socket accounting, or none. */
  backend: 'tcpdump' | 'socket' | 'off'
  backendReason?: string
  owners: Record<string, OwnerBytes>
  /** Present when tcpdump captured the run: its totals and the per-connection cross-check. */
  tcpdump?: {
    file: string
    packets: number
    dropped: number | null
    wireBytes: number
    payloadBytes: number
    retransmittedBytes: number
    /** Socket-accounted payload per connection and direction vs. the capture's, retransmissions excluded. */
    check: {
      directions: number
      equal: number
      mismatches: Array<{ owner: string; connId: string; direction: 'up' | 'down'; socket: number; capture: number }>
      /**
       * Directions that are not equal only because their connection was reset: the socket counted
       * more than the capture, and a reset discards what the kernel still held to send (a device
       * that goes offline mid-write). Not mismatches; absent when there were none.
       */
      unsentAtReset?: { directions: number; bytes: number }
    }
  }
}

/** Radio energy of one device's traffic under a radio model (harness/energy's report, as stored). */
export interface DeviceEnergy {
  radio: string
  /** Where the packet timeline came from: the run's tcpdump capture, or socket reads and writes. */
  timelineSource: 'tcpdump' | 'socket' | 'none'
  profile: { name: string; source: string; verified: boolean }
  packets: number
  totalJoules: number
  mAh: number
  mAhPerHour: number | null
  joulesPerMessage: number | null
  joulesPerKB: number | null
  radioActiveSeconds: number
  promotions: number
  tailShare: number
  promotionShare: number
  byKind: Record<string, { seconds: number; joules: number }>
  states: Record<string, { seconds: number; joules: number }>
  /** Joules by the fleet node at the other end of the traffic (promotion to a burst's first packet, tail to its last). */
  byLabel: Record<string, number>
  /**
   * Joules by what the traffic was for: `relay` (messages sent and received live), `store`
   * (history requests), for light devices `filter` (pushes received) and `lightpush` (sends),
   * `control` (everything else: gossip control, identify, keep-alives, filter pings).
   * Packets are encrypted, so this is told from timing: a packet within 30 ms of the device
   * sending or receiving a message is relay (or filter), one inside a history request is store,
   * one between a light send and its LIGHTPUSH answer is lightpush.
   */
  byProtocol: Record<string, number>
  /** State spans for charts; cut to the first spans of long runs (see notes). */
  timeline: Array<{ state: string; kind: string; start: number; end: number; joules: number }>
  /** The same traffic priced on other radios, cheapest first. */
  whatIf: Array<{ profile: string; totalJoules: number; mAh: number; mAhPerHour: number | null; tailShare: number; verified: boolean }>
  /** What the phone itself reported (Android batterystats for the app), when it did. */
  measured?: { mAh?: number; radioActiveSeconds?: number; source: string }
  /** Relative difference between model and measurement; flagged above `limit` rather than hidden. */
  disagreement?: { mAh?: number; radioActiveSeconds?: number; limit: number; flagged: boolean }
  notes: string[]
}

/** Reliability figures: partitions, store failover and audit, history consistency, sync honesty, history request stages. */
export interface ReliabilityResults {
  partitions: Array<{
    start: number
    heal: number | null
    groups: string[][]
    /** Messages sent during the partition to devices of another group than the sender's. */
    cross: { expected: number; delivered: number; lost: number }
    /** The same per ordered pair of groups (indexes into `groups`): who could not reach whom while it lasted. */
    byGroups: Array<{ from: number; to: number; expected: number; delivered: number; lost: number }>
    /** From the heal to the last of those deliveries, when all of them arrived; null otherwise. */
    healToFullDeliveryMs: number | null
  }>
  failover: Array<{ store: string; downAt: number; device: string; recoveredAt: number | null; ms: number | null; via: string | null }>
  /**
   * Light devices' lost filter subscriptions: when the service node died (if it did), when the
   * device noticed, and when it was subscribed again (anywhere); `noticeMs` from the death to the
   * notice, `ms` from the death (or the notice, when nothing died) to the new subscription.
   */
  filterFailover?: Array<{
    device: string
    node: string
    diedAt: number | null
    lostAt: number
    reason: string | null
    noticeMs: number | null
    recoveredAt: number | null
    via: string | null
    ms: number | null
  }>
  audit: {
    stores: Record<string, { reachable: boolean; expected: number; missing: number; extra: number; missingByWindow: Record<string, number> }>
    inSync: boolean | null
  }
  history: {
    accounts: Record<string, { devices: string[]; consistent: boolean; differences: Array<{ msgId: string; shownOn: string[]; missingOn: string[] }> }>
    consistent: boolean | null
    /** The same comparison at each timeline `checkpoint:`, over messages sent 2 s or more before it. */
    checkpoints: Array<{
      name: string
      t: number
      consistent: boolean
      differences: Array<{ account: string; msgId: string; shownOn: string[]; missingOn: string[] }>
    }>
  }
  /** The sent-message check per device: hash-only store queries, what they confirmed, what was resent. */
  sentChecks: Record<
    string,
    { checks: number; failedChecks: number; bytes: number; sent: number; confirmed: number; resent: number; unconfirmed: number; unconfirmedIds: string[] }
  >
  /** Which store each device picked by ping, and when it gave up on one and switched. */
  storeChoice: {
    selected: Array<{ t: number; device: string; store: string; rttMs: Record<string, number | null> }>
    switches: Array<{ t: number; device: string; from: string; to: string; failures: number }>
  }
  /** Store sync between store nodes: messages a store fetched from a peer, and failed rounds (a partition, a dead peer). */
  storeSync: { fetched: number; failedRounds: number; byStore: Record<string, number> }
  /**
   * The crowded topic's cost per device and hour of traffic: messages, their bytes as they
   * arrived (duplicates included), and what a preview (count and sizes only) would cost instead.
   */
  crowd: {
    topic: string
    previewEntryBytes: number
    devices: Record<
      string,
      { messages: number; messagesPerHour: number; messageBytesPerHour: number; previewBytesPerHour: number; previewShare: number | null }
    >
  } | null
  upToDate: { claims: number; falsePositives: number; examples: Array<{ device: string; t: number; missing: number; missingIds: string[] }> }
  /** Pushes whose message could not be shown within the bound after the push arrived. */
  push: {
    received: number
    phantom: number
    boundMs: number
    renderDelay: LatencySummary
    examples: Array<{ device: string; msgId: string; pushAt: number; renderedAt: number | null }>
  }
  stages: {
    requests: number
    dialMs: LatencySummary
    firstPageMs: LatencySummary
    transferMs: LatencySummary
    renderMs: LatencySummary
    totalMs: LatencySummary
  }
}

/** 66/WAKU2-METADATA outcomes by status, the peers of another cluster that were disconnected, and peer exchange. */
export interface PeerProtocolResults {
  metadata: { ok: number; mismatch: number; unsupported: number; failed: number }
  mismatches: Array<{ t: number; node: string; peer: string; clusterId: number | null }>
  peerExchange: { requests: number; peersGiven: number }
}

/**
 * An empty record for keys a user chose (device, node, topic, flow names): without a prototype,
 * so `constructor` or `toString` is a key like any other instead of an inherited function.
 */
export function userKeyed<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>
}

/** The build under test, read from the files themselves (not from names), and courier's own identity. */
export interface BuildInfo {
  /** Absent when no app file was given (simulated devices only). */
  app?: AppIdentity
  courier: { version: string; commit?: string; lockfileSha256?: string }
  node: string
}

/**
 * The client a device ran, as the device itself reports it: a js-waku device's `@waku/sdk`, the
 * browser's page bundle and Chromium, the app installed on a phone (read from the phone, which may
 * differ from the --build file), or courier's reference client.
 */
export interface ClientIdentity {
  /** Package or app id: `@waku/sdk`, `im.status.ethereum`, `courier reference client`. */
  name: string
  version: string | null
  /** A second version where there is one: the APK's versionCode, the IPA's CFBundleVersion, the browser's version. */
  build?: string | null
  /** Where the figure came from: `node_modules/@waku/sdk/package.json`, `dumpsys package`, `mobile: listApps`... */
  source: string
}

/** An APK or IPA: its sha256, and the id and version its manifest or Info.plist declares. */
export interface AppIdentity {
  file: string
  kind: 'apk' | 'ipa'
  sha256: string
  /** APK package / IPA CFBundleIdentifier. */
  id: string | null
  /** APK versionName / IPA CFBundleShortVersionString. */
  version: string | null
  /** APK versionCode / IPA CFBundleVersion. */
  build: string | null
}

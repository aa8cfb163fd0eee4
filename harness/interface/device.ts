import type { Clock, EventSink } from './events.js'
import type { FleetFile } from './fleet-file.js'

/**
 * A device under test: simulated, a real phone through Appium, or a browser. Every method may be
 * slow and may fail (a remote phone), takes an AbortSignal, and reports what happens only by
 * emitting events; figures are computed later by analysis.
 */
export interface Device {
  readonly name: string
  readonly driver: string
  start(options?: AbortOptions): Promise<void>
  /** Graceful stop; must be safe to call twice and after a failure. */
  stop(): Promise<void>
  /** Publish a message. `msgId` is courier's own id, carried in the payload. */
  send(message: OutgoingMessage, options?: AbortOptions): Promise<void>
  /** Lose or regain the network (airplane mode, offline). Coming back triggers history catch-up. */
  setOnline(online: boolean, options?: AbortOptions): Promise<void>
  /** Ask for missed history now (the app's "fetch messages" or periodic sync). */
  syncHistory?(options?: AbortOptions): Promise<void>
  /** A push notification names a message: a messenger fetches it if it does not have it yet. */
  onPush?(hash: string, options?: AbortOptions): Promise<void>
  /** Shift the device's wall clock (what it stamps on messages and asks stores for) by this much. */
  setClockSkew?(skewMs: number, options?: AbortOptions): Promise<void>
  /**
   * Run a QA flow (a Mocha spec) against the device's live UI session. The device emits
   * `flow.start`, `flow.test` and `flow.end` and resolves after `flow.end`; a failing flow resolves
   * too. It rejects only when the flow could not be started at all, before `flow.start`.
   */
  runFlow?(flow: FlowRequest, options?: AbortOptions): Promise<void>
}

/** A flow to run: its name in results and metrics, the spec file (absolute path) and its time limit. */
export interface FlowRequest {
  name: string
  /** Absolute path of the spec file. */
  file: string
  /** The spec as written in the scenario, for events and reports. */
  spec: string
  timeoutMs: number
}

export interface OutgoingMessage {
  msgId: string
  topic: string
  /** Payload size in bytes (courier pads or truncates its own payload to this). */
  bytes: number
  text?: string
}

export interface AbortOptions {
  signal?: AbortSignal
}

export interface Logger {
  info(message: string): void
  warn(message: string): void
  debug(message: string): void
}

/** What the fleet tells a device so it can join. */
export interface FleetDirectory {
  /** Multiaddrs of relay nodes a device may dial, in the order the scenario's seed chose for it. */
  relays: string[]
  /** Store nodes: name and multiaddr. */
  stores: Array<{ name: string; addr: string }>
  /** Waku pubsub topic (shard) the fleet runs on. */
  pubsubTopic: string
  /** Map a scenario topic name to the Waku content topic. */
  contentTopic(topic: string): string
  /** A fleet node's name from its peer id (light devices name their service nodes in events). */
  peerName?(peerId: string): string | undefined
  /** The fleet file (`fleet.json`) as this device should see it: appium profiles' `fleet:` steps fill their templates from it. */
  file?: FleetFile
  /** The same relay and store nodes' WebSocket multiaddrs (all a browser can dial); never behind a device's shaper. */
  websocket?: { relays: string[]; stores: Array<{ name: string; addr: string }> }
  /** Whether the device's network refuses a connection to this address now (a censor's block: `block:` in the timeline); absent: nothing is blocked. */
  refused?: (host: string, port: number) => boolean
}

/** What the runner injects into every device driver. */
export interface DeviceComponents {
  clock: Clock
  events: EventSink
  log: Logger
  fleet: FleetDirectory
  /** A seeded random source private to this device. */
  random: () => number
  /** Count this device's bytes per connection and protocol (false when the scenario says `capture: off`). */
  byteAccounting?: boolean
}

export type DeviceFactory = (components: DeviceComponents) => Device

/**
 * How the runner gets a device for a scenario's entry: `devices/index.ts` implements it, the CLI
 * hands it to the runner, so drivers never import the runner. `Config` is the scenario's device
 * entry (the scenario module's `DeviceConfig`; this module imports nothing). A driver may load its
 * modules on first use (Playwright, js-waku), hence the promise.
 */
export type CreateDevice<Config = unknown> = (name: string, config: Config, topics: string[], components: DeviceComponents) => Device | Promise<Device>

import { fork, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { AbortOptions, Device, DeviceComponents, EventData, EventType, OutgoingMessage } from '../../harness/interface/index.js'
import { bytesToHex, encodePayload, messageHashHex, peerIdForIdentity, type WakuMessage } from '../../harness/protocol/index.js'
import { installedClient } from './check.js'
import type { ChildMessage, ChildStartInit, ParentCommand, QueryResult, SendResult } from './ipc.js'

export interface JsWakuDeviceInit {
  name: string
  topics: string[]
  /** Filter subscriptions js-waku keeps at once (its `numPeersToUse`; the scenario's `relays:`). */
  numPeers?: number
  /** A history request that takes longer is recorded as failed (status-go: 30 s). */
  storeTimeoutMs?: number
  /** History asked for from this long before the device went offline. */
  syncMarginMs?: number
  /** Give up starting when js-waku finds no service node this long. */
  startTimeoutMs?: number
  /** The app's periodic history check (a store query since the last good one); off when undefined. */
  syncIntervalMs?: number
  /** Extra environment for the child (tests: COURIER_JSWAKU_BROKEN). */
  env?: Record<string, string>
}

const CHILD = fileURLToPath(new URL('./child.js', import.meta.url))
const POLYFILL = fileURLToPath(new URL('../../harness/polyfill.js', import.meta.url))
const CLOCK_SAMPLES = 7
const STOP_TIMEOUT_MS = 5000

interface Pending {
  resolve: (value: unknown) => void
  reject: (error: Error) => void
}

/**
 * A device backed by js-waku (@waku/sdk 0.0.36) as a light node, in a process of its own so its
 * timing and its crashes are its own. This class is the app around the SDK: it sends, shows what
 * js-waku hands it (de-duplicating by message hash, as a messenger does), and asks js-waku's store
 * client for what it missed after being offline. Everything else (which service and store nodes,
 * replacing lost subscriptions, retries) is js-waku's own doing, only observed.
 */
export class JsWakuDevice implements Device {
  readonly name: string
  readonly driver = 'js-waku'
  private child?: ChildProcess
  private readonly pending = new Map<number, Pending>()
  private sequence = 0
  /** Child clock minus run clock (ms). */
  private offsetMs = 0
  private online = false
  private started = false
  private stopping = false
  private stopped = false
  private failed = false
  private readonly contentTopics: Map<string, string>
  private readonly history = new Set<string>()
  private offlineSinceWallMs?: number
  private lastSyncWallMs?: number
  private syncing?: Promise<void>
  private syncTimer?: NodeJS.Timeout
  private readonly pubsubTopic: string
  private readonly shard: { clusterId: number; shard: number }

  constructor(
    private readonly init: JsWakuDeviceInit,
    private readonly components: DeviceComponents
  ) {
    this.name = init.name
    this.contentTopics = new Map(init.topics.map((topic) => [components.fleet.contentTopic(topic), topic]))
    this.pubsubTopic = components.fleet.pubsubTopic
    const match = /^\/waku\/2\/rs\/(\d+)\/(\d+)$/.exec(this.pubsubTopic)
    this.shard = match == null ? { clusterId: 16, shard: 32 } : { clusterId: Number(match[1]), shard: Number(match[2]) }
  }

  async start(options: AbortOptions = {}): Promise<void> {
    const { events, fleet } = this.components
    const identitySeed = `device/${this.name}`
    events.emit('device.up', { device: this.name, driver: this.driver, peerId: await peerIdForIdentity(identitySeed) })
    for (const topic of this.init.topics) events.emit('device.subscribe', { device: this.name, topic })
    events.emit('device.client', { device: this.name, ...installedClient('@waku/sdk') })
    const child = fork(CHILD, [], {
      execArgv: ['--import', POLYFILL],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      env: { ...process.env, ...this.init.env }
    })
    this.child = child
    child.stdout?.on('data', (data: Buffer) => {
      this.components.log.debug(`${this.name} (js-waku): ${data.toString().trimEnd()}`)
    })
    child.stderr?.on('data', (data: Buffer) => {
      this.components.log.debug(`${this.name} (js-waku): ${data.toString().trimEnd()}`)
    })
    child.on('message', (message: ChildMessage) => {
      this.onChild(message)
    })
    child.on('exit', (code, signal) => {
      this.onExit(code, signal)
    })
    this.components.log.debug(`${this.name}: js-waku process ${child.pid ?? '?'}`)
    const abort = (): void => {
      this.kill()
    }
    options.signal?.addEventListener('abort', abort, { once: true })
    try {
      await this.measureClock('start')
      const init: ChildStartInit = {
        owner: this.name,
        identitySeed,
        bootstrap: fleet.relays,
        storePeers: fleet.stores.map((s) => s.addr),
        clusterId: this.shard.clusterId,
        shard: this.shard.shard,
        contentTopics: [...this.contentTopics.keys()],
        numPeers: this.init.numPeers ?? 2,
        accounting: this.components.byteAccounting !== false,
        startTimeoutMs: this.init.startTimeoutMs ?? 10_000
      }
      await this.request({ cmd: 'start', init })
    } catch (error) {
      // the runner records the failure; this process must not outlive it
      this.stopping = true
      this.kill()
      throw error
    } finally {
      options.signal?.removeEventListener('abort', abort)
    }
    this.started = true
    this.online = true
    this.lastSyncWallMs = Date.now()
    events.emit('device.online', { device: this.name })
    if (this.init.syncIntervalMs != null) {
      this.syncTimer = setInterval(() => {
        if (this.online) void this.syncHistory().catch(() => {})
      }, this.init.syncIntervalMs)
    }
  }

  async stop(): Promise<void> {
    if (this.stopped) return
    this.stopped = true
    this.stopping = true
    clearInterval(this.syncTimer)
    const child = this.child
    if (child != null && child.exitCode == null && child.signalCode == null) {
      if (this.started && !this.failed) await this.measureClock('end').catch(() => {})
      const exited = new Promise<void>((resolve) => {
        child.once('exit', () => {
          resolve()
        })
      })
      await Promise.race([this.request({ cmd: 'stop' }).catch(() => {}), sleep(STOP_TIMEOUT_MS)])
      if ((await Promise.race([exited.then(() => true), sleep(STOP_TIMEOUT_MS).then(() => false)])) === false) {
        child.kill('SIGKILL')
        await exited
      }
    }
    this.components.events.emit('device.down', { device: this.name })
  }

  async send(message: OutgoingMessage): Promise<void> {
    // a crashed client sends nothing (its failure is recorded once, when its process died)
    if (this.failed) return
    const { clock, events } = this.components
    const contentTopic = this.components.fleet.contentTopic(message.topic)
    const timestampMs = Date.now()
    const waku: WakuMessage = {
      payload: encodePayload({ id: message.msgId, from: this.name, sentAt: clock.now(), text: message.text }, message.bytes),
      contentTopic,
      // js-waku stamps milliseconds; courier hashes what js-waku puts on the wire
      timestamp: BigInt(timestampMs) * 1_000_000n
    }
    const hash = messageHashHex(this.pubsubTopic, waku)
    this.history.add(hash)
    events.emit('msg.sent', { msgId: message.msgId, hash, topic: message.topic, bytes: message.bytes, device: this.name, via: 'lightpush' })
    events.emit('msg.rendered', { device: this.name, hash, msgId: message.msgId })
    const result = (await this.request({ cmd: 'send', contentTopic, payloadHex: bytesToHex(waku.payload), timestampMs }).catch((error: unknown) => {
      if (this.failed) return undefined
      throw error
    })) as SendResult | undefined
    if (result == null) return
    let n = 0
    for (const peer of result.successes)
      events.emit('lightpush.response', {
        device: this.name,
        node: this.nodeName(peer),
        requestId: `${this.name}-lp-${hash.slice(0, 8)}-${++n}`,
        hash,
        status: 200
      })
    for (const failure of result.failures)
      events.emit('lightpush.response', {
        device: this.name,
        node: failure.peer == null ? 'none' : this.nodeName(failure.peer),
        requestId: `${this.name}-lp-${hash.slice(0, 8)}-${++n}`,
        hash,
        status: 0,
        error: failure.error
      })
  }

  async setOnline(online: boolean, options: AbortOptions = {}): Promise<void> {
    if (online === this.online || this.stopped || this.failed) return
    // subscriptions that die while the network goes are not failovers: no 'lost' from here on
    if (!online) this.online = false
    try {
      await this.request({ cmd: 'network', online })
    } catch (error) {
      // the process died meanwhile: its failure is already recorded
      if (this.failed) return
      throw error
    }
    this.online = online
    if (!online) {
      this.offlineSinceWallMs = Date.now()
      this.components.events.emit('device.offline', { device: this.name })
      return
    }
    this.components.events.emit('device.online', { device: this.name })
    const since = (this.offlineSinceWallMs ?? Date.now()) - (this.init.syncMarginMs ?? 5000)
    this.offlineSinceWallMs = undefined
    await this.syncHistory(options, since)
  }

  /** Asks js-waku's store client for history since `sinceWallMs` (default: since the last good sync). */
  async syncHistory(options: AbortOptions = {}, sinceWallMs?: number): Promise<void> {
    if (this.syncing != null) return await this.syncing
    this.syncing = this.runSync(sinceWallMs ?? (this.lastSyncWallMs ?? Date.now()) - (this.init.syncMarginMs ?? 5000), options.signal).finally(() => {
      this.syncing = undefined
    })
    await this.syncing
  }

  private async runSync(sinceWallMs: number, signal?: AbortSignal): Promise<void> {
    if (this.failed || this.stopped || signal?.aborted === true) return
    const { events } = this.components
    const requestId = `${this.name}-${++this.sequence}`
    const startedWall = Date.now()
    events.emit('device.status', { device: this.name, status: 'syncing' })
    // js-waku picks the store node; the event names it once its answer says which
    const result = (await this.request({
      cmd: 'query',
      contentTopics: [...this.contentTopics.keys()],
      timeStartMs: sinceWallMs,
      timeoutMs: this.init.storeTimeoutMs ?? 30_000
    }).catch((error: unknown) => ({ messages: 0, pages: 0, bytes: 0, error: String(error) }))) as QueryResult
    const store = result.store == null ? 'unknown' : this.nodeName(result.store)
    events.emit(
      'store.query',
      { device: this.name, store, requestId, topic: [...this.contentTopics.values()].join(','), timeStart: sinceWallMs },
      result.startedT == null ? undefined : result.startedT - this.offsetMs
    )
    events.emit('store.response', {
      device: this.name,
      store,
      requestId,
      status: result.error == null ? 200 : 0,
      messages: result.messages,
      bytes: result.bytes,
      pages: result.pages,
      ...(result.error == null ? {} : { error: result.error })
    })
    if (result.error == null) this.lastSyncWallMs = startedWall
    if (!this.failed) events.emit('device.status', { device: this.name, status: result.error == null ? 'upToDate' : 'failed' })
  }

  /** NTP-style: the round trip with the smallest RTT gives the child clock's offset. */
  private async measureClock(phase: 'start' | 'end'): Promise<void> {
    const { clock } = this.components
    let best: { rtt: number; offset: number } | undefined
    for (let i = 0; i < CLOCK_SAMPLES; i++) {
      const sent = clock.now()
      const { now } = (await this.request({ cmd: 'clock' })) as { now: number }
      const back = clock.now()
      const rtt = back - sent
      if (best == null || rtt < best.rtt) best = { rtt, offset: now - (sent + back) / 2 }
    }
    if (best == null) return
    if (phase === 'start') this.offsetMs = best.offset
    this.components.events.emit('device.clock', {
      device: this.name,
      phase,
      offsetMs: round(best.offset),
      rttMs: round(best.rtt),
      samples: CLOCK_SAMPLES,
      resolutionMs: 0.001,
      source: 'IPC round trip, child performance.now()'
    })
  }

  private onChild(message: ChildMessage): void {
    const at = message.t - this.offsetMs
    switch (message.kind) {
      case 'reply': {
        const pending = this.pending.get(message.id)
        this.pending.delete(message.id)
        if (message.ok) pending?.resolve(message.result)
        else pending?.reject(new Error(message.error))
        return
      }
      case 'message':
        this.onMessage(message, at)
        return
      case 'filter':
        // going offline ends every subscription; that is not a failover (the reference client says nothing either)
        if (!this.online && message.state === 'lost') return
        this.components.events.emit(
          'filter.subscription',
          {
            device: this.name,
            node: this.nodeName(message.peer),
            state: message.state,
            contentTopics: [...this.contentTopics.keys()],
            ...(message.reason == null ? {} : { reason: message.reason })
          },
          at
        )
        return
      case 'event':
        if (this.components.byteAccounting === false) return
        this.components.events.emit(message.type as EventType, message.data as unknown as EventData<EventType>, at)
        return
      case 'log':
        this.components.log.debug(`${this.name} (js-waku): ${message.message}`)
    }
  }

  private onMessage(message: Extract<ChildMessage, { kind: 'message' }>, at: number): void {
    if (!this.contentTopics.has(message.contentTopic) || message.msgId == null || message.from === this.name) return
    const duplicate = this.history.has(message.hash)
    const { events } = this.components
    events.emit('msg.received', { device: this.name, hash: message.hash, msgId: message.msgId, via: message.via, bytes: message.bytes, duplicate }, at)
    if (duplicate) return
    this.history.add(message.hash)
    events.emit('msg.rendered', { device: this.name, hash: message.hash, msgId: message.msgId }, at)
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null): void {
    const error = new Error(`the js-waku process exited (${signal ?? `code ${code ?? '?'}`})`)
    for (const pending of this.pending.values()) pending.reject(error)
    this.pending.clear()
    clearInterval(this.syncTimer)
    if (this.stopping || this.failed) return
    // a crash mid-run: the device is failed, the run goes on without it
    this.failed = true
    this.components.events.emit('device.failed', { device: this.name, error: error.message })
  }

  private async request(command: DistributiveOmit<ParentCommand, 'id'>): Promise<unknown> {
    const child = this.child
    if (child == null || !child.connected) throw new Error('the js-waku process is not running')
    const id = ++this.sequence
    return await new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject })
      child.send({ ...command, id } as ParentCommand, (error) => {
        if (error == null) return
        this.pending.delete(id)
        reject(error)
      })
    })
  }

  private kill(): void {
    const child = this.child
    if (child != null && child.exitCode == null && child.signalCode == null) child.kill('SIGKILL')
  }

  private nodeName(peerId: string): string {
    return this.components.fleet.peerName?.(peerId) ?? peerId
  }
}

type DistributiveOmit<T, K extends keyof T> = T extends unknown ? Omit<T, K> : never

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000
}

async function sleep(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms).unref())
}

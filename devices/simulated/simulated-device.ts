import type { Message } from '@libp2p/gossipsub'
import { KEEP_ALIVE, type Stream } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import type { AbortOptions, Device, DeviceComponents, DeliveryPath, OutgoingMessage } from '../../harness/interface/index.js'
import {
  bytesToHex,
  clientMetadata,
  createWakuNode,
  decodePayload,
  enrTcpAddress,
  queryPeerExchange,
  hexToBytes,
  peerIdForIdentity,
  encodePayload,
  messageHashHex,
  meshPeers,
  queryStoreByHashes,
  queryStorePages,
  STORE_QUERY_PROTOCOL,
  StoreStatus,
  WakuMessage,
  type LightLibp2p,
  type StoreQueryRequest,
  type SocketAccountingInit,
  type WakuLibp2p,
  type WakuMessageKeyValue
} from '../../harness/protocol/index.js'
import { LightClient, serviceOrder } from './light-client.js'
import { askStoreFor, CONFIRM_EVERY_MS, SentCheck } from './sent-check.js'
import { startTelemetry } from './telemetry.js'

export interface SimulatedDeviceInit {
  name: string
  /** Scenario topics this device's user has joined. */
  topics: string[]
  /** How many relay nodes to keep connections to. */
  relays: number
  /** Periodic missing-message check against the store; off when undefined. */
  syncIntervalMs?: number
  /** History looked up before the moment the device went offline, to cover in-flight messages. */
  syncMarginMs?: number
  /** A store request that takes longer than this fails over to the next store (status-go: 30 s). */
  storeTimeoutMs?: number
  /** The store asked first (status-go's pinned mailserver); otherwise chosen by ping. */
  preferredStore?: string
  /** Failed requests to one store before switching to the next (status-go: 2); `never` keeps asking the same store. */
  switchAfter?: number | 'never'
  /** `optimistic` says up to date when a history request failed: the signal the seed problem describes. */
  upToDate?: 'honest' | 'optimistic'
  /** Ask the store whether sent messages arrived and resend the ones it lacks (status-go's sent-message check). */
  confirmSent?: boolean
  /** A push wakes the app in the background for a short fetch of the announced message (a data push). */
  wakeOnPush?: boolean
  /** Missing-message checks ask for hashes first and fetch only what is missing (status-go), or fetch everything (`full`). */
  missingCheck?: 'hashes' | 'full'
  /** relay: its own gossipsub node; light: FILTER and LIGHTPUSH through service nodes (light-client.ts). */
  mode?: 'relay' | 'light'
  /** Light mode: the service node tried first. */
  preferredService?: string
  /** Relays the device is told about at start (the first n of its order); default: all. */
  bootstrap?: number
  /** With `bootstrap`: learn more relays from the bootstrap nodes by 34/WAKU2-PEER-EXCHANGE (default true). */
  peerExchange?: boolean
  /** Post counters to this telemetry server (status-go's TelemetryServerURL) every `telemetryEveryMs` (default 2 s). */
  telemetryUrl?: string
  telemetryEveryMs?: number
}

const PAGE_SIZE = 50n
const RELAY_DIAL_TIMEOUT_MS = 3000
/** Peers asked for in one peer-exchange query. */
const PEER_EXCHANGE_ASK = 16
const WATCHDOG_MS = 2000
/** status-go: store nodes are pinged with a 4 s timeout and one is picked among the fastest quarter. */
const PING_TIMEOUT_MS = 4000
/** Ping times are compared in steps this wide, so loopback noise does not make the choice random. */
const PING_STEP_MS = 10
/**
 * The device forgets a message id after this long (gossipsub's default is 2 min): a resend of an
 * unconfirmed message at CONFIRM_EXPIRE_MS would otherwise be refused by the device's own node as
 * a duplicate. Gossip (IHAVE) covers only the last 3 heartbeats, so nothing arrives twice for it.
 */
const DEVICE_SEEN_TTL_MS = 8000

/**
 * courier's reference client: a real libp2p node (relay mode, or light mode through
 * light-client.ts) that behaves like the Status client: local history with de-duplication, an
 * outbox while offline, history catch-up from a store node on reconnect, store choice by ping and
 * a switch after failed requests, missing-message checks, the sent-message check (sent-check.ts),
 * and a render signal when a message would show. README: The reference client.
 */
export class SimulatedDevice implements Device {
  readonly name: string
  readonly driver = 'simulated'
  private node?: WakuLibp2p
  private online = false
  private stopped = false
  private readonly contentTopics: Map<string, string>
  private readonly history = new Set<string>()
  /** Messages sent while offline, published on reconnect (a messenger's outbox). */
  private readonly outbox: WakuMessage[] = []
  private offlineSinceWallMs?: number
  private watchdog?: NodeJS.Timeout
  private syncTimer?: NodeJS.Timeout
  private readonly relayOrder: string[]
  /** Relays learned by peer exchange (in relayOrder after the bootstrap list). */
  private readonly learned = new Set<string>()
  private storeOrder: Array<{ name: string; addr: string }>
  private requestSeq = 0
  /** Clock skew of this device, ms: what it stamps on messages and asks stores for. */
  private skewMs = 0
  private syncing?: Promise<void>
  /** Consecutive failed history requests per store. */
  private readonly failures = new Map<string, number>()
  private storeOrderChosen = false
  /** The first goOnline succeeded (the device has been part of the network). */
  private joined = false
  private readonly sentCheck: SentCheck
  /** Device wall time at the start of the last history request that succeeded: what "up to date" covers. */
  private lastGoodSyncWallMs?: number
  /** Online, but every relay connection is gone (a partition the app cannot see as "offline"). */
  private disconnectedSinceWallMs?: number
  private light?: LightClient
  private stopTelemetry?: () => void

  constructor(
    private readonly init: SimulatedDeviceInit,
    private readonly components: DeviceComponents
  ) {
    this.name = init.name
    this.contentTopics = new Map(init.topics.map((topic) => [components.fleet.contentTopic(topic), topic]))
    const relays = shuffled(components.random, components.fleet.relays)
    this.relayOrder = init.bootstrap == null ? relays : relays.slice(0, init.bootstrap)
    const order = shuffled(components.random, components.fleet.stores)
    const preferred = order.filter((store) => store.name === init.preferredStore)
    this.storeOrder = [...preferred, ...order.filter((store) => store.name !== init.preferredStore)]
    this.sentCheck = new SentCheck({
      device: this.name,
      clock: components.clock,
      events: components.events,
      log: components.log,
      stores: async () => {
        const node = this.libp2p
        return node == null ? [] : await this.storesInOrder(node)
      },
      ask: async (store, hashes) => {
        const node = this.libp2p
        if (node == null) return { bytes: 0, error: 'offline' }
        return await askStoreFor(
          node,
          store,
          hashes,
          `${this.name}-confirm-${++this.requestSeq}`,
          Math.min(this.init.storeTimeoutMs ?? 30_000, 2 * CONFIRM_EVERY_MS)
        )
      },
      resend: async (message) => {
        await this.publish(message)
      },
      online: () => this.online && this.libp2p != null
    })
  }

  async start(options: AbortOptions = {}): Promise<void> {
    this.components.events.emit('device.up', { device: this.name, driver: this.driver, peerId: await peerIdForIdentity(`device/${this.name}`) })
    for (const topic of this.init.topics) this.components.events.emit('device.subscribe', { device: this.name, topic })
    this.components.events.emit('device.bootstrap', { device: this.name, nodes: this.relayOrder.map((addr) => this.nodeName(addr)) })
    await this.goOnline(options.signal)
    if (this.init.bootstrap != null && this.init.peerExchange !== false) await this.exchangePeers(options.signal)
    // a device has everything from the moment it joined: its first "good sync" is its start
    this.lastGoodSyncWallMs ??= this.wallNow()
    if (this.init.confirmSent !== false) this.sentCheck.start()
    if (this.init.telemetryUrl != null) {
      this.stopTelemetry = startTelemetry({
        url: this.init.telemetryUrl,
        everyMs: this.init.telemetryEveryMs ?? 2000,
        report: () => ({ device: this.name, receivedMessages: this.history.size, online: this.online }),
        online: () => this.online,
        onError: (error) => {
          this.components.log.debug(`${this.name}: ${error instanceof Error ? error.message : String(error)}`)
        }
      })
    }
    if (this.init.syncIntervalMs != null) {
      const every = this.init.syncIntervalMs
      // the window reaches back to the last good sync, so a stretch of failed requests is covered
      // once a store answers again (an honest "up to date" must cover it)
      this.syncTimer = setInterval(() => {
        void this.syncHistory({}, Math.min(this.wallNow() - 2 * every, (this.lastGoodSyncWallMs ?? Infinity) - every), true).catch(() => {})
      }, every)
    }
  }

  async stop(): Promise<void> {
    if (this.stopped) return
    this.stopped = true
    this.stopTelemetry?.()
    clearInterval(this.syncTimer)
    this.sentCheck.stop()
    await this.goOffline()
    this.components.events.emit('device.down', { device: this.name })
  }

  async send(message: OutgoingMessage): Promise<void> {
    const contentTopic = this.components.fleet.contentTopic(message.topic)
    const sentAt = this.components.clock.now()
    const waku: WakuMessage = {
      payload: encodePayload({ id: message.msgId, from: this.name, sentAt, text: message.text }, message.bytes),
      contentTopic,
      timestamp: BigInt(this.wallNow()) * 1_000_000n + BigInt(++this.requestSeq % 1_000_000)
    }
    const hash = messageHashHex(this.components.fleet.pubsubTopic, waku)
    this.history.add(hash)
    this.components.events.emit('msg.sent', {
      msgId: message.msgId,
      hash,
      topic: message.topic,
      bytes: message.bytes,
      device: this.name,
      ...(this.init.mode === 'light' ? { via: 'lightpush' as const } : {})
    })
    this.components.events.emit('msg.rendered', { device: this.name, hash, msgId: message.msgId })
    if (!this.online || (this.node == null && this.light == null)) {
      this.outbox.push(waku)
      return
    }
    await this.publish(waku)
  }

  /**
   * Relay mode publishes into gossipsub; light mode LIGHTPUSHes through a service node, and a
   * message no service node accepted for now goes back to the outbox (one they refuse, 413, is
   * dropped, as an app would fail it). Either way a sent message waits for its store confirmation.
   */
  private async publish(waku: WakuMessage): Promise<void> {
    const hash = messageHashHex(this.components.fleet.pubsubTopic, waku)
    if (this.light != null) {
      const outcome = await this.light.publish(waku, hash)
      if (outcome === 'unsent') this.outbox.push(waku)
      if (outcome !== 'sent') return
    } else {
      const node = this.node
      if (node == null) return
      await node.services.pubsub.publish(this.components.fleet.pubsubTopic, WakuMessage.encode(waku))
    }
    if (this.init.confirmSent !== false) this.sentCheck.track(waku, hash, decodePayload(waku.payload)?.id ?? hash)
  }

  async setOnline(online: boolean, options: AbortOptions = {}): Promise<void> {
    if (online === this.online || this.stopped) return
    if (online) await this.goOnline(options.signal)
    else await this.goOffline()
  }

  /**
   * Fetches history since `sinceWallMs` (default: since going offline) from the first store that
   * answers. `check` marks a missing-message check (periodic, after a reconnection, on a push)
   * rather than the catch-up after being offline: it asks for hashes first unless configured not to.
   */
  async syncHistory(options: AbortOptions = {}, sinceWallMs?: number, check = false): Promise<void> {
    if (this.syncing != null) return await this.syncing
    this.syncing = this.runSync(options.signal, sinceWallMs, check && this.init.missingCheck !== 'full').finally(() => {
      this.syncing = undefined
    })
    await this.syncing
  }

  private async runSync(signal: AbortSignal | undefined, sinceWallMs: number | undefined, hashFirst: boolean): Promise<void> {
    const node = this.libp2p
    if (node == null || this.storeOrder.length === 0) return
    const since = sinceWallMs ?? (this.offlineSinceWallMs != null ? this.offlineSinceWallMs - (this.init.syncMarginMs ?? 5000) : undefined)
    this.components.events.emit('device.status', { device: this.name, status: 'syncing' })
    const startedWallMs = this.wallNow()
    const switchAfter = this.init.switchAfter ?? 2
    const candidates = switchAfter === 'never' ? (await this.storesInOrder(node)).slice(0, 1) : await this.storesInOrder(node)
    for (const store of candidates) {
      const attempts = switchAfter === 'never' ? 1 : Math.max(1, switchAfter - (this.failures.get(store.name) ?? 0))
      for (let attempt = 0; attempt < attempts; attempt++) {
        if (this.stopped || this.libp2p !== node || signal?.aborted === true) return
        if (await this.queryStore(node, store, since, signal, hashFirst)) {
          this.failures.delete(store.name)
          this.lastGoodSyncWallMs = startedWallMs
          // the store that answered is asked first next time, as status-go keeps its mailserver
          this.storeOrder = [store, ...this.storeOrder.filter((s) => s !== store)]
          this.components.events.emit('device.status', { device: this.name, status: 'upToDate' })
          return
        }
        this.failures.set(store.name, (this.failures.get(store.name) ?? 0) + 1)
      }
      if (switchAfter === 'never') break
      // status-go's mailserver.not.working: this store goes to the back of the line
      this.failures.delete(store.name)
      this.storeOrder = [...this.storeOrder.filter((s) => s !== store), store]
      const next = this.storeOrder[0]
      // failed requests in a row count across syncs: the switch comes after switchAfter of them
      if (next !== store) this.components.events.emit('store.switch', { device: this.name, from: store.name, to: next.name, failures: switchAfter })
    }
    this.components.events.emit('device.status', { device: this.name, status: this.init.upToDate === 'optimistic' ? 'upToDate' : 'failed' })
  }

  /**
   * The stores in the order this device asks them. The first time, a pinned store goes first;
   * otherwise every store is pinged and one of the fastest quarter is picked at random, as
   * status-go does. Ping times are compared in PING_STEP_MS steps and ties keep the seeded order,
   * so the same seed picks the same store on an unshaped loopback fleet.
   */
  private async storesInOrder(node: LightLibp2p): Promise<Array<{ name: string; addr: string }>> {
    if (this.storeOrderChosen || this.storeOrder.length === 0) return this.storeOrder
    this.storeOrderChosen = true
    if (this.init.preferredStore != null) return this.storeOrder
    const rtts = await Promise.all(
      this.storeOrder.map(async (store) => {
        try {
          return await node.services.ping.ping(multiaddr(store.addr), { signal: AbortSignal.timeout(PING_TIMEOUT_MS) })
        } catch {
          return Infinity
        }
      })
    )
    const measured = this.storeOrder.map((store, i) => ({ store, rtt: rtts[i], step: Math.floor(rtts[i] / PING_STEP_MS) }))
    const byPing = measured.slice().sort((a, b) => a.step - b.step)
    const fastest = byPing.slice(0, Math.max(1, Math.ceil(byPing.length / 4))).filter((m) => Number.isFinite(m.rtt))
    const picked = fastest.length > 0 ? fastest[Math.floor(this.components.random() * fastest.length)] : byPing[0]
    this.storeOrder = [picked.store, ...byPing.filter((m) => m !== picked).map((m) => m.store)]
    this.components.events.emit('store.select', {
      device: this.name,
      store: picked.store.name,
      rttMs: Object.fromEntries(measured.map((m) => [m.store.name, Number.isFinite(m.rtt) ? Math.round(m.rtt * 10) / 10 : null]))
    })
    return this.storeOrder
  }

  /**
   * One history request to one store. A catch-up asks for whole messages since a time; a
   * missing-message check (`hashFirst`) first asks for the hashes only and then fetches just the
   * messages this device lacks, as status-go's periodic check does, so overlap costs 37 bytes a
   * message instead of the message.
   */
  private async queryStore(
    node: LightLibp2p,
    store: { name: string; addr: string },
    sinceWallMs: number | undefined,
    signal: AbortSignal | undefined,
    hashFirst: boolean
  ): Promise<boolean> {
    const requestId = `${this.name}-${++this.requestSeq}`
    const topics = [...this.contentTopics.values()]
    const clock = this.components.clock
    const stages = { sent: clock.now(), dialed: 0, firstPage: 0, lastPage: 0 }
    this.components.events.emit('store.query', { device: this.name, store: store.name, requestId, topic: topics.join(','), timeStart: sinceWallMs })
    let messages = 0
    let bytes = 0
    let pages = 0
    const timeout = AbortSignal.timeout(this.init.storeTimeoutMs ?? 30_000)
    const combined = signal == null ? timeout : AbortSignal.any([signal, timeout])
    const eachPage = async (filter: Partial<StoreQueryRequest>, onEntry: (entry: WakuMessageKeyValue) => void): Promise<void> => {
      const request: StoreQueryRequest = {
        requestId,
        includeData: true,
        contentTopics: [],
        messageHashes: [],
        paginationForward: true,
        paginationLimit: PAGE_SIZE,
        ...filter
      }
      const dial = async (): Promise<Stream> => {
        const stream = await node.dialProtocol(multiaddr(store.addr), STORE_QUERY_PROTOCOL, { signal: combined })
        if (pages === 0) stages.dialed = clock.now()
        return stream
      }
      await queryStorePages(
        dial,
        request,
        (response, sizes) => {
          if (pages === 0) stages.firstPage = clock.now()
          stages.lastPage = clock.now()
          bytes += sizes.requestBytes + sizes.responseBytes
          pages++
          if (response.statusCode === StoreStatus.ok) for (const entry of response.messages) onEntry(entry)
        },
        combined
      )
    }
    const accept = (entry: WakuMessageKeyValue): void => {
      if (entry.message == null) return
      messages++
      this.accept(entry.message, 'store', WakuMessage.encode(entry.message).byteLength)
    }
    const window: Partial<StoreQueryRequest> = {
      pubsubTopic: this.components.fleet.pubsubTopic,
      contentTopics: [...this.contentTopics.keys()],
      timeStart: sinceWallMs == null ? undefined : BigInt(Math.floor(sinceWallMs)) * 1_000_000n
    }
    try {
      if (!hashFirst) {
        await eachPage({ ...window, includeData: true }, accept)
      } else {
        const missing: Uint8Array[] = []
        await eachPage({ ...window, includeData: false }, (entry) => {
          if (entry.messageHash != null && !this.history.has(bytesToHex(entry.messageHash))) missing.push(entry.messageHash)
        })
        for (let i = 0; i < missing.length; i += Number(PAGE_SIZE))
          await eachPage({ messageHashes: missing.slice(i, i + Number(PAGE_SIZE)), includeData: true }, accept)
      }
      this.components.events.emit('store.response', { device: this.name, store: store.name, requestId, status: StoreStatus.ok, messages, bytes, pages })
      this.components.events.emit('store.stages', { device: this.name, store: store.name, requestId, ...stages, rendered: clock.now(), messages })
      return true
    } catch (error) {
      this.components.events.emit('store.response', {
        device: this.name,
        store: store.name,
        requestId,
        status: 0,
        messages,
        bytes,
        pages,
        error: errorText(error)
      })
      return false
    }
  }

  private async goOnline(signal?: AbortSignal): Promise<void> {
    if (this.init.mode === 'light') return await this.goOnlineLight(signal)
    const node = await createWakuNode({
      identitySeed: `device/${this.name}`,
      listen: false,
      seenTtlMs: DEVICE_SEEN_TTL_MS,
      accounting: this.accounting,
      metadata: clientMetadata(this.components.fleet.pubsubTopic),
      dialPort: this.dialPort
    })
    await node.start()
    this.node = node
    node.services.pubsub.addEventListener('message', (event) => {
      this.onRelayMessage(event.detail)
    })
    node.services.pubsub.subscribe(this.components.fleet.pubsubTopic)
    await this.ensureRelays(signal)
    if (!this.joined && !this.hasRelay(node)) {
      // at start, no relay at all means the device cannot take part: fail it (the run goes on);
      // later, coming back to a dead fleet is something it rides out, redialling
      this.node = undefined
      await node.stop()
      throw new Error(`no relay node reachable at start (tried ${this.relayOrder.length})`)
    }
    await this.waitForMesh(signal)
    await this.storesInOrder(node)
    this.joined = true
    this.online = true
    this.components.events.emit('device.online', { device: this.name })
    this.watchdog = setInterval(() => {
      void this.checkConnectivity().catch(() => {})
    }, WATCHDOG_MS)
    const wasOffline = this.offlineSinceWallMs != null
    if (wasOffline) {
      await this.syncHistory({ signal })
      this.offlineSinceWallMs = undefined
    }
    await this.flushOutbox()
  }

  private async goOffline(): Promise<void> {
    clearInterval(this.watchdog)
    this.disconnectedSinceWallMs = undefined
    const light = this.light
    this.light = undefined
    await light?.stop()
    const node = this.node
    const wasOnline = this.online
    this.online = false
    this.node = undefined
    if (wasOnline) {
      this.offlineSinceWallMs = this.wallNow()
      if (!this.stopped) this.components.events.emit('device.offline', { device: this.name })
    }
    await node?.stop()
  }

  async onPush(hash: string): Promise<void> {
    if (this.history.has(hash) || this.stopped) return
    if (this.online) {
      await this.syncHistory({}, this.wallNow() - 60_000, true)
      return
    }
    // without a data push the app stays asleep until the network is back; with one, the OS gives
    // it a few seconds to fetch the announced message by its hash, with no relay connections
    if (this.init.wakeOnPush === true) await this.fetchPushed(hash)
  }

  private async fetchPushed(hash: string): Promise<void> {
    const node = await createWakuNode({
      identitySeed: `device/${this.name}/push`,
      listen: false,
      accounting: this.accounting,
      metadata: clientMetadata(this.components.fleet.pubsubTopic)
    })
    await node.start()
    try {
      for (const store of this.storeOrder) {
        const signal = AbortSignal.timeout(Math.min(this.init.storeTimeoutMs ?? 30_000, 10_000))
        try {
          const dial = async (): Promise<Stream> => await node.dialProtocol(multiaddr(store.addr), STORE_QUERY_PROTOCOL, { signal })
          const { entries } = await queryStoreByHashes(dial, [hexToBytes(hash)], {
            requestId: `${this.name}-push-${++this.requestSeq}`,
            includeData: true,
            signal
          })
          const message = entries.find((entry) => entry.message != null)?.message
          if (message != null) {
            this.accept(message, 'store', WakuMessage.encode(message).byteLength)
            return
          }
        } catch {
          // the next store may have it
        }
      }
    } finally {
      await node.stop()
    }
  }

  async setClockSkew(skewMs: number): Promise<void> {
    this.skewMs = skewMs
  }

  private wallNow(): number {
    return Date.now() + this.skewMs
  }

  private async flushOutbox(): Promise<void> {
    const pending = this.outbox.splice(0)
    for (const waku of pending) await this.publish(waku)
  }

  /**
   * Redials lost relays; when every relay connection was gone and one is back, the device asks for
   * the history it may have missed in between, as after being offline.
   */
  private async checkConnectivity(): Promise<void> {
    const node = this.node
    if (node == null) return
    await this.ensureRelays()
    if (this.node !== node) return
    if (!this.hasRelay(node)) {
      this.disconnectedSinceWallMs ??= this.wallNow() - WATCHDOG_MS
      return
    }
    if (this.disconnectedSinceWallMs == null) return
    const since = Math.min(this.disconnectedSinceWallMs, this.lastGoodSyncWallMs ?? Infinity) - (this.init.syncMarginMs ?? 5000)
    this.disconnectedSinceWallMs = undefined
    await this.syncHistory({}, since, true)
  }

  private hasRelay(node: WakuLibp2p): boolean {
    const connected = new Set(node.getPeers().map(String))
    return this.relayOrder.some((addr) => connected.has(peerOf(addr)))
  }

  /** A censor on the device's path refuses the connection before it starts (a firewall's reject); undefined when nothing can be blocked. */
  private get dialPort(): ((host: string, port: number) => number) | undefined {
    const { refused } = this.components.fleet
    if (refused == null) return undefined
    return (host, port) => {
      if (refused(host, port)) throw new Error(`connection to ${host}:${port} refused (blocked)`)
      return port
    }
  }

  /** Byte accounting of every node this device runs (relay, light, a push fetch), under its name. */
  private get accounting(): SocketAccountingInit | undefined {
    return this.components.byteAccounting === false ? undefined : { owner: this.name, events: this.components.events, chunks: true }
  }

  /** The node store queries go through: the relay node, or the light client's. */
  private get libp2p(): LightLibp2p | undefined {
    return this.node ?? this.light?.node
  }

  /** Light mode: no gossipsub; FILTER subscriptions on `relays` service nodes, LIGHTPUSH out. */
  private async goOnlineLight(signal?: AbortSignal): Promise<void> {
    const { fleet, events } = this.components
    this.light = await LightClient.start(
      {
        device: this.name,
        pubsubTopic: fleet.pubsubTopic,
        contentTopics: [...this.contentTopics.keys()],
        services: serviceOrder(this.relayOrder, this.storeOrder, (peerId) => fleet.peerName?.(peerId), this.init.preferredService),
        subscriptions: this.init.relays,
        clock: this.components.clock,
        events,
        accounting: this.accounting,
        dialPort: this.dialPort,
        wallNow: () => this.wallNow(),
        onMessage: (message, bytes) => {
          this.accept(message, 'filter', bytes)
        },
        onGap: (sinceWallMs) => {
          void this.syncHistory({}, sinceWallMs - (this.init.syncMarginMs ?? 5000), true).catch(() => {})
        }
      },
      signal
    )
    if (!this.joined && !this.light.subscribed) {
      // as in relay mode: at start, no service node at all means the device cannot take part
      const light = this.light
      this.light = undefined
      await light.stop()
      throw new Error('no service node accepted a FILTER subscription at start')
    }
    await this.storesInOrder(this.light.node)
    this.joined = true
    this.online = true
    events.emit('device.online', { device: this.name })
    // messages no service node took wait in the outbox; try them again
    this.watchdog = setInterval(() => {
      if (this.outbox.length > 0) void this.flushOutbox().catch(() => {})
    }, WATCHDOG_MS)
    if (this.offlineSinceWallMs != null) {
      await this.syncHistory({ signal })
      this.offlineSinceWallMs = undefined
    }
    await this.flushOutbox()
  }

  private nodeName(addr: string): string {
    return this.components.fleet.peerName?.(peerOf(addr)) ?? peerOf(addr)
  }

  /**
   * Asks the connected bootstrap nodes for more peers (34/WAKU2-PEER-EXCHANGE, as js-waku and
   * status-go light clients do) and keeps the ones it did not know, after its bootstrap list: when
   * the bootstrap nodes are out of reach, ensureRelays dials these.
   */
  private async exchangePeers(signal?: AbortSignal): Promise<void> {
    const node = this.node
    if (node == null) return
    for (const connection of node.getConnections()) {
      const from = this.components.fleet.peerName?.(connection.remotePeer.toString()) ?? connection.remotePeer.toString()
      try {
        const records = await queryPeerExchange(
          connection,
          PEER_EXCHANGE_ASK,
          AbortSignal.any([AbortSignal.timeout(5000), ...(signal == null ? [] : [signal])])
        )
        let learned = 0
        for (const record of records) {
          const addr = await enrTcpAddress(record)
          if (addr == null || this.relayOrder.some((known) => peerOf(known) === peerOf(addr))) continue
          this.relayOrder.push(addr)
          this.learned.add(addr)
          learned++
        }
        this.components.events.emit('device.peerExchange', { device: this.name, node: from, answered: records.length, learned })
      } catch (error) {
        this.components.log.debug(`${this.name}: peer exchange with ${from}: ${errorText(error)}`)
      }
    }
  }

  /** Keeps `relays` relay connections, moving on to other relays when one dies. */
  private async ensureRelays(signal?: AbortSignal): Promise<void> {
    const node = this.node
    if (node == null) return
    const connected = new Set(node.getPeers().map(String))
    let have = this.relayOrder.filter((addr) => connected.has(peerOf(addr))).length
    for (const addr of this.relayOrder) {
      if (have >= this.init.relays) break
      if (connected.has(peerOf(addr))) continue
      try {
        // a node that takes the connection and never completes it (a censor's black hole) must not hold up the next
        const connection = await node.dial(multiaddr(addr), {
          signal: AbortSignal.any([AbortSignal.timeout(RELAY_DIAL_TIMEOUT_MS), ...(signal == null ? [] : [signal])])
        })
        await node.peerStore.merge(connection.remotePeer, { tags: { [KEEP_ALIVE]: { value: 1 } } })
        have++
        this.components.events.emit('device.relay', {
          device: this.name,
          node: this.nodeName(addr),
          source: this.learned.has(addr) ? 'peer-exchange' : 'bootstrap'
        })
      } catch (error) {
        // a dead relay is skipped; the next one in this device's order is tried
        this.components.log.debug(`${this.name}: dial ${this.nodeName(addr)}: ${errorText(error)}`)
      }
    }
  }

  private async waitForMesh(signal?: AbortSignal): Promise<void> {
    const deadline = Date.now() + 5000
    while (this.node != null && meshPeers(this.node, this.components.fleet.pubsubTopic).length === 0 && Date.now() < deadline && signal?.aborted !== true) {
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }

  private onRelayMessage(message: Message): void {
    if (message.topic !== this.components.fleet.pubsubTopic) return
    try {
      this.accept(WakuMessage.decode(message.data), 'relay', message.data.byteLength)
    } catch (error) {
      this.components.log.warn(`${this.name}: undecodable relay message: ${errorText(error)}`)
    }
  }

  private accept(message: WakuMessage, via: DeliveryPath, bytes: number): void {
    if (!this.contentTopics.has(message.contentTopic)) return
    const payload = decodePayload(message.payload)
    if (payload == null || payload.from === this.name) return
    const hash = messageHashHex(this.components.fleet.pubsubTopic, message)
    const duplicate = this.history.has(hash)
    this.components.events.emit('msg.received', { device: this.name, hash, msgId: payload.id, via, bytes, duplicate })
    if (duplicate) return
    this.history.add(hash)
    this.components.events.emit('msg.rendered', { device: this.name, hash, msgId: payload.id })
  }
}

function peerOf(addr: string): string {
  return addr.slice(addr.lastIndexOf('/p2p/') + 5)
}

function shuffled<T>(random: () => number, items: readonly T[]): T[] {
  const out = items.slice()
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    ;[out[i], out[j]] = [out[j], out[i]]
  }
  return out
}

function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error)
}

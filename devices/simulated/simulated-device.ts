import type { Message } from '@libp2p/gossipsub'
import { KEEP_ALIVE } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import type { AbortOptions, Device, DeviceComponents, DeliveryPath, OutgoingMessage } from '../../harness/interface/index.js'
import {
  createWakuNode, decodePayload, peerIdForIdentity, encodePayload, messageHashHex, meshPeers, queryStoreStream, STORE_QUERY_PROTOCOL, StoreStatus,
  WakuMessage, type LightLibp2p, type StoreQueryRequest, type WakuLibp2p
} from '../../harness/protocol/index.js'
import { LightClient, serviceOrder } from './light-client.js'

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
  /** The store asked first; the others follow in this device's seeded order. */
  preferredStore?: string
  /** relay: its own gossipsub node; light: FILTER and LIGHTPUSH through service nodes (light-client.ts). */
  mode?: 'relay' | 'light'
  /** Light mode: the service node tried first. */
  preferredService?: string
}

const PAGE_SIZE = 50n
const WATCHDOG_MS = 2000

/**
 * courier's reference client: a real libp2p node in relay mode that behaves like a messenger app:
 * local history with de-duplication, an outbox while offline, history catch-up from a store node
 * on reconnect (failing over between stores), and a render signal when a message would show.
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
  private storeOrder: Array<{ name: string, addr: string }>
  private requestSeq = 0
  /** Clock skew of this device, ms: what it stamps on messages and asks stores for. */
  private skewMs = 0
  private syncing?: Promise<void>
  private light?: LightClient

  constructor (private readonly init: SimulatedDeviceInit, private readonly components: DeviceComponents) {
    this.name = init.name
    this.contentTopics = new Map(init.topics.map((topic) => [components.fleet.contentTopic(topic), topic]))
    this.relayOrder = shuffled(components.random, components.fleet.relays)
    const order = shuffled(components.random, components.fleet.stores)
    const preferred = order.filter((store) => store.name === init.preferredStore)
    this.storeOrder = [...preferred, ...order.filter((store) => store.name !== init.preferredStore)]
  }

  async start (options: AbortOptions = {}): Promise<void> {
    this.components.events.emit('device.up', { device: this.name, driver: this.driver, peerId: await peerIdForIdentity(`device/${this.name}`) })
    for (const topic of this.init.topics) this.components.events.emit('device.subscribe', { device: this.name, topic })
    await this.goOnline(options.signal)
    if (this.init.syncIntervalMs != null) {
      const every = this.init.syncIntervalMs
      this.syncTimer = setInterval(() => { void this.syncHistory({}, this.wallNow() - 2 * every).catch(() => {}) }, every)
    }
  }

  async stop (): Promise<void> {
    if (this.stopped) return
    this.stopped = true
    clearInterval(this.syncTimer)
    await this.goOffline()
    this.components.events.emit('device.down', { device: this.name })
  }

  async send (message: OutgoingMessage): Promise<void> {
    const contentTopic = this.components.fleet.contentTopic(message.topic)
    const sentAt = this.components.clock.now()
    const waku: WakuMessage = {
      payload: encodePayload({ id: message.msgId, from: this.name, sentAt, text: message.text }, message.bytes),
      contentTopic,
      timestamp: BigInt(this.wallNow()) * 1_000_000n + BigInt(++this.requestSeq % 1_000_000)
    }
    const hash = messageHashHex(this.components.fleet.pubsubTopic, waku)
    this.history.add(hash)
    this.components.events.emit('msg.sent', { msgId: message.msgId, hash, topic: message.topic, bytes: message.bytes, device: this.name, ...(this.init.mode === 'light' ? { via: 'lightpush' as const } : {}) })
    this.components.events.emit('msg.rendered', { device: this.name, hash, msgId: message.msgId })
    if (this.light != null && this.online) return await this.lightPush(this.light, waku)
    if (!this.online || this.node == null) {
      this.outbox.push(waku)
      return
    }
    await this.node.services.pubsub.publish(this.components.fleet.pubsubTopic, WakuMessage.encode(waku))
  }

  async setOnline (online: boolean, options: AbortOptions = {}): Promise<void> {
    if (online === this.online || this.stopped) return
    if (online) await this.goOnline(options.signal)
    else await this.goOffline()
  }

  /** Fetches history since `sinceWallMs` (default: since going offline) from the first store that answers. */
  async syncHistory (options: AbortOptions = {}, sinceWallMs?: number): Promise<void> {
    if (this.syncing != null) return await this.syncing
    this.syncing = this.runSync(options.signal, sinceWallMs).finally(() => { this.syncing = undefined })
    await this.syncing
  }

  private async runSync (signal: AbortSignal | undefined, sinceWallMs?: number): Promise<void> {
    const node = this.libp2p
    if (node == null || this.storeOrder.length === 0) return
    const since = sinceWallMs ?? (this.offlineSinceWallMs != null ? this.offlineSinceWallMs - (this.init.syncMarginMs ?? 5000) : undefined)
    this.components.events.emit('device.status', { device: this.name, status: 'syncing' })
    for (const [index, store] of this.storeOrder.entries()) {
      if (this.stopped || this.libp2p !== node) return
      const ok = await this.queryStore(node, store, since, signal)
      if (ok) {
        // the store that answered is tried first next time, as status-go keeps its mailserver
        if (index > 0) this.storeOrder = [store, ...this.storeOrder.filter((s) => s !== store)]
        this.components.events.emit('device.status', { device: this.name, status: 'upToDate' })
        return
      }
    }
    this.components.events.emit('device.status', { device: this.name, status: 'failed' })
  }

  private async queryStore (node: LightLibp2p, store: { name: string, addr: string }, sinceWallMs: number | undefined, signal?: AbortSignal): Promise<boolean> {
    const requestId = `${this.name}-${++this.requestSeq}`
    const topics = [...this.contentTopics.values()]
    const clock = this.components.clock
    const stages = { sent: clock.now(), dialed: 0, firstPage: 0, lastPage: 0 }
    this.components.events.emit('store.query', { device: this.name, store: store.name, requestId, topic: topics.join(','), timeStart: sinceWallMs })
    let messages = 0
    let bytes = 0
    let pages = 0
    let cursor: Uint8Array | undefined
    const timeout = AbortSignal.timeout(this.init.storeTimeoutMs ?? 30_000)
    const combined = signal == null ? timeout : AbortSignal.any([signal, timeout])
    try {
      do {
        const request: StoreQueryRequest = {
          requestId,
          includeData: true,
          pubsubTopic: this.components.fleet.pubsubTopic,
          contentTopics: [...this.contentTopics.keys()],
          timeStart: sinceWallMs == null ? undefined : BigInt(Math.floor(sinceWallMs)) * 1_000_000n,
          messageHashes: [],
          paginationCursor: cursor,
          paginationForward: true,
          paginationLimit: PAGE_SIZE
        }
        const stream = await node.dialProtocol(multiaddr(store.addr), STORE_QUERY_PROTOCOL, { signal: combined })
        if (pages === 0) stages.dialed = clock.now()
        const { response, responseBytes, requestBytes } = await queryStoreStream(stream, request, combined)
        if (pages === 0) stages.firstPage = clock.now()
        stages.lastPage = clock.now()
        bytes += responseBytes + requestBytes
        pages++
        if (response.statusCode !== StoreStatus.ok) throw new Error(`status ${response.statusCode ?? '?'} ${response.statusDesc ?? ''}`)
        for (const entry of response.messages) {
          if (entry.message == null) continue
          messages++
          this.accept(entry.message, 'store', WakuMessage.encode(entry.message).byteLength)
        }
        cursor = response.paginationCursor
      } while (cursor != null && cursor.length > 0)
      this.components.events.emit('store.response', { device: this.name, store: store.name, requestId, status: StoreStatus.ok, messages, bytes, pages })
      this.components.events.emit('store.stages', { device: this.name, store: store.name, requestId, ...stages, rendered: clock.now(), messages })
      return true
    } catch (error) {
      this.components.events.emit('store.response', { device: this.name, store: store.name, requestId, status: 0, messages, bytes, pages, error: errorText(error) })
      return false
    }
  }

  private async goOnline (signal?: AbortSignal): Promise<void> {
    if (this.init.mode === 'light') return await this.goOnlineLight(signal)
    const node = await createWakuNode({ identitySeed: `device/${this.name}`, listen: false, accounting: this.components.byteAccounting === false ? undefined : { owner: this.name, events: this.components.events, chunks: true } })
    await node.start()
    this.node = node
    node.services.pubsub.addEventListener('message', (event) => { this.onRelayMessage(event.detail) })
    node.services.pubsub.subscribe(this.components.fleet.pubsubTopic)
    await this.ensureRelays(signal)
    await this.waitForMesh(signal)
    this.online = true
    this.components.events.emit('device.online', { device: this.name })
    this.watchdog = setInterval(() => { void this.ensureRelays().catch(() => {}) }, WATCHDOG_MS)
    const wasOffline = this.offlineSinceWallMs != null
    if (wasOffline) {
      await this.syncHistory({ signal })
      this.offlineSinceWallMs = undefined
    }
    await this.flushOutbox()
  }

  private async goOffline (): Promise<void> {
    clearInterval(this.watchdog)
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

  async onPush (hash: string): Promise<void> {
    // offline, the app cannot fetch: it will catch up when the network is back
    if (this.history.has(hash) || !this.online) return
    await this.syncHistory({}, this.wallNow() - 60_000)
  }

  async setClockSkew (skewMs: number): Promise<void> {
    this.skewMs = skewMs
  }

  private wallNow (): number {
    return Date.now() + this.skewMs
  }

  private async flushOutbox (): Promise<void> {
    const pending = this.outbox.splice(0)
    if (this.light != null) {
      for (const waku of pending) await this.lightPush(this.light, waku)
      return
    }
    for (const waku of pending) await this.node?.services.pubsub.publish(this.components.fleet.pubsubTopic, WakuMessage.encode(waku))
  }

  /** The node store queries go through: the relay node, or the light client's. */
  private get libp2p (): LightLibp2p | undefined {
    return this.node ?? this.light?.node
  }

  /** Light mode: no gossipsub; FILTER subscriptions on `relays` service nodes, LIGHTPUSH out. */
  private async goOnlineLight (signal?: AbortSignal): Promise<void> {
    const { fleet, events } = this.components
    this.light = await LightClient.start({
      device: this.name,
      pubsubTopic: fleet.pubsubTopic,
      contentTopics: [...this.contentTopics.keys()],
      services: serviceOrder(this.relayOrder, this.storeOrder, (peerId) => fleet.peerName?.(peerId), this.init.preferredService),
      subscriptions: this.init.relays,
      clock: this.components.clock,
      events,
      accounting: this.components.byteAccounting === false ? undefined : { owner: this.name, events, chunks: true },
      wallNow: () => this.wallNow(),
      onMessage: (message, bytes) => { this.accept(message, 'filter', bytes) },
      onGap: (sinceWallMs) => { void this.syncHistory({}, sinceWallMs - (this.init.syncMarginMs ?? 5000)).catch(() => {}) }
    }, signal)
    this.online = true
    events.emit('device.online', { device: this.name })
    // messages no service node took wait in the outbox; try them again
    this.watchdog = setInterval(() => { if (this.outbox.length > 0) void this.flushOutbox().catch(() => {}) }, WATCHDOG_MS)
    if (this.offlineSinceWallMs != null) {
      await this.syncHistory({ signal })
      this.offlineSinceWallMs = undefined
    }
    await this.flushOutbox()
  }

  /** A message no service node accepted for now goes back to the outbox; one they refuse (413) is dropped, as an app would fail it. */
  private async lightPush (light: LightClient, waku: WakuMessage): Promise<void> {
    const outcome = await light.publish(waku, messageHashHex(this.components.fleet.pubsubTopic, waku))
    if (outcome === 'unsent') this.outbox.push(waku)
  }

  /** Keeps `relays` relay connections, moving on to other relays when one dies. */
  private async ensureRelays (signal?: AbortSignal): Promise<void> {
    const node = this.node
    if (node == null) return
    const connected = new Set(node.getPeers().map(String))
    let have = this.relayOrder.filter((addr) => connected.has(peerOf(addr))).length
    for (const addr of this.relayOrder) {
      if (have >= this.init.relays) break
      if (connected.has(peerOf(addr))) continue
      try {
        const connection = await node.dial(multiaddr(addr), { signal })
        await node.peerStore.merge(connection.remotePeer, { tags: { [KEEP_ALIVE]: { value: 1 } } })
        have++
      } catch {
        // a dead relay is skipped; the next one in this device's order is tried
      }
    }
  }

  private async waitForMesh (signal?: AbortSignal): Promise<void> {
    const deadline = Date.now() + 5000
    while (this.node != null && meshPeers(this.node, this.components.fleet.pubsubTopic).length === 0 && Date.now() < deadline && signal?.aborted !== true) {
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }

  private onRelayMessage (message: Message): void {
    if (message.topic !== this.components.fleet.pubsubTopic) return
    try {
      this.accept(WakuMessage.decode(message.data), 'relay', message.data.byteLength)
    } catch (error) {
      this.components.log.warn(`${this.name}: undecodable relay message: ${errorText(error)}`)
    }
  }

  private accept (message: WakuMessage, via: DeliveryPath, bytes: number): void {
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

function peerOf (addr: string): string {
  return addr.slice(addr.lastIndexOf('/p2p/') + 5)
}

function shuffled<T> (random: () => number, items: readonly T[]): T[] {
  const out = items.slice()
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    ;[out[i], out[j]] = [out[j], out[i]]
  }
  return out
}

function errorText (error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error)
}

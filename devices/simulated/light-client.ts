import type { Connection, PeerId, Stream } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import type { Clock, EventSink } from '../../harness/interface/index.js'
import {
  clientMetadata,
  createLightNode,
  FILTER_PUSH_PROTOCOL,
  FILTER_SUBSCRIBE_PROTOCOL,
  FilterStatus,
  FilterSubscribeType,
  filterSubscribeOnStream,
  LIGHTPUSH_PROTOCOL,
  LightPushStatus,
  lightPushOnStream,
  readFilterPush,
  WakuMessage,
  type LightLibp2p,
  type SocketAccountingInit
} from '../../harness/protocol/index.js'

/**
 * How often a light client pings each filter subscription. Well inside the service node's 5-minute
 * TTL, so a live subscription never expires; a ping that fails (404: the node forgot us, or no
 * answer) is how a client notices a subscription that died while its connection stayed up.
 */
export const FILTER_PING_INTERVAL_MS = 60_000
/** Below the wanted number of subscriptions, try again this often. */
const RETRY_MS = 2000
/** A service node that refused or failed is skipped this long while others are available (status-go backs off 10 s). */
const FAILED_BACKOFF_MS = 10_000
const REQUEST_TIMEOUT_MS = 5000
/** Service nodes asked per message before it goes back to the outbox. */
const LIGHTPUSH_ATTEMPTS = 3

export interface ServiceNode {
  name: string
  addr: string
}

export interface LightClientInit {
  device: string
  pubsubTopic: string
  contentTopics: string[]
  /** Candidate service nodes, in this device's preference order. */
  services: ServiceNode[]
  /** How many service nodes hold a subscription at once (the scenario's `relays:`). */
  subscriptions: number
  pingIntervalMs?: number
  clock: Clock
  events: EventSink
  accounting?: SocketAccountingInit
  /** The device's dialer: may throw to refuse an address (a censor's block). */
  dialPort?: (host: string, port: number) => number
  /** The device's wall clock (skew included). */
  wallNow: () => number
  /** A pushed message; `bytes` is its encoded size, as relay reports it. */
  onMessage: (message: WakuMessage, bytes: number) => void
  /**
   * No subscription was alive from this wall time until one came back just now: what was
   * published meanwhile was pushed to nobody and must come from a store.
   */
  onGap: (sinceWallMs: number) => void
}

interface Subscription {
  service: ServiceNode
  peerId: string
  lastGoodWall: number
}

export type LightPushOutcome = 'sent' | 'rejected' | 'unsent'

/**
 * A light client (Status' light mode): no relay at all. It keeps FILTER subscriptions for its
 * content topics on `subscriptions` service nodes, receives their pushes, publishes through
 * LIGHTPUSH, notices lost subscriptions (the connection closed, or a ping failed), moves on to the
 * next service node, and asks for a store catch-up when there was a moment with no subscription.
 */
export class LightClient {
  private readonly subscriptions = new Map<string, Subscription>()
  private readonly failedAt = new Map<string, number>()
  private gapSinceWall?: number
  private maintaining?: Promise<void>
  private again = false
  private readonly timers: NodeJS.Timeout[] = []
  private stopped = false
  private sequence = 0
  private readonly onDisconnect = (event: CustomEvent<PeerId>): void => {
    this.lost(event.detail.toString(), 'connection closed')
  }

  private constructor(
    readonly node: LightLibp2p,
    private readonly init: LightClientInit
  ) {}

  static async start(init: LightClientInit, signal?: AbortSignal): Promise<LightClient> {
    const node = await createLightNode({
      identitySeed: `device/${init.device}`,
      listen: false,
      accounting: init.accounting,
      metadata: clientMetadata(init.pubsubTopic),
      dialPort: init.dialPort
    })
    const client = new LightClient(node, init)
    await node.handle(
      FILTER_PUSH_PROTOCOL,
      async (stream, connection) => {
        await client.onPush(stream, connection)
      },
      { maxInboundStreams: 256 }
    )
    node.addEventListener('peer:disconnect', client.onDisconnect)
    await node.start()
    await client.maintain(signal)
    client.timers.push(
      setInterval(() => {
        if (client.subscriptions.size < init.subscriptions) void client.maintain()
      }, RETRY_MS)
    )
    client.timers.push(
      setInterval(() => {
        void client.pingAll()
      }, init.pingIntervalMs ?? FILTER_PING_INTERVAL_MS)
    )
    return client
  }

  /** Subscribed somewhere right now. */
  get subscribed(): boolean {
    return this.subscriptions.size > 0
  }

  /** Goes away without unsubscribing, as a phone losing its network does: the nodes notice the closed connections. */
  async stop(): Promise<void> {
    if (this.stopped) return
    this.stopped = true
    for (const timer of this.timers) clearInterval(timer)
    this.node.removeEventListener('peer:disconnect', this.onDisconnect)
    await this.node.stop()
  }

  /** LIGHTPUSH through the subscribed service nodes first, then others. */
  async publish(message: WakuMessage, hash: string, signal?: AbortSignal): Promise<LightPushOutcome> {
    const active = [...this.subscriptions.values()].map((s) => s.service)
    const others = this.init.services.filter((service) => !active.includes(service) && !this.backingOff(service))
    for (const service of [...active, ...others].slice(0, LIGHTPUSH_ATTEMPTS)) {
      if (this.stopped) return 'unsent'
      const requestId = `${this.init.device}-lp${++this.sequence}`
      try {
        const stream = await this.node.dialProtocol(multiaddr(service.addr), LIGHTPUSH_PROTOCOL, { signal: this.requestSignal(signal) })
        const { response } = await lightPushOnStream(stream, { requestId, pubsubTopic: this.init.pubsubTopic, message }, this.requestSignal(signal))
        this.init.events.emit('lightpush.response', {
          device: this.init.device,
          node: service.name,
          requestId,
          hash,
          status: response.statusCode,
          relayPeers: response.relayPeerCount
        })
        if (response.statusCode === LightPushStatus.ok) return 'sent'
        // the message itself is refused: no other service node would take it either
        if (response.statusCode >= 400 && response.statusCode < 429) return 'rejected'
      } catch (error) {
        this.failedAt.set(service.addr, this.init.clock.now())
        this.init.events.emit('lightpush.response', { device: this.init.device, node: service.name, requestId, hash, status: 0, error: errorText(error) })
      }
    }
    return 'unsent'
  }

  /** Tops subscriptions up to the wanted number; concurrent callers share one pass. */
  async maintain(signal?: AbortSignal): Promise<void> {
    if (this.maintaining != null) {
      // a pass already under way may have walked past the candidate that is needed now
      this.again = true
      return await this.maintaining
    }
    this.maintaining = (async () => {
      do {
        this.again = false
        await this.fill(signal)
      } while (this.again && !this.stopped)
    })().finally(() => {
      this.maintaining = undefined
    })
    await this.maintaining
  }

  private async fill(signal?: AbortSignal): Promise<void> {
    // with no subscription at all every candidate is worth a try, but the ones that just failed last
    const desperate = this.subscriptions.size === 0
    const tried = new Set<ServiceNode>()
    while (!this.stopped && signal?.aborted !== true) {
      const need = this.init.subscriptions - this.subscriptions.size
      const open = this.init.services.filter((service) => !tried.has(service) && !this.isSubscribed(service))
      const fresh = open.filter((service) => !this.backingOff(service))
      const batch = (fresh.length > 0 || !desperate ? fresh : open).slice(0, need)
      if (need <= 0 || batch.length === 0) break
      // in parallel: on a 3G link each dial costs a second of handshakes
      for (const service of batch) tried.add(service)
      await Promise.all(
        batch.map(async (service) => {
          await this.subscribe(service, signal)
        })
      )
    }
    if (this.subscriptions.size > 0 && this.gapSinceWall != null) {
      const since = this.gapSinceWall
      this.gapSinceWall = undefined
      this.init.onGap(since)
    }
  }

  private async subscribe(service: ServiceNode, signal?: AbortSignal): Promise<void> {
    const { device, contentTopics, events } = this.init
    const requestId = `${device}-f${++this.sequence}`
    const peerId =
      multiaddr(service.addr)
        .getComponents()
        .find((c) => c.name === 'p2p')?.value ?? service.addr
    try {
      const stream = await this.node.dialProtocol(multiaddr(service.addr), FILTER_SUBSCRIBE_PROTOCOL, { signal: this.requestSignal(signal) })
      const response = await filterSubscribeOnStream(
        stream,
        { requestId, filterSubscribeType: FilterSubscribeType.SUBSCRIBE, pubsubTopic: this.init.pubsubTopic, contentTopics },
        this.requestSignal(signal)
      )
      if (response.statusCode !== FilterStatus.ok) throw new Error(`status ${response.statusCode} ${response.statusDesc ?? ''}`.trim())
      // the connection may have closed while we waited: then no disconnect event is left to tell us
      if (this.node.getConnections().every((c) => c.remotePeer.toString() !== peerId || c.status !== 'open'))
        throw new Error('connection closed while subscribing')
      this.subscriptions.set(peerId, { service, peerId, lastGoodWall: this.init.wallNow() })
      this.failedAt.delete(service.addr)
      events.emit('filter.subscription', { device, node: service.name, state: 'subscribed', contentTopics })
    } catch (error) {
      this.failedAt.set(service.addr, this.init.clock.now())
      if (!this.stopped) events.emit('filter.subscription', { device, node: service.name, state: 'failed', contentTopics, reason: errorText(error) })
    }
  }

  private lost(peerId: string, reason: string): void {
    const subscription = this.subscriptions.get(peerId)
    if (subscription == null || this.stopped) return
    this.subscriptions.delete(peerId)
    this.failedAt.set(subscription.service.addr, this.init.clock.now())
    this.init.events.emit('filter.subscription', {
      device: this.init.device,
      node: subscription.service.name,
      state: 'lost',
      contentTopics: this.init.contentTopics,
      reason
    })
    if (this.subscriptions.size === 0 && this.gapSinceWall == null) this.gapSinceWall = subscription.lastGoodWall
    void this.maintain()
  }

  private async pingAll(): Promise<void> {
    await Promise.all(
      [...this.subscriptions.values()].map(async (subscription) => {
        try {
          const stream = await this.node.dialProtocol(multiaddr(subscription.service.addr), FILTER_SUBSCRIBE_PROTOCOL, { signal: this.requestSignal() })
          const response = await filterSubscribeOnStream(
            stream,
            { requestId: `${this.init.device}-p${++this.sequence}`, filterSubscribeType: FilterSubscribeType.SUBSCRIBER_PING, contentTopics: [] },
            this.requestSignal()
          )
          if (response.statusCode === FilterStatus.ok) subscription.lastGoodWall = this.init.wallNow()
          else this.lost(subscription.peerId, `ping answered ${response.statusCode}`)
        } catch (error) {
          this.lost(subscription.peerId, `ping failed: ${errorText(error)}`)
        }
      })
    )
  }

  private async onPush(stream: Stream, connection: Connection): Promise<void> {
    try {
      const { push } = await readFilterPush(stream, AbortSignal.timeout(REQUEST_TIMEOUT_MS))
      if (push.wakuMessage == null || push.pubsubTopic !== this.init.pubsubTopic) return
      // a push proves the subscription alive up to now
      const subscription = this.subscriptions.get(connection.remotePeer.toString())
      if (subscription != null) subscription.lastGoodWall = this.init.wallNow()
      this.init.onMessage(push.wakuMessage, WakuMessage.encode(push.wakuMessage).byteLength)
    } catch (error) {
      stream.abort(error as Error)
    }
  }

  private isSubscribed(service: ServiceNode): boolean {
    return [...this.subscriptions.values()].some((s) => s.service.addr === service.addr)
  }

  private backingOff(service: ServiceNode): boolean {
    const failed = this.failedAt.get(service.addr)
    return failed != null && this.init.clock.now() - failed < FAILED_BACKOFF_MS
  }

  private requestSignal(signal?: AbortSignal): AbortSignal {
    const timeout = AbortSignal.timeout(REQUEST_TIMEOUT_MS)
    return signal == null ? timeout : AbortSignal.any([signal, timeout])
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

/**
 * A light device's candidate service nodes: relays in its seeded order (the choice a relay-mode
 * device makes for its relay connections), then stores, which serve light clients too; a
 * scenario's `service:` goes first.
 */
export function serviceOrder(
  relayAddrs: readonly string[],
  stores: readonly ServiceNode[],
  peerName: (peerId: string) => string | undefined,
  preferred?: string
): ServiceNode[] {
  const relays = relayAddrs.map((addr) => {
    const peerId = addr.slice(addr.lastIndexOf('/p2p/') + 5)
    return { name: peerName(peerId) ?? peerId, addr }
  })
  const all = [...relays, ...stores]
  return [...all.filter((s) => s.name === preferred), ...all.filter((s) => s.name !== preferred)]
}

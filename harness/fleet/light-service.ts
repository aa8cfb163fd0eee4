import type { Connection, PeerId, Stream } from '@libp2p/interface'
import type { Clock, EventSink } from '../interface/index.js'
import {
  checkLightPushRequest,
  FILTER_PUSH_PROTOCOL,
  FILTER_SUBSCRIBE_PROTOCOL,
  FILTER_SUBSCRIPTION_TTL_MS,
  FilterSubscriptions,
  filterRequestKind,
  LIGHTPUSH_PROTOCOL,
  LightPushStatus,
  messageHashHex,
  serveFilterSubscribeStream,
  serveLightPushStream,
  WakuMessage,
  writeFilterPush,
  type LightPushRequest,
  type LightPushResponse,
  type WakuLibp2p
} from '../protocol/index.js'

export interface LightServiceInit {
  /** The fleet node's name, for events. */
  name: string
  node: WakuLibp2p
  pubsubTopic: string
  clock: Clock
  events: EventSink
  onError: (component: string, error: unknown) => void
  /** A subscriber's device name when the run knows its peer id. */
  peerName?: (peerId: string) => string | undefined
  /**
   * A message this node published for a light client. gossipsub does not hand a node its own
   * publishes, so the node treats it as received here: it reaches this node's own filter
   * subscribers and archive as nwaku's relay (triggerSelf) does; the sender gets its echo too.
   */
  onLocalPublish: (data: Uint8Array) => void
  /** Subscription time-to-live without a ping or renewal; nwaku's 5 minutes unless a test shortens it. */
  ttlMs?: number
  /** The subscription table; tests hand in a broken variant to show their checks can fail. */
  subscriptions?: FilterSubscriptions
}

/** Each subscribe or lightpush request must be answered within this, or its stream is dropped. */
const REQUEST_TIMEOUT_MS = 10_000
/** A push must reach the subscriber's socket within this. */
const PUSH_TIMEOUT_MS = 10_000
/**
 * js-waku never closes its side of a push stream (DESIGN.md): a stream still half-open this long
 * after the push is aborted, or 64 of them would exhaust the protocol's outbound stream limit.
 */
const PUSH_STREAM_LINGER_MS = 5_000

/**
 * A fleet node's light-client services: 12/WAKU2-FILTER v2 (subscribe, and push of every matching
 * relay message) and 19/WAKU2-LIGHTPUSH v3 (publish into gossipsub on a client's behalf). Relay
 * and store nodes run one each; a killed node's subscriptions die with it.
 */
export class LightService {
  readonly subscriptions: FilterSubscriptions
  private readonly halting = new AbortController()
  private readonly expiryTimer: NodeJS.Timeout
  private running = true
  private readonly onDisconnect = (event: CustomEvent<PeerId>): void => {
    this.forget(event.detail.toString(), 'disconnected')
  }

  private constructor(private readonly init: LightServiceInit) {
    const ttlMs = init.ttlMs ?? FILTER_SUBSCRIPTION_TTL_MS
    this.subscriptions = init.subscriptions ?? new FilterSubscriptions(ttlMs)
    this.expiryTimer = setInterval(
      () => {
        this.expire()
      },
      Math.max(50, Math.min(ttlMs / 5, 30_000))
    )
    this.expiryTimer.unref()
  }

  /** Registers the protocol handlers; call before the node starts, so identify announces them. */
  static async attach(init: LightServiceInit): Promise<LightService> {
    const service = new LightService(init)
    const { node } = init
    await node.handle(
      FILTER_SUBSCRIBE_PROTOCOL,
      async (stream, connection) => {
        await service.serveSubscribe(stream, connection)
      },
      { maxInboundStreams: 64 }
    )
    await node.handle(
      LIGHTPUSH_PROTOCOL,
      async (stream, connection) => {
        await service.serveLightPush(stream, connection)
      },
      { maxInboundStreams: 64 }
    )
    node.addEventListener('peer:disconnect', service.onDisconnect)
    return service
  }

  /** Every message the node relays (and publishes itself) goes through here to its subscribers. */
  onRelayMessage(topic: string, data: Uint8Array): void {
    if (!this.running || topic !== this.init.pubsubTopic || this.subscriptions.size === 0) return
    const message = WakuMessage.decode(data)
    const peers = this.subscriptions.matching(topic, message.contentTopic)
    if (peers.length === 0) return
    const hash = messageHashHex(topic, message)
    for (const peer of peers) void this.push(peer, message, hash)
  }

  /** The node is going down: every subscription vanishes with it (no state survives a restart). */
  stop(): void {
    if (!this.running) return
    this.running = false
    clearInterval(this.expiryTimer)
    this.halting.abort()
    this.init.node.removeEventListener('peer:disconnect', this.onDisconnect)
    for (const peer of this.subscriptions.peerIds()) this.forget(peer, 'node-down')
  }

  private label(peer: string): string {
    return this.init.peerName?.(peer) ?? peer
  }

  private forget(peer: string, reason: 'disconnected' | 'expired' | 'node-down'): void {
    const contentTopics = this.subscriptions.drop(peer)
    if (contentTopics != null) this.init.events.emit('filter.drop', { node: this.init.name, peer: this.label(peer), reason, contentTopics })
  }

  private expire(): void {
    for (const { peer, contentTopics } of this.subscriptions.expire(this.init.clock.now())) {
      this.init.events.emit('filter.drop', { node: this.init.name, peer: this.label(peer), reason: 'expired', contentTopics })
    }
  }

  private async serveSubscribe(stream: Stream, connection: Connection): Promise<void> {
    const peer = connection.remotePeer.toString()
    try {
      await serveFilterSubscribeStream(
        stream,
        (request) => {
          const response = this.subscriptions.handle(peer, request, this.init.clock.now())
          // a request that raced its connection's close must not leave a subscription nobody can use
          if (connection.status !== 'open') this.subscriptions.drop(peer)
          this.init.events.emit('filter.request', {
            node: this.init.name,
            peer: this.label(peer),
            requestId: request.requestId,
            request: filterRequestKind(request.filterSubscribeType),
            contentTopics: request.contentTopics,
            status: response.statusCode
          })
          return response
        },
        this.requestSignal()
      )
    } catch (error) {
      stream.abort(error as Error)
      if (this.running) this.init.onError(this.init.name, new Error(`filter request from ${this.label(peer)}: ${(error as Error).message}`))
    }
  }

  private async serveLightPush(stream: Stream, connection: Connection): Promise<void> {
    const peer = connection.remotePeer.toString()
    try {
      await serveLightPushStream(stream, async (request) => await this.publish(peer, request), this.requestSignal())
    } catch (error) {
      stream.abort(error as Error)
      if (this.running) this.init.onError(this.init.name, new Error(`lightpush from ${this.label(peer)}: ${(error as Error).message}`))
    }
  }

  private async publish(peer: string, request: LightPushRequest): Promise<LightPushResponse> {
    const { pubsubTopic, node, events, name } = this.init
    const hash = request.message == null ? undefined : messageHashHex(pubsubTopic, request.message)
    const answer = (response: LightPushResponse): LightPushResponse => {
      events.emit('lightpush.request', {
        node: name,
        peer: this.label(peer),
        requestId: request.requestId,
        hash,
        status: response.statusCode,
        relayPeers: response.relayPeerCount ?? 0
      })
      return response
    }
    const refused = checkLightPushRequest(request, pubsubTopic)
    if (refused != null || request.message == null) return answer(refused ?? { requestId: request.requestId, statusCode: LightPushStatus.badRequest })
    // Publishing to nobody would "succeed" (allowPublishToZeroTopicPeers) and lose the message:
    // say so, so the client tries another service node.
    if (node.services.pubsub.getSubscribers(pubsubTopic).length === 0) {
      return answer({
        requestId: request.requestId,
        statusCode: LightPushStatus.noPeersToRelay,
        statusDesc: 'no relay peers on this pubsub topic',
        relayPeerCount: 0
      })
    }
    const data = WakuMessage.encode(request.message)
    let relayPeers: number
    try {
      relayPeers = (await node.services.pubsub.publish(pubsubTopic, data)).recipients.length
    } catch (error) {
      // a client retrying a message this node already relayed: it is in the network, which is what it asked
      if (/duplicate/i.test((error as Error).message))
        return answer({ requestId: request.requestId, statusCode: LightPushStatus.ok, statusDesc: 'already relayed', relayPeerCount: 0 })
      return answer({ requestId: request.requestId, statusCode: LightPushStatus.internalError, statusDesc: (error as Error).message })
    }
    if (relayPeers === 0)
      return answer({
        requestId: request.requestId,
        statusCode: LightPushStatus.noPeersToRelay,
        statusDesc: 'no relay peer took the message',
        relayPeerCount: 0
      })
    this.init.onLocalPublish(data)
    return answer({ requestId: request.requestId, statusCode: LightPushStatus.ok, statusDesc: 'OK', relayPeerCount: relayPeers })
  }

  private async push(peer: string, message: WakuMessage, hash: string): Promise<void> {
    const { node, name, events, pubsubTopic } = this.init
    // only over the subscriber's own connection: light clients do not listen, so there is nothing to dial
    const connection = node.getConnections().find((c) => c.remotePeer.toString() === peer && c.status === 'open')
    const signal = AbortSignal.any([this.halting.signal, AbortSignal.timeout(PUSH_TIMEOUT_MS)])
    let stream: Stream | undefined
    try {
      if (connection == null) throw new Error('no open connection to the subscriber')
      stream = await connection.newStream(FILTER_PUSH_PROTOCOL, { signal, maxOutboundStreams: 256 })
      const bytes = await writeFilterPush(stream, { wakuMessage: message, pubsubTopic }, signal)
      events.emit('filter.push', { node: name, peer: this.label(peer), hash, bytes })
      const open = stream
      if (open.status !== 'closed')
        setTimeout(() => {
          if (open.status !== 'closed') open.abort(new Error('subscriber left the push stream open'))
        }, PUSH_STREAM_LINGER_MS).unref()
    } catch (error) {
      stream?.abort(error as Error)
      if (this.running) events.emit('filter.push', { node: name, peer: this.label(peer), hash, bytes: 0, error: (error as Error).message })
    }
  }

  private requestSignal(): AbortSignal {
    return AbortSignal.any([this.halting.signal, AbortSignal.timeout(REQUEST_TIMEOUT_MS)])
  }
}

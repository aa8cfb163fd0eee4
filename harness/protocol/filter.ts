import { lpStream } from '@libp2p/utils'
import type { Stream } from '@libp2p/interface'
import { FilterStatus, FilterSubscribeRequest, FilterSubscribeResponse, FilterSubscribeType, MessagePush } from './codecs.js'
import { requestOnStream, serveOneRequest } from './request-response.js'

/** A subscription nobody pinged or renewed for this long is forgotten (nwaku's default TTL). */
export const FILTER_SUBSCRIPTION_TTL_MS = 5 * 60_000
/** nwaku refuses requests naming more content topics than this. */
export const FILTER_MAX_CONTENT_TOPICS_PER_REQUEST = 100
/** Per subscriber, (pubsub topic, content topic) pairs; nwaku answers 503 beyond it. */
export const FILTER_MAX_CRITERIA_PER_PEER = 1000
/** Subscribers one service node keeps; nwaku answers 503 to a new one beyond it. */
export const FILTER_MAX_PEERS = 1000
/** Requests and pushes are small; a frame beyond this is refused before it is buffered. */
export const FILTER_MAX_RPC_BYTES = 1024 * 1024

export type FilterRequestKind = 'ping' | 'subscribe' | 'unsubscribe' | 'unsubscribeAll'

export function filterRequestKind(type: FilterSubscribeType): FilterRequestKind {
  switch (type) {
    case FilterSubscribeType.SUBSCRIBER_PING:
      return 'ping'
    case FilterSubscribeType.SUBSCRIBE:
      return 'subscribe'
    case FilterSubscribeType.UNSUBSCRIBE:
      return 'unsubscribe'
    case FilterSubscribeType.UNSUBSCRIBE_ALL:
      return 'unsubscribeAll'
  }
}

interface Subscriber {
  /** pubsub topic -> content topics */
  criteria: Map<string, Set<string>>
  lastSeen: number
}

/**
 * A filter service node's subscription table. Pure (time is passed in), so the protocol's rules
 * are tested without a network; the fleet's service drives it from streams and connection events.
 */
export class FilterSubscriptions {
  private readonly peers = new Map<string, Subscriber>()

  constructor(private readonly ttlMs = FILTER_SUBSCRIPTION_TTL_MS) {}

  get size(): number {
    return this.peers.size
  }

  has(peer: string): boolean {
    return this.peers.has(peer)
  }

  /** Applies one request from `peer` at `now` (ms on any monotonic clock). */
  handle(peer: string, request: FilterSubscribeRequest, now: number): FilterSubscribeResponse {
    const answer = (statusCode: number, statusDesc: string): FilterSubscribeResponse => ({ requestId: request.requestId, statusCode, statusDesc })
    if (request.requestId === '') return answer(FilterStatus.badRequest, 'request_id is empty')
    const existing = this.peers.get(peer)
    const kind = filterRequestKind(request.filterSubscribeType)
    if (kind === 'ping') {
      if (existing == null) return answer(FilterStatus.notFound, 'peer has no subscriptions')
      existing.lastSeen = now
      return answer(FilterStatus.ok, 'OK')
    }
    if (kind === 'unsubscribeAll') {
      if (existing == null) return answer(FilterStatus.notFound, 'peer has no subscriptions')
      this.peers.delete(peer)
      return answer(FilterStatus.ok, 'OK')
    }
    const pubsubTopic = request.pubsubTopic ?? ''
    if (pubsubTopic === '' || request.contentTopics.length === 0) return answer(FilterStatus.badRequest, 'pubsub_topic and content_topics are required')
    if (request.contentTopics.length > FILTER_MAX_CONTENT_TOPICS_PER_REQUEST)
      return answer(FilterStatus.badRequest, `more than ${FILTER_MAX_CONTENT_TOPICS_PER_REQUEST} content topics`)
    if (kind === 'subscribe') {
      if (existing == null && this.peers.size >= FILTER_MAX_PEERS)
        return answer(FilterStatus.serviceUnavailable, 'node has reached maximum number of subscriptions')
      const subscriber = existing ?? { criteria: new Map<string, Set<string>>(), lastSeen: now }
      const topics = subscriber.criteria.get(pubsubTopic) ?? new Set<string>()
      const added = request.contentTopics.filter((topic) => !topics.has(topic)).length
      if (criteriaCount(subscriber) + added > FILTER_MAX_CRITERIA_PER_PEER)
        return answer(FilterStatus.serviceUnavailable, 'peer has reached maximum number of filter criteria')
      for (const topic of request.contentTopics) topics.add(topic)
      subscriber.criteria.set(pubsubTopic, topics)
      subscriber.lastSeen = now
      this.peers.set(peer, subscriber)
      return answer(FilterStatus.ok, 'OK')
    }
    // unsubscribe
    const topics = existing?.criteria.get(pubsubTopic)
    if (existing == null || topics == null || !request.contentTopics.some((topic) => topics.has(topic)))
      return answer(FilterStatus.notFound, 'peer has no subscription to these topics')
    for (const topic of request.contentTopics) topics.delete(topic)
    if (topics.size === 0) existing.criteria.delete(pubsubTopic)
    existing.lastSeen = now
    if (existing.criteria.size === 0) this.peers.delete(peer)
    return answer(FilterStatus.ok, 'OK')
  }

  /** Peers subscribed to this message's topics. */
  matching(pubsubTopic: string, contentTopic: string): string[] {
    const out: string[] = []
    for (const [peer, subscriber] of this.peers) if (subscriber.criteria.get(pubsubTopic)?.has(contentTopic) === true) out.push(peer)
    return out
  }

  contentTopicsOf(peer: string): string[] {
    const subscriber = this.peers.get(peer)
    return subscriber == null ? [] : [...subscriber.criteria.values()].flatMap((topics) => [...topics])
  }

  /** Forgets a peer; returns the content topics it had, or undefined when it had none. */
  drop(peer: string): string[] | undefined {
    if (!this.peers.has(peer)) return undefined
    const topics = this.contentTopicsOf(peer)
    this.peers.delete(peer)
    return topics
  }

  /** Forgets every peer not heard from within the TTL before `now`. */
  expire(now: number): Array<{ peer: string; contentTopics: string[] }> {
    const out: Array<{ peer: string; contentTopics: string[] }> = []
    for (const [peer, subscriber] of this.peers) {
      if (now - subscriber.lastSeen < this.ttlMs) continue
      out.push({ peer, contentTopics: this.contentTopicsOf(peer) })
      this.peers.delete(peer)
    }
    return out
  }

  peerIds(): string[] {
    return [...this.peers.keys()]
  }
}

function criteriaCount(subscriber: Subscriber): number {
  let n = 0
  for (const topics of subscriber.criteria.values()) n += topics.size
  return n
}

const SUBSCRIBE_CODECS = { request: FilterSubscribeRequest, response: FilterSubscribeResponse }

/** Server side of one filter-subscribe stream: one request, one response. */
export async function serveFilterSubscribeStream(
  stream: Stream,
  answer: (request: FilterSubscribeRequest) => FilterSubscribeResponse | Promise<FilterSubscribeResponse>,
  signal?: AbortSignal
): Promise<void> {
  await serveOneRequest(stream, SUBSCRIBE_CODECS, answer, { signal, maxDataLength: FILTER_MAX_RPC_BYTES })
}

/** Client side: one request on a fresh stream, its response. */
export async function filterSubscribeOnStream(stream: Stream, request: FilterSubscribeRequest, signal?: AbortSignal): Promise<FilterSubscribeResponse> {
  return (await requestOnStream(stream, SUBSCRIBE_CODECS, request, { signal, maxDataLength: FILTER_MAX_RPC_BYTES })).response
}

/** Server side of one push: the message, then this side closed (one push per stream). */
export async function writeFilterPush(stream: Stream, push: MessagePush, signal?: AbortSignal): Promise<number> {
  const encoded = MessagePush.encode(push)
  const lp = lpStream(stream, { maxDataLength: FILTER_MAX_RPC_BYTES })
  await lp.write(encoded, { signal })
  await stream.close({ signal })
  return encoded.byteLength
}

/** Subscriber side of one push stream: read the push and close, so the server's stream is freed. */
export async function readFilterPush(stream: Stream, signal?: AbortSignal): Promise<{ push: MessagePush; bytes: number }> {
  const lp = lpStream(stream, { maxDataLength: FILTER_MAX_RPC_BYTES })
  const raw = (await lp.read({ signal })).subarray()
  await stream.close({ signal }).catch(() => {})
  return { push: MessagePush.decode(raw), bytes: raw.byteLength }
}

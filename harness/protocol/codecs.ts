// The Waku wire formats come from @waku/proto (generated from the Waku specs' .proto files), so
// third-party Waku clients can talk to courier's fleet without a translation layer.
import { proto_filter_v2, proto_lightpush, proto_message, proto_store } from '@waku/proto'

export const WakuMessage = proto_message.WakuMessage
export type WakuMessage = proto_message.WakuMessage
export const StoreQueryRequest = proto_store.StoreQueryRequest
export type StoreQueryRequest = proto_store.StoreQueryRequest
export const StoreQueryResponse = proto_store.StoreQueryResponse
export type StoreQueryResponse = proto_store.StoreQueryResponse
export type WakuMessageKeyValue = proto_store.WakuMessageKeyValue
export const FilterSubscribeRequest = proto_filter_v2.FilterSubscribeRequest
export type FilterSubscribeRequest = proto_filter_v2.FilterSubscribeRequest
export const FilterSubscribeType = proto_filter_v2.FilterSubscribeRequest.FilterSubscribeType
export type FilterSubscribeType = proto_filter_v2.FilterSubscribeRequest.FilterSubscribeType
export const FilterSubscribeResponse = proto_filter_v2.FilterSubscribeResponse
export type FilterSubscribeResponse = proto_filter_v2.FilterSubscribeResponse
export const MessagePush = proto_filter_v2.MessagePush
export type MessagePush = proto_filter_v2.MessagePush
export const LightPushRequest = proto_lightpush.LightPushRequestV3
export type LightPushRequest = proto_lightpush.LightPushRequestV3
export const LightPushResponse = proto_lightpush.LightPushResponseV3
export type LightPushResponse = proto_lightpush.LightPushResponseV3

/** Protocol ids from the Waku specs. */
export const RELAY_PROTOCOL = '/vac/waku/relay/2.0.0'
export const STORE_QUERY_PROTOCOL = '/vac/waku/store-query/3.0.0'
export const FILTER_SUBSCRIBE_PROTOCOL = '/vac/waku/filter-subscribe/2.0.0-beta1'
export const FILTER_PUSH_PROTOCOL = '/vac/waku/filter-push/2.0.0-beta1'
export const LIGHTPUSH_PROTOCOL = '/vac/waku/lightpush/3.0.0'
export const METADATA_PROTOCOL = '/vac/waku/metadata/1.0.0'
export const PEER_EXCHANGE_PROTOCOL = '/vac/waku/peer-exchange/2.0.0-alpha1'

/** 64/WAKU2-NETWORK: no message may be larger (its encoded WakuMessage, as a relay would carry it). */
export const MAX_MESSAGE_BYTES = 150_000

/** Status' cluster and first shard: a realistic default pubsub topic. */
export const DEFAULT_PUBSUB_TOPIC = '/waku/2/rs/16/32'

/** Scenario topic names become content topics of the form /{app}/{version}/{name}/{encoding}. */
export function contentTopicFor(topic: string): string {
  return `/courier/1/${encodeURIComponent(topic)}/proto`
}

export const StoreStatus = {
  ok: 200,
  badRequest: 400,
  tooManyRequests: 429,
  internalError: 500,
  serviceUnavailable: 503
} as const

/** 12/WAKU2-FILTER v2 status codes (HTTP-like, as nwaku answers). */
export const FilterStatus = {
  ok: 200,
  badRequest: 400,
  notFound: 404,
  tooManyRequests: 429,
  serviceUnavailable: 503
} as const

/**
 * LIGHTPUSH v3 status codes. nwaku's sources disagree on the no-peers code (503 in some, 505 with
 * 503 as "service not available" in others); courier answers 503 for "no relay peers", which any
 * v3 client reads as a failure worth retrying elsewhere.
 */
export const LightPushStatus = {
  ok: 200,
  badRequest: 400,
  payloadTooLarge: 413,
  invalidMessage: 420,
  unsupportedPubsubTopic: 421,
  tooManyRequests: 429,
  internalError: 500,
  noPeersToRelay: 503
} as const

// The Waku wire formats come from @waku/proto (generated from the Waku specs' .proto files), so
// third-party Waku clients can talk to courier's fleet without a translation layer.
import { proto_message, proto_store } from '@waku/proto'

export const WakuMessage = proto_message.WakuMessage
export type WakuMessage = proto_message.WakuMessage
export const StoreQueryRequest = proto_store.StoreQueryRequest
export type StoreQueryRequest = proto_store.StoreQueryRequest
export const StoreQueryResponse = proto_store.StoreQueryResponse
export type StoreQueryResponse = proto_store.StoreQueryResponse
export type WakuMessageKeyValue = proto_store.WakuMessageKeyValue

/** Protocol ids from the Waku specs. */
export const RELAY_PROTOCOL = '/vac/waku/relay/2.0.0'
export const STORE_QUERY_PROTOCOL = '/vac/waku/store-query/3.0.0'

/** Status' cluster and first shard: a realistic default pubsub topic. */
export const DEFAULT_PUBSUB_TOPIC = '/waku/2/rs/16/32'

/** Scenario topic names become content topics of the form /{app}/{version}/{name}/{encoding}. */
export function contentTopicFor (topic: string): string {
  return `/courier/1/${encodeURIComponent(topic)}/proto`
}

export const StoreStatus = {
  ok: 200,
  badRequest: 400,
  tooManyRequests: 429,
  internalError: 500,
  serviceUnavailable: 503
} as const

import type { Stream } from '@libp2p/interface'
import { LightPushRequest, LightPushResponse, LightPushStatus, MAX_MESSAGE_BYTES, WakuMessage } from './codecs.js'
import { requestOnStream, serveOneRequest } from './request-response.js'

/**
 * Frames larger than this are refused by the framing itself (the stream is reset, no answer), so a
 * hostile request cannot make the server buffer megabytes. It is well above MAX_MESSAGE_BYTES, so a
 * merely oversized message still reads whole and gets its 413.
 */
export const LIGHTPUSH_MAX_RPC_BYTES = 1024 * 1024

/**
 * What a service node answers before publishing, or undefined when the request may be relayed.
 * Pure, so every refusal is tested without a network. `servedTopic` is the node's pubsub topic; a
 * request without one is for it (autosharding would pick it from the content topic).
 */
export function checkLightPushRequest(request: LightPushRequest, servedTopic: string): LightPushResponse | undefined {
  const refuse = (statusCode: number, statusDesc: string): LightPushResponse => ({ requestId: request.requestId, statusCode, statusDesc })
  if (request.requestId === '') return refuse(LightPushStatus.badRequest, 'request_id is empty')
  const message = request.message
  if (message == null) return refuse(LightPushStatus.badRequest, 'message is missing')
  if (message.contentTopic === '') return refuse(LightPushStatus.invalidMessage, 'content_topic is empty')
  const topic = request.pubsubTopic ?? servedTopic
  if (topic !== servedTopic) return refuse(LightPushStatus.unsupportedPubsubTopic, `this node relays ${servedTopic} only`)
  const size = WakuMessage.encode(message).byteLength
  if (size > MAX_MESSAGE_BYTES) return refuse(LightPushStatus.payloadTooLarge, `message is ${size} bytes, the limit is ${MAX_MESSAGE_BYTES}`)
  return undefined
}

const LIGHTPUSH_CODECS = { request: LightPushRequest, response: LightPushResponse }

/** Server side of one lightpush stream: one request, one response. */
export async function serveLightPushStream(
  stream: Stream,
  answer: (request: LightPushRequest) => Promise<LightPushResponse> | LightPushResponse,
  signal?: AbortSignal
): Promise<void> {
  await serveOneRequest(stream, LIGHTPUSH_CODECS, answer, { signal, maxDataLength: LIGHTPUSH_MAX_RPC_BYTES })
}

/** Client side: one request on a fresh stream, its response and the wire sizes of both. */
export async function lightPushOnStream(
  stream: Stream,
  request: LightPushRequest,
  signal?: AbortSignal
): Promise<{ response: LightPushResponse; requestBytes: number; responseBytes: number }> {
  return await requestOnStream(stream, LIGHTPUSH_CODECS, request, { signal, maxDataLength: LIGHTPUSH_MAX_RPC_BYTES })
}

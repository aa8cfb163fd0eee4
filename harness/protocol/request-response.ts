import { lpStream } from '@libp2p/utils'
import type { Stream } from '@libp2p/interface'

/** A protobuf message type as @waku/proto generates it. */
export interface Codec<T> {
  encode: (value: T) => Uint8Array
  decode: (bytes: Uint8Array) => T
}

export interface RequestResponseOptions {
  signal?: AbortSignal
  /** A frame larger than this is refused by the framing itself, before it is buffered. */
  maxDataLength?: number
}

/**
 * Server side of the Waku request-response protocols (STORE, FILTER subscribe, LIGHTPUSH): one
 * length-prefixed request, one length-prefixed response, then this side closes.
 */
export async function serveOneRequest<Request, Response> (
  stream: Stream,
  codecs: { request: Codec<Request>, response: Codec<Response> },
  answer: (request: Request) => Response | Promise<Response>,
  options: RequestResponseOptions = {}
): Promise<void> {
  const lp = lpStream(stream, options.maxDataLength == null ? {} : { maxDataLength: options.maxDataLength })
  const request = codecs.request.decode((await lp.read({ signal: options.signal })).subarray())
  await lp.write(codecs.response.encode(await answer(request)), { signal: options.signal })
  await stream.close({ signal: options.signal })
}

/** Client side: one request on a fresh stream, its response, and the wire sizes of both. */
export async function requestOnStream<Request, Response> (
  stream: Stream,
  codecs: { request: Codec<Request>, response: Codec<Response> },
  request: Request,
  options: RequestResponseOptions = {}
): Promise<{ response: Response, requestBytes: number, responseBytes: number }> {
  const lp = lpStream(stream, options.maxDataLength == null ? {} : { maxDataLength: options.maxDataLength })
  const encoded = codecs.request.encode(request)
  await lp.write(encoded, { signal: options.signal })
  const raw = (await lp.read({ signal: options.signal })).subarray()
  await stream.close({ signal: options.signal }).catch(() => {})
  return { response: codecs.response.decode(raw), requestBytes: encoded.byteLength, responseBytes: raw.byteLength }
}

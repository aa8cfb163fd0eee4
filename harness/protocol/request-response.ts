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
 *
 * A stream that ends or times out before the first byte of a request is not an error: js-waku
 * opens a stream per protocol ahead of use and may close it unused, or leave it idle until the
 * server gives up on it (it then opens another). Such a stream is closed quietly and `false` returned.
 */
export async function serveOneRequest<Request, Response>(
  stream: Stream,
  codecs: { request: Codec<Request>; response: Codec<Response> },
  answer: (request: Request) => Response | Promise<Response>,
  options: RequestResponseOptions = {}
): Promise<boolean> {
  const lp = lpStream(stream, options.maxDataLength == null ? {} : { maxDataLength: options.maxDataLength })
  let frame: Awaited<ReturnType<typeof lp.read>>
  try {
    frame = await lp.read({ signal: options.signal })
  } catch (error) {
    const name = (error as Error).name
    const unused =
      (name === 'UnexpectedEOFError' && /reading 0\/1 bytes/.test((error as Error).message)) ||
      (options.signal?.aborted === true && stream.readBufferLength === 0)
    if (!unused) throw error
    stream.abort(new Error('no request on this stream'))
    return false
  }
  const request = codecs.request.decode(frame.subarray())
  await lp.write(codecs.response.encode(await answer(request)), { signal: options.signal })
  await stream.close({ signal: options.signal })
  return true
}

/** Client side: one request on a fresh stream, its response, and the wire sizes of both. */
export async function requestOnStream<Request, Response>(
  stream: Stream,
  codecs: { request: Codec<Request>; response: Codec<Response> },
  request: Request,
  options: RequestResponseOptions = {}
): Promise<{ response: Response; requestBytes: number; responseBytes: number }> {
  const lp = lpStream(stream, options.maxDataLength == null ? {} : { maxDataLength: options.maxDataLength })
  const encoded = codecs.request.encode(request)
  await lp.write(encoded, { signal: options.signal })
  const raw = (await lp.read({ signal: options.signal })).subarray()
  await stream.close({ signal: options.signal }).catch(() => {})
  return { response: codecs.response.decode(raw), requestBytes: encoded.byteLength, responseBytes: raw.byteLength }
}

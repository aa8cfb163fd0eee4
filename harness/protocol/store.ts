import type { Stream } from '@libp2p/interface'
import { StoreQueryRequest, StoreQueryResponse, StoreStatus, type WakuMessage, type WakuMessageKeyValue } from './codecs.js'
import { bytesToHex } from './message-hash.js'
import { requestOnStream, serveOneRequest } from './request-response.js'

/** One archived message of a store node. */
export interface ArchivedMessage {
  hash: Uint8Array
  hashHex: string
  pubsubTopic: string
  message: WakuMessage
}

export const DEFAULT_PAGE_SIZE = 20
export const MAX_PAGE_SIZE = 100

/**
 * Answers a STORE v3 query from an archive kept in (timestamp, hash) order. Pure, so the paging
 * rules (exclusive cursor, forward/backward, limits) are tested without a network.
 */
export function answerStoreQuery(archive: readonly ArchivedMessage[], request: StoreQueryRequest): StoreQueryResponse {
  const limit = Math.min(Number(request.paginationLimit ?? BigInt(DEFAULT_PAGE_SIZE)) || DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
  const hashes = new Set(request.messageHashes.map(bytesToHex))
  const contentTopics = new Set(request.contentTopics)
  // content topics narrow a pubsub topic; a pubsub topic alone means all of it (store sync asks so)
  if (hashes.size === 0 && request.pubsubTopic == null) {
    return {
      requestId: request.requestId,
      statusCode: StoreStatus.badRequest,
      statusDesc: 'a query needs message hashes, or a pubsub topic (and optionally content topics)',
      messages: []
    }
  }
  let matches = archive.filter((entry) => {
    if (hashes.size > 0) return hashes.has(entry.hashHex)
    if (entry.pubsubTopic !== request.pubsubTopic) return false
    if (contentTopics.size > 0 && !contentTopics.has(entry.message.contentTopic)) return false
    const ts = entry.message.timestamp ?? 0n
    if (request.timeStart != null && ts < request.timeStart) return false
    if (request.timeEnd != null && ts > request.timeEnd) return false
    return true
  })
  if (!request.paginationForward) matches = matches.slice().reverse()
  let start = 0
  if (request.paginationCursor != null && request.paginationCursor.length > 0) {
    const cursor = bytesToHex(request.paginationCursor)
    const at = matches.findIndex((entry) => entry.hashHex === cursor)
    if (at < 0) return { requestId: request.requestId, statusCode: StoreStatus.badRequest, statusDesc: 'unknown cursor', messages: [] }
    start = at + 1
  }
  const page = matches.slice(start, start + limit)
  const more = start + limit < matches.length
  return {
    requestId: request.requestId,
    statusCode: StoreStatus.ok,
    statusDesc: 'OK',
    messages: page.map(
      (entry): WakuMessageKeyValue => ({
        messageHash: entry.hash,
        message: request.includeData ? entry.message : undefined,
        pubsubTopic: request.includeData ? entry.pubsubTopic : undefined
      })
    ),
    paginationCursor: more && page.length > 0 ? page[page.length - 1].hash : undefined
  }
}

/** Keeps archive order (timestamp, then hash) on insert; the store's history is usually appended in order. */
export function insertOrdered(archive: ArchivedMessage[], entry: ArchivedMessage): void {
  const ts = entry.message.timestamp ?? 0n
  let i = archive.length
  while (i > 0) {
    const prev = archive[i - 1]
    const prevTs = prev.message.timestamp ?? 0n
    if (prevTs < ts || (prevTs === ts && prev.hashHex < entry.hashHex)) break
    i--
  }
  archive.splice(i, 0, entry)
}

const STORE_CODECS = { request: StoreQueryRequest, response: StoreQueryResponse }

/** Server side of one store stream: one request, one response. */
export async function serveStoreStream(
  stream: Stream,
  answer: (request: StoreQueryRequest) => Promise<StoreQueryResponse> | StoreQueryResponse,
  signal?: AbortSignal
): Promise<void> {
  await serveOneRequest(stream, STORE_CODECS, answer, { signal })
}

/** Client side: send one request on a fresh stream and read the response; returns wire sizes too. */
export async function queryStoreStream(
  stream: Stream,
  request: StoreQueryRequest,
  signal?: AbortSignal
): Promise<{ response: StoreQueryResponse; requestBytes: number; responseBytes: number }> {
  return await requestOnStream(stream, STORE_CODECS, request, { signal })
}

/**
 * Client side of a whole STORE v3 query: page after page, each on a fresh stream from `dial`,
 * until the store returns no cursor. A non-OK status ends it with an error naming the status.
 * `onPage` sees every response with its wire sizes (for byte and stage accounting).
 */
export async function queryStorePages(
  dial: () => Promise<Stream>,
  request: StoreQueryRequest,
  onPage: (response: StoreQueryResponse, sizes: { requestBytes: number; responseBytes: number }) => void,
  signal?: AbortSignal
): Promise<void> {
  let cursor: Uint8Array | undefined
  do {
    const { response, requestBytes, responseBytes } = await queryStoreStream(await dial(), { ...request, paginationCursor: cursor }, signal)
    onPage(response, { requestBytes, responseBytes })
    if (response.statusCode !== StoreStatus.ok) throw new Error(`status ${response.statusCode ?? '?'} ${response.statusDesc ?? ''}`)
    cursor = response.paginationCursor
  } while (cursor != null && cursor.length > 0)
}

/** A STORE query by message hashes: what the store holds of them (with the messages when asked), and the bytes both ways. */
export async function queryStoreByHashes(
  dial: () => Promise<Stream>,
  hashes: Uint8Array[],
  options: { requestId: string; includeData: boolean; signal?: AbortSignal }
): Promise<{ entries: WakuMessageKeyValue[]; bytes: number }> {
  const entries: WakuMessageKeyValue[] = []
  let bytes = 0
  const request: StoreQueryRequest = {
    requestId: options.requestId,
    includeData: options.includeData,
    contentTopics: [],
    messageHashes: hashes,
    paginationForward: true,
    paginationLimit: BigInt(Math.min(Math.max(hashes.length, 1), MAX_PAGE_SIZE))
  }
  await queryStorePages(
    dial,
    request,
    (response, sizes) => {
      bytes += sizes.requestBytes + sizes.responseBytes
      entries.push(...response.messages)
    },
    options.signal
  )
  return { entries, bytes }
}

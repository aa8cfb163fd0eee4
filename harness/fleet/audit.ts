import { multiaddr } from '@multiformats/multiaddr'
import { STORE_AUDITOR, type EventSink } from '../interface/index.js'
import { bytesToHex, createWakuNode, hexToBytes, queryStorePages, STORE_QUERY_PROTOCOL, type StoreQueryRequest, type WakuLibp2p } from '../protocol/index.js'
import type { StoreNode } from './store-node.js'

const HASHES_PER_QUERY = 100
const PAGE_LIMIT = 100n

export interface AuditInput {
  stores: StoreNode[]
  pubsubTopic: string
  contentTopics: string[]
  /** Hashes of every message that reached the fleet: the ground truth a full store must hold. */
  published: string[]
  events: EventSink
  signal?: AbortSignal
  /** A store that has not answered the whole audit by then is reported unreachable. */
  timeoutMs?: number
  /** Account the auditor's own bytes (off with `capture: off`). */
  accounting?: boolean
}

/**
 * Asks every running store, over the STORE protocol like any client would, which of the published
 * messages it holds (hash-only queries: no payloads move) and what else it holds on the run's
 * topics. Reads no store's memory directly, so it audits real store nodes the same way.
 */
export async function auditStores(input: AuditInput): Promise<void> {
  // accounted like any owner, so its connections are never mistaken for a phone's
  const client = await createWakuNode({
    identitySeed: 'courier-store-auditor',
    listen: false,
    accounting: input.accounting === false ? undefined : { owner: STORE_AUDITOR, events: input.events }
  })
  await client.start()
  try {
    for (const store of input.stores) {
      if (!store.running) {
        input.events.emit('store.audit', {
          store: store.name,
          reachable: false,
          expected: input.published.length,
          missing: input.published.length,
          missingHashes: [],
          extra: 0,
          error: 'not running'
        })
        continue
      }
      const timeout = AbortSignal.timeout(input.timeoutMs ?? 10_000)
      const signal = input.signal == null ? timeout : AbortSignal.any([input.signal, timeout])
      try {
        const held = new Set<string>()
        for (let i = 0; i < input.published.length; i += HASHES_PER_QUERY) {
          const batch = input.published.slice(i, i + HASHES_PER_QUERY)
          for (const hash of await query(client, store.address, { messageHashes: batch.map(hexToBytes) }, signal)) held.add(hash)
        }
        const all = await query(client, store.address, { pubsubTopic: input.pubsubTopic, contentTopics: input.contentTopics }, signal)
        const published = new Set(input.published)
        const missing = input.published.filter((hash) => !held.has(hash))
        input.events.emit('store.audit', {
          store: store.name,
          reachable: true,
          expected: input.published.length,
          missing: missing.length,
          missingHashes: missing.slice(0, 200),
          extra: all.filter((hash) => !published.has(hash)).length
        })
      } catch (error) {
        input.events.emit('store.audit', {
          store: store.name,
          reachable: false,
          expected: input.published.length,
          missing: input.published.length,
          missingHashes: [],
          extra: 0,
          error: error instanceof Error ? error.message : String(error)
        })
      }
    }
  } finally {
    await client.stop()
  }
}

async function query(client: WakuLibp2p, address: string, filter: Partial<StoreQueryRequest>, signal?: AbortSignal): Promise<string[]> {
  const hashes: string[] = []
  const request: StoreQueryRequest = {
    requestId: `audit-${Date.now()}`,
    includeData: false,
    contentTopics: [],
    messageHashes: [],
    paginationForward: true,
    paginationLimit: PAGE_LIMIT,
    ...filter
  }
  await queryStorePages(
    async () => await client.dialProtocol(multiaddr(address), STORE_QUERY_PROTOCOL, { signal }),
    request,
    (response) => {
      for (const entry of response.messages) if (entry.messageHash != null) hashes.push(bytesToHex(entry.messageHash))
    },
    signal
  )
  return hashes
}

import { setTimeout as sleep } from 'node:timers/promises'
import type { Message } from '@libp2p/gossipsub'
import { multiaddr } from '@multiformats/multiaddr'
import {
  messageHash,
  bytesToHex,
  hexToBytes,
  WakuMessage,
  STORE_QUERY_PROTOCOL,
  answerStoreQuery,
  insertOrdered,
  queryStorePages,
  serveStoreStream,
  type ArchivedMessage,
  type StoreQueryRequest,
  type WakuLibp2p,
  type WakuMessageKeyValue
} from '../protocol/index.js'
import { FleetNode } from './fleet-node.js'

/** How far back store sync compares archives (nwaku's store-sync range: one hour). */
export const STORE_SYNC_RANGE_MS = 3_600_000
const SYNC_BATCH = 100
const SYNC_PAGE = 100n

/**
 * A store node ("mailserver"): relays, archives every message of its pubsub topic, and answers
 * STORE v3 queries. The archive survives kill/restart (it is the node's disk); what arrived while
 * it was down is missing from it, as with a real store node, unless store sync is on: then it
 * compares hashes with its peer stores every interval and fetches what it lacks, as Waku's store
 * sync does (courier does it with hash-only STORE queries rather than range-based set
 * reconciliation: the result, stores that converge, is what scenarios check).
 */
export class StoreNode extends FleetNode {
  readonly archive: ArchivedMessage[] = []
  private readonly archived = new Set<string>()
  private readonly seen = new Set<string>()
  /** Until this run-clock time the node relays but archives nothing (a store that missed a window). */
  desyncUntil = -Infinity
  /** Extra delay before every answer (an overloaded or far-away store). */
  answerDelayMs = 0
  private halting = new AbortController()
  private syncTimer?: NodeJS.Timeout
  private syncing = false
  /** Store sync: how often, and with whom (set by the fleet; off when the interval is undefined). */
  sync?: { intervalMs: number; peers: () => StoreNode[] }

  protected override async beforeStart(node: WakuLibp2p): Promise<void> {
    await node.handle(
      STORE_QUERY_PROTOCOL,
      async (stream) => {
        try {
          await serveStoreStream(
            stream,
            async (request) => {
              if (this.answerDelayMs > 0) await sleep(this.answerDelayMs, undefined, { signal: this.halting.signal })
              return answerStoreQuery(this.archive, request)
            },
            AbortSignal.timeout(60_000)
          )
        } catch (error) {
          stream.abort(error as Error)
          if (this.running) this.components.onError(this.name, error)
        }
      },
      { maxInboundStreams: 256 }
    )
    if (this.sync != null) {
      clearInterval(this.syncTimer)
      this.syncTimer = setInterval(() => {
        void this.syncWithPeers()
      }, this.sync.intervalMs)
    }
  }

  protected override onHalt(): void {
    clearInterval(this.syncTimer)
    this.halting.abort()
    this.halting = new AbortController()
  }

  protected override onMessage(message: Message): void {
    const decoded = WakuMessage.decode(message.data)
    const hash = messageHash(message.topic, decoded)
    const hashHex = bytesToHex(hash)
    if (this.seen.has(hashHex)) return
    this.seen.add(hashHex)
    this.archiveMessage({ hash, hashHex, pubsubTopic: message.topic, message: decoded }, 'relay')
  }

  private archiveMessage(entry: ArchivedMessage, via: 'relay' | 'sync'): boolean {
    if (this.archived.has(entry.hashHex) || this.components.clock.now() < this.desyncUntil) return false
    this.archived.add(entry.hashHex)
    insertOrdered(this.archive, entry)
    this.components.events.emit('msg.stored', { store: this.name, hash: entry.hashHex, ...(via === 'sync' ? { via } : {}) })
    return true
  }

  /** One sync round: every reachable peer store is asked for its hashes; missing messages are fetched by hash. */
  private async syncWithPeers(): Promise<void> {
    const node = this.node
    if (this.syncing || node == null || !this.running || this.sync == null) return
    this.syncing = true
    const signal = AbortSignal.any([this.halting.signal, AbortSignal.timeout(this.sync.intervalMs * 4)])
    try {
      for (const peer of this.sync.peers()) {
        if (peer === this || !peer.running || signal.aborted) continue
        try {
          const since = BigInt(Date.now() - STORE_SYNC_RANGE_MS) * 1_000_000n
          const theirs = await this.queryPeer(node, peer.address, { pubsubTopic: this.init.pubsubTopic, timeStart: since, includeData: false }, signal)
          const missing = theirs.map((entry) => bytesToHex(entry.messageHash ?? new Uint8Array())).filter((hash) => !this.archived.has(hash))
          let fetched = 0
          for (let i = 0; i < missing.length; i += SYNC_BATCH) {
            const batch = await this.queryPeer(
              node,
              peer.address,
              { messageHashes: missing.slice(i, i + SYNC_BATCH).map(hexToBytes), includeData: true },
              signal
            )
            for (const entry of batch) {
              if (entry.message == null || entry.messageHash == null) continue
              const hashHex = bytesToHex(entry.messageHash)
              this.seen.add(hashHex)
              if (
                this.archiveMessage(
                  { hash: entry.messageHash, hashHex, pubsubTopic: entry.pubsubTopic ?? this.init.pubsubTopic, message: entry.message },
                  'sync'
                )
              )
                fetched++
            }
          }
          if (missing.length > 0)
            this.components.events.emit('store.sync', { store: this.name, peer: peer.name, checked: theirs.length, missing: missing.length, fetched })
        } catch (error) {
          // a peer behind a partition or down is simply not synced with this round
          if (this.running && !signal.aborted)
            this.components.events.emit('store.sync', {
              store: this.name,
              peer: peer.name,
              checked: 0,
              missing: 0,
              fetched: 0,
              error: error instanceof Error ? error.message : String(error)
            })
        }
      }
    } finally {
      this.syncing = false
    }
  }

  private async queryPeer(node: WakuLibp2p, address: string, filter: Partial<StoreQueryRequest>, signal: AbortSignal): Promise<WakuMessageKeyValue[]> {
    const out: WakuMessageKeyValue[] = []
    const request: StoreQueryRequest = {
      requestId: `sync-${this.name}`,
      includeData: false,
      contentTopics: [],
      messageHashes: [],
      paginationForward: true,
      paginationLimit: SYNC_PAGE,
      ...filter
    }
    await queryStorePages(
      async () => await node.dialProtocol(multiaddr(address), STORE_QUERY_PROTOCOL, { signal }),
      request,
      (response) => {
        out.push(...response.messages)
      },
      signal
    )
    return out
  }
}

import { multiaddr } from '@multiformats/multiaddr'
import type { Clock, EventSink, Logger } from '../../harness/interface/index.js'
import type { Stream } from '@libp2p/interface'
import { bytesToHex, hexToBytes, queryStoreByHashes, STORE_QUERY_PROTOCOL, type LightLibp2p, type WakuMessage } from '../../harness/protocol/index.js'

/** status-go's sent-message check: first ask 3 s after sending, then every 3 s; 10 s unconfirmed is expired and resent. */
export const CONFIRM_FIRST_MS = 3000
export const CONFIRM_EVERY_MS = 3000
export const CONFIRM_EXPIRE_MS = 10_000
const CONFIRM_MAX_HASHES = 50
const MAX_RESENDS = 5

export interface StoreAddress {
  name: string
  addr: string
}

/** What a store said about some hashes: `found` is absent when it did not answer. */
export interface StoreAnswer {
  found?: Set<string>
  bytes: number
  error?: string
}

export interface SentCheckInit {
  device: string
  clock: Clock
  events: EventSink
  log: Logger
  /** The stores in the order the device asks them. */
  stores: () => Promise<StoreAddress[]>
  /** Which of these message hashes the store holds. */
  ask: (store: StoreAddress, hashes: string[]) => Promise<StoreAnswer>
  /** Publishes a message again, the way the device publishes (relay or LIGHTPUSH). */
  resend: (message: WakuMessage) => Promise<void>
  /** Whether the device is on the network now: offline, nothing is checked or resent. */
  online: () => boolean
}

interface Pending {
  message: WakuMessage
  hash: string
  msgId: string
  sentAt: number
  resends: number
}

/**
 * status-go's sent-message check: hash-only queries to the device's store for messages sent 3 s
 * ago or more; what the store holds is confirmed, what it still lacks 10 s after (re)sending is
 * resent. A failed query confirms nothing, so an unreachable store leads to resends too; a store
 * that does not answer hands the check to the next one.
 */
export class SentCheck {
  private readonly pending = new Map<string, Pending>()
  private timer?: NodeJS.Timeout
  private checking = false

  constructor(private readonly init: SentCheckInit) {}

  start(): void {
    this.timer ??= setInterval(() => {
      void this.check()
    }, CONFIRM_EVERY_MS)
  }

  stop(): void {
    clearInterval(this.timer)
    this.timer = undefined
  }

  /** A message just went out (or out again): its confirmation clock starts now. */
  track(message: WakuMessage, hash: string, msgId: string): void {
    const known = this.pending.get(hash)
    if (known != null) known.sentAt = this.init.clock.now()
    else this.pending.set(hash, { message, hash, msgId, sentAt: this.init.clock.now(), resends: 0 })
  }

  private async check(): Promise<void> {
    if (this.checking || !this.init.online() || this.pending.size === 0) return
    this.checking = true
    try {
      const now = this.init.clock.now()
      const due = [...this.pending.values()].filter((p) => now - p.sentAt >= CONFIRM_FIRST_MS).slice(0, CONFIRM_MAX_HASHES)
      if (due.length === 0) return
      let found: Set<string> | undefined
      let store: StoreAddress | undefined
      for (const candidate of await this.init.stores()) {
        store = candidate
        const answer = await this.init.ask(
          candidate,
          due.map((p) => p.hash)
        )
        this.init.events.emit('msg.confirm', {
          device: this.init.device,
          store: candidate.name,
          checked: due.length,
          found: answer.found?.size ?? 0,
          bytes: answer.bytes,
          ...(answer.error == null ? {} : { error: answer.error })
        })
        found = answer.found
        if (found != null) break
      }
      if (store == null) return
      for (const item of due) {
        if (found?.has(item.hash) === true) {
          this.pending.delete(item.hash)
          this.init.events.emit('msg.confirmed', { device: this.init.device, hash: item.hash, msgId: item.msgId, store: store.name })
        } else if (this.init.clock.now() - item.sentAt >= CONFIRM_EXPIRE_MS && this.init.online()) {
          if (item.resends >= MAX_RESENDS) {
            this.pending.delete(item.hash)
            continue
          }
          item.resends++
          this.init.events.emit('msg.resent', { device: this.init.device, hash: item.hash, msgId: item.msgId, attempt: item.resends })
          await this.init.resend(item.message).catch((failure: unknown) => {
            this.init.log.warn(`${this.init.device}: resend of ${item.msgId} failed: ${String(failure)}`)
          })
        }
      }
    } finally {
      this.checking = false
    }
  }
}

/** A hash-only STORE query: which of these messages does the store hold? */
export async function askStoreFor(node: LightLibp2p, store: StoreAddress, hashes: string[], requestId: string, timeoutMs: number): Promise<StoreAnswer> {
  const signal = AbortSignal.timeout(timeoutMs)
  try {
    const dial = async (): Promise<Stream> => await node.dialProtocol(multiaddr(store.addr), STORE_QUERY_PROTOCOL, { signal })
    const { entries, bytes } = await queryStoreByHashes(dial, hashes.map(hexToBytes), { requestId, includeData: false, signal })
    return { found: new Set(entries.flatMap((m) => (m.messageHash == null ? [] : [bytesToHex(m.messageHash)]))), bytes }
  } catch (error) {
    return { bytes: 0, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) }
  }
}

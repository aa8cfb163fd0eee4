import { setTimeout as sleep } from 'node:timers/promises'
import type { Message } from '@libp2p/gossipsub'
import { messageHash, bytesToHex, WakuMessage, STORE_QUERY_PROTOCOL, answerStoreQuery, insertOrdered, serveStoreStream, type ArchivedMessage, type WakuLibp2p } from '../protocol/index.js'
import { FleetNode } from './fleet-node.js'

/**
 * A store node ("mailserver"): relays, archives every message of its pubsub topic, and answers
 * STORE v3 queries. The archive survives kill/restart (it is the node's disk); what arrived while
 * it was down is missing from it, as with a real store node.
 */
export class StoreNode extends FleetNode {
  readonly archive: ArchivedMessage[] = []
  private readonly seen = new Set<string>()
  /** Until this run-clock time the node relays but archives nothing (a store that missed a window). */
  desyncUntil = -Infinity
  /** Extra delay before every answer (an overloaded or far-away store). */
  answerDelayMs = 0
  private halting = new AbortController()

  protected override async beforeStart (node: WakuLibp2p): Promise<void> {
    await node.handle(STORE_QUERY_PROTOCOL, async (stream) => {
      try {
        await serveStoreStream(stream, async (request) => {
          if (this.answerDelayMs > 0) await sleep(this.answerDelayMs, undefined, { signal: this.halting.signal })
          return answerStoreQuery(this.archive, request)
        }, AbortSignal.timeout(60_000))
      } catch (error) {
        stream.abort(error as Error)
        if (this.running) this.components.onError(this.name, error)
      }
    }, { maxInboundStreams: 256 })
  }

  protected override onHalt (): void {
    this.halting.abort()
    this.halting = new AbortController()
  }

  protected override onMessage (message: Message): void {
    const decoded = WakuMessage.decode(message.data)
    const hash = messageHash(message.topic, decoded)
    const hashHex = bytesToHex(hash)
    if (this.seen.has(hashHex)) return
    this.seen.add(hashHex)
    if (this.components.clock.now() < this.desyncUntil) return
    insertOrdered(this.archive, { hash, hashHex, pubsubTopic: message.topic, message: decoded })
    this.components.events.emit('msg.stored', { store: this.name, hash: hashHex })
  }
}

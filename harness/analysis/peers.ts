import type { CourierEvent, PeerProtocolResults } from '../interface/index.js'
import type { Fold } from './fold.js'

/**
 * What 66/WAKU2-METADATA and 34/WAKU2-PEER-EXCHANGE did in a run: how every handshake ended (a
 * mismatch is a peer of another cluster that a fleet node disconnected) and what peer exchange
 * handed out. Outside clients show up here by peer id.
 */
export function analyzePeers(events: readonly CourierEvent[]): PeerProtocolResults {
  const fold = new PeersFold()
  for (const e of events) fold.add(e)
  return fold.finish()
}

export class PeersFold implements Fold<PeerProtocolResults> {
  private readonly result: PeerProtocolResults = {
    metadata: { ok: 0, mismatch: 0, unsupported: 0, failed: 0 },
    mismatches: [],
    peerExchange: { requests: 0, peersGiven: 0 }
  }

  add(e: CourierEvent): void {
    if (e.type === 'metadata.peer') {
      this.result.metadata[e.status]++
      if (e.status === 'mismatch') this.result.mismatches.push({ t: e.t, node: e.node, peer: e.peer, clusterId: e.clusterId ?? null })
    } else if (e.type === 'peerExchange.request') {
      this.result.peerExchange.requests++
      this.result.peerExchange.peersGiven += e.answered
    }
  }

  finish(): PeerProtocolResults {
    return this.result
  }
}

import type { CourierEvent, PeerProtocolResults } from '../../../harness/interface/index.js'

/**
 * What 66/WAKU2-METADATA and 34/WAKU2-PEER-EXCHANGE did in a run: how every handshake ended (a
 * mismatch is a peer of another cluster that a fleet node disconnected) and what peer exchange
 * handed out. Outside clients show up here by peer id.
 */
export function analyzePeers(events: readonly CourierEvent[]): PeerProtocolResults {
  const metadata = { ok: 0, mismatch: 0, unsupported: 0, failed: 0 }
  const mismatches: PeerProtocolResults['mismatches'] = []
  const peerExchange = { requests: 0, peersGiven: 0 }
  for (const e of events) {
    if (e.type === 'metadata.peer') {
      metadata[e.status]++
      if (e.status === 'mismatch') mismatches.push({ t: e.t, node: e.node, peer: e.peer, clusterId: e.clusterId ?? null })
    } else if (e.type === 'peerExchange.request') {
      peerExchange.requests++
      peerExchange.peersGiven += e.answered
    }
  }
  return { metadata, mismatches, peerExchange }
}

import { createHash } from 'node:crypto'
import { gossipsub, type GossipSub, type GossipsubOpts } from '@libp2p/gossipsub'
import { RELAY_PROTOCOL } from './codecs.js'

/**
 * @libp2p/gossipsub 17 declares a `protocols` option and never reads it: every instance registers
 * the meshsub version ladder, so a node asked for `/vac/waku/relay/2.0.0` silently speaks
 * `/meshsub/1.x` and an nwaku or go-waku peer gets "no handler" (measured; DESIGN.md). This module
 * makes the Waku relay id the only protocol gossipsub registers, dials and accepts.
 *
 * The library gates gossipsub features on the negotiated protocol's place in its version ladder,
 * and an id off the ladder supports none (no PRUNE backoff, no peer exchange in PRUNE). nwaku runs
 * nim-libp2p's gossipsub v1.1 under the Waku id, so the Waku id is inserted into the ladder right
 * after `/meshsub/1.1.0`: v1.1 features, not v1.2's IDONTWANT, which nim-libp2p only sends on
 * `/meshsub/1.2.0`. The ladder is the library's own module-level array (not exported through its
 * package map), reached through the module URL the library itself loads, so it is the same array.
 */
const ladderReady = registerOnVersionLadder()

async function registerOnVersionLadder(): Promise<void> {
  const constantsUrl = new URL('./constants.js', import.meta.resolve('@libp2p/gossipsub'))
  const constants = (await import(constantsUrl.href)) as { GossipsubVersionLadder: string[]; GossipsubIDv11: string }
  const ladder = constants.GossipsubVersionLadder
  if (ladder.includes(RELAY_PROTOCOL)) return
  const afterV11 = ladder.indexOf(constants.GossipsubIDv11) + 1
  if (afterV11 === 0) throw new Error('@libp2p/gossipsub: /meshsub/1.1.0 is not on its version ladder; review harness/protocol/waku-relay.ts')
  ladder.splice(afterV11, 0, RELAY_PROTOCOL)
}

/** 11/WAKU2-RELAY message id: sha256 of the message's data (the encoded WakuMessage). */
export function relayMessageId(data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(data).digest())
}

export type WakuRelayInit = Omit<Partial<GossipsubOpts>, 'globalSignaturePolicy' | 'msgIdFn' | 'fallbackToFloodsub'>

/** A gossipsub service that is 11/WAKU2-RELAY on the wire: the Waku id only, StrictNoSign, the spec's message id. */
export async function wakuRelay(init: WakuRelayInit = {}): Promise<ReturnType<typeof gossipsub>> {
  await ladderReady
  const factory = gossipsub({
    ...init,
    globalSignaturePolicy: 'StrictNoSign',
    msgIdFn: (message) => relayMessageId(message.data),
    fallbackToFloodsub: false
  })
  return (components) => {
    const service = factory(components) as GossipSub & { protocols: string[] }
    // a class field set in the constructor: replaced before start() registers handlers and topologies
    service.protocols = [RELAY_PROTOCOL]
    return service
  }
}

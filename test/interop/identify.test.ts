// What each kind of fleet node tells a peer it speaks, read from libp2p identify on the wire by an
// outside node. These lists are the README's interoperability table: change one, change both.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import type { IdentifyResult } from '@libp2p/interface'
import { mplex } from '@libp2p/mplex'
import { tcp } from '@libp2p/tcp'
import { webSockets } from '@libp2p/websockets'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { startScenarioFleet, waitFor } from '../helpers/fleet.js'

const COMMON = ['/ipfs/id/1.0.0', '/ipfs/ping/1.0.0', '/vac/waku/metadata/1.0.0', '/vac/waku/relay/2.0.0']
const SERVICE = ['/vac/waku/filter-subscribe/2.0.0-beta1', '/vac/waku/lightpush/3.0.0', '/vac/waku/peer-exchange/2.0.0-alpha1']

/** The README table, by node role. */
const PROMISED: Record<'relay' | 'store' | 'crowd', string[]> = {
  relay: [...COMMON, ...SERVICE].sort(),
  store: [...COMMON, ...SERVICE, '/vac/waku/store-query/3.0.0'].sort(),
  crowd: [...COMMON].sort()
}

test('identify of every node kind lists exactly the promised protocols, over TCP and over WebSocket', async () => {
  const running = await startScenarioFleet(`
name: identify
duration: 5s
network: { relays: 2, stores: 1 }
crowd: { topic: lobby, users: 10, rate: 1/s, gateways: 1 }
`)
  // plain libp2p peers, not courier's recipe: what any outside client sees. One per muxer, since
  // the fleet must answer js-waku (mplex only) and nwaku-like clients (yamux) alike. (A js-libp2p
  // client offering [mplex, yamux] in that order cannot connect to a [yamux, mplex] peer at all:
  // @chainsafe/libp2p-noise 17's early muxer negotiation has each side pick from the other's list.)
  const clients = await Promise.all(
    [mplex(), yamux()].map(
      async (muxer) =>
        await createLibp2p({
          transports: [tcp(), webSockets()],
          connectionEncrypters: [noise()],
          streamMuxers: [muxer],
          services: { identify: identify() },
          connectionManager: { allow: ['/ip4/127.0.0.0/ipcidr/8'] }
        })
    )
  )
  const identified = new Map<string, string[]>()
  for (const client of clients) {
    client.addEventListener('peer:identify', (event: CustomEvent<IdentifyResult>) => {
      identified.set(event.detail.peerId.toString(), event.detail.protocols)
    })
    await client.start()
  }
  try {
    for (const client of clients) {
      for (const node of running.fleet.nodes) {
        for (const address of node.multiaddrs) {
          identified.delete(node.peerId)
          const connection = await client.dial(multiaddr(address), { signal: AbortSignal.timeout(10_000) })
          await waitFor(`identify of ${address}`, () => identified.has(node.peerId))
          const protocols = identified.get(node.peerId) ?? []
          // a fresh connection per address, so each answer is the one that address gave
          await client.hangUp(connection.remotePeer)
          assert.deepEqual([...protocols].sort(), PROMISED[node.role], `${node.name} (${node.role}) at ${address} over ${connection.multiplexer}`)
          assert.ok(!protocols.some((p) => p.startsWith('/meshsub/') || p.startsWith('/floodsub/')), `${node.name}: no meshsub or floodsub id`)
        }
      }
    }
  } finally {
    await Promise.all(
      clients.map(async (client) => {
        await client.stop()
      })
    )
    await running.stop()
  }
})

// An outside Waku client against courier's fleet: js-waku's own light node (@waku/sdk 0.0.36,
// pinned) with its defaults (WebSocket, mplex, noise), told one multiaddr of a running fleet.
// Everything is checked on the wire or in what js-waku returns, not in what courier asked for.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { createLightNode, Protocols, type LightNode } from '@waku/sdk'
import { contentTopicFor, messageHashHex, WakuMessage } from '../../harness/protocol/index.js'
import { startScenarioFleet, waitFor, type StartedFleet } from '../helpers/fleet.js'

const PUBSUB = '/waku/2/rs/16/32'
const CONTENT = contentTopicFor('interop')

let running: StartedFleet
const lightNodes: LightNode[] = []

before(async () => {
  running = await startScenarioFleet(`
name: interop
duration: 10s
network: { relays: 3, stores: 2, degree: 2 }
`)
})

after(async () => {
  await Promise.all(
    lightNodes.map(async (node) => {
      await node.stop().catch(() => {})
    })
  )
  if (running?.errors.length > 0) console.log('fleet errors:', running.errors.slice(0, 10))
  await running?.stop()
})

/** js-waku's light node as a web app would create it, bootstrapped from one fleet address. */
async function jsWakuLightNode(bootstrap: string, options: { clusterId?: number; peerExchange?: boolean } = {}): Promise<LightNode> {
  const node = await createLightNode({
    defaultBootstrap: false,
    bootstrapPeers: [bootstrap],
    networkConfig: { clusterId: options.clusterId ?? 16 },
    discovery: { dns: false, peerExchange: options.peerExchange ?? false, peerCache: false },
    // js-waku dials only wss:// outside its test environment; the fleet is plain ws:// on loopback
    libp2p: { filterMultiaddrs: false, hideWebSocketInfo: true } as never
  })
  lightNodes.push(node)
  await node.start()
  return node
}

function wsAddress(name: string): string {
  const node = running.fleet.node(name)
  assert.ok(node != null, name)
  const ws = node.multiaddrs.find((ma) => ma.includes('/ws/'))
  assert.ok(ws != null, `${name} has a WebSocket address: ${node.multiaddrs.join(' ')}`)
  return ws
}

test('a js-waku light node passes the metadata handshake (cluster 16, shard 32) and uses LIGHTPUSH v3, FILTER v2 and STORE v3 end to end', async () => {
  const waku = await jsWakuLightNode(wsAddress('store-1'))
  await waku.waitForPeers([Protocols.LightPush, Protocols.Filter, Protocols.Store], 15_000)
  const wakuPeer = waku.libp2p.peerId.toString()

  // metadata both ways: the fleet node asked js-waku, js-waku asked the fleet node and kept its shards
  await waitFor("the fleet node to record js-waku's metadata", () => running.events.of('metadata.peer').some((e) => e.peer === wakuPeer))
  const outcome = running.events.of('metadata.peer').find((e) => e.peer === wakuPeer)
  assert.deepEqual({ status: outcome?.status, clusterId: outcome?.clusterId }, { status: 'ok', clusterId: 16 })
  const store1 = running.fleet.node('store-1')!
  const storePeer = await waku.libp2p.peerStore.get((await import('@libp2p/peer-id')).peerIdFromString(store1.peerId) as never)
  const shardInfo = storePeer.metadata.get('shardInfo')
  assert.ok(shardInfo != null, "js-waku stored the fleet node's shard info from metadata")
  assert.deepEqual([...shardInfo], [0, 16, 1, 0, 32], 'cluster 16, one shard: 32')

  // FILTER v2: subscribe through js-waku, then have js-waku lightpush (v3, no legacy fallback)
  const decoder = waku.createDecoder({ contentTopic: CONTENT, shardId: 32 })
  const encoder = waku.createEncoder({ contentTopic: CONTENT, shardId: 32 })
  const received: string[] = []
  const subscribed = await waku.filter.subscribe([decoder], (message) => {
    received.push(new TextDecoder().decode(message.payload))
  })
  assert.equal(subscribed, true, 'filter subscription accepted')
  const texts = Array.from({ length: 7 }, (_, i) => `interop ${i}`)
  for (const text of texts) {
    const result = await waku.lightPush.send(encoder, { payload: new TextEncoder().encode(text) }, { useLegacy: false, autoRetry: false } as never)
    assert.ok(result.successes.length > 0, `lightpush of "${text}" failed: ${JSON.stringify(result.failures)}`)
  }
  const lightpushes = running.events.of('lightpush.request').filter((e) => e.peer === wakuPeer)
  assert.ok(lightpushes.length >= texts.length, 'every push reached a fleet node over /vac/waku/lightpush/3.0.0')
  assert.ok(
    lightpushes.every((e) => e.status === 200),
    `statuses: ${lightpushes.map((e) => e.status).join(',')}`
  )
  await waitFor('filter pushes of every message', () => texts.every((text) => received.includes(text)))

  // STORE v3: js-waku walks the archive by cursor, 2 messages a page, to the end
  await waitFor(
    'both stores to hold every message',
    () => running.events.of('msg.stored').filter((e) => lightpushes.some((p) => p.hash === e.hash)).length >= 2 * texts.length
  )
  const fromStore: Array<{ text: string; hash: string }> = []
  for await (const page of waku.store.queryGenerator([decoder], { paginationLimit: 2 })) {
    for (const pending of page) {
      const message = await pending
      if (message == null) continue
      const wire = WakuMessage.decode(
        WakuMessage.encode({
          payload: message.payload,
          contentTopic: message.contentTopic,
          version: message.version,
          timestamp: BigInt(message.timestamp!.getTime()) * 1_000_000n,
          meta: message.meta,
          ephemeral: message.ephemeral
        })
      )
      fromStore.push({ text: new TextDecoder().decode(message.payload), hash: Buffer.from(message.hash).toString('hex') })
      void wire
    }
  }
  assert.deepEqual(fromStore.map((m) => m.text).sort(), [...texts].sort(), 'the store walk returned every message once')
  // js-waku's hash of each message equals the fleet's, computed by the spec's rule
  const fleetHashes = new Set(lightpushes.map((e) => e.hash))
  for (const { hash } of fromStore) assert.ok(fleetHashes.has(hash), `hash ${hash} is one the fleet computed`)
  void messageHashHex
  void PUBSUB
})

test('a js-waku light node that knows one service node finds the others through peer exchange', async () => {
  const waku = await jsWakuLightNode(wsAddress('relay-1'), { peerExchange: true })
  const wakuPeer = waku.libp2p.peerId.toString()
  const others = running.fleet.nodes.filter((node) => node.role !== 'crowd' && node.name !== 'relay-1').map((node) => node.peerId)
  await waitFor('a peer-exchange answer', () => running.events.of('peerExchange.request').some((e) => e.peer === wakuPeer && e.answered > 0), 20_000)
  await waitFor(
    'js-waku to know the other fleet nodes',
    async () => {
      const known = new Set((await waku.libp2p.peerStore.all()).map((peer) => peer.id.toString()))
      return others.every((peer) => known.has(peer))
    },
    20_000
  )
})

test('a client of another cluster is disconnected after the metadata handshake, with an event', async () => {
  const waku = await jsWakuLightNode(wsAddress('relay-2'), { clusterId: 1 })
  const wakuPeer = waku.libp2p.peerId.toString()
  await waitFor('the mismatch to be recorded', () => running.events.of('metadata.peer').some((e) => e.peer === wakuPeer && e.status === 'mismatch'), 15_000)
  const mismatch = running.events.of('metadata.peer').find((e) => e.peer === wakuPeer && e.status === 'mismatch')
  assert.equal(mismatch?.clusterId, 1)
  await waitFor('the connection to close', () => waku.libp2p.getConnections().length === 0, 10_000)
})

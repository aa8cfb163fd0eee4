// js-waku as a RELAY node against courier's fleet. @waku/sdk dropped relay after 0.0.27, so this
// uses js-waku's last relay-capable release (installed as the dev dependency `js-waku-relay`, an
// alias of @waku/sdk 0.0.27: @waku/relay 0.0.14 on @chainsafe/libp2p-gossipsub 13 and libp2p 1,
// a gossipsub implementation line apart from the @libp2p/gossipsub 17 the fleet runs). It asks
// for /vac/waku/relay/2.0.0 and nothing else, as nwaku does: before the fleet registered that id,
// this client found no relay peer at all.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { createRelayNode } from 'js-waku-relay/relay'
import { createDecoder, createEncoder, waitForRemotePeer, Protocols, type RelayNode } from 'js-waku-relay'
import { SimulatedDevice } from '../../devices/simulated/index.js'
import type { DeviceComponents } from '../../harness/interface/index.js'
import { contentTopicFor, decodePayload, encodePayload, meshPeers, RELAY_PROTOCOL } from '../../harness/protocol/index.js'
import { seededRandom } from '../../harness/scenario/index.js'
import { startScenarioFleet, waitFor, type StartedFleet } from '../helpers/fleet.js'

const PUBSUB = '/waku/2/rs/16/32'
const TOPIC = 'relay-interop'
const CONTENT = contentTopicFor(TOPIC)
const quiet = { info: () => {}, warn: () => {}, error: () => {}, debug: () => {} }

let running: StartedFleet
let relay: RelayNode | undefined
let device: SimulatedDevice | undefined

before(async () => {
  running = await startScenarioFleet(`
name: relay-interop
duration: 10s
network: { relays: 3, stores: 1, degree: 2 }
`)
})

after(async () => {
  await relay?.stop().catch(() => {})
  await device?.stop().catch(() => {})
  await running?.stop()
})

test("a js-waku relay node meshes with fleet relays on /vac/waku/relay/2.0.0 and exchanges messages with courier's simulated device both ways", async () => {
  const relay1 = running.fleet.node('relay-1')!
  const ws = relay1.multiaddrs.find((ma) => ma.includes('/ws/'))!
  const node = await createRelayNode({
    defaultBootstrap: false,
    bootstrapPeers: [ws],
    networkConfig: { clusterId: 16, shards: [32] },
    // js-waku dials only wss:// outside its test environment; the fleet is plain ws:// on loopback
    libp2p: { filterMultiaddrs: false, hideWebSocketInfo: true }
  } as never)
  relay = node
  await node.start()
  await waitForRemotePeer(node, [Protocols.Relay], 15_000)
  const relayPeer = node.libp2p.peerId.toString()

  // the wire: the stream js-waku's gossipsub opened to relay-1 negotiated the Waku relay id
  const connection = node.libp2p.getConnections().find((c) => c.remotePeer.toString() === relay1.peerId)
  assert.ok(connection != null, 'connected to relay-1')
  const protocols = connection.streams.map((stream) => stream.protocol)
  assert.ok(protocols.includes(RELAY_PROTOCOL), `streams: ${protocols.join(', ')}`)
  assert.ok(!protocols.some((p) => p?.startsWith('/meshsub/')), 'no meshsub stream')
  await waitFor('mesh both ways', () => meshPeers(relay1.node!, PUBSUB).includes(relayPeer) && node.relay.getMeshPeers(PUBSUB).includes(relay1.peerId), 15_000)

  // courier's reference client on another relay
  const components: DeviceComponents = {
    clock: { now: () => performance.now() },
    events: running.events,
    log: quiet,
    fleet: running.fleet.directory(),
    random: seededRandom(1, 'device'),
    byteAccounting: false
  }
  device = new SimulatedDevice({ name: 'alice', topics: [TOPIC], relays: 2 }, components)
  await device.start({})

  const received: string[] = []
  await node.relay.subscribeWithUnsubscribe([createDecoder(CONTENT, { clusterId: 16, shard: 32 })], (message) => {
    const payload = decodePayload(message.payload)
    if (payload != null) received.push(payload.id)
  })

  // js-waku -> fleet -> device, with a courier payload so the device can name it
  const encoder = createEncoder({ contentTopic: CONTENT, pubsubTopicShardInfo: { clusterId: 16, shard: 32 } })
  const result = await node.relay.send(encoder, { payload: encodePayload({ id: 'from-js-waku', from: 'js-waku', sentAt: Date.now() }, 300) })
  assert.ok(result.successes.length > 0, `js-waku relay publish: ${JSON.stringify(result.failures)}`)
  await waitFor(
    "alice to receive js-waku's message",
    () => running.events.of('msg.received').some((e) => e.device === 'alice' && e.msgId === 'from-js-waku'),
    15_000
  )

  // device -> fleet -> js-waku
  await device.send({ msgId: 'from-alice', topic: TOPIC, bytes: 300 })
  await waitFor("js-waku to receive alice's message", () => received.includes('from-alice'), 15_000)
})

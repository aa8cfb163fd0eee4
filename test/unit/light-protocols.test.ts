// 12/WAKU2-FILTER v2 and 19/WAKU2-LIGHTPUSH v3 on real js-libp2p nodes over TCP in this process:
// the fleet's relay nodes serve, a bare light node (no gossipsub) or courier's LightClient asks.
// Every test stops every node in `finally`, so a failing assertion leaves no socket behind.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { multiaddr } from '@multiformats/multiaddr'
import { peerIdFromString } from '@libp2p/peer-id'
import { Partitions, RelayNode, type FleetNode } from '../../harness/fleet/index.js'
import type { CourierEvent, EventSink, EventType } from '../../harness/interface/index.js'
import {
  checkLightPushRequest,
  contentTopicFor,
  createLightNode,
  FILTER_PUSH_PROTOCOL,
  FILTER_SUBSCRIBE_PROTOCOL,
  FilterSubscribeType,
  FilterSubscriptions,
  filterSubscribeOnStream,
  LIGHTPUSH_PROTOCOL,
  lightPushOnStream,
  MAX_MESSAGE_BYTES,
  meshPeers,
  messageHashHex,
  readFilterPush,
  WakuMessage,
  type FilterSubscribeResponse,
  type LightLibp2p,
  type LightPushRequest,
  type LightPushResponse,
  type MessagePush
} from '../../harness/protocol/index.js'
import { LightClient } from '../../devices/simulated/light-client.js'

const PUBSUB = '/waku/2/rs/16/32'
const X = contentTopicFor('x')
const Y = contentTopicFor('y')
const Z = contentTopicFor('z')
const t0 = performance.now()
const clock = { now: () => performance.now() - t0 }

class Recorder implements EventSink {
  readonly events: CourierEvent[] = []
  readonly errors: string[] = []
  emit<K extends EventType>(type: K, data: object): void {
    this.events.push({ t: clock.now(), type, ...data } as unknown as CourierEvent)
  }

  of<K extends EventType>(type: K): Array<Extract<CourierEvent, { type: K }>> {
    return this.events.filter((e): e is Extract<CourierEvent, { type: K }> => e.type === type)
  }
}

let sequence = 0
function message(contentTopic: string, payloadBytes = 32): WakuMessage {
  const n = ++sequence
  const payload = new Uint8Array(payloadBytes).fill(n % 251)
  payload.set(new TextEncoder().encode(`m${n}`))
  return { payload, contentTopic, timestamp: BigInt(Date.now()) * 1_000_000n + BigInt(n) }
}

async function waitFor(what: string, condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(20)
  }
}

interface TestFleet {
  nodes: RelayNode[]
  events: Recorder
  partitions: Partitions
  stop: () => Promise<void>
}

/** `count` relay nodes, every pair connected, meshes formed (unless alone). */
async function startFleet(count: number, light?: ConstructorParameters<typeof RelayNode>[0]['light'], seed = 11): Promise<TestFleet> {
  const events = new Recorder()
  const partitions = new Partitions()
  const nodes = Array.from(
    { length: count },
    (_, i) =>
      new RelayNode(
        { name: `relay-${i + 1}`, role: 'relay', pubsubTopic: PUBSUB, clusterId: 16, shards: [32], seed, subscribe: true, accounting: false, light },
        {
          clock,
          events,
          partitions,
          onError: (component, error) => {
            events.errors.push(`${component}: ${String(error)}`)
          }
        }
      )
  )
  const stop = async (): Promise<void> => {
    await Promise.all(
      nodes.map(async (node) => {
        await node.stop()
      })
    )
  }
  try {
    await Promise.all(
      nodes.map(async (node) => {
        await node.start()
      })
    )
    nodes.forEach((node, i) => {
      for (const other of nodes.slice(i + 1)) node.dialTargets.push(other.address)
    })
    await Promise.all(
      nodes.map(async (node) => {
        await node.connect()
      })
    )
    if (count > 1) await waitFor('gossipsub meshes', () => nodes.every((node) => node.node != null && meshPeers(node.node, PUBSUB).length > 0), 10_000)
  } catch (error) {
    await stop()
    throw error
  }
  return { nodes, events, partitions, stop }
}

/** A bare light node (no gossipsub) that records every filter push it gets. */
async function startLightNode(name: string): Promise<{ node: LightLibp2p; pushes: MessagePush[] }> {
  const node = await createLightNode({ identitySeed: `test/${name}/${Math.random()}`, listen: false })
  const pushes: MessagePush[] = []
  await node.handle(FILTER_PUSH_PROTOCOL, async (stream) => {
    pushes.push((await readFilterPush(stream)).push)
  })
  await node.start()
  return { node, pushes }
}

async function filterRequest(
  client: LightLibp2p,
  server: FleetNode,
  type: FilterSubscribeType,
  contentTopics: string[],
  pubsubTopic: string | undefined = PUBSUB
): Promise<FilterSubscribeResponse> {
  const stream = await client.dialProtocol(multiaddr(server.address), FILTER_SUBSCRIBE_PROTOCOL)
  return await filterSubscribeOnStream(stream, { requestId: `r${++sequence}`, filterSubscribeType: type, pubsubTopic, contentTopics })
}

async function lightPush(client: LightLibp2p, server: FleetNode, request: Partial<LightPushRequest>): Promise<LightPushResponse> {
  const stream = await client.dialProtocol(multiaddr(server.address), LIGHTPUSH_PROTOCOL)
  return (await lightPushOnStream(stream, { requestId: `lp${++sequence}`, pubsubTopic: PUBSUB, ...request })).response
}

async function gossip(from: FleetNode, m: WakuMessage): Promise<void> {
  await from.node?.services.pubsub.publish(PUBSUB, WakuMessage.encode(m))
}

const topicsOf = (pushes: MessagePush[]): string[] => pushes.map((p) => p.wakuMessage?.contentTopic ?? '?')

test('the subscription table answers each FILTER request as the spec says, and forgets silent subscribers after the TTL', () => {
  const table = new FilterSubscriptions(1000)
  const ask = (type: FilterSubscribeType, contentTopics: string[], now: number, pubsubTopic: string | null = PUBSUB): number =>
    table.handle('peer-a', { requestId: 'r', filterSubscribeType: type, pubsubTopic: pubsubTopic ?? undefined, contentTopics }, now).statusCode
  const { SUBSCRIBER_PING: PING, SUBSCRIBE, UNSUBSCRIBE, UNSUBSCRIBE_ALL } = FilterSubscribeType
  assert.equal(ask(PING, [], 0), 404, 'a ping from a stranger')
  assert.equal(ask(SUBSCRIBE, [], 0), 400, 'no content topics')
  assert.equal(ask(SUBSCRIBE, [X], 0, null), 400, 'no pubsub topic')
  assert.equal(
    ask(
      SUBSCRIBE,
      Array.from({ length: 101 }, (_, i) => `/t/1/${i}/proto`),
      0
    ),
    400,
    'over 100 content topics in one request'
  )
  assert.equal(
    table.handle('peer-a', { requestId: '', filterSubscribeType: SUBSCRIBE, pubsubTopic: PUBSUB, contentTopics: [X] }, 0).statusCode,
    400,
    'no request id'
  )
  assert.equal(ask(SUBSCRIBE, [X, Y], 0), 200)
  assert.deepEqual(table.matching(PUBSUB, X), ['peer-a'])
  assert.deepEqual(table.matching(PUBSUB, Z), [])
  assert.deepEqual(table.matching('/waku/2/rs/16/64', X), [], 'criteria are per pubsub topic')
  assert.equal(ask(UNSUBSCRIBE, [Z], 10), 404, 'unsubscribing from a topic never subscribed')
  assert.equal(ask(UNSUBSCRIBE, [X], 10), 200)
  assert.deepEqual(table.matching(PUBSUB, X), [])
  assert.equal(ask(PING, [], 900), 200, 'still subscribed to Y; the ping renews it')
  assert.deepEqual(table.expire(1800), [], 'renewed at 900: alive at 1800')
  assert.deepEqual(table.expire(1900), [{ peer: 'peer-a', contentTopics: [Y] }])
  assert.equal(ask(PING, [], 1900), 404)
  assert.equal(ask(SUBSCRIBE, [X], 2000), 200)
  assert.equal(ask(UNSUBSCRIBE_ALL, [], 2000), 200)
  assert.equal(ask(UNSUBSCRIBE_ALL, [], 2000), 404)
})

test('LIGHTPUSH refusals are decided before publishing: 400 without a message, 420 without a content topic, 421 for another shard, 413 over 150 kB', () => {
  const ok = checkLightPushRequest({ requestId: 'r', pubsubTopic: PUBSUB, message: message(X) }, PUBSUB)
  assert.equal(ok, undefined)
  assert.equal(checkLightPushRequest({ requestId: 'r', message: message(X) }, PUBSUB), undefined, "no pubsub topic: the node's own")
  assert.equal(checkLightPushRequest({ requestId: 'r', pubsubTopic: PUBSUB }, PUBSUB)?.statusCode, 400)
  assert.equal(checkLightPushRequest({ requestId: 'r', pubsubTopic: PUBSUB, message: message('') }, PUBSUB)?.statusCode, 420)
  assert.equal(checkLightPushRequest({ requestId: 'r', pubsubTopic: '/waku/2/rs/16/64', message: message(X) }, PUBSUB)?.statusCode, 421)
  // the limit is on the encoded message (what relay would carry): find the payload that just fits
  const fits = message(X, MAX_MESSAGE_BYTES - 100)
  while (WakuMessage.encode(fits).byteLength < MAX_MESSAGE_BYTES) fits.payload = new Uint8Array(fits.payload.length + 1)
  assert.equal(WakuMessage.encode(fits).byteLength, MAX_MESSAGE_BYTES)
  assert.equal(checkLightPushRequest({ requestId: 'r', message: fits }, PUBSUB), undefined, 'exactly 150 000 bytes is allowed')
  const over = { ...fits, payload: new Uint8Array(fits.payload.length + 1) }
  assert.equal(checkLightPushRequest({ requestId: 'r', message: over }, PUBSUB)?.statusCode, 413)
})

test('FILTER pushes only the subscribed content topic; a server that ignores content topics is caught by the same check', async () => {
  // The check, run against a fleet whose service node uses the given subscription table.
  const pushedTopics = async (table?: FilterSubscriptions): Promise<string[]> => {
    const fleet = await startFleet(2, table == null ? undefined : { subscriptions: table })
    const client = await startLightNode('x-only')
    try {
      const [service, other] = fleet.nodes
      assert.equal((await filterRequest(client.node, service, FilterSubscribeType.SUBSCRIBE, [X])).statusCode, 200)
      // published on the other relay: the service node gets both through gossipsub, as in a fleet
      await gossip(other, message(Y))
      await gossip(other, message(X))
      await waitFor('the X push', () => topicsOf(client.pushes).includes(X))
      await sleep(300) // the Y push, if any, was sent before X's
      assert.deepEqual(
        fleet.events.of('filter.push').filter((e) => e.error != null),
        []
      )
      return topicsOf(client.pushes)
    } finally {
      await client.node.stop()
      await fleet.stop()
    }
  }
  assert.deepEqual(await pushedTopics(), [X])

  class PushesEverything extends FilterSubscriptions {
    override matching(): string[] {
      return this.peerIds()
    }
  }
  const broken = await pushedTopics(new PushesEverything())
  assert.notDeepEqual(broken, [X], 'against a server that pushes every topic, the assertion above fails')
  assert.ok(broken.includes(Y))
})

test('ping, unsubscribe and unsubscribe-all over the wire; an unsubscribed topic is no longer pushed', async () => {
  const fleet = await startFleet(2)
  const client = await startLightNode('unsub')
  try {
    const [service, other] = fleet.nodes
    const { SUBSCRIBER_PING: PING, SUBSCRIBE, UNSUBSCRIBE, UNSUBSCRIBE_ALL } = FilterSubscribeType
    assert.equal((await filterRequest(client.node, service, PING, [])).statusCode, 404)
    assert.equal((await filterRequest(client.node, service, SUBSCRIBE, [])).statusCode, 400)
    assert.equal((await filterRequest(client.node, service, SUBSCRIBE, [X, Z])).statusCode, 200)
    assert.equal((await filterRequest(client.node, service, PING, [])).statusCode, 200)
    // X is pushed while subscribed, so its absence later means something
    await gossip(other, message(X))
    await waitFor('X while subscribed', () => topicsOf(client.pushes).includes(X))
    assert.equal((await filterRequest(client.node, service, UNSUBSCRIBE, [X])).statusCode, 200)
    assert.equal((await filterRequest(client.node, service, UNSUBSCRIBE, [X])).statusCode, 404)
    client.pushes.length = 0
    await gossip(other, message(X))
    await gossip(other, message(Z))
    await waitFor('Z, still subscribed', () => topicsOf(client.pushes).includes(Z))
    await sleep(300)
    assert.deepEqual(topicsOf(client.pushes), [Z])
    assert.equal((await filterRequest(client.node, service, UNSUBSCRIBE_ALL, [])).statusCode, 200)
    assert.equal((await filterRequest(client.node, service, PING, [])).statusCode, 404)
    assert.equal((await filterRequest(client.node, service, UNSUBSCRIBE_ALL, [])).statusCode, 404)
    const answered = fleet.events.of('filter.request').map((e) => `${e.request}:${e.status}`)
    assert.deepEqual(answered, [
      'ping:404',
      'subscribe:400',
      'subscribe:200',
      'ping:200',
      'unsubscribe:200',
      'unsubscribe:404',
      'unsubscribeAll:200',
      'ping:404',
      'unsubscribeAll:404'
    ])
  } finally {
    await client.node.stop()
    await fleet.stop()
  }
})

test("LIGHTPUSH publishes into gossipsub: a relay subscriber gets the message, and so do the service node's own filter subscribers", async () => {
  const fleet = await startFleet(3)
  const pusher = await startLightNode('pusher')
  const listener = await startLightNode('listener')
  try {
    const [service, , far] = fleet.nodes
    const relayed: string[] = []
    far.node?.services.pubsub.addEventListener('message', (event) => {
      relayed.push(messageHashHex(PUBSUB, WakuMessage.decode(event.detail.data)))
    })
    assert.equal((await filterRequest(listener.node, service, FilterSubscribeType.SUBSCRIBE, [X])).statusCode, 200)
    const m = message(X, 500)
    const hash = messageHashHex(PUBSUB, m)
    const response = await lightPush(pusher.node, service, { message: m })
    assert.equal(response.statusCode, 200, response.statusDesc ?? '')
    assert.ok((response.relayPeerCount ?? 0) >= 1, `relay_peer_count ${response.relayPeerCount}`)
    await waitFor('the message at a relay two hops away', () => relayed.includes(hash))
    // gossipsub never hands a node its own publish: this push proves the local delivery path
    await waitFor("the push to the service node's own subscriber", () =>
      listener.pushes.some((p) => p.wakuMessage != null && messageHashHex(PUBSUB, p.wakuMessage) === hash)
    )
    assert.ok(
      fleet.events.of('msg.relayed').some((e) => e.node === service.name && e.hash === hash),
      'the service node reports the message as relayed by it'
    )
    const request = fleet.events.of('lightpush.request').at(-1)
    assert.equal(request?.status, 200)
    assert.equal(request?.hash, hash)
    assert.equal(request?.peer, pusher.node.peerId.toString(), 'an unregistered peer is named by its peer id')
  } finally {
    await pusher.node.stop()
    await listener.node.stop()
    await fleet.stop()
  }
})

test('LIGHTPUSH over the wire: 413 for an over-150 kB message (nothing published), 421 for another shard, 503 from a node with no relay peers', async () => {
  const fleet = await startFleet(2)
  // another seed: the same name and seed would be the same peer, and libp2p would reuse the connection to it
  const lone = await startFleet(1, undefined, 12)
  const client = await startLightNode('big')
  try {
    const [service, other] = fleet.nodes
    const seen: number[] = []
    other.node?.services.pubsub.addEventListener('message', (event) => {
      seen.push(event.detail.data.byteLength)
    })
    const big = await lightPush(client.node, service, { message: message(X, 200_000) })
    assert.equal(big.statusCode, 413, big.statusDesc ?? '')
    assert.equal((await lightPush(client.node, service, { pubsubTopic: '/waku/2/rs/16/64', message: message(X) })).statusCode, 421)
    const fine = await lightPush(client.node, service, { message: message(X, 100_000) })
    assert.equal(fine.statusCode, 200, fine.statusDesc ?? '')
    await waitFor('the 100 kB message at the other relay', () => seen.length > 0)
    assert.deepEqual(
      seen.filter((bytes) => bytes > 150_000),
      [],
      'the refused message was never published'
    )
    const alone = await lightPush(client.node, lone.nodes[0], { message: message(X) })
    assert.equal(alone.statusCode, 503, alone.statusDesc ?? '')
    assert.equal(alone.relayPeerCount ?? 0, 0)
  } finally {
    await client.node.stop()
    await lone.stop()
    await fleet.stop()
  }
})

test('a subscription dies with its connection, and one nobody pings expires after the TTL', async () => {
  const fleet = await startFleet(2, { ttlMs: 400 })
  const client = await startLightNode('mortal')
  try {
    const [service] = fleet.nodes
    const peer = client.node.peerId.toString()
    assert.equal((await filterRequest(client.node, service, FilterSubscribeType.SUBSCRIBE, [X])).statusCode, 200)
    assert.ok(service.light?.subscriptions.has(peer))
    await client.node.hangUp(peerIdFromString(service.peerId))
    await waitFor('the drop', () => fleet.events.of('filter.drop').length > 0)
    assert.deepEqual(
      fleet.events.of('filter.drop').map((e) => [e.node, e.reason, e.contentTopics]),
      [[service.name, 'disconnected', [X]]]
    )
    assert.equal(service.light?.subscriptions.has(peer), false)
    assert.equal((await filterRequest(client.node, service, FilterSubscribeType.SUBSCRIBER_PING, [])).statusCode, 404, 'a new connection finds nothing')

    // pinged every 150 ms, a 400 ms TTL never runs out ...
    assert.equal((await filterRequest(client.node, service, FilterSubscribeType.SUBSCRIBE, [X])).statusCode, 200)
    for (let i = 0; i < 6; i++) {
      await sleep(150)
      assert.equal((await filterRequest(client.node, service, FilterSubscribeType.SUBSCRIBER_PING, [])).statusCode, 200, `ping ${i}`)
    }
    // ... left alone, it does
    await sleep(700)
    assert.deepEqual(
      fleet.events.of('filter.drop').map((e) => e.reason),
      ['disconnected', 'expired']
    )
    assert.equal((await filterRequest(client.node, service, FilterSubscribeType.SUBSCRIBER_PING, [])).statusCode, 404)
  } finally {
    await client.node.stop()
    await fleet.stop()
  }
})

interface ClientRun {
  client: LightClient
  events: Recorder
  received: string[]
  gaps: number[]
}

async function startLightClient(fleet: TestFleet, pingIntervalMs: number): Promise<ClientRun> {
  const events = new Recorder()
  const received: string[] = []
  const gaps: number[] = []
  const client = await LightClient.start({
    device: 'lite',
    pubsubTopic: PUBSUB,
    contentTopics: [X],
    services: fleet.nodes.map((node) => ({ name: node.name, addr: node.address })),
    subscriptions: 1,
    pingIntervalMs,
    clock,
    events,
    wallNow: () => Date.now(),
    onMessage: (m) => {
      received.push(messageHashHex(PUBSUB, m))
    },
    onGap: (since) => {
      gaps.push(since)
    }
  })
  return { client, events, received, gaps }
}

test('a killed service node: the light client notices at once, resubscribes on the next one, asks for a catch-up from the moment it lost it, and keeps receiving', async (t) => {
  const fleet = await startFleet(3)
  let run: ClientRun | undefined
  try {
    const [first, second, publisher] = fleet.nodes
    run = await startLightClient(fleet, 60_000)
    const { events, received, gaps } = run
    assert.deepEqual(
      events.of('filter.subscription').map((e) => [e.node, e.state]),
      [[first.name, 'subscribed']]
    )
    const before = message(X)
    await gossip(publisher, before)
    await waitFor('a push through the first service node', () => received.includes(messageHashHex(PUBSUB, before)))

    const killedAt = clock.now()
    const killedWall = Date.now()
    await first.kill()
    await waitFor('a subscription on another node', () => events.of('filter.subscription').some((e) => e.state === 'subscribed' && e.node !== first.name))
    const lost = events.of('filter.subscription').find((e) => e.state === 'lost')
    const again = events.of('filter.subscription').find((e) => e.state === 'subscribed' && e.node !== first.name)
    assert.equal(lost?.node, first.name)
    assert.equal(lost?.reason, 'connection closed')
    assert.equal(again?.node, second.name, 'the next service node in order')
    const noticeMs = (lost?.t ?? Infinity) - killedAt
    const recoverMs = (again?.t ?? Infinity) - killedAt
    // a killed process's sockets close, so the client does not need to wait for a ping
    assert.ok(noticeMs < 1000, `noticed after ${noticeMs} ms`)
    assert.equal(gaps.length, 1, 'one catch-up for the one stretch with no subscription')
    assert.ok(Math.abs(gaps[0] - killedWall) < 1000, `the gap starts when the subscription was lost (${gaps[0] - killedWall} ms off)`)
    const after = message(X)
    await gossip(publisher, after)
    await waitFor('a push through the second service node', () => received.includes(messageHashHex(PUBSUB, after)))
    t.diagnostic(`noticed ${noticeMs.toFixed(0)} ms, resubscribed ${recoverMs.toFixed(0)} ms after the kill`)
  } finally {
    await run?.client.stop()
    await fleet.stop()
  }
})

test('a subscription the node forgot while the connection stayed up is noticed by the ping; without pings it is not', async () => {
  const forget = async (pingIntervalMs: number): Promise<ClientRun & { stop: () => Promise<void>; fleet: TestFleet }> => {
    const fleet = await startFleet(3)
    try {
      const run = await startLightClient(fleet, pingIntervalMs)
      const peer = run.client.node.peerId.toString()
      await waitFor('the subscription at the server', () => fleet.nodes[0].light?.subscriptions.has(peer) === true)
      // the node loses its state without closing the connection (a restart behind a proxy, say)
      fleet.nodes[0].light?.subscriptions.drop(peer)
      await sleep(1000)
      return {
        ...run,
        fleet,
        stop: async () => {
          await run.client.stop()
          await fleet.stop()
        }
      }
    } catch (error) {
      await fleet.stop()
      throw error
    }
  }
  const pinging = await forget(200)
  try {
    const states = pinging.events.of('filter.subscription').map((e) => `${e.state}${e.reason == null ? '' : ` (${e.reason})`}`)
    assert.deepEqual(states, ['subscribed', 'lost (ping answered 404)', 'subscribed'])
    assert.equal(pinging.gaps.length, 1)
    const m = message(X)
    // from a node other than the new service node: a relay's own publish never reaches its own filter (only lightpushed ones do)
    const serving = pinging.events.of('filter.subscription').at(-1)?.node
    await gossip(pinging.fleet.nodes.find((node) => node.name !== serving) ?? assert.fail('no other node'), m)
    await waitFor('pushes again', () => pinging.received.includes(messageHashHex(PUBSUB, m)))
  } finally {
    await pinging.stop()
  }
  const silent = await forget(3_600_000)
  try {
    assert.deepEqual(
      silent.events.of('filter.subscription').map((e) => e.state),
      ['subscribed'],
      'with no ping the client still believes it is subscribed'
    )
  } finally {
    await silent.stop()
  }
})

test('a partition cuts a light client off its service node like any connection: the node drops the subscription, the client moves to a node in its group', async () => {
  const fleet = await startFleet(3)
  let run: ClientRun | undefined
  try {
    run = await startLightClient(fleet, 60_000)
    const [first, second, third] = fleet.nodes
    fleet.partitions.register('lite', run.client.node.peerId.toString())
    for (const node of fleet.nodes) fleet.partitions.register(node.name, node.peerId)
    assert.equal(run.events.of('filter.subscription').at(-1)?.node, first.name)
    // lite and relay-2 on one side; relay-1 and relay-3 on the other
    fleet.partitions.set([
      ['lite', second.name],
      [first.name, third.name]
    ])
    await Promise.all(
      fleet.nodes.map(async (node) => {
        await node.enforcePartition()
      })
    )
    const events = run.events
    await waitFor('a subscription inside the partition', () => events.of('filter.subscription').some((e) => e.state === 'subscribed' && e.node === second.name))
    assert.deepEqual(
      fleet.events.of('filter.drop').map((e) => [e.node, e.peer, e.reason]),
      [[first.name, 'lite', 'disconnected']],
      'the fleet names the device it registered'
    )
    // relay-3 was never tried or was refused by the gater: it is across the partition
    assert.ok(events.of('filter.subscription').every((e) => e.node !== third.name || e.state === 'failed'))
  } finally {
    await run?.client.stop()
    await fleet.stop()
  }
})

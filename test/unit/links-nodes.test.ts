// Links between fleet nodes: how a scenario's network.links becomes the link of each pair of
// nodes (pure), and, on real sockets, that a real fleet's libp2p connections between nodes pay
// the configured delay through kill/restart, partitions, store sync and a mid-run change, that a
// node's access link is one bottleneck shared by its connections, and that nothing is left open.
// Each check is also shown failing on a broken variant.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import net from 'node:net'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import type { CourierEvent, EventSink } from '../../harness/interface/index.js'
import { Fleet, type FleetMember } from '../../harness/fleet/index.js'
import { getLinkPreset, worseProfile, type LinkProfile } from '../../harness/links/index.js'
import { checkRoundTrip, measureDownload, measureUpload, startProbeServer, withoutLag, type ProbeServer, type RoundTrips } from '../helpers/link-measure.js'
import { NodeLinks, pairLink, planNodeLinks } from '../../harness/runner/index.js'
import { deviceRadioTimelines } from '../../harness/runner/energy.js'
import { validateLinks } from '../../harness/runner/links.js'
import { buildFrame, LinkType, PcapFileWriter } from '../../harness/capture/index.js'
import { parseScenario, type LoadedScenario } from '../../harness/scenario/index.js'
import { InvalidInputError } from '../../harness/interface/index.js'

const profile = (p: Partial<LinkProfile>): LinkProfile => ({ latencyMs: 0, jitterMs: 0, lossRate: 0, bandwidthBps: 0, ...p })
const PERFECT = profile({})

function scenario(network: string, timeline = ''): LoadedScenario {
  return parseScenario(`name: node-links\nseed: 5\nduration: 30s\nnetwork: ${network}\n${timeline}`, 'node-links.yaml')
}

test("a pair's link: between if given, else per direction the worse of sender uplink and receiver downlink in each figure", () => {
  const lte = getLinkPreset('lte')
  const g3 = getLinkPreset('3g')
  const plan = planNodeLinks(
    scenario(`{ relays: 2, stores: 2, links: { default: lte, nodes: { store-1: 3g }, between: [{ a: relay-1, b: store-2, link: 3g }] } }`).config.network.links
  )
  // both on the default: that link, not twice it
  const relays = pairLink(plan, 'relay-1', 'relay-2')
  assert.deepEqual([relays.up, relays.down], [lte.up, lte.down])
  assert.deepEqual(relays.upVia, { kind: 'uplink', node: 'relay-1' })
  // to a store far away: each direction takes the worse figures; the store's access sets the rate
  const toStore = pairLink(plan, 'relay-2', 'store-1')
  assert.deepEqual(toStore.up, worseProfile(lte.up, g3.down))
  assert.deepEqual(toStore.up, { latencyMs: 150, jitterMs: 20, lossRate: 0, bandwidthBps: 1_600_000 })
  assert.deepEqual(toStore.upVia, { kind: 'downlink', node: 'store-1' })
  assert.deepEqual(toStore.down, { latencyMs: 150, jitterMs: 20, lossRate: 0, bandwidthBps: 768_000 })
  assert.deepEqual(toStore.downVia, { kind: 'uplink', node: 'store-1' })
  // the same pair dialled the other way round is the same link, mirrored
  const fromStore = pairLink(plan, 'store-1', 'relay-2')
  assert.deepEqual([fromStore.up, fromStore.down], [toStore.down, toStore.up])
  // between wins over both access links; its up is a to b whoever dials
  const explicit = pairLink(plan, 'relay-1', 'store-2')
  assert.deepEqual([explicit.up, explicit.down, explicit.between], [g3.up, g3.down, true])
  const mirrored = pairLink(plan, 'store-2', 'relay-1')
  assert.deepEqual([mirrored.up, mirrored.down], [g3.down, g3.up])
  assert.deepEqual(mirrored.upVia, { kind: 'between', pair: 'relay-1 store-2', direction: 'down' })
  // no links at all: perfect everywhere, nothing shaped
  const none = pairLink(planNodeLinks(undefined), 'relay-1', 'relay-2')
  assert.deepEqual([none.up, none.down, none.upVia], [PERFECT, PERFECT, undefined])
  assert.equal(new NodeLinks(scenario('{ relays: 2 }'), { emit: () => {} }, () => {}).active, false)
  // 0 bandwidth means unlimited and loses to any rate
  assert.equal(worseProfile(profile({ bandwidthBps: 0 }), profile({ bandwidthBps: 5 })).bandwidthBps, 5)
})

test('unknown node names and self-links in network.links are refused with where, what and a suggestion', () => {
  const bad = (network: string): string[] => {
    try {
      scenario(network)
      return []
    } catch (error) {
      assert.ok(error instanceof InvalidInputError)
      return error.problems.map((p) => `${p.location.line ?? '?'}:${p.location.column ?? '?'} ${p.path}: ${p.message} [${p.hint ?? ''}]`)
    }
  }
  assert.deepEqual(bad('{ relays: 2, links: { nodes: { relay-3: 3g } } }'), [
    '4:41 network.links.nodes.relay-3: no node named "relay-3" [did you mean "relay-1"?]'
  ])
  assert.deepEqual(bad('{ relays: 2, links: { between: [{ a: relay-1, b: relay-1, link: 3g }] } }'), [
    '4:59 network.links.between[0].b: a link joins two different nodes []'
  ])
  assert.match(
    bad('{ relays: 2, links: { between: [{ a: relay-1, b: relay-2, link: 3g }, { a: relay-2, b: relay-1, link: lte }] } }')[0],
    /between\[1\]: relay-2 and relay-1 already have a link \(between\[0\]\)/
  )
  assert.match(bad('{ relays: 2 }\ntimeline: [{ at: 1s, link: { node: relay-7, to: 3g } }]')[0], /timeline\[0\]\.link\.node: no node named "relay-7"/)
  // presets are checked before the run starts, wherever a node link names one
  assert.throws(
    () => {
      validateLinks(scenario('{ relays: 2, links: { default: 3gx, nodes: { relay-2: ltee }, between: [{ a: relay-1, b: relay-2, link: wfi }] } }'))
    },
    (error: unknown) => {
      assert.ok(error instanceof InvalidInputError)
      assert.deepEqual(
        error.problems.map((p) => `${p.path} ${p.hint ?? ''}`),
        ['network.links.default did you mean "3g"?', 'network.links.nodes.relay-2 did you mean "lte"?', 'network.links.between[0].link did you mean "wifi"?']
      )
      return true
    }
  )
})

/** The run's events, kept in memory. */
function eventLog(): EventSink & { events: CourierEvent[] } {
  const events: CourierEvent[] = []
  const t0 = performance.now()
  return {
    events,
    emit: (type, data) => {
      events.push({ t: performance.now() - t0, type, ...data } as CourierEvent)
    }
  }
}

const ECHO = '/courier/echo/1.0.0'

async function serveEcho(node: FleetMember): Promise<void> {
  await node.node?.handle(ECHO, (stream) => {
    stream.addEventListener('message', (e) => {
      stream.send(e.data)
    })
  })
}

/** Stream round trips on the libp2p connection `from` already has to `to`, each with the event-loop stall during it. */
async function libp2pRoundTrips(from: FleetMember, to: FleetMember, count: number): Promise<RoundTrips> {
  const connection = from.node?.getConnections().find((c) => c.remotePeer.toString() === to.peerId)
  assert.ok(connection != null, `${from.name} has no connection to ${to.name}`)
  const stream = await connection.newStream(ECHO)
  const trips: RoundTrips = { rttMs: [], lagMs: [] }
  let last = performance.now()
  let stall = 0
  const ticker = setInterval(() => {
    const now = performance.now()
    stall = Math.max(stall, now - last)
    last = now
  }, 2)
  try {
    for (let i = 0; i < count; i++) {
      const echoed = new Promise((resolve) => {
        stream.addEventListener('message', resolve, { once: true })
      })
      last = performance.now()
      stall = 0
      const sent = performance.now()
      stream.send(new TextEncoder().encode(`ping ${i}`))
      await echoed
      trips.rttMs.push(performance.now() - sent)
      trips.lagMs.push(stall)
    }
  } finally {
    clearInterval(ticker)
    await stream.close().catch(() => {})
  }
  return trips
}

/** Median round trip without the trips during which this process stalled (a busy shared machine), repeated up to three times. */
async function steadyRoundTrips(from: FleetMember, to: FleetMember, count = 12): Promise<number[]> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const kept = withoutLag(await libp2pRoundTrips(from, to, count))
    if (kept.dropped <= Math.floor(count / 4)) return kept.rttMs
  }
  assert.fail('the harness stalled during most trips, three times: too busy to judge the link')
}

async function until(condition: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms
  while (!condition()) {
    if (Date.now() > deadline) return false
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  return true
}

async function refuses(port: number): Promise<boolean> {
  return await new Promise<boolean>((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port })
    s.on('error', (e: NodeJS.ErrnoException) => {
      resolve(e.code === 'ECONNREFUSED')
    })
    s.on('connect', () => {
      s.destroy()
      resolve(false)
    })
  })
}

/** A fleet with node links as the runner wires it; `bypass` is the broken variant: links started, dials not rerouted. */
async function startFleet(
  loaded: LoadedScenario,
  options: { bypass?: boolean } = {}
): Promise<{ fleet: Fleet; links: NodeLinks; log: ReturnType<typeof eventLog>; errors: string[]; [Symbol.asyncDispose]: () => Promise<void> }> {
  const log = eventLog()
  const errors: string[] = []
  const onError = (component: string, error: unknown): void => {
    errors.push(`${component}: ${String(error)}`)
  }
  const t0 = performance.now()
  const links = new NodeLinks(loaded, log, onError)
  const fleet = new Fleet(loaded, {
    clock: { now: () => performance.now() - t0 },
    events: log,
    onError,
    dialPort: options.bypass === true ? undefined : links.dialPort
  })
  const dispose = async (): Promise<void> => {
    await fleet.stop()
    await links.close()
  }
  try {
    await fleet.start(AbortSignal.timeout(30_000), async () => {
      await links.start(fleet)
    })
    for (const node of fleet.nodes) await serveEcho(node)
  } catch (error) {
    await dispose()
    throw error
  }
  return { fleet, links, log, errors, [Symbol.asyncDispose]: dispose }
}

test('relay to relay through a node link: stream round trips take 2 x latency (+-5 ms + 10%); a fleet that bypasses its shapers fails that check', async (t) => {
  const loaded = scenario('{ relays: 2, stores: 0, links: { default: { latency: 40ms } } }')
  {
    await using env = await startFleet(loaded)
    const [r1, r2] = env.fleet.relays
    const check = checkRoundTrip(await steadyRoundTrips(r1, r2), 80)
    t.diagnostic(`shaped: ${check.detail}`)
    assert.ok(check.ok, check.detail)
    const pairs = env.log.events.flatMap((e) => (e.type === 'node.link' ? [`${e.a}>${e.b}`] : []))
    assert.deepEqual(pairs, ['relay-1>relay-2'])
    assert.ok(env.log.events.some((e) => e.type === 'link.connection' && e.owner === 'relay-1' && e.target === 'relay-2'))
    assert.deepEqual(env.errors, [])
  }
  {
    // broken variant: the same links configured and listening, but the nodes dial each other directly
    await using env = await startFleet(loaded, { bypass: true })
    const [r1, r2] = env.fleet.relays
    const broken = checkRoundTrip(await steadyRoundTrips(r1, r2), 80)
    t.diagnostic(`bypassed: ${broken.detail}`)
    assert.equal(broken.ok, false, broken.detail)
    assert.equal(env.links.shapers()[0].shaper.stats().connections.accepted, 0)
  }
})

test('node links hold through kill/restart, a partition and its heal, store sync and a mid-run change; teardown leaves no port open', async (t) => {
  const loaded = scenario(
    '{ relays: 2, stores: 2, storeSync: 1s, links: { default: { latency: 30ms } } }',
    'timeline: [{ at: 20s, link: { node: relay-2, to: { latency: 70ms } } }]'
  )
  let ports: number[] = []
  {
    await using env = await startFleet(loaded)
    const { fleet, links } = env
    const [r1, r2] = fleet.relays
    ports = links.shapers().map((s) => s.port)
    const shaped = links.shapers().map((s) => `${s.a}>${s.b}`)
    // topology edges (relays, stores to relays) and both store sync directions
    for (const pair of ['relay-1>relay-2', 'store-1>store-2', 'store-2>store-1']) assert.ok(shaped.includes(pair), `${pair} in ${shaped.join(', ')}`)
    assert.ok(shaped.filter((p) => p.startsWith('store-') && p.includes('>relay-')).length === 4, shaped.join(', '))

    // store sync dials the peer store's own address: it still goes through the shaper
    const sync = links.shapers().find((s) => s.a === 'store-1' && s.b === 'store-2')
    assert.ok(await until(() => (sync?.shaper.stats().connections.accepted ?? 0) > 0, 5000), 'store-1 synced with store-2 through its shaper')

    // kill and restart: relay-1 redials relay-2 (libp2p's keep-alive reconnect, from addresses it
    // learned through identify) and the new connection is shaped too
    const toR2 = links.shapers().find((s) => s.a === 'relay-1' && s.b === 'relay-2')
    const before = toR2?.shaper.stats().connections.accepted ?? 0
    const connected = (): boolean => r1.node?.getConnections().some((c) => c.remotePeer.toString() === r2.peerId) === true
    await r2.kill()
    // the close reaches relay-1 through the shaper, one latency later
    assert.ok(await until(() => !connected(), 5000), 'relay-1 saw relay-2 go')
    await r2.restart()
    await serveEcho(r2)
    assert.ok(await until(connected, 15_000), 'relay-1 reconnected to relay-2')
    assert.ok((toR2?.shaper.stats().connections.accepted ?? 0) > before)
    let check = checkRoundTrip(await steadyRoundTrips(r1, r2), 60)
    t.diagnostic(`after restart: ${check.detail}`)
    assert.ok(check.ok, `after restart: ${check.detail}`)

    // a partition: connections dropped and redials refused by peer id, through the shaper or not
    await fleet.partition({ groups: [['relay-1'], ['rest']] })
    await new Promise((resolve) => setTimeout(resolve, 1500))
    assert.equal(r1.node?.getConnections().filter((c) => c.remotePeer.toString() === r2.peerId).length, 0)
    await fleet.heal()
    assert.ok(await until(connected, 10_000), 'healed')
    check = checkRoundTrip(await steadyRoundTrips(r1, r2), 60)
    t.diagnostic(`after the heal: ${check.detail}`)
    assert.ok(check.ok, `after the heal: ${check.detail}`)

    // relay-2's access link becomes 70 ms: the worse of it and relay-1's 30 ms, on the open connection
    links.change('relay-2', { latency: 70, jitter: 0, loss: 0, bandwidth: 0 })
    check = checkRoundTrip(await steadyRoundTrips(r1, r2), 140)
    t.diagnostic(`after the change: ${check.detail}`)
    assert.ok(check.ok, `after the change: ${check.detail}`)
    const changed = env.log.events.filter((e) => e.type === 'node.link' && e.up.latencyMs === 70)
    assert.ok(changed.some((e) => e.type === 'node.link' && e.a === 'relay-1' && e.b === 'relay-2'))
    assert.deepEqual(
      env.errors.filter((e) => e.startsWith('links')),
      []
    )
  }
  assert.ok(ports.length >= 7)
  for (const port of ports) assert.ok(await refuses(port), `port ${port} still open after teardown`)
})

test("a node's access link is one bottleneck for all its connections; between links each have their own", async (t) => {
  const probes: ProbeServer[] = []
  try {
    for (let i = 0; i < 3; i++) probes.push(await startProbeServer())
    // the runner hands NodeLinks the fleet; here probe servers stand in for the nodes' listeners
    const stand = (names: string[]): Fleet => {
      const nodes = names.map((name, i) => ({ name, port: probes[i].port }))
      return {
        nodes,
        dialPairs: () => [
          [nodes[0], nodes[2]],
          [nodes[1], nodes[2]]
        ]
      } as unknown as Fleet
    }
    const timeBoth = async (network: string, measure: typeof measureDownload): Promise<number> => {
      const links = new NodeLinks(scenario(network), { emit: () => {} }, () => {})
      try {
        await links.start(stand(['relay-1', 'relay-2', 'store-1']))
        const started = performance.now()
        await Promise.all(links.shapers().map(async (s) => await measure({ port: s.port, bytes: 125_000 })))
        return (performance.now() - started) / 1000
      } finally {
        await links.close()
      }
    }
    const access = '{ relays: 2, stores: 1, links: { nodes: { store-1: { bandwidth: 4mbit } } } }'
    const between =
      '{ relays: 2, stores: 1, links: { between: [{ a: relay-1, b: store-1, link: { bandwidth: 4mbit } }, { a: relay-2, b: store-1, link: { bandwidth: 4mbit } }] } }'
    // 250 kB at 4 Mbit/s is 0.5 s through store-1's uplink (downloads) or downlink (uploads); 0.25 s through two links
    const sharedDown = await timeBoth(access, measureDownload)
    const sharedUp = await timeBoth(access, measureUpload)
    const separate = await timeBoth(between, measureDownload)
    t.diagnostic(
      `250 kB at 4 Mbit/s: shared downlink ${sharedDown.toFixed(3)} s, shared uplink ${sharedUp.toFixed(3)} s, two between links ${separate.toFixed(3)} s`
    )
    assert.ok(sharedDown > 0.45 && sharedDown < 0.7, `downloads from store-1: ${sharedDown.toFixed(3)} s`)
    assert.ok(sharedUp > 0.45 && sharedUp < 0.7, `uploads to store-1: ${sharedUp.toFixed(3)} s`)
    assert.ok(separate > 0.2 && separate < sharedDown * 0.75, `between links: ${separate.toFixed(3)} s vs shared ${sharedDown.toFixed(3)} s`)
  } finally {
    for (const p of probes) await p.close()
  }
})

test("a phone's radio is not charged for a node link's second leg: the shaper's own socket is known from link.connection", async () => {
  const dir = await mkdtemp(join(tmpdir(), 'courier-node-links-'))
  try {
    const file = join(dir, 'capture.pcap')
    const writer = await PcapFileWriter.open(file, { linkType: LinkType.ethernet })
    const packet = async (src: string, srcPort: number, dst: string, dstPort: number, bytes: number, us: number): Promise<void> => {
      await writer.write(buildFrame({ linkType: LinkType.ethernet, src, dst, protocol: 'tcp', srcPort, dstPort, payload: bytes }), us)
    }
    // relay-2 -> shaper 5000 -> relay-1 4000 (its own leg from 6000); a phone at 10.0.0.5 -> relay-1
    await packet('127.0.0.1', 7000, '127.0.0.1', 5000, 100, 1_000_000)
    await packet('127.0.0.1', 6000, '127.0.0.1', 4000, 100, 1_030_000)
    await packet('10.0.0.5', 40000, '127.0.0.1', 4000, 300, 2_000_000)
    await writer.close()
    const events = [
      { t: 0, type: 'device.up', device: 'phone', driver: 'appium' },
      { t: 0, type: 'node.up', node: 'relay-1', role: 'relay', peerId: 'p1', addrs: ['/ip4/127.0.0.1/tcp/4000'] },
      { t: 0, type: 'node.up', node: 'relay-2', role: 'relay', peerId: 'p2', addrs: ['/ip4/127.0.0.1/tcp/4001'] },
      { t: 1, type: 'node.link', a: 'relay-2', b: 'relay-1', port: 5000, up: PERFECT, down: PERFECT },
      {
        t: 2,
        type: 'conn.open',
        owner: 'relay-2',
        remote: '/ip4/127.0.0.1/tcp/5000',
        localAddr: '127.0.0.1:7000',
        remoteAddr: '127.0.0.1:5000',
        connId: 'relay-2#1'
      },
      {
        t: 2,
        type: 'conn.open',
        owner: 'relay-1',
        remote: '/ip4/127.0.0.1/tcp/6000',
        localAddr: '127.0.0.1:4000',
        remoteAddr: '127.0.0.1:6000',
        connId: 'relay-1#2'
      },
      { t: 2, type: 'link.connection', owner: 'relay-2', target: 'relay-1', dialer: '127.0.0.1:7000', upstream: '127.0.0.1:6000' }
    ] as CourierEvent[]
    const phoneBytes = async (log: CourierEvent[]): Promise<number[]> => (await deviceRadioTimelines(log, file)).get('phone')?.packets.map((p) => p.bytes) ?? []
    const frame = (payload: number): number => 14 + 20 + 20 + payload
    assert.deepEqual(await phoneBytes(events), [frame(300)])
    // broken variant: without the event, the shaper's leg looks like the phone's own connection
    assert.deepEqual(await phoneBytes(events.filter((e) => e.type !== 'link.connection')), [frame(100), frame(300)])
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})

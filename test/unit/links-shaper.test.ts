// The userspace shaper measured from outside, through real sockets on 127.0.0.1: a probe server
// behind a shaped link, and the figures a connection sees checked against the profile. Each check
// is also shown failing on figures from a wrongly configured link.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import net from 'node:net'
import {
  checkJitter, checkLossRate, checkRoundTrip, checkSequence, checkThroughput, classifyLossDelays, echoSequence,
  measureDownload, measureRoundTrips, measureUpload, startProbeServer, startShapedLink, streamRandom,
  type LinkProfile, type ProbeServer, type ShapedLink
} from '../../harness/links/index.js'

const profile = (p: Partial<LinkProfile>): LinkProfile => ({ latencyMs: 0, jitterMs: 0, lossRate: 0, bandwidthBps: 0, ...p })
const PERFECT = profile({})

async function setup (up: LinkProfile, down: LinkProfile, extra: { seed?: number, minRtoMs?: number, signal?: AbortSignal } = {}): Promise<{ probe: ProbeServer, link: ShapedLink, [Symbol.asyncDispose]: () => Promise<void> }> {
  const probe = await startProbeServer()
  const link = await startShapedLink({ target: { host: probe.host, port: probe.port }, up, down, ...extra })
  return { probe, link, [Symbol.asyncDispose]: async () => { await link.close(); await probe.close() } }
}

async function until (condition: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms
  while (!condition()) {
    if (Date.now() > deadline) return false
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
  return true
}

function tcpHandles (): number {
  return process.getActiveResourcesInfo().filter((r) => r.startsWith('TCP')).length
}

/** A raw client of the probe server's echo mode, recording what comes back and how it ended. */
async function echoClient (port: number): Promise<{ socket: net.Socket, received: () => string, closed: () => boolean, error: () => string | undefined }> {
  const socket = net.connect({ host: '127.0.0.1', port })
  let text = ''
  let closed = false
  let error: string | undefined
  socket.on('data', (d: Buffer) => { text += d.toString() })
  socket.on('error', (e: NodeJS.ErrnoException) => { error = e.code })
  socket.on('close', () => { closed = true })
  await new Promise<void>((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject) })
  socket.write('E')
  return { socket, received: () => text, closed: () => closed, error: () => error }
}

test('latency: small messages take 2 x latency per round trip (+-5 ms + 10%); a perfect link fails that check', async () => {
  await using env = await setup(profile({ latencyMs: 25 }), profile({ latencyMs: 25 }))
  const samples = await measureRoundTrips({ port: env.link.port, count: 20 })
  const check = checkRoundTrip(samples, 50)
  assert.ok(check.ok, check.detail)
  // Asymmetric latency adds up the same way.
  env.link.update(profile({ latencyMs: 40 }), profile({ latencyMs: 5 }))
  const asym = checkRoundTrip(await measureRoundTrips({ port: env.link.port, count: 10 }), 45)
  assert.ok(asym.ok, asym.detail)
  // Broken variant: the same measurement through a link configured with no latency.
  env.link.update(PERFECT, PERFECT)
  const broken = checkRoundTrip(await measureRoundTrips({ port: env.link.port, count: 10 }), 50)
  assert.equal(broken.ok, false, broken.detail)
})

test('jitter: round trips spread as uniform +-jitter predicts; a link without jitter fails that check', async () => {
  await using env = await setup(profile({ latencyMs: 20, jitterMs: 10 }), profile({ latencyMs: 0 }))
  const samples = await measureRoundTrips({ port: env.link.port, count: 60 })
  const spread = checkJitter(samples, 10, 0)
  assert.ok(spread.ok, spread.detail)
  const centre = checkRoundTrip(samples, 20)
  assert.ok(centre.ok, centre.detail)
  assert.ok(Math.max(...samples) - Math.min(...samples) > 12, 'most of the +-10 ms range shows up')
  env.link.update(profile({ latencyMs: 20 }), PERFECT)
  const broken = checkJitter(await measureRoundTrips({ port: env.link.port, count: 20 }), 10, 0)
  assert.equal(broken.ok, false, broken.detail)
})

test('jitter never reorders: 3000 numbered words in separate writes come back intact and in order; the check catches a swap and a loss', async () => {
  await using env = await setup(profile({ latencyMs: 20, jitterMs: 20 }), profile({ latencyMs: 20, jitterMs: 20 }))
  const received = await echoSequence({ port: env.link.port, count: 3000 })
  const check = checkSequence(received, 3000)
  assert.ok(check.ok, check.detail)
  // Many separate pieces crossed the link, so jitter had the chance to reorder them.
  assert.ok(env.link.stats().up.pieces > 500, `pieces: ${env.link.stats().up.pieces}`)
  // Broken variants of the stream: two words swapped, and one word missing.
  const swapped = Buffer.from(received)
  received.copy(swapped, 400, 404, 408)
  received.copy(swapped, 404, 400, 404)
  assert.equal(checkSequence(swapped, 3000).ok, false)
  assert.equal(checkSequence(received.subarray(4), 3000).ok, false)
})

test('bandwidth: bulk transfers run at the configured rate per direction (+-10%); an unlimited link fails that check', async () => {
  await using env = await setup(profile({ bandwidthBps: 2_000_000 }), profile({ bandwidthBps: 4_000_000 }))
  const up = checkThroughput(await measureUpload({ port: env.link.port, bytes: 250_000 }), 2_000_000)
  assert.ok(up.ok, up.detail)
  const down = checkThroughput(await measureDownload({ port: env.link.port, bytes: 500_000 }), 4_000_000)
  assert.ok(down.ok, down.detail)
  // The sender outran the link, so pieces queued for the bottleneck.
  assert.ok(env.link.stats().down.queueingMs.max > 500, `queueing ${env.link.stats().down.queueingMs.max} ms`)
  env.link.update(PERFECT, PERFECT)
  const broken = checkThroughput(await measureDownload({ port: env.link.port, bytes: 500_000 }), 4_000_000)
  assert.equal(broken.ok, false, broken.detail)
})

test('bandwidth is one bottleneck per link: two concurrent uploads share the rate', async () => {
  await using env = await setup(profile({ bandwidthBps: 2_000_000 }), PERFECT)
  const started = performance.now()
  const [a, b] = await Promise.all([
    measureUpload({ port: env.link.port, bytes: 125_000 }),
    measureUpload({ port: env.link.port, bytes: 125_000 })
  ])
  const seconds = (performance.now() - started) / 1000
  // 250 kB at 2 Mbit/s is 1 s; each connection alone would have finished in 0.5 s.
  assert.ok(seconds > 0.9 && seconds < 1.25, `both took ${seconds.toFixed(3)} s`)
  assert.equal(a.bytes + b.bytes, 250_000)
})

test('loss: about lossRate of round trips pay one RTO (>= 200 ms) exactly where the seeded decisions say; broken variants fail the check', async () => {
  const seed = 1 // the default; 13 of its first 60 decisions at p = 0.2 are losses
  const lossRate = 0.2
  await using env = await setup(profile({ latencyMs: 2, lossRate }), profile({ latencyMs: 2 }), { seed })
  const rto = env.link.stats().rtoMs
  assert.equal(rto, 200)
  const samples = await measureRoundTrips({ port: env.link.port, count: 60 })
  const classes = classifyLossDelays(samples, 4, rto)
  const check = checkLossRate(classes, lossRate)
  assert.ok(check.ok, check.detail)
  for (const s of samples) if (s >= 100) assert.ok(s >= 4 + rto - 2, `a delayed trip cost ${s} ms, less than an RTO`)
  // Every delayed trip is a loss event the link counted, and vice versa.
  assert.equal(env.link.stats().up.lossEvents, classes.delayed)
  // The seed decides which ones: connection 0's up stream, one draw per single-segment message.
  const random = streamRandom(seed, 0, 'up')
  const predicted = samples.map(() => random() < lossRate)
  assert.deepEqual(samples.map((s) => s >= 100), predicted)
  // Broken variant 1: a lossless link measured against the loss rate.
  env.link.update(profile({ latencyMs: 2 }), profile({ latencyMs: 2 }))
  const lossless = checkLossRate(classifyLossDelays(await measureRoundTrips({ port: env.link.port, count: 60 }), 4, rto), lossRate)
  assert.equal(lossless.ok, false, lossless.detail)
})

test('loss: a shaper that charges less than an RTO per loss fails the check', async () => {
  // Broken variant 2: losses costing 50 ms, judged against the 200 ms TCP would pay.
  await using env = await setup(profile({ latencyMs: 2, lossRate: 0.3 }), profile({ latencyMs: 2 }), { minRtoMs: 50 })
  const samples = await measureRoundTrips({ port: env.link.port, count: 30 })
  const cheap = checkLossRate(classifyLossDelays(samples, 4, 200), 0.3)
  assert.equal(cheap.ok, false, cheap.detail)
})

test('update() changes the profile of a connection that is already open', async () => {
  await using env = await setup(profile({ latencyMs: 10 }), profile({ latencyMs: 10 }))
  const client = await echoClient(env.link.port)
  const rtt = async (): Promise<number> => {
    const before = client.received().length
    const started = performance.now()
    client.socket.write('x')
    assert.ok(await until(() => client.received().length > before, 2000))
    return performance.now() - started
  }
  const slow: number[] = []
  const fast: number[] = []
  for (let i = 0; i < 5; i++) fast.push(await rtt())
  env.link.update(profile({ latencyMs: 60 }), profile({ latencyMs: 60 }))
  for (let i = 0; i < 5; i++) slow.push(await rtt())
  assert.ok(checkRoundTrip(fast, 20).ok, `before: ${fast.join(', ')}`)
  assert.ok(checkRoundTrip(slow, 120).ok, `after: ${slow.join(', ')}`)
  assert.equal(env.link.stats().connections.accepted, 1, 'the same connection throughout')
  client.socket.destroy()
})

test('setBlocked(true) resets open connections and black-holes new ones until unblocked; then they flow', async () => {
  await using env = await setup(profile({ latencyMs: 5 }), profile({ latencyMs: 5 }))
  const a = await echoClient(env.link.port)
  a.socket.write('ping')
  assert.ok(await until(() => a.received() === 'ping', 1000))
  env.link.setBlocked(true)
  assert.ok(await until(() => a.closed(), 500), 'the live connection was cut')
  assert.equal(a.error(), 'ECONNRESET')
  assert.ok(await until(() => env.probe.openConnections() === 0, 500), 'the target side was cut too')
  // A new connection during the partition: accepted by the kernel, but nothing flows and the target is not dialled.
  const b = await echoClient(env.link.port)
  b.socket.write('hello')
  await new Promise((resolve) => setTimeout(resolve, 300))
  assert.equal(b.received(), '')
  assert.equal(env.probe.openConnections(), 0)
  assert.equal(env.link.stats().connections.held, 1)
  env.link.setBlocked(false)
  assert.ok(await until(() => b.received() === 'hello', 1000), `after heal: "${b.received()}"`)
  const c = await echoClient(env.link.port)
  c.socket.write('again')
  assert.ok(await until(() => c.received() === 'again', 1000))
  b.socket.destroy()
  c.socket.destroy()
})

test('setBlocked with incoming: reset refuses new connections; with existing: stall holds bytes and delivers them after the heal', async () => {
  await using env = await setup(profile({ latencyMs: 5 }), profile({ latencyMs: 5 }))
  const open = await echoClient(env.link.port)
  env.link.setBlocked(true, { existing: 'stall', incoming: 'reset' })
  const refused = net.connect({ host: '127.0.0.1', port: env.link.port })
  const outcome = await new Promise<string>((resolve) => {
    refused.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'))
    refused.on('close', () => resolve('closed'))
    refused.on('data', () => resolve('data'))
  })
  assert.ok(outcome === 'ECONNRESET' || outcome === 'closed', outcome)
  assert.equal(env.link.stats().connections.rejected, 1)
  open.socket.write('held')
  await new Promise((resolve) => setTimeout(resolve, 300))
  assert.equal(open.received(), '')
  assert.equal(open.closed(), false, 'a stalled connection stays open')
  env.link.setBlocked(false)
  assert.ok(await until(() => open.received() === 'held', 1000))
  open.socket.destroy()
})

test('close() leaves no listener and no socket: clients see the close, the target loses its connections, the port refuses', async () => {
  const baseline = tcpHandles()
  const probe = await startProbeServer()
  const link = await startShapedLink({ target: { host: probe.host, port: probe.port }, up: profile({ latencyMs: 50 }), down: PERFECT })
  const clients = await Promise.all([1, 2, 3].map(async () => await echoClient(link.port)))
  for (const c of clients) c.socket.write('in flight') // still queued in the shaper when it closes
  assert.ok(await until(() => probe.openConnections() === 3, 1000))
  await link.close()
  await link.close() // idempotent
  assert.ok(await until(() => clients.every((c) => c.closed()), 1000), 'every client was closed')
  assert.ok(await until(() => probe.openConnections() === 0, 1000), 'every target-side socket was closed')
  const refused = await new Promise<string>((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port: link.port })
    s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'))
    s.on('connect', () => { s.destroy(); resolve('connected') })
  })
  assert.equal(refused, 'ECONNREFUSED')
  await probe.close()
  assert.ok(await until(() => tcpHandles() <= baseline, 1000), `TCP handles: ${tcpHandles()} vs ${baseline} before`)
})

test('aborting the signal closes the link like close(); an aborted signal refuses to start', async () => {
  const probe = await startProbeServer()
  const controller = new AbortController()
  const link = await startShapedLink({ target: { host: probe.host, port: probe.port }, up: PERFECT, down: PERFECT, signal: controller.signal })
  const client = await echoClient(link.port)
  controller.abort()
  assert.ok(await until(() => client.closed(), 1000))
  const refused = await new Promise<string>((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port: link.port })
    s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'))
    s.on('connect', () => { s.destroy(); resolve('connected') })
  })
  assert.equal(refused, 'ECONNREFUSED')
  await assert.rejects(startShapedLink({ target: { host: probe.host, port: probe.port }, up: PERFECT, down: PERFECT, signal: controller.signal }), { name: 'AbortError' })
  await probe.close()
})

test('one link carries many concurrent connections, each with the configured latency; a dead target resets the dialer', async () => {
  await using env = await setup(profile({ latencyMs: 15 }), profile({ latencyMs: 15 }))
  const all = await Promise.all(Array.from({ length: 12 }, async () => await measureRoundTrips({ port: env.link.port, count: 5 })))
  for (const samples of all) {
    const check = checkRoundTrip(samples, 30)
    assert.ok(check.ok, check.detail)
  }
  assert.equal(env.link.stats().connections.accepted, 12)
  // A target that is gone: the dialer sees its connection reset rather than hanging.
  const dead = await startShapedLink({ target: { host: '127.0.0.1', port: await closedPort() }, up: PERFECT, down: PERFECT })
  const client = await echoClient(dead.port)
  assert.ok(await until(() => client.closed(), 1000))
  assert.equal(dead.stats().connections.targetFailed, 1)
  await dead.close()
})

test('bad options are refused before anything listens', async () => {
  await assert.rejects(startShapedLink({ target: { host: '127.0.0.1', port: 1 }, up: profile({ lossRate: 2 }), down: PERFECT }), /up: lossRate/)
  await assert.rejects(startShapedLink({ target: { host: '127.0.0.1', port: 0 }, up: PERFECT, down: PERFECT }), /target.port/)
})

async function closedPort (): Promise<number> {
  const server = net.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as net.AddressInfo).port
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

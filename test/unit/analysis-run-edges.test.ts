import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { CourierEvent } from '../../harness/interface/index.js'
import { analyzeRun, RunFold, type CapturedConversations } from '../../harness/analysis/index.js'
import { online, received, rendered, sent, subscribe } from '../helpers/message-events.js'
import { aliceRelayCapture, aliceRelayClose, aliceRelayOpen } from '../helpers/alice-relay.js'

// What the whole run's analysis carries beside the folds' figures (found by mutation testing).

test("a run's errors list every harness error and device failure, in log order, with when, where and what", () => {
  const analysis = analyzeRun(
    [
      { t: 0, type: 'scenario.start' },
      { t: 1200, type: 'harness.error', component: 'capture', error: 'tcpdump exited with code 1' },
      { t: 3400, type: 'device.failed', device: 'alice', error: 'session gone' },
      { t: 5000, type: 'scenario.end' }
    ],
    { lagLimitMs: 200 }
  )
  assert.deepEqual(analysis.errors, [
    { t: 1200, component: 'capture', error: 'tcpdump exited with code 1' },
    { t: 3400, component: 'alice', error: 'session gone' }
  ])
})

test('timeline.dropped adds up the counts of every drop event', () => {
  const analysis = analyzeRun(
    [
      { t: 0, type: 'scenario.start' },
      { t: 900, type: 'timeline.dropped', index: 2, action: 'send', count: 3, reason: 'traffic phase over' },
      { t: 950, type: 'timeline.dropped', index: 3, action: 'send', count: 4, reason: 'traffic phase over' },
      { t: 1000, type: 'scenario.end' }
    ],
    { lagLimitMs: 200 }
  )
  assert.deepEqual(analysis.metrics['timeline.dropped'], { value: 7, unit: 'count' })
})

// alice subscribes, two messages reach her (100 ms and 250 ms) and are shown 40 ms and 60 ms later
const delivered: CourierEvent[] = [
  { t: 0, type: 'scenario.start' },
  { t: 0, type: 'device.up', device: 'alice', driver: 'simulated' },
  subscribe('alice'),
  online(0, 'alice'),
  sent(1000, 'm1', { node: 'crowd-1' }),
  received(1100, 'alice', 'm1'),
  rendered(1140, 'alice', 'm1'),
  sent(2000, 'm2', { node: 'crowd-1' }),
  received(2250, 'alice', 'm2'),
  rendered(2310, 'alice', 'm2'),
  { t: 3000, type: 'scenario.end' }
]

test("a run fold's latency samples are its deliveries' latencies, and its message hashes the ones it saw", () => {
  const fold = new RunFold()
  for (const event of delivered) fold.add(event)
  const samples = fold.latencySamples()
  assert.deepEqual(samples.overall, [100, 250])
  assert.deepEqual(samples.devices, { alice: [100, 250] })
  assert.deepEqual(samples.render, [140, 310])
  assert.deepEqual(samples.renderDevices, { alice: [140, 310] })
  assert.equal(fold.messageHashes.has('h-m1'), true)
  assert.equal(fold.messageHashes.has('h-m2'), true)
  assert.equal(fold.messageHashes.has('h-m3'), false)
})

test("history.differences counts every account's differences", () => {
  const events: CourierEvent[] = [
    sent(1000, 'm1', { node: 'crowd-1' }),
    sent(1000, 'm2', { node: 'crowd-1' }),
    sent(1000, 'm3', { node: 'crowd-1' }),
    rendered(1100, 'phone', 'm1'),
    rendered(1100, 'phone', 'm2'),
    rendered(1100, 'tablet', 'm3')
  ]
  const accounts = { phone: 'alice', desktop: 'alice', tablet: 'bob', laptop: 'bob' }
  const analysis = analyzeRun(events, { lagLimitMs: 200, accounts })
  assert.deepEqual(analysis.metrics['history.differences'], { value: 3, unit: 'count' }, "alice's desktop lacks two, bob's laptop one")
  assert.deepEqual(analysis.metrics['history.consistent'], { value: false, unit: 'boolean' })
})

test('a capture gives the cross-check mismatches and the packets tcpdump dropped as metrics; no capture gives neither', () => {
  const events: CourierEvent[] = [
    { t: 0, type: 'capture.start', backend: 'tcpdump', file: 'capture.pcap' },
    { t: 0, type: 'device.up', device: 'alice', driver: 'simulated' },
    ...aliceRelayOpen(1),
    { t: 1000, type: 'scenario.start' },
    { t: 2000, type: 'scenario.end' },
    ...aliceRelayClose(2100)
  ]
  // each side's sent bytes are checked against the capture's payload in that direction
  const capture = (aliceUp: number, aliceDown: number, resetBy?: 'a' | 'b'): CapturedConversations =>
    aliceRelayCapture(aliceUp, aliceDown, { dropped: 6, resetBy })
  const matching = analyzeRun(events, { lagLimitMs: 200, capture: capture(600, 1600) }).metrics
  assert.deepEqual(matching['capture.check.mismatches'], { value: 0, unit: 'count' })
  assert.deepEqual(matching['capture.dropped'], { value: 6, unit: 'count' })
  const short = analyzeRun(events, { lagLimitMs: 200, capture: capture(590, 1500) }).metrics
  assert.deepEqual(
    short['capture.check.mismatches'],
    { value: 2, unit: 'count' },
    'alice sent 600 and relay-1 1600 by their sockets, not the 590 and 1500 captured'
  )
  const reset = analyzeRun(events, { lagLimitMs: 200, capture: capture(590, 1500, 'b') }).metrics
  assert.deepEqual(reset['capture.check.mismatches'], { value: 0, unit: 'count' }, 'a reset discarded what the sockets still held: unsent, not mismatched')
  const none = analyzeRun(events, { lagLimitMs: 200 }).metrics
  assert.equal(none['capture.check.mismatches'], undefined)
  assert.equal(none['capture.dropped'], undefined)
})

// A section's fold with a bug, put in place of the real one: the guard exists for courier's own bugs,
// so the only way to exercise it is to plant one.
type Section = { fold: { add(event: CourierEvent): void; finish(options?: unknown): unknown }; error?: unknown }
const plant = (fold: RunFold, section: 'bytes' | 'flows' | 'peers' | 'links' | 'censorship' | 'matrix', planted: Section['fold']): void => {
  ;(fold as unknown as Record<string, Section>)[section] = { fold: planted }
}

test("a section whose fold throws while adding is left out with the first error's message; it sees no more events, and the rest of the run keeps its figures", () => {
  const fold = new RunFold()
  let calls = 0
  let finished = false
  plant(fold, 'flows', {
    add() {
      calls++
      throw new Error(`flows bug #${calls}`)
    },
    finish() {
      finished = true
      return [{ name: 'planted' }]
    }
  })
  for (const event of delivered) fold.add(event)
  const analysis = fold.finish({ lagLimitMs: 200 })
  assert.equal(calls, 1, 'the failed section is not fed again')
  assert.equal(finished, false, 'nor finished')
  assert.deepEqual(analysis.failedSections, ['flows: analysis failed (flows bug #1); its figures are left out'])
  assert.deepEqual(analysis.flows, [])
  assert.deepEqual(analysis.metrics['flows.run'], { value: null, unit: 'count' }, 'unknown, not 0')
  assert.deepEqual(analysis.metrics['flows.failed'], { value: null, unit: 'count' })
  assert.deepEqual(analysis.metrics['delivery.latency.max'], { value: 250, unit: 'ms' })
})

test('a section whose fold throws while finishing is left out by name; a run without byte figures still has the rest', () => {
  const fold = new RunFold()
  plant(fold, 'bytes', {
    add() {},
    finish() {
      throw new Error('bytes bug')
    }
  })
  for (const event of delivered) fold.add(event)
  const analysis = fold.finish({ lagLimitMs: 200 })
  assert.deepEqual(analysis.failedSections, ['bytes: analysis failed (bytes bug); its figures are left out'])
  assert.equal(analysis.bytes, undefined)
  assert.equal(Object.keys(analysis.metrics).filter((name) => name.startsWith('bytes.') || name.startsWith('capture.')).length, 0)
  assert.deepEqual(analysis.metrics['delivery.delivered'], { value: 2, unit: 'count' })
})

test('partition metrics: cross losses add up over partitions, and the slowest heal-to-delivery is the max of those that have one', () => {
  const events: CourierEvent[] = [
    subscribe('alice'),
    subscribe('bob'),
    // first split: a1 arrives 300 ms after the heal, a2 never does
    { t: 1000, type: 'partition.start', groups: [['alice'], ['bob']] },
    sent(1500, 'a1', { device: 'alice' }),
    sent(1600, 'a2', { device: 'alice' }),
    { t: 2000, type: 'partition.heal' },
    received(2300, 'bob', 'a1'),
    // second split: everything arrives, the last 900 ms after the heal
    { t: 4000, type: 'partition.start', groups: [['alice'], ['bob']] },
    sent(4500, 'a3', { device: 'alice' }),
    sent(4600, 'b1', { device: 'bob' }),
    { t: 5000, type: 'partition.heal' },
    received(5200, 'bob', 'a3'),
    received(5900, 'alice', 'b1'),
    // third split: everything arrives, 400 ms after the heal
    { t: 7000, type: 'partition.start', groups: [['alice'], ['bob']] },
    sent(7500, 'a4', { device: 'alice' }),
    { t: 8000, type: 'partition.heal' },
    received(8400, 'bob', 'a4'),
    { t: 9000, type: 'scenario.end' }
  ]
  const { metrics, reliability } = analyzeRun(events, { lagLimitMs: 200 })
  assert.deepEqual(
    reliability.partitions.map((p) => [p.cross.lost, p.healToFullDeliveryMs]),
    [
      [1, null],
      [0, 900],
      [0, 400]
    ]
  )
  assert.deepEqual(metrics['partition.crossLost'], { value: 1, unit: 'count' })
  assert.deepEqual(metrics['partition.healToDelivery.max'], { value: 900, unit: 'ms' })
  const unhealed = analyzeRun(events.slice(0, 6), { lagLimitMs: 200 }).metrics
  assert.deepEqual(unhealed['partition.healToDelivery.max'], { value: null, unit: 'ms' }, 'no heal time at all: no figure')
})

test('history.checkpoints.inconsistent counts the checkpoints whose devices disagreed', () => {
  const checkpoint = (t: number, index: number): CourierEvent => ({ t, type: 'timeline.action', index, action: 'checkpoint', detail: {} })
  const events: CourierEvent[] = [
    sent(1000, 'm1', { node: 'crowd-1' }),
    rendered(1100, 'phone', 'm1'),
    rendered(1100, 'desktop', 'm1'),
    checkpoint(5000, 1), // both show m1
    sent(6000, 'm2', { node: 'crowd-1' }),
    rendered(6100, 'phone', 'm2'),
    checkpoint(10_000, 2), // the desktop lacks m2
    checkpoint(12_000, 3) // still
  ]
  const analysis = analyzeRun(events, { lagLimitMs: 200, accounts: { phone: 'alice', desktop: 'alice' } })
  assert.deepEqual(
    analysis.reliability.history.checkpoints.map((c) => c.consistent),
    [true, false, false]
  )
  assert.deepEqual(analysis.metrics['history.checkpoints.inconsistent'], { value: 2, unit: 'count' })
})

const lag = (t: number, process: string, p99: number, extra: { max?: number; cpu?: number; rssMb?: number } = {}): CourierEvent => ({
  t,
  type: 'harness.lag',
  process,
  p50: p99,
  p99,
  max: extra.max ?? p99,
  cpu: extra.cpu ?? 10,
  rssMb: extra.rssMb ?? 100
})

test("harness health: samples from the scenario's second second up to one second after its end count, the others do not", () => {
  const analysis = analyzeRun(
    [
      { t: 1000, type: 'scenario.start' },
      lag(1999, 'courier', 900), // start-up: left out
      lag(2000, 'courier', 10),
      lag(5000, 'courier', 20, { max: 70, cpu: 55, rssMb: 300 }),
      { t: 6000, type: 'scenario.end' },
      lag(7000, 'courier', 30), // the second before it was still the run's
      lag(7001, 'courier', 800) // teardown: left out
    ],
    { lagLimitMs: 25 }
  )
  assert.equal(analysis.harness.samples, 3)
  assert.equal(analysis.harness.lagMaxMs, 70)
  assert.equal(analysis.harness.cpuMaxPercent, 55)
  assert.equal(analysis.harness.rssMaxMb, 300)
  // p99 of 10, 20, 30 by linear interpolation: 20 + 0.98 * 10
  assert.equal(analysis.harness.lagP99Ms, 29.8)
  assert.equal(analysis.harness.saturated, true, '29.8 ms against a 25 ms limit')
})

test('harness health without a sample in the traffic phase has no figures and is not saturated', () => {
  const analysis = analyzeRun([{ t: 0, type: 'scenario.start' }, lag(500, 'courier', 900), { t: 3000, type: 'scenario.end' }], { lagLimitMs: 25 })
  assert.deepEqual(analysis.harness, { lagP99Ms: null, lagMaxMs: null, cpuMaxPercent: null, rssMaxMb: null, lagLimitMs: 25, saturated: false, samples: 0 })
})

test('harness health over several processes: the worst p99 is named (the first seen of two equal ones); maxima are over all', () => {
  const analysis = analyzeRun(
    [
      { t: 0, type: 'scenario.start' },
      lag(1000, 'worker-1', 40, { max: 45, cpu: 20, rssMb: 150 }),
      lag(1000, 'courier', 40, { max: 90, cpu: 70, rssMb: 120 }),
      lag(1000, 'worker-2', 10, { max: 15, cpu: 95, rssMb: 400 }),
      { t: 3000, type: 'scenario.end' }
    ],
    { lagLimitMs: 50 }
  )
  assert.equal(analysis.harness.process, 'worker-1')
  assert.equal(analysis.harness.lagP99Ms, 40)
  assert.deepEqual([analysis.harness.lagMaxMs, analysis.harness.cpuMaxPercent, analysis.harness.rssMaxMb], [90, 95, 400])
  assert.equal(analysis.harness.saturated, false)
  assert.deepEqual(Object.keys(analysis.harness.processes ?? {}), ['worker-1', 'courier', 'worker-2'])
})

test('store queries: an answer is timed from its own query; 2xx without an error counts as answered, anything else as not', () => {
  const query = (t: number, requestId: string): CourierEvent => ({ t, type: 'store.query', device: 'alice', store: 'store-1', requestId, topic: 'lobby' })
  const response = (t: number, requestId: string, status: number, error?: string): CourierEvent => ({
    t,
    type: 'store.response',
    device: 'alice',
    store: 'store-1',
    requestId,
    status,
    messages: 0,
    bytes: 0,
    pages: 1,
    ...(error == null ? {} : { error })
  })
  const analysis = analyzeRun(
    [
      query(1000, 'ok'),
      response(1100, 'ok', 200),
      query(2000, 'partial'),
      response(2300, 'partial', 206),
      query(3000, 'moved'),
      response(3050, 'moved', 300),
      query(4000, 'early'),
      response(4010, 'early', 199),
      query(5000, 'down'),
      response(5020, 'down', 503),
      query(6000, 'odd'),
      response(6040, 'odd', 200, 'page 2 lost'),
      response(7000, 'never-asked', 200)
    ],
    { lagLimitMs: 200 }
  )
  const store = analysis.store.byStore['store-1']
  assert.equal(store?.answered, 2, '200 and 206, asked and without an error')
  assert.deepEqual([store?.latency?.p50, store?.latency?.max], [200, 300])
  // the run's store latency times every 200 that had a query: 100 ms and 40 ms
  assert.deepEqual([analysis.store.latency.count, analysis.store.latency.max], [2, 100])
  assert.deepEqual([analysis.store.queries, analysis.store.failed], [7, 4])
})

test('links: the first backend, each shaped device once, and each node pair with its last figures; nothing shaped is no links section', () => {
  const figures = (latencyMs: number): { latencyMs: number; jitterMs: number; lossRate: number; bandwidthBps: number } => ({
    latencyMs,
    jitterMs: 0,
    lossRate: 0,
    bandwidthBps: 1_000_000
  })
  const backend = (available: boolean): CourierEvent => ({
    t: 0,
    type: 'link.backend',
    backend: 'userspace',
    netem: { available, reason: available ? 'ok' : 'no netem' }
  })
  const analysis = analyzeRun(
    [
      backend(false),
      { t: 1, type: 'device.up', device: 'alice', driver: 'simulated' },
      backend(true),
      { t: 10, type: 'link.change', device: 'alice', up: figures(50), down: figures(50) },
      { t: 20, type: 'link.change', device: 'bob', up: figures(80), down: figures(80) },
      { t: 30, type: 'link.change', device: 'alice', up: figures(300), down: figures(300) },
      { t: 40, type: 'node.link', a: 'relay-1', b: 'relay-2', port: 7001, up: figures(100), down: figures(100) },
      { t: 50, type: 'node.link', a: 'relay-2', b: 'relay-3', port: 7002, up: figures(10), down: figures(10) },
      { t: 60, type: 'node.link', a: 'relay-1', b: 'relay-2', port: 7001, up: figures(200), down: figures(150) }
    ],
    { lagLimitMs: 200 }
  )
  assert.deepEqual(analysis.links, {
    backend: 'userspace',
    netem: { available: false, reason: 'no netem' },
    devices: ['alice', 'bob'],
    nodePairs: [
      { a: 'relay-1', b: 'relay-2', port: 7001, up: figures(200), down: figures(150) },
      { a: 'relay-2', b: 'relay-3', port: 7002, up: figures(10), down: figures(10) }
    ]
  })
  assert.equal(analyzeRun(delivered, { lagLimitMs: 200 }).links, undefined)
})

test('peers, links, censorship and the delivery matrix are each named when they fail, and what they add is left out, not faked', () => {
  const fold = new RunFold()
  const failing = (name: string): Section['fold'] => ({
    add() {},
    finish() {
      throw new Error(`${name} bug`)
    }
  })
  for (const section of ['peers', 'links', 'censorship', 'matrix'] as const) plant(fold, section, failing(section))
  for (const event of delivered) fold.add(event)
  const analysis = fold.finish({ lagLimitMs: 200 })
  assert.deepEqual(analysis.failedSections, [
    'peers: analysis failed (peers bug); its figures are left out',
    'links: analysis failed (links bug); its figures are left out',
    'censorship: analysis failed (censorship bug); its figures are left out',
    'delivery matrix: analysis failed (matrix bug); its figures are left out'
  ])
  assert.deepEqual(analysis.metrics['metadata.mismatches'], { value: null, unit: 'count' })
  assert.deepEqual(analysis.metrics['peerExchange.requests'], { value: null, unit: 'count' })
  assert.equal(analysis.peers, undefined)
  assert.equal(analysis.links, undefined)
  assert.equal('censorship' in analysis, false)
  assert.deepEqual(analysis.metrics['censorship.unreached'], { value: null, unit: 'count' }, 'unknown, not 0')
  assert.equal('matrix' in analysis.delivery, false)
  assert.deepEqual(analysis.metrics['delivery.delivered'], { value: 2, unit: 'count' })
})

test('a run with a block has its censorship section and figures; one without has no section, and nothing unreached', () => {
  const events: CourierEvent[] = [
    ...delivered.slice(0, -1),
    { t: 2500, type: 'block.start', device: 'alice', nodes: ['relay-1'] },
    { t: 2700, type: 'device.relay', device: 'alice', node: 'relay-2', source: 'peer-exchange' },
    delivered.at(-1)!
  ]
  const analysis = analyzeRun(events, { lagLimitMs: 200 })
  assert.deepEqual(
    analysis.censorship?.map((c) => [c.device, c.reachedMs]),
    [['alice', 200]]
  )
  assert.deepEqual(analysis.metrics['censorship.alice.reachedMs'], { value: 200, unit: 'ms' })
  const unblocked = analyzeRun(delivered, { lagLimitMs: 200 })
  assert.equal('censorship' in unblocked, false)
  assert.deepEqual(unblocked.metrics['censorship.unreached'], { value: 0, unit: 'count' })
})

test('a run whose delivery matrix was built carries it beside the delivery figures', () => {
  const { delivery } = analyzeRun(delivered, { lagLimitMs: 200 })
  assert.deepEqual(delivery.matrix?.senders, ['crowd-1'], 'a send naming a node and no user is from that node')
  assert.deepEqual(delivery.matrix?.receivers, ['alice'])
  assert.deepEqual(delivery.matrix?.cells, [[{ expected: 2, onTime: 2, late: 0, lost: 0, duplicates: 0 }]])
})

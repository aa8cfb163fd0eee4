import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { CourierEvent } from '../../harness/interface/index.js'
import { analyzeRun, deliveryMatrix, lateAfter, type LatencyThreshold } from '../../harness/analysis/index.js'
import { FIXTURE_RUNS } from '../helpers/reports/fixture-runs.js'
import { synthesizeRun } from '../helpers/synthetic-run.js'

// A small hand-made run. alice, bob and dave on "lobby", carol on "other"; dave fails at 5000.
// Senders: the devices, the crowd (a crowd user, and a crowd gateway publishing without one) and
// relay-1 (a node that is not the crowd's). The cells below are worked out by hand from these lines.
const events: CourierEvent[] = [
  { t: 0, type: 'device.subscribe', device: 'alice', topic: 'lobby' },
  { t: 0, type: 'device.subscribe', device: 'bob', topic: 'lobby' },
  { t: 0, type: 'device.subscribe', device: 'carol', topic: 'other' },
  { t: 0, type: 'device.subscribe', device: 'dave', topic: 'lobby' },
  { t: 0, type: 'node.up', node: 'crowd-1', role: 'crowd', peerId: 'p1', addrs: [] },
  { t: 0, type: 'node.up', node: 'relay-1', role: 'relay', peerId: 'p2', addrs: [] },
  // m1 from alice: bob on time and once more (a duplicate), dave 3000 ms after (late at 2500)
  { t: 1000, type: 'msg.sent', msgId: 'm1', hash: 'h1', topic: 'lobby', bytes: 300, device: 'alice' },
  { t: 1050, type: 'msg.received', device: 'bob', hash: 'h1', msgId: 'm1', via: 'relay', bytes: 340, duplicate: false },
  { t: 1060, type: 'msg.received', device: 'bob', hash: 'h1', msgId: 'm1', via: 'store', bytes: 340, duplicate: true },
  { t: 4000, type: 'msg.received', device: 'dave', hash: 'h1', msgId: 'm1', via: 'store', bytes: 340, duplicate: false },
  // c1 from a crowd user: alice on time, bob never, dave exactly at the bound (on time)
  { t: 2000, type: 'msg.sent', msgId: 'c1', hash: 'hc1', topic: 'lobby', bytes: 300, node: 'crowd-1', user: 'u1' },
  { t: 2010, type: 'msg.received', device: 'alice', hash: 'hc1', msgId: 'c1', via: 'relay', bytes: 340, duplicate: false },
  { t: 4500, type: 'msg.received', device: 'dave', hash: 'hc1', msgId: 'c1', via: 'relay', bytes: 340, duplicate: false },
  // c2 from the crowd gateway itself: alice and bob on time, dave never
  { t: 3000, type: 'msg.sent', msgId: 'c2', hash: 'hc2', topic: 'lobby', bytes: 300, node: 'crowd-1' },
  { t: 3010, type: 'msg.received', device: 'alice', hash: 'hc2', msgId: 'c2', via: 'relay', bytes: 340, duplicate: false },
  { t: 3020, type: 'msg.received', device: 'bob', hash: 'hc2', msgId: 'c2', via: 'relay', bytes: 340, duplicate: false },
  { t: 5000, type: 'device.failed', device: 'dave', error: 'gone' },
  // r1 from relay-1 after dave failed: alice on time, bob never, dave expects nothing any more
  { t: 6000, type: 'msg.sent', msgId: 'r1', hash: 'hr1', topic: 'lobby', bytes: 300, node: 'relay-1' },
  { t: 6005, type: 'msg.received', device: 'alice', hash: 'hr1', msgId: 'r1', via: 'relay', bytes: 340, duplicate: false },
  // b1 from bob on "other": only carol expects it
  { t: 7000, type: 'msg.sent', msgId: 'b1', hash: 'hb1', topic: 'other', bytes: 300, device: 'bob' },
  { t: 7100, type: 'msg.received', device: 'carol', hash: 'hb1', msgId: 'b1', via: 'relay', bytes: 340, duplicate: false },
  // an arrival of a message nobody sent: in no cell
  { t: 8000, type: 'msg.received', device: 'alice', hash: 'hx', msgId: 'x', via: 'relay', bytes: 340, duplicate: false }
]

const threshold = (metric: string, comparator: string, target: number, expression: string, unit = 'ms'): LatencyThreshold => ({
  metric,
  comparator,
  target,
  expression,
  unit
})

test('late after: the tightest < or <= bound among delivery.latency thresholds, else 2 s', () => {
  assert.deepEqual(lateAfter([]), { ms: 2000, source: 'default; no delivery.latency threshold' })
  const thresholds = [
    threshold('delivery.latency.p95', '<', 3000, '< 3s'),
    threshold('delivery.latency.bob.max', '<=', 2500, '<= 2.5s'),
    // neither an upper bound nor a delivery latency: not a late bound
    threshold('delivery.latency.p50', '>', 100, '> 100ms'),
    threshold('store.latency.p95', '<', 500, '< 500ms'),
    threshold('delivery.loss', '<', 0.1, '< 10%', 'ratio')
  ]
  assert.deepEqual(lateAfter(thresholds), { ms: 2500, source: 'threshold delivery.latency.bob.max <= 2.5s' })
})

test('delivery matrix: each sender against each receiving device, by topic, failure, bound and duplicates', () => {
  const m = deliveryMatrix(events, { ms: 2500, source: 'test' })
  assert.equal(m.lateAfterMs, 2500)
  assert.equal(m.lateSource, 'test')
  assert.deepEqual(m.receivers, ['alice', 'bob', 'carol', 'dave'])
  assert.deepEqual(m.senders, ['alice', 'bob', 'crowd', 'relay-1'])
  const cell = (expected: number, onTime: number, late: number, lost: number, duplicates: number) => ({ expected, onTime, late, lost, duplicates })
  assert.deepEqual(m.cells, [
    // alice: m1
    [null, cell(1, 1, 0, 0, 1), null, cell(1, 0, 1, 0, 0)],
    // bob: b1 on "other"
    [null, null, cell(1, 1, 0, 0, 0), null],
    // crowd: c1 and c2
    [cell(2, 2, 0, 0, 0), cell(2, 1, 0, 1, 0), null, cell(2, 1, 0, 1, 0)],
    // relay-1: r1, after dave failed
    [cell(1, 1, 0, 0, 0), cell(1, 0, 0, 1, 0), null, null]
  ])
})

test('delivery matrix: a device named by the results but by no event is a receiver of every topic', () => {
  const m = deliveryMatrix(events.slice(0, 12), { ms: 2000, source: 'test' }, ['eve'])
  assert.deepEqual(m.receivers, ['alice', 'bob', 'carol', 'dave', 'eve'])
  // m1 and c1 were sent by then; eve got neither
  assert.deepEqual(m.cells[m.senders.indexOf('alice')]![4], { expected: 1, onTime: 0, late: 0, lost: 1, duplicates: 0 })
  assert.deepEqual(m.cells[m.senders.indexOf('crowd')]![4], { expected: 1, onTime: 0, late: 0, lost: 1, duplicates: 0 })
})

test("delivery matrix from events equals the synthetic generator's, drawn from what it decided", () => {
  for (const options of [FIXTURE_RUNS['small-fail']!, FIXTURE_RUNS['hostile-names']!, { seed: 2, crashDevice: 'bob' }, { seed: 3, crowdRate: 1.5 }]) {
    const run = synthesizeRun(options)
    const truth = run.results.delivery.matrix!
    const fromEvents = deliveryMatrix(run.events, { ms: truth.lateAfterMs, source: truth.lateSource }, Object.keys(run.results.delivery.devices))
    assert.deepEqual(fromEvents, truth)
    assert.ok(truth.cells.flat().some((c) => c != null && c.lost > 0))
  }
})

test('per store: answered queries (2xx, no error, after their store.query) and their latency', () => {
  const store: CourierEvent[] = [
    { t: 1000, type: 'store.query', device: 'alice', store: 'store-1', requestId: 'q1', topic: 'lobby' },
    { t: 1120, type: 'store.response', device: 'alice', store: 'store-1', requestId: 'q1', status: 200, messages: 5, bytes: 500, pages: 1 },
    { t: 2000, type: 'store.query', device: 'bob', store: 'store-1', requestId: 'q2', topic: 'lobby' },
    { t: 2300, type: 'store.response', device: 'bob', store: 'store-1', requestId: 'q2', status: 200, messages: 2, bytes: 200, pages: 1 },
    { t: 3000, type: 'store.query', device: 'alice', store: 'store-2', requestId: 'q3', topic: 'lobby' },
    { t: 3050, type: 'store.response', device: 'alice', store: 'store-2', requestId: 'q3', status: 503, messages: 0, bytes: 0, pages: 0, error: 'busy' },
    { t: 4000, type: 'store.query', device: 'bob', store: 'store-1', requestId: 'q4', topic: 'lobby' },
    { t: 4090, type: 'store.response', device: 'bob', store: 'store-1', requestId: 'q4', status: 200, messages: 1, bytes: 100, pages: 1 },
    // a second answer to q4 counts as a query, not as another latency
    { t: 4200, type: 'store.response', device: 'bob', store: 'store-1', requestId: 'q4', status: 200, messages: 1, bytes: 100, pages: 1 },
    // an answer to a query the log does not hold: counted, not timed
    { t: 5000, type: 'store.response', device: 'bob', store: 'store-3', requestId: 'q9', status: 200, messages: 4, bytes: 400, pages: 1 }
  ]
  const { byStore } = analyzeRun(store, { lagLimitMs: 100 }).store
  // store-1 latencies 90, 120, 300; percentile p at rank 2p between closest ranks: p95 = 120 + 0.9 * 180
  assert.deepEqual(byStore['store-1'], {
    queries: 4,
    failed: 0,
    messages: 9,
    bytes: 900,
    answered: 3,
    latency: { count: 3, p50: 120, p90: 264, p95: 282, p99: 296.4, max: 300, mean: 170 }
  })
  assert.deepEqual(byStore['store-2'], {
    queries: 1,
    failed: 1,
    messages: 0,
    bytes: 0,
    answered: 0,
    latency: { count: 0, p50: null, p90: null, p95: null, p99: null, max: null, mean: null }
  })
  assert.equal(byStore['store-3']!.queries, 1)
  assert.equal(byStore['store-3']!.answered, 0)
})

import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { CourierEvent } from '../../harness/interface/index.js'
import { analyzeDelivery, analyzeRun, summarize } from '../../harness/analysis/index.js'

// A small hand-made run: alice and bob on "lobby", carol on "other". The answers below are
// worked out by hand from these lines, not by the code under test.
const events: CourierEvent[] = [
  { t: 0, type: 'device.subscribe', device: 'alice', topic: 'lobby' },
  { t: 0, type: 'device.subscribe', device: 'bob', topic: 'lobby' },
  { t: 0, type: 'device.subscribe', device: 'carol', topic: 'other' },
  { t: 0, type: 'device.online', device: 'alice' },
  { t: 0, type: 'device.online', device: 'bob' },
  { t: 0, type: 'device.online', device: 'carol' },
  { t: 100, type: 'scenario.start' },
  // m1 from alice: bob gets it after 50 ms by relay, then again from the store (duplicate)
  { t: 1000, type: 'msg.sent', msgId: 'm1', hash: 'h1', topic: 'lobby', bytes: 300, device: 'alice' },
  { t: 1050, type: 'msg.received', device: 'bob', hash: 'h1', msgId: 'm1', via: 'relay', bytes: 340, duplicate: false },
  { t: 1060, type: 'msg.rendered', device: 'bob', hash: 'h1', msgId: 'm1' },
  // crowd message c1: alice after 10 ms, bob after 30 ms and again by relay
  { t: 2000, type: 'msg.sent', msgId: 'c1', hash: 'hc1', topic: 'lobby', bytes: 300, node: 'crowd-1', user: 'u1' },
  { t: 2010, type: 'msg.received', device: 'alice', hash: 'hc1', msgId: 'c1', via: 'relay', bytes: 340, duplicate: false },
  { t: 2030, type: 'msg.received', device: 'bob', hash: 'hc1', msgId: 'c1', via: 'relay', bytes: 340, duplicate: false },
  { t: 2040, type: 'msg.received', device: 'bob', hash: 'hc1', msgId: 'c1', via: 'relay', bytes: 340, duplicate: true },
  // bob goes offline; c2 is sent while he is away; he gets it from the store after coming back
  { t: 3000, type: 'device.offline', device: 'bob' },
  { t: 3500, type: 'msg.sent', msgId: 'c2', hash: 'hc2', topic: 'lobby', bytes: 300, node: 'crowd-1', user: 'u2' },
  { t: 3510, type: 'msg.received', device: 'alice', hash: 'hc2', msgId: 'c2', via: 'relay', bytes: 340, duplicate: false },
  { t: 6000, type: 'device.online', device: 'bob' },
  { t: 6100, type: 'msg.received', device: 'bob', hash: 'h1', msgId: 'm1', via: 'store', bytes: 340, duplicate: true },
  { t: 6100, type: 'msg.received', device: 'bob', hash: 'hc2', msgId: 'c2', via: 'store', bytes: 340, duplicate: false },
  // c3 never reaches alice: lost
  { t: 7000, type: 'msg.sent', msgId: 'c3', hash: 'hc3', topic: 'lobby', bytes: 300, node: 'crowd-1', user: 'u3' },
  { t: 7020, type: 'msg.received', device: 'bob', hash: 'hc3', msgId: 'c3', via: 'relay', bytes: 340, duplicate: false },
  { t: 9000, type: 'scenario.end' }
]

test('expected, delivered and lost per device follow topic, sender and presence', () => {
  const { devices, overall, messages } = analyzeDelivery(events)
  // alice: c1, c2, c3 expected (m1 is her own); c3 lost
  assert.equal(devices.alice.expected, 3)
  assert.equal(devices.alice.delivered, 2)
  assert.equal(devices.alice.lost, 1)
  assert.deepEqual(devices.alice.lostMessages, ['c3'])
  assert.equal(devices.alice.lossRate, Math.round((1 / 3) * 1e6) / 1e6)
  // bob: m1, c1, c2 (offline at send, online later), c3 -> all delivered
  assert.equal(devices.bob.expected, 4)
  assert.equal(devices.bob.delivered, 4)
  // carol joined another topic: nothing expected
  assert.equal(devices.carol.expected, 0)
  assert.equal(overall.expected, 7)
  assert.equal(overall.lost, 1)
  assert.deepEqual(messages, { sent: 4, byDevices: 1, byCrowd: 3 })
})

test('latency is first arrival minus send; duplicates are counted by path', () => {
  const { devices } = analyzeDelivery(events)
  // bob's first arrivals: m1 50, c1 30, c2 2600, c3 20
  assert.equal(devices.bob.latency.max, 2600)
  assert.equal(devices.bob.latency.count, 4)
  assert.equal(devices.bob.latency.mean, (50 + 30 + 2600 + 20) / 4)
  assert.deepEqual(devices.bob.firstByPath, { relay: 3, store: 1 })
  assert.deepEqual(devices.bob.duplicates.byPath, { relay: 1, store: 1 })
  assert.equal(devices.bob.duplicates.total, 2)
  // 6 receptions at bob, 2 of them duplicates
  assert.equal(devices.bob.duplicates.rate, Math.round((2 / 6) * 1e6) / 1e6)
  assert.equal(devices.bob.renderLatency.count, 1)
  assert.equal(devices.bob.renderLatency.max, 60)
})

test('a device offline from a send to the end of traffic is not expected to have it', () => {
  const away: CourierEvent[] = [
    ...events.slice(
      0,
      events.findIndex((e) => e.type === 'device.online' && e.device === 'bob' && e.t === 6000)
    ),
    { t: 9000, type: 'scenario.end' }
  ]
  const { devices } = analyzeDelivery(away)
  // bob went offline at 3000 and never came back: c2 is not expected of him, m1 and c1 are
  assert.equal(devices.bob.expected, 2)
  assert.equal(devices.bob.delivered, 2)
})

test('percentiles match a hand-computed list', () => {
  const s = summarize([10, 20, 30, 40, 50, 60, 70, 80, 90, 100])
  assert.equal(s.count, 10)
  assert.equal(s.max, 100)
  assert.equal(s.mean, 55)
  assert.equal(s.p50, 55)
  // linear interpolation between closest ranks (numpy's default): 90 + 0.1 * (100 - 90)
  assert.equal(s.p90, 91)
})

test('run metrics carry the figures thresholds use, per device and overall', () => {
  const analysis = analyzeRun(events, { lagLimitMs: 50 })
  assert.equal(analysis.metrics['delivery.lost'].value, 1)
  assert.equal(analysis.metrics['delivery.bob.duplicates.store'].value, 1)
  assert.equal(analysis.metrics['delivery.alice.loss'].unit, 'ratio')
  assert.equal(analysis.metrics['delivery.bob.latency.max'].value, 2600)
})

test('the harness counts as saturated only when its lag p99 over the traffic exceeds the limit', () => {
  const lag = (t: number, p99: number): CourierEvent => ({ t, type: 'harness.lag', process: 'runner', p50: 1, p99, max: p99, cpu: 50, rssMb: 100 })
  const calm = analyzeRun([...events, lag(500, 400), lag(2000, 3), lag(3000, 4)], { lagLimitMs: 50 })
  assert.equal(calm.harness.saturated, false, 'a start-up spike before scenario.start must not count')
  const busy = analyzeRun([...events, lag(2000, 3), lag(3000, 120)], { lagLimitMs: 50 })
  assert.equal(busy.harness.saturated, true)
})

test('a device that failed is expected to have what was sent before its failure, not after', () => {
  const run: CourierEvent[] = [
    ...events.filter((e) => e.t < 3000 && e.type !== 'device.offline'),
    { t: 2500, type: 'device.failed', device: 'bob', error: 'session lost' },
    { t: 3500, type: 'msg.sent', msgId: 'c2', hash: 'hc2', topic: 'lobby', bytes: 300, node: 'crowd-1', user: 'u2' },
    { t: 7000, type: 'msg.sent', msgId: 'c3', hash: 'hc3', topic: 'lobby', bytes: 300, node: 'crowd-1', user: 'u3' },
    { t: 9000, type: 'scenario.end' }
  ]
  const { devices } = analyzeDelivery(run)
  // before 2500: m1 and c1, both delivered; c2 and c3 came after the failure
  assert.equal(devices.bob.failed, true)
  assert.deepEqual([devices.bob.expected, devices.bob.delivered, devices.bob.lost], [2, 2, 0])
  // alice, still running, misses c2 and c3
  assert.deepEqual([devices.alice.expected, devices.alice.delivered, devices.alice.lost], [3, 1, 2])
})

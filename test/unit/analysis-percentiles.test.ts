import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { CourierEvent } from '../../harness/interface/index.js'
import { analyzeRun, summarize } from '../../harness/analysis/index.js'

// courier's quantile (README, Metrics): linear interpolation between closest ranks, R's type 7 and
// numpy's default. For n sorted values x[0..n-1] and 0 <= p <= 1: h = (n - 1) p, and
// Q(p) = x[floor h] + (h - floor h) (x[floor h + 1] - x[floor h]); Q(0) = min, Q(1) = max.
// Figures are rounded to 3 decimals. The sets below have unequal gaps, so taking the wrong
// quantile or another definition (nearest rank, type 6) moves the answer.

/** An independent implementation of the definition above, for the property check. */
function type7(values: number[], p: number): number {
  const x = [...values].sort((a, b) => a - b)
  const h = (x.length - 1) * p
  const lo = Math.floor(h)
  const hi = Math.min(lo + 1, x.length - 1)
  return x[lo] + (h - lo) * (x[hi] - x[lo])
}
const r3 = (v: number): number => Math.round(v * 1000) / 1000

const DOUBLING = [1, 2, 4, 8, 16, 32, 64, 128, 256, 1024]

test('p50, p90, p95, p99, max and mean of a set with unequal gaps, worked by hand', () => {
  const s = summarize(DOUBLING)
  // n = 10: p50 h = 4.5 -> 16 + 0.5 x 16; p90 h = 8.1 -> 256 + 0.1 x 768; p95 h = 8.55 -> 256 + 0.55 x 768;
  // p99 h = 8.91 -> 256 + 0.91 x 768; mean = 1535 / 10
  assert.deepEqual(s, { count: 10, p50: 24, p90: 332.8, p95: 678.4, p99: 954.88, max: 1024, mean: 153.5 })
})

test('the order of the input does not matter, and values are compared as numbers, not strings', () => {
  assert.deepEqual(summarize([1024, 8, 256, 1, 64, 2, 128, 16, 4, 32]), summarize(DOUBLING))
  // as strings 100 < 9: a string sort would make 9 the maximum
  assert.deepEqual(summarize([9, 100, 20]), { count: 3, p50: 20, p90: 84, p95: 92, p99: 98.4, max: 100, mean: 43 })
})

test('not nearest rank: p95 of 10 evenly spaced values lies between the two largest', () => {
  const s = summarize([10, 20, 30, 40, 50, 60, 70, 80, 90, 100])
  // nearest rank would give p95 = p99 = 100 and p90 = 90
  assert.deepEqual([s.p50, s.p90, s.p95, s.p99], [55, 91, 95.5, 99.1])
})

test('boundaries: where h is a whole number the quantile is that value exactly', () => {
  // n = 21, x[i] = 10 i: p50 h = 10, p90 h = 18, p95 h = 19 exactly; p99 h = 19.8
  const x = Array.from({ length: 21 }, (_, i) => 10 * i)
  assert.deepEqual(summarize(x), { count: 21, p50: 100, p90: 180, p95: 190, p99: 198, max: 200, mean: 100 })
  // n = 101, x[i] = i: every percentile is its own rank
  const hundred = Array.from({ length: 101 }, (_, i) => i)
  const s = summarize(hundred)
  assert.deepEqual([s.p50, s.p90, s.p95, s.p99, s.max], [50, 90, 95, 99, 100])
})

test('boundaries: one value, two values, all equal, none', () => {
  assert.deepEqual(summarize([7]), { count: 1, p50: 7, p90: 7, p95: 7, p99: 7, max: 7, mean: 7 })
  assert.deepEqual(summarize([0, 100]), { count: 2, p50: 50, p90: 90, p95: 95, p99: 99, max: 100, mean: 50 })
  assert.deepEqual(summarize([5, 5, 5, 5]), { count: 4, p50: 5, p90: 5, p95: 5, p99: 5, max: 5, mean: 5 })
  assert.deepEqual(summarize([]), { count: 0, p50: null, p90: null, p95: null, p99: null, max: null, mean: null })
})

test('rounding to 3 decimals happens after interpolation, not before', () => {
  // p50 of [0, 1/3] = 1/6 = 0.1666..; p99 = 0.99 / 3 = 0.33
  const s = summarize([0, 1 / 3])
  assert.deepEqual([s.p50, s.p99, s.max, s.mean], [0.167, 0.33, 0.333, 0.167])
})

test('agrees with the independent type-7 implementation on many pseudo-random sets', () => {
  let seed = 12345
  const next = (): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31
    return seed / 2 ** 31
  }
  for (let round = 0; round < 300; round++) {
    const n = 1 + Math.floor(next() * 60)
    const values = Array.from({ length: n }, () => Math.round(next() * 5000) / 10)
    const s = summarize(values)
    for (const [name, p] of [
      ['p50', 0.5],
      ['p90', 0.9],
      ['p95', 0.95],
      ['p99', 0.99]
    ] as const) {
      assert.equal(s[name], r3(type7(values, p)), `${name} of ${JSON.stringify(values)}`)
    }
    assert.equal(s.max, Math.max(...values))
  }
})

// One sender, one receiver, ten messages whose latencies are the doubling set: every latency
// metric a threshold can name must carry the figure above.
function doublingRun(): CourierEvent[] {
  const events: CourierEvent[] = [
    { t: 0, type: 'device.subscribe', device: 'alice', topic: 'lobby' },
    { t: 0, type: 'device.subscribe', device: 'bob', topic: 'lobby' },
    { t: 0, type: 'device.online', device: 'alice' },
    { t: 0, type: 'device.online', device: 'bob' },
    { t: 10, type: 'scenario.start' }
  ]
  DOUBLING.forEach((latency, i) => {
    const sent = 100 + i * 2000
    events.push({ t: sent, type: 'msg.sent', msgId: `m${i}`, hash: `h${i}`, topic: 'lobby', bytes: 100, device: 'alice' })
    events.push({ t: sent + latency, type: 'msg.received', device: 'bob', hash: `h${i}`, msgId: `m${i}`, via: 'relay', bytes: 140, duplicate: false })
  })
  events.push({ t: 30_000, type: 'scenario.end' })
  return events
}

test('delivery latency metrics, overall and per device, carry p50/p90/p95/p99/max/mean of the arrivals', () => {
  const { metrics } = analyzeRun(doublingRun(), { lagLimitMs: 50 })
  for (const prefix of ['delivery', 'delivery.bob']) {
    const got = ['p50', 'p90', 'p95', 'p99', 'max', 'mean'].map((s) => metrics[`${prefix}.latency.${s}`])
    assert.deepEqual(
      got.map((m) => m.value),
      [24, 332.8, 678.4, 954.88, 1024, 153.5],
      prefix
    )
    assert.ok(got.every((m) => m.unit === 'ms'))
  }
})

test('store latency p50/p95/max and the harness lag p99 use the same quantile', () => {
  const events = doublingRun()
  DOUBLING.forEach((latency, i) => {
    events.push({ t: 20_000 + i, type: 'store.query', device: 'bob', store: 'store-1', requestId: `q${i}`, topic: 'lobby' })
    events.push({
      t: 20_000 + i + latency,
      type: 'store.response',
      device: 'bob',
      store: 'store-1',
      requestId: `q${i}`,
      messages: 1,
      bytes: 10,
      pages: 1,
      status: 200
    })
  })
  // a failed query's time is not a latency
  events.push({ t: 21_000, type: 'store.query', device: 'bob', store: 'store-1', requestId: 'bad', topic: 'lobby' })
  events.push({ t: 29_000, type: 'store.response', device: 'bob', store: 'store-1', requestId: 'bad', messages: 0, bytes: 0, pages: 0, status: 503 })
  // harness lag samples from 1 s after the start: their p99s are the doubling set
  for (const [i, p99] of DOUBLING.entries())
    events.push({ t: 1010 + i * 1000, type: 'harness.lag', process: 'runner', p50: 1, p99, max: p99 + 1, cpu: 10, rssMb: 100 })
  events.sort((a, b) => a.t - b.t)
  const analysis = analyzeRun(events, { lagLimitMs: 954.88 })
  assert.deepEqual(
    ['p50', 'p95', 'max'].map((s) => analysis.metrics[`store.latency.${s}`].value),
    [24, 678.4, 1024]
  )
  assert.equal(analysis.metrics['store.failed'].value, 1)
  assert.equal(analysis.metrics['harness.lag.p99'].value, 954.88)
  assert.equal(analysis.metrics['harness.lag.max'].value, 1025)
  // saturated means strictly above the limit
  assert.equal(analysis.harness.saturated, false)
  assert.equal(analyzeRun(events, { lagLimitMs: 954.87 }).harness.saturated, true)
})

import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { MetricValue } from '../../harness/interface/index.js'
import {
  bootstrapMeanDifference,
  compareRuns,
  checkSameScenario,
  globMatches,
  hashScenario,
  mannWhitney,
  NOISE_FLOOR,
  toleranceFor,
  type RunSample
} from '../../harness/compare/index.js'

// Known answers: scipy.stats.mannwhitneyu(a, b, method='asymptotic', use_continuity=True), scipy 1.17.1.
test('Mann-Whitney U and p match a textbook example (no ties)', () => {
  const result = mannWhitney([19, 22, 16, 29, 24], [20, 11, 17, 12])
  assert.ok(result != null)
  assert.equal(result.u, 17)
  assert.ok(Math.abs(result.p - 0.11134688653314041) < 1e-6, `p = ${result.p}`)
})

test('Mann-Whitney with ties uses the tie-corrected variance', () => {
  const result = mannWhitney([1, 2, 2, 3, 4, 4, 4, 5, 6, 7], [3, 4, 5, 5, 6, 7, 7, 8, 9, 9, 10])
  assert.ok(result != null)
  assert.equal(result.u, 18.5)
  assert.ok(Math.abs(result.p - 0.010669300560314204) < 1e-6, `p = ${result.p}`)
})

test('identical samples give p = 1; a bootstrap of identical runs brackets 0', () => {
  const same = [5, 7, 9, 11, 13, 15]
  assert.equal(mannWhitney(same, same)?.p, 1)
  const ci = bootstrapMeanDifference([10, 11, 12], [10, 11, 12], { seed: 7 })
  assert.ok(ci.low <= 0 && ci.high >= 0, JSON.stringify(ci))
  const shifted = bootstrapMeanDifference([10, 11, 12, 10.5], [20, 21, 22, 20.5], { seed: 7 })
  assert.ok(shifted.low > 8 && shifted.high < 12, JSON.stringify(shifted))
})

// A run built by hand: latencies drawn around `centre`, and per-run figures.
function run(name: string, centre: number, figures: Record<string, number> = {}, scenario: unknown = { name: 'pair', devices: { alice: {} } }): RunSample {
  const latencies = Array.from({ length: 60 }, (_, i) => centre + ((i * 37) % 41))
  const sorted = [...latencies].sort((x, y) => x - y)
  const metrics: Record<string, MetricValue> = {
    'delivery.latency.p95': { value: sorted[Math.floor(0.95 * (sorted.length - 1))], unit: 'ms' },
    'delivery.latency.p50': { value: sorted[30], unit: 'ms' },
    'delivery.alice.latency.p50': { value: sorted[30], unit: 'ms' },
    'messages.sent': { value: 60, unit: 'count' }
  }
  for (const [k, v] of Object.entries(figures)) metrics[k] = { value: v, unit: k.startsWith('bytes') ? 'bytes' : k.endsWith('loss') ? 'ratio' : 'count' }
  return {
    dir: name,
    scenarioName: 'pair',
    scenarioHash: hashScenario(scenario),
    metrics,
    latencies: { overall: latencies, devices: { alice: latencies }, render: [], renderDevices: {} }
  }
}

test('identical runs compare as ~ on every figure', () => {
  const comparison = compareRuns([run('a', 100)], [run('b', 100)])
  assert.equal(comparison.worse, 0)
  assert.equal(comparison.better, 0)
  assert.ok(comparison.figures.every((f) => f.change === '~'))
  assert.ok(comparison.figures.length >= 4)
})

test('a candidate shifted 150 ms later is worse on latency; swapped, it is better', () => {
  const worse = compareRuns([run('base', 100)], [run('slow', 250)])
  const p95 = worse.figures.find((f) => f.metric === 'delivery.latency.p95')
  assert.equal(p95?.change, 'worse')
  assert.equal(p95?.test.kind, 'mann-whitney')
  assert.equal(worse.figures.find((f) => f.metric === 'delivery.alice.latency.p50')?.change, 'worse')
  assert.equal(worse.figures.find((f) => f.metric === 'messages.sent')?.change, '~')
  const better = compareRuns([run('slow', 250)], [run('base', 100)])
  assert.equal(better.figures.find((f) => f.metric === 'delivery.latency.p95')?.change, 'better')
  assert.equal(better.worse, 0)
})

test('a significant change inside its tolerance is ~; a regress entry can widen or narrow it', () => {
  // +3 ms on ~120 ms is significant on 60 samples a side but below the default 5 %
  const small = compareRuns([run('a', 100)], [run('b', 103)])
  const p50 = small.figures.find((f) => f.metric === 'delivery.latency.p50')
  assert.equal(p50?.change, '~')
  // noiseFloor 0: these runs are taken as repeatable; the noise floor has its own test below
  const strict = compareRuns([run('a', 100)], [run('b', 110)], { tolerances: [{ pattern: 'delivery.latency.*', ratio: 0.01 }], noiseFloor: 0 })
  assert.equal(strict.figures.find((f) => f.metric === 'delivery.latency.p50')?.change, 'worse')
  const loose = compareRuns([run('a', 100)], [run('b', 110)], { tolerances: [{ pattern: 'delivery.latency.p50', ratio: 0.5 }], noiseFloor: 0 })
  assert.equal(loose.figures.find((f) => f.metric === 'delivery.latency.p50')?.change, '~')
})

test('per-run figures: with < 3 runs a side there is no noise estimate; with 3 the bootstrap decides', () => {
  const one = compareRuns([run('a', 100, { 'bytes.alice.total': 1000 })], [run('b', 100, { 'bytes.alice.total': 1300 })])
  const bytes = one.figures.find((f) => f.metric === 'bytes.alice.total')
  assert.equal(bytes?.test.kind, 'none')
  assert.equal(bytes?.change, 'worse', 'judged on tolerance and noise floor alone: +30 %')
  // noisy runs whose means differ by less than their spread: not significant
  const noisy = compareRuns(
    [1000, 1300, 900].map((v, i) => run(`a${i}`, 100, { 'bytes.alice.total': v })),
    [1250, 950, 1100].map((v, i) => run(`b${i}`, 100, { 'bytes.alice.total': v }))
  )
  const noisyBytes = noisy.figures.find((f) => f.metric === 'bytes.alice.total')
  assert.equal(noisyBytes?.test.kind, 'bootstrap')
  assert.equal(noisyBytes?.change, '~')
  // tight runs shifted by 20 %: significant and beyond tolerance
  const tight = compareRuns(
    [1000, 1010, 990].map((v, i) => run(`a${i}`, 100, { 'bytes.alice.total': v, 'delivery.delivered': 100 })),
    [1200, 1210, 1190].map((v, i) => run(`b${i}`, 100, { 'bytes.alice.total': v, 'delivery.delivered': 120 }))
  )
  assert.equal(tight.figures.find((f) => f.metric === 'bytes.alice.total')?.change, 'worse')
  assert.equal(tight.figures.find((f) => f.metric === 'delivery.delivered')?.change, 'better', 'delivered: higher is better')
  assert.equal(tight.figures.find((f) => f.metric === 'bytes.alice.total')?.base.min, 990)
})

test('runs of different scenarios are refused unless forced; the seed does not count', () => {
  const a = run('a', 100, {}, { name: 'pair', seed: 1, devices: { alice: {} } })
  const reseeded = run('b', 100, {}, { name: 'pair', seed: 2, devices: { alice: {} } })
  assert.deepEqual(checkSameScenario([a], [reseeded]), [])
  const other = run('c', 100, {}, { name: 'pair', seed: 1, devices: { alice: { link: { latency: '150ms' } } } })
  assert.throws(() => checkSameScenario([a], [other]), { name: 'IncomparableRunsError', message: /different scenarios/ })
  assert.equal(checkSameScenario([a], [other], true).length, 2)
})

test('tolerance globs: exact beats glob, the longer glob beats the shorter', () => {
  assert.ok(globMatches('bytes.*.perMessage', 'bytes.alice.down.perMessage'))
  assert.ok(!globMatches('bytes.*.perMessage', 'bytes.alice.total'))
  const tolerances = [
    { pattern: '*', ratio: 0.2 },
    { pattern: 'delivery.latency.*', ratio: 0.1 },
    { pattern: 'delivery.latency.p95', ratio: 0.03 }
  ]
  assert.equal(toleranceFor('delivery.latency.p95', tolerances, 0.05), 0.03)
  assert.equal(toleranceFor('delivery.latency.p50', tolerances, 0.05), 0.1)
  assert.equal(toleranceFor('bytes.x.total', tolerances, 0.05), 0.2)
  assert.equal(toleranceFor('bytes.x.total', [], 0.05), 0.05)
})

test('with fewer than 3 runs a side, a change must clear the noise floor: a significant +10 % is ~ until the floor is lowered; with 3 runs a side the floor is gone', () => {
  const one = compareRuns([run('a', 100, { 'bytes.alice.total': 1000 })], [run('b', 110, { 'bytes.alice.total': 1100 })])
  const p50 = one.figures.find((f) => f.metric === 'delivery.latency.p50')
  assert.ok(p50?.test.kind === 'mann-whitney' && p50.test.p < 0.05, 'the rank test over messages flags it')
  assert.equal(p50?.noiseFloor, NOISE_FLOOR)
  assert.equal(p50?.tolerance, NOISE_FLOOR, 'the floor is above the 5 % default tolerance')
  assert.equal(p50?.change, '~')
  assert.equal(one.figures.find((f) => f.metric === 'bytes.alice.total')?.change, '~')
  assert.equal(one.worse, 0)
  const lowered = compareRuns([run('a', 100, { 'bytes.alice.total': 1000 })], [run('b', 110, { 'bytes.alice.total': 1100 })], { noiseFloor: 0.05 })
  assert.equal(lowered.figures.find((f) => f.metric === 'delivery.latency.p50')?.change, 'worse')
  assert.equal(lowered.figures.find((f) => f.metric === 'bytes.alice.total')?.change, 'worse')
  // a wider regress: tolerance still wins over a lower floor
  const wide = compareRuns([run('a', 100)], [run('b', 110)], { noiseFloor: 0.05, tolerances: [{ pattern: 'delivery.*', ratio: 0.5 }] })
  assert.equal(wide.figures.find((f) => f.metric === 'delivery.latency.p50')?.tolerance, 0.5)
  // tight repeats: noise measured, no floor; the same +10 % is worse on the default 5 %
  const repeated = compareRuns(
    [100, 101, 99].map((c, i) => run(`a${i}`, c, { 'bytes.alice.total': 1000 + i })),
    [110, 111, 109].map((c, i) => run(`b${i}`, c, { 'bytes.alice.total': 1100 + i }))
  )
  const repeatedP50 = repeated.figures.find((f) => f.metric === 'delivery.latency.p50')
  assert.equal(repeatedP50?.noiseFloor, undefined)
  assert.equal(repeatedP50?.change, 'worse')
  assert.equal(repeated.figures.find((f) => f.metric === 'bytes.alice.total')?.change, 'worse')
})

test("a latency change no larger than the harness lag p99 of the worse side is ~: it may be courier's own delay", () => {
  // +40 ms on ~120 ms: significant, and beyond the 25 % floor
  const quiet = compareRuns([run('a', 100, { 'harness.lag.p99': 8 })], [run('b', 140, { 'harness.lag.p99': 10 })])
  const p50 = quiet.figures.find((f) => f.metric === 'delivery.latency.p50')
  assert.equal(p50?.change, 'worse')
  assert.equal(p50?.harnessLagMs, 10)
  // the same shift with the candidate's event loop 60 ms late at p99: not the client's to answer for
  const loaded = compareRuns([run('a', 100, { 'harness.lag.p99': 8 })], [run('b', 140, { 'harness.lag.p99': 60 })])
  assert.equal(loaded.figures.find((f) => f.metric === 'delivery.latency.p50')?.change, '~')
  assert.equal(loaded.figures.find((f) => f.metric === 'delivery.alice.latency.p50')?.change, '~')
  // swapped: the base was the loaded one; the rule is symmetric
  assert.equal(
    compareRuns([run('b', 140, { 'harness.lag.p99': 60 })], [run('a', 100, { 'harness.lag.p99': 8 })]).figures.find((f) => f.metric === 'delivery.latency.p50')
      ?.change,
    '~'
  )
  // a shift beyond the lag still counts; figures that are not latencies ignore the lag
  const large = compareRuns(
    [run('a', 100, { 'harness.lag.p99': 8, 'bytes.alice.total': 1000 })],
    [run('b', 250, { 'harness.lag.p99': 60, 'bytes.alice.total': 2000 })]
  )
  assert.equal(large.figures.find((f) => f.metric === 'delivery.latency.p50')?.change, 'worse')
  assert.equal(large.figures.find((f) => f.metric === 'bytes.alice.total')?.harnessLagMs, undefined)
  assert.equal(large.figures.find((f) => f.metric === 'bytes.alice.total')?.change, 'worse')
})

test('without repeats, a latency tail resting on fewer than 3 messages is not judged; p95 of 60 messages is', () => {
  // the candidate's bulk is 50 ms slower (the rank test sees it) and its slowest message 900 ms slower
  const tailed = (name: string, centre: number, slowest: number): RunSample => {
    const r = run(name, centre)
    r.latencies.overall = [...r.latencies.overall.slice(0, -1), slowest]
    r.metrics['delivery.latency.max'] = { value: slowest, unit: 'ms' }
    r.metrics['delivery.latency.p99'] = { value: slowest, unit: 'ms' }
    return r
  }
  const one = compareRuns([tailed('a', 100, 200)], [tailed('b', 150, 1100)])
  const max = one.figures.find((f) => f.metric === 'delivery.latency.max')
  assert.deepEqual(max?.test, { kind: 'tail', messages: 60, above: 0 })
  assert.equal(max?.change, '~')
  assert.equal(one.figures.find((f) => f.metric === 'delivery.latency.p99')?.test.kind, 'tail', '60 x 1 % = 0 messages above p99')
  assert.equal(one.figures.find((f) => f.metric === 'delivery.latency.p95')?.test.kind, 'mann-whitney', '60 x 5 % = 3 messages above p95')
  assert.equal(one.figures.find((f) => f.metric === 'delivery.latency.p50')?.change, 'worse')
  // with 3 runs a side the per-run max values carry their own noise estimate: judged
  const repeated = compareRuns(
    [200, 210, 190].map((m, i) => tailed(`a${i}`, 100, m)),
    [1100, 1110, 1090].map((m, i) => tailed(`b${i}`, 150, m))
  )
  assert.equal(repeated.figures.find((f) => f.metric === 'delivery.latency.max')?.change, 'worse')
})

test("one run against repeats: a base inside the repeats' range is ~, outside it beyond tolerance is worse", () => {
  const inside = compareRuns(
    [run('a', 100, { 'bytes.alice.total': 1080 })],
    [1000, 1200, 1100].map((v, i) => run(`b${i}`, 100, { 'bytes.alice.total': v }))
  )
  const figure = inside.figures.find((f) => f.metric === 'bytes.alice.total')
  assert.deepEqual(figure?.test, { kind: 'range', overlap: true })
  assert.equal(figure?.change, '~')
  const outside = compareRuns(
    [run('a', 100, { 'bytes.alice.total': 800 })],
    [1000, 1200, 1100].map((v, i) => run(`b${i}`, 100, { 'bytes.alice.total': v }))
  )
  assert.equal(outside.figures.find((f) => f.metric === 'bytes.alice.total')?.change, 'worse')
})

test('with 3+ runs a side, a latency shift the runs disagree on is ~: the per-run figures must move too', () => {
  // candidate: one run like the base, two 150 ms slower; the median moves and, pooled, the messages
  // differ clearly, but the runs disagree among themselves as much as the sides do
  const base = [run('a1', 100), run('a2', 102), run('a3', 98)]
  const candidate = [run('b1', 96), run('b2', 250), run('b3', 252)]
  const pooled = compareRuns(base, candidate).figures.find((f) => f.metric === 'delivery.latency.p50')
  assert.equal(pooled?.test.kind, 'mann-whitney')
  assert.ok(pooled?.test.kind === 'mann-whitney' && pooled.test.p < 0.05, 'the rank test alone would flag it')
  assert.ok(pooled?.test.kind === 'mann-whitney' && pooled.test.runs != null)
  assert.equal(pooled?.change, '~')
  // every run slower: worse
  const shifted = compareRuns(base, [run('c1', 250), run('c2', 252), run('c3', 248)]).figures.find((f) => f.metric === 'delivery.latency.p50')
  assert.equal(shifted?.change, 'worse')
})

test('a tail figure that rose while the rank test found the candidate faster is not called worse', () => {
  const base = run('a', 200)
  // the candidate's bulk is 100 ms faster, but its slowest messages are slower than the base's
  const fast = run('b', 100)
  const tail = [...fast.latencies.overall.slice(0, 57), 400, 410, 420]
  const candidate: RunSample = {
    ...fast,
    latencies: { ...fast.latencies, overall: tail },
    metrics: { ...fast.metrics, 'delivery.latency.max': { value: 420, unit: 'ms' }, 'delivery.latency.p50': { value: 120, unit: 'ms' } }
  }
  const withMax: RunSample = {
    ...base,
    metrics: { ...base.metrics, 'delivery.latency.max': { value: 240, unit: 'ms' }, 'delivery.latency.p50': { value: 220, unit: 'ms' } }
  }
  const figures = compareRuns([withMax], [candidate]).figures
  assert.equal(figures.find((f) => f.metric === 'delivery.latency.p50')?.change, 'better')
  assert.equal(figures.find((f) => f.metric === 'delivery.latency.max')?.change, '~')
})

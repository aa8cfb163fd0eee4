import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { HistoryDb, selectFigures, trendOf, updateHistory, type HistoryRun } from '../../harness/history/index.js'
import { InvalidInputError, type MetricValue } from '../../harness/interface/index.js'
import { renderTrendConsole, renderTrendHtml, trendView } from '../../reports/index.js'
import { trendPageBundle } from '../../reports/html/render.js'
import { historyRun } from '../helpers/history.js'
import { loadTrend } from '../../bin/commands/trend.js'

// One night: 60 latencies around `centre` (the same spread each night) and per-run figures.
function night(i: number, centre: number, figures: Record<string, number> = {}, overrides: Partial<HistoryRun> = {}): HistoryRun {
  const latencies = Array.from({ length: 60 }, (_, k) => centre + ((k * 37) % 41))
  const sorted = [...latencies].sort((x, y) => x - y)
  const metrics: Record<string, MetricValue> = {
    'delivery.latency.p50': { value: sorted[30], unit: 'ms' },
    'delivery.latency.p95': { value: sorted[56], unit: 'ms' },
    'delivery.loss': { value: 0, unit: 'ratio' },
    'messages.sent': { value: 60, unit: 'count' }
  }
  for (const [k, v] of Object.entries(figures)) metrics[k] = { value: v, unit: k.startsWith('bytes') ? 'bytes' : 'count' }
  return historyRun({
    runId: `night-${i}`,
    set: `/runs/night-${i}`,
    startedAt: `2026-12-0${i}T02:00:00.000Z`,
    seed: 40 + i,
    build: {
      key: `app:${i}`,
      label: `im.example 1.${i}.0`,
      appSha256: String(i),
      appId: 'im.example',
      appVersion: `1.${i}.0`,
      courierVersion: '0.1.0',
      courierCommit: null
    },
    tolerances: [],
    metrics,
    latencies: { overall: latencies, devices: {}, render: [], renderDevices: {} },
    ...overrides
  })
}

const THREE = [
  night(1, 100, { 'bytes.alice.total': 10_000 }),
  night(2, 100, { 'bytes.alice.total': 10_200 }),
  // the third build's latency moved up 60 ms and its bytes 40 %
  night(3, 160, { 'bytes.alice.total': 14_280 })
]

test('three nights: the shifted latency and bytes are marked worse at the third, nothing at the second, loss never', () => {
  const trend = trendOf(THREE, { figures: ['delivery.latency.p95', 'delivery.loss', 'bytes.alice.total'] })
  assert.deepEqual(
    trend.points.map((p) => p.build.label),
    ['im.example 1.1.0', 'im.example 1.2.0', 'im.example 1.3.0']
  )
  const by = Object.fromEntries(trend.figures.map((f) => [f.metric, f]))
  assert.deepEqual(
    trend.figures.map((f) => f.metric),
    ['delivery.latency.p95', 'delivery.loss', 'bytes.alice.total'],
    'in the order asked'
  )

  const p95 = by['delivery.latency.p95']
  assert.equal(p95.steps[0], null, 'the first point has nothing before it')
  assert.equal(p95.steps[1]?.change, '~', 'identical latencies: within noise')
  assert.equal(p95.steps[2]?.change, 'worse')
  assert.equal(p95.steps[2]?.test.kind, 'mann-whitney', 'latency is tested on the stored per-message samples')
  assert.equal(p95.values[2]?.median, 198)

  assert.deepEqual(
    by['delivery.loss'].steps.map((s) => s?.change ?? null),
    [null, '~', '~']
  )

  // one run a night: a per-run figure is judged on its tolerance and the noise floor alone, as compare does
  const bytes = by['bytes.alice.total']
  assert.equal(bytes.steps[1]?.change, '~', '+2 % is within the 25 % noise floor')
  assert.equal(bytes.steps[2]?.change, 'worse', '+40 % is beyond it')
  assert.equal(bytes.steps[2]?.test.kind, 'none')
  assert.ok(Math.abs((bytes.steps[2]?.percent ?? 0) - 0.4) < 1e-9)
})

test('a shift that stays is marked once, where it happened: each point is compared with the one before, not the first', () => {
  const trend = trendOf([night(1, 100), night(2, 160), night(3, 160), night(4, 100)], { figures: ['delivery.latency.p95'] })
  assert.deepEqual(
    trend.figures[0].steps.map((s) => s?.change ?? null),
    [null, 'worse', '~', 'better']
  )
})

test("the scenario's regress: tolerance decides as in compare; --last keeps the newest points and says what it left out", () => {
  const loose = THREE.map((r) => ({ ...r, tolerances: [{ pattern: 'bytes.*.total', ratio: 0.5 }] }))
  const trend = trendOf(loose, { figures: ['bytes.alice.total'] })
  assert.equal(trend.figures[0].steps[2]?.change, '~', '+40 % is within a 50 % tolerance')
  assert.equal(trend.figures[0].steps[2]?.tolerance, 0.5)

  const last = trendOf(THREE, { last: 2, figures: ['delivery.latency.p95'] })
  assert.deepEqual(
    last.points.map((p) => p.set),
    ['/runs/night-2', '/runs/night-3']
  )
  assert.deepEqual(
    last.figures[0].steps.map((s) => s?.change ?? null),
    [null, 'worse']
  )
  assert.match(last.notes.join(), /1 earlier point\(s\) left out \(--last 2\)/)
})

test('repeats recorded together are one point, judged with a bootstrap over the runs', () => {
  const repeats = (i: number, centre: number, bytes: number[]): HistoryRun[] =>
    bytes.map((b, k) => ({ ...night(i, centre, { 'bytes.alice.total': b }), runId: `night-${i}-run-${k}` }))
  const runs = [...repeats(1, 100, [10_000, 10_100, 9_900]), ...repeats(2, 100, [12_000, 12_100, 11_900])]
  const trend = trendOf(runs, { figures: ['bytes.alice.total', 'delivery.latency.p95'] })
  assert.equal(trend.points.length, 2)
  assert.equal(trend.points[0].runs, 3)
  assert.deepEqual(trend.points[0].seeds, [41, 41, 41])
  const bytes = trend.figures[0]
  assert.deepEqual(bytes.values[1], { median: 12_000, min: 11_900, max: 12_100, runs: 3 })
  assert.equal(bytes.steps[1]?.test.kind, 'bootstrap')
  assert.equal(bytes.steps[1]?.change, 'worse')
  assert.equal(trend.figures[1].steps[1]?.change, '~')
})

test('without --figure: the headline figures, and the other figures that changed named', () => {
  const trend = trendOf(THREE)
  assert.deepEqual(
    trend.figures.map((f) => f.metric),
    ['delivery.latency.p50', 'delivery.latency.p95', 'delivery.loss']
  )
  assert.deepEqual(trend.alsoChanged, ['bytes.alice.total'])
  // the gate looks at every figure, shown or not, at the newest step only
  assert.deepEqual(trend.newestWorse, ['bytes.alice.total', 'delivery.latency.p50', 'delivery.latency.p95'])
  assert.deepEqual(trendOf(THREE.slice(0, 2)).newestWorse, [])
  assert.deepEqual(trendOf([...THREE, night(4, 160, { 'bytes.alice.total': 14_280 })]).newestWorse, [], 'a shift from two nights ago no longer fails the gate')
  const text = renderTrendConsole(trend)
  assert.match(text, /^delivery\.latency\.p95$/m)
  assert.match(text, /3\s+2026-12-03 02:00\s+im\.example 1\.3\.0\s+1\s+198 ms\s+worse\s+\+60 ms \(\+43\.5 %\)\s+Mann-Whitney/)
  assert.match(text, /2\s+2026-12-02 02:00\s+im\.example 1\.2\.0\s+1\s+138 ms\s+~/)
  assert.match(text, /1 other figure\(s\) changed somewhere .*bytes\.alice\.total/)
})

test('unknown figure names are bad input with the nearest name; globs select several', () => {
  const available = ['delivery.latency.p95', 'delivery.loss', 'bytes.alice.total', 'bytes.bob.total']
  assert.deepEqual(selectFigures(available, ['bytes.*.total', 'delivery.loss']), ['bytes.alice.total', 'bytes.bob.total', 'delivery.loss'])
  assert.throws(
    () => selectFigures(available, ['delivery.latency.p59']),
    (error: unknown) =>
      error instanceof InvalidInputError &&
      error.problems[0].location.file === '--figure' &&
      /did you mean "delivery\.latency\.p95"\?/.test(error.problems[0].hint ?? '')
  )
  assert.throws(
    () => selectFigures(available, ['energy.*']),
    (error: unknown) => error instanceof InvalidInputError && /no recorded run has the figure "energy\.\*"/.test(error.message)
  )
  assert.throws(() => trendOf(THREE, { figures: ['delivery.los'] }), InvalidInputError)
})

test('a trend read back from the database marks the same change; the pages carry it', async () => {
  const file = join(await mkdtemp(join(tmpdir(), 'courier-trend-')), 'history.sqlite')
  // recorded out of order: the trend orders by start time
  for (const run of [THREE[2], THREE[0], THREE[1]])
    await updateHistory(file, (db) => {
      db.insert(run)
    })
  const db = await HistoryDb.open(file)
  const trend = trendOf(db.runs({ scenarioName: 'pair' }), { figures: ['delivery.latency.p95'] })
  db.close()
  assert.deepEqual(
    trend.figures[0].steps.map((s) => s?.change ?? null),
    [null, '~', 'worse']
  )
  const view = trendView(trend, { current: '/runs/night-3' })
  assert.deepEqual(
    view.points.map((p) => p.current),
    [false, false, true]
  )
  assert.deepEqual(view.figures[0].marks, [null, '~', 'worse'])
  const html = renderTrendHtml(trend)
  assert.match(html, /verdict-fail/, 'the newest point is worse')
  assert.match(html, /<script type="application\/json" id="courier-trend">/)
  assert.match(html, /script-src 'sha256-[^']+' 'sha256-[^']+'/)
  // its script is the bundle of reports/html/page/trend-main.ts, a classic script that parses no HTML
  const page = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1])[1] ?? ''
  assert.equal(page, `\n${trendPageBundle()}`)
  assert.ok(page.includes('// reports/html/page/trend-main.ts'), 'bundled from reports/html/page/trend-main.ts')
  assert.doesNotMatch(page, /^\s*(import|export)\b/m)
  assert.doesNotMatch(page, /innerHTML|outerHTML|insertAdjacentHTML|document\.write|DOMParser/)
  const unchanged = renderTrendHtml(trendOf(THREE.slice(0, 2), { figures: ['delivery.latency.p95'] }))
  assert.match(unchanged, /verdict-pass/)
})

test('courier trend picks the scenario: several in one file need --scenario (with the nearest name), an edited scenario trends its latest content only', async () => {
  const file = join(await mkdtemp(join(tmpdir(), 'courier-trend-')), 'history.sqlite')
  const edited = { name: 'pair', hash: 'e'.repeat(64) }
  await updateHistory(file, (db) => {
    db.insert(night(1, 100))
    db.insert(night(2, 100, {}, { scenario: edited }))
    db.insert(night(3, 160, {}, { scenario: edited }))
    db.insert(night(4, 100, {}, { runId: 'smoke-1', set: 'smoke-1', scenario: { name: 'smoke', hash: 's'.repeat(64) } }))
  })
  await assert.rejects(
    loadTrend(file, {}),
    (error: unknown) =>
      error instanceof InvalidInputError && /several scenarios: say which with --scenario/.test(error.message) && /pair, smoke/.test(error.message)
  )
  await assert.rejects(
    loadTrend(file, { scenario: 'smoek' }),
    (error: unknown) => error instanceof InvalidInputError && /did you mean "smoke"\?/.test(error.message)
  )
  const trend = await loadTrend(file, { scenario: 'pair', figure: ['delivery.latency.p95'] })
  assert.deepEqual(
    trend.points.map((p) => p.set),
    ['/runs/night-2', '/runs/night-3']
  )
  assert.equal(trend.scenario.hash, edited.hash)
  assert.match(trend.notes.join(), /1 run\(s\) of an earlier version of pair .* left out/)
  assert.deepEqual(
    trend.figures[0].steps.map((s) => s?.change ?? null),
    [null, 'worse']
  )
})

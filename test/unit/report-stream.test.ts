import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import type { CourierEvent, Results } from '../../harness/interface/index.js'
import { deliveryLatencySamples } from '../../harness/analysis/index.js'
import { historyRunFrom } from '../../harness/history/index.js'
import { passEventLog, readEventLog, recomputeRun } from '../../harness/runner/index.js'
import { buildReportData, buildReportDataFrom, writeRunReports, type EventPasses, type ReportDataOptions } from '../../reports/index.js'
import { buildReportData as arrayReportData } from '../helpers/array-report/build-data.js'
import { REPO_ROOT } from '../helpers/cli.js'
import { FIXTURE_RUNS } from '../helpers/reports/fixture-runs.js'
import { synthesizeRun } from '../helpers/synthetic-run.js'

// report.html's data, built in two bounded passes, must be what the code that kept every event of
// every message built (test/helpers/array-report, the code before it became a stream), whether the
// passes walk an array or read events.ndjson from disk.

const dir = mkdtempSync(join(tmpdir(), 'courier-report-stream-'))

function logPasses(path: string): EventPasses {
  return async (make) => (await passEventLog(path, make)).consumer
}

function writeLog(name: string, events: readonly CourierEvent[]): string {
  const path = join(dir, `${name}.ndjson`)
  writeFileSync(path, events.map((e) => JSON.stringify(e)).join('\n') + '\n')
  return path
}

async function assertSameReport(name: string, results: Results, path: string, options: ReportDataOptions = {}): Promise<void> {
  const events = await readEventLog(path)
  const before = arrayReportData(results, events, options)
  assert.deepStrictEqual(buildReportData(results, events, options), before, `${name}: the two passes over the array differ from the old report data`)
  const streamed = await buildReportDataFrom(results, logPasses(path), options)
  assert.deepStrictEqual(streamed, before, `${name}: the streamed report data differs from the old report data`)
  // report.html embeds it as JSON: the same keys in the same order
  assert.equal(JSON.stringify(streamed), JSON.stringify(before))
}

/** Small limits, so that downsampling, the explorer's choice and its step budget all happen on a small run. */
const TIGHT: ReportDataOptions = { maxExplorerDeviceMessages: 3, maxExplorerCrowdMessages: 4, maxExplorerSteps: 40, maxRawPoints: 20, buckets: 10 }

for (const run of readdirSync(join(REPO_ROOT, 'fixtures/runs'), { withFileTypes: true }).filter((d) => d.isDirectory())) {
  test(`fixture run ${run.name}: the streamed report data is the old one`, async () => {
    const at = join(REPO_ROOT, 'fixtures/runs', run.name)
    const results = JSON.parse(readFileSync(join(at, 'results.json'), 'utf8')) as Results
    await assertSameReport(run.name, results, join(at, 'events.ndjson'))
    await assertSameReport(`${run.name} (tight limits)`, results, join(at, 'events.ndjson'), TIGHT)
  })
}

test('synthetic runs: the streamed report data is the old one, with default and tight limits', async () => {
  for (const [name, options] of Object.entries({ ...FIXTURE_RUNS, busy: { crowdRate: 6, durationMs: 120_000, lossRate: 0.05, duplicateRate: 0.1 } })) {
    const run = synthesizeRun(options)
    const path = writeLog(name, run.events)
    await assertSameReport(name, run.results, path)
    await assertSameReport(`${name} (tight)`, run.results, path, TIGHT)
    await assertSameReport(`${name} (no crowd sample)`, run.results, path, { ...TIGHT, maxExplorerCrowdMessages: 0, maxExplorerSteps: 10 })
  }
})

test('payload bytes are drawn for a device whose wire samples start late or never come, as before', async () => {
  const run = synthesizeRun({ crowdRate: 2 })
  const devices = Object.keys(run.results.delivery.devices)
  // the first device has no wire samples; the second's begin halfway through the run
  const half = run.events[Math.floor(run.events.length / 2)]!.t
  const events = run.events.filter((e) => e.type !== 'bytes.sample' || (e.owner !== devices[0] && (e.owner !== devices[1] || e.t >= half)))
  const path = writeLog('wire-late', events)
  await assertSameReport('wire-late', run.results, path)
  const data = buildReportData(run.results, events)
  assert.equal(data.bytes.overTime.find((o) => o.device === devices[0])?.source, 'payload')
  assert.equal(data.bytes.overTime.find((o) => o.device === devices[1])?.source, 'wire')
})

test('a log written out of order gives the report data of the log sorted', async () => {
  const run = synthesizeRun(FIXTURE_RUNS['small-fail'])
  const late = Object.keys(run.results.delivery.devices)[1]!
  // one device's events written 12 s late: more than the stream's 10 s reorder window
  const written = run.events
    .map((e, i) => ({ e, at: (e as { device?: string }).device === late ? e.t + 12_000 : e.t, i }))
    .sort((a, b) => a.at - b.at || a.i - b.i)
    .map((x) => x.e)
  const path = writeLog('late', written)
  const sorted = [...written].sort((a, b) => a.t - b.t)
  const before = arrayReportData(run.results, sorted, TIGHT)
  assert.deepStrictEqual(await buildReportDataFrom(run.results, logPasses(path), TIGHT), before)
})

test('courier report and courier run hand the history and report.html what the whole log gave them', async () => {
  for (const name of ['small-fail', 'smoke-real', 'phantom-push-real']) {
    const at = join(REPO_ROOT, 'fixtures/runs', name)
    const events = await readEventLog(join(at, 'events.ndjson'))
    const { results, log } = await recomputeRun(at)
    // the history row's latency samples and run.start, as historyRunFrom read them from the array
    assert.deepStrictEqual(log.latencies, deliveryLatencySamples(events), `${name}: latency samples`)
    assert.deepStrictEqual(
      log.start,
      events.find((e) => e.type === 'run.start'),
      `${name}: run.start`
    )
    assert.ok(log.latencies != null)
    const row = historyRunFrom(at, results, { start: log.start, latencies: log.latencies }, 'set', 0)
    assert.deepStrictEqual(row.latencies, deliveryLatencySamples(events))
    // report.html written from passes over the log is the one written from the array
    const fromLog = join(dir, `${name}-log`)
    const fromArray = join(dir, `${name}-array`)
    for (const d of [fromLog, fromArray]) mkdirSync(d)
    await writeRunReports(fromLog, results, log.passes, { artifacts: [] })
    await writeRunReports(fromArray, results, events, { artifacts: [] })
    assert.equal(readFileSync(join(fromLog, 'report.html'), 'utf8'), readFileSync(join(fromArray, 'report.html'), 'utf8'), `${name}: report.html`)
  }
})

test('without the history, the run log hands over no latency samples (a sample per arrival, for nothing)', async () => {
  const { log } = await recomputeRun(join(REPO_ROOT, 'fixtures/runs/small-fail'), { latencySamples: false })
  assert.equal(log.latencies, undefined)
  assert.ok(log.start != null)
})

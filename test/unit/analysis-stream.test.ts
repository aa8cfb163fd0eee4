import assert from 'node:assert/strict'
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { analyzeRun, type AnalysisOptions } from '../../harness/analysis/index.js'
import { InvalidInputError, type CourierEvent } from '../../harness/interface/index.js'
import { analyzeEventLog, buildResults, completeConfig, readEventLog, recomputeResults, streamEventLog } from '../../harness/runner/index.js'
import { capturePath, loadCapture } from '../../harness/runner/results.js'
import { loadDestinations } from '../../harness/runner/destinations.js'
import { deviceRadioTimelines } from '../../harness/runner/energy.js'
import { scanRunLeaks } from '../../harness/runner/leaks.js'
import { analyzeRun as arrayAnalyzeRun } from '../helpers/array-analysis/run.js'
import { REPO_ROOT } from '../helpers/cli.js'
import { synthesizeRun } from '../helpers/synthetic-run.js'

// The folds must give what the array analysis gave (test/helpers/array-analysis, the code before
// it became folds) for the same log, whether they are fed the array or events.ndjson as a stream.

const dir = mkdtempSync(join(tmpdir(), 'courier-stream-'))

function optionsFor(events: readonly CourierEvent[]): AnalysisOptions {
  const start = events.find((e) => e.type === 'run.start')
  const { config } = completeConfig(start?.type === 'run.start' ? start.scenario : undefined, events)
  const accounts = Object.fromEntries(Object.entries(config.devices).map(([device, d]) => [device, d.account ?? device]))
  return {
    lagLimitMs: config.harness?.maxLagP99 ?? 50,
    accounts,
    pushBoundMs: config.push?.bound,
    thresholds: [{ metric: 'delivery.latency.p95', expression: '< 1.5s', comparator: '<', target: 1500, unit: 'ms' }]
  }
}

async function assertSameFigures(path: string, windowMs?: number): Promise<void> {
  const events = await readEventLog(path)
  const options = optionsFor(events)
  const before = arrayAnalyzeRun(events, options)
  const folded = analyzeRun(events, options)
  const streamed = await analyzeEventLog(path, options, windowMs)
  assert.deepStrictEqual(folded, before, `${path}: the folds fed the array differ from the array analysis`)
  assert.deepStrictEqual(streamed, before, `${path}: the stream differs from the array analysis`)
  // results.json is written from these: the same keys in the same order, too
  assert.equal(JSON.stringify(streamed), JSON.stringify(before))
}

function writeLog(name: string, events: readonly CourierEvent[]): string {
  const path = join(dir, `${name}.ndjson`)
  writeFileSync(path, events.map((e) => JSON.stringify(e)).join('\n') + '\n')
  return path
}

/** The log as a js-waku or browser device writes it: `late` device's events written `delayMs` after they happened. */
function writtenLate(events: readonly CourierEvent[], late: string, delayMs: (i: number) => number): CourierEvent[] {
  const writtenAt = events.map((e, i) => ({ e, at: (e as { device?: string }).device === late ? e.t + delayMs(i) : e.t, i }))
  return writtenAt.sort((a, b) => a.at - b.at || a.i - b.i).map((x) => x.e)
}

for (const run of readdirSync(join(REPO_ROOT, 'fixtures/runs'), { withFileTypes: true }).filter((d) => d.isDirectory())) {
  test(`fixture run ${run.name}: stream, folds and array analysis give the same figures`, async () => {
    await assertSameFigures(join(REPO_ROOT, 'fixtures/runs', run.name, 'events.ndjson'))
  })
}

test('synthetic runs (offline device, killed store, partition, crash, loss, duplicates): the same figures', async () => {
  const variants = [
    {},
    { seed: 7, offline: { atMs: 10_000, forMs: 15_000 }, killStore: { atMs: 20_000, forMs: 10_000 }, partition: { atMs: 30_000, forMs: 8000 } },
    { seed: 9, lossRate: 0.2, duplicateRate: 0.3, crashDevice: 'bob', interrupted: true },
    { seed: 11, sections: false, crowdRate: 5 }
  ]
  for (const [i, options] of variants.entries()) await assertSameFigures(writeLog(`synthetic-${i}`, synthesizeRun(options).events))
})

test('events written out of order (a device reporting up to 1.2 s late): the stream puts them in place', async () => {
  const { events } = synthesizeRun({ seed: 5, lossRate: 0.05, duplicateRate: 0.1 })
  const shuffled = writtenLate(events, 'bob', (i) => (i * 7919) % 1200)
  assert.notDeepEqual(
    shuffled.map((e) => e.t),
    [...shuffled.map((e) => e.t)].sort((a, b) => a - b),
    'the log must be out of order for this test'
  )
  const path = writeLog('late', shuffled)
  const seen: number[] = []
  const log = await streamEventLog(path, (e) => seen.push(e.t))
  assert.equal(log.outOfOrder, false, 'within the window')
  assert.ok(log.lateness > 100 && log.lateness < 1200, `lateness ${log.lateness}`)
  assert.deepEqual(
    seen,
    (await readEventLog(path)).map((e) => e.t)
  )
  await assertSameFigures(path)
})

test('an event later than the reorder window: the log is read again with a wider one, figures unchanged', async () => {
  const { events } = synthesizeRun({ seed: 6, duplicateRate: 0.2 })
  const path = writeLog(
    'very-late',
    writtenLate(events, 'alice', (i) => (i % 13 === 0 ? 3000 : 0))
  )
  const seen: number[] = []
  const log = await streamEventLog(path, (e) => seen.push(e.t), 500)
  assert.equal(log.outOfOrder, true)
  assert.ok(log.lateness >= 2500, `lateness ${log.lateness}`)
  await assertSameFigures(path, 500)
})

test('the stream reads a log as readEventLog does: a torn last line is skipped, a bad line before it is located', async () => {
  const { events } = synthesizeRun({ seed: 3 })
  const lines = events.map((e) => JSON.stringify(e))
  const torn = join(dir, 'torn.ndjson')
  writeFileSync(torn, lines.join('\n') + '\n' + lines[5].slice(0, 20))
  const log = await streamEventLog(torn, () => {})
  assert.equal(log.events, events.length)
  const bad = join(dir, 'bad.ndjson')
  writeFileSync(bad, [...lines.slice(0, 10), '{"t": oops', ...lines.slice(10)].join('\n') + '\n')
  await assert.rejects(
    analyzeEventLog(bad, { lagLimitMs: 50 }),
    (error: unknown) => error instanceof InvalidInputError && error.problems[0].location?.line === 11 && error.problems[0].location.file === bad
  )
  await assert.rejects(analyzeEventLog(join(dir, 'missing.ndjson'), { lagLimitMs: 50 }), /file not found/)
})

// Both sides of this comparison run the same folds, so it can catch a fault in the stream's
// reading but never a mutant of harness/analysis; mutation runs (scripts/mutation-tests.mjs) skip
// its courier processes, which took 3 s of each mutant's run.
const mutationRun = process.env.COURIER_MUTATION_RUN === '1'
test('courier report recomputes the same results.json from the stream as from the whole log (fixture runs and a synthetic one)', {
  skip: mutationRun ? 'mutation run: cannot kill an analysis mutant' : false
}, async () => {
  const synthetic = mkdtempSync(join(dir, 'run-'))
  writeFileSync(
    join(synthetic, 'events.ndjson'),
    synthesizeRun({ seed: 8, lossRate: 0.1, duplicateRate: 0.1 })
      .events.map((e) => JSON.stringify(e))
      .join('\n') + '\n'
  )
  const runs = [
    ...readdirSync(join(REPO_ROOT, 'fixtures/runs'), { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => join(REPO_ROOT, 'fixtures/runs', d.name)),
    synthetic
  ]
  for (const runDir of runs) {
    const events = await readEventLog(join(runDir, 'events.ndjson'))
    const { leaks } = await scanRunLeaks(runDir, events)
    const whole = buildResults({
      events,
      leaks,
      capture: await loadCapture(runDir, events),
      destinations: await loadDestinations(runDir, events),
      radioTimelines: await deviceRadioTimelines(events, capturePath(runDir, events))
    })
    const streamed = await recomputeResults(runDir)
    // how long the secrets scan took is a measurement of this run of it, not a figure of the run
    for (const r of [whole, streamed]) if (r.leaks != null) r.leaks.scanned.ms = 0
    assert.equal(JSON.stringify(streamed), JSON.stringify(whole), runDir)
  }
})

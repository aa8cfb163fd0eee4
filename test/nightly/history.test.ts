import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { runCourier, tempDir, writeScenario } from '../helpers/cli.js'

// In the nightly suite: npm test renders the History section from crafted nights (report-browser)
// and tests the history store, records and trends in unit tests; this is the CLI end to end.
// Small on purpose (the machine is shared): two devices, 32 messages, a 3 s scenario.
const PAIR = `name: pair
seed: 5
duration: 3s
grace: 1s
network: { relays: 2, stores: 1 }
crowd: { topic: lobby, users: 10, rate: 2/s }
devices:
  alice: { driver: simulated }
  bob: { driver: simulated }
timeline:
  - { at: 300ms, send: { from: alice, count: 16, every: 100ms } }
  - { at: 350ms, send: { from: bob, count: 16, every: 100ms } }
harness: { maxLagP99: 500ms }
`

interface TrendJson {
  scenario: { name: string }
  points: Array<{ runs: number; seeds: number[]; build: { label: string } }>
  figures: Array<{ metric: string; values: Array<{ median: number } | null>; steps: Array<{ change: string } | null> }>
}

function reportData(html: string): { history?: { points: Array<{ current: boolean; runs: number }>; figures: Array<{ metric: string; texts: string[] }> } } {
  const json = /<script type="application\/json" id="courier-data">([\s\S]*?)<\/script>/.exec(html)?.[1]
  assert.ok(json != null, 'report.html embeds its data')
  return JSON.parse(json) as ReturnType<typeof reportData>
}

test('two nights recorded with --history trend through the CLI; the report shows the nights; bad history input is exit 2', async () => {
  const dir = await tempDir()
  const scenario = await writeScenario(dir, 'pair.yaml', PAIR)
  const runs = join(dir, 'runs')
  const history = join(runs, 'history.sqlite')

  // both nights' run directories are named run-1 (as every night's first --repeat is): both must stay
  const first = await runCourier(['run', scenario, '--out', join(runs, 'night-1', 'run-1'), '--history', history, '--no-progress'])
  assert.equal(first.code, 0, first.stderr)
  assert.match(first.stderr, /recorded in the history .*history\.sqlite \(1 run\(s\) of pair\)/)
  // --history alone: history.sqlite in the output folder, beside the run directory
  const second = await runCourier(['run', scenario, '--out', join(runs, 'run-1'), '--seed', '6', '--history', '--no-progress'])
  assert.equal(second.code, 0, second.stderr)
  assert.match(second.stderr, /recorded in the history \S*\/runs\/history\.sqlite \(2 run\(s\) of pair\)/)

  // tonight's report shows last night beside it
  const data = reportData(await readFile(join(runs, 'run-1', 'report.html'), 'utf8'))
  assert.ok(data.history != null, 'report.html has the History section data')
  assert.deepEqual(
    data.history.points.map((p) => [p.runs, p.current]),
    [
      [1, false],
      [1, true]
    ]
  )
  assert.ok(data.history.figures.some((f) => f.metric === 'delivery.latency.p95' && f.texts.every((t) => /^[\d.]+ ms$/.test(t))))
  // the first night's report shows itself alone
  assert.equal(reportData(await readFile(join(runs, 'night-1', 'run-1', 'report.html'), 'utf8')).history?.points.length, 1)

  const table = await runCourier(['trend', history])
  assert.equal(table.code, 0, table.stderr)
  assert.match(table.stdout, /^trend pair \(scenario [0-9a-f]{12}\): 2 point\(s\)/)
  assert.match(
    table.stdout,
    /^delivery\.latency\.p95\n.*\n\s+1\s+\d{4}-\d\d-\d\d \d\d:\d\d\s+courier \S+( @ [0-9a-f]{7})?\s+1\s+[\d.]+ ms\n\s+2\s+.*\s1\s+[\d.]+ ms\s+(~|worse|better)\s+[-+±][\d.]+ ms .*(Mann-Whitney p=|not judged: \d+ of \d+ messages lie above it)/m
  )
  // the median rests on every message: the rank test judges it, with the one-run noise floor
  assert.match(table.stdout, /^delivery\.latency\.p50\n.*\n.*\n\s+2\s+.*Mann-Whitney p=.*noise floor 25 %/m)

  const json = await runCourier(['trend', history, '--json', '--figure', 'delivery.latency.p95', 'delivery.loss', '--html', join(dir, 'out', 'trend.html')])
  assert.equal(json.code, 0, json.stderr)
  const trend = JSON.parse(json.stdout) as TrendJson
  assert.equal(trend.scenario.name, 'pair')
  assert.deepEqual(
    trend.points.map((p) => p.seeds),
    [[5], [6]]
  )
  assert.deepEqual(
    trend.figures.map((f) => f.metric),
    ['delivery.latency.p95', 'delivery.loss']
  )
  assert.equal(trend.figures[1].steps[1]?.change, '~', 'no loss either night')
  const page = await readFile(join(dir, 'out', 'trend.html'), 'utf8')
  assert.match(page, /<script type="application\/json" id="courier-trend">/)

  // the nightly gate: no loss either night, so nothing worse on it
  const gate = await runCourier(['trend', history, '--figure', 'delivery.loss', 'delivery.lost', '--fail-on-worse'])
  assert.equal(gate.code, 0, gate.stdout + gate.stderr)

  // recording a run again replaces it; another file starts a new history
  const again = await runCourier(['report', join(runs, 'night-1', 'run-1'), '--history', history])
  assert.equal(again.code, 0, again.stderr)
  assert.match(again.stderr, /\(2 run\(s\) of pair\)/)
  const fresh = await runCourier(['report', join(runs, 'run-1'), '--history', join(dir, 'other.sqlite')])
  assert.equal(fresh.code, 0, fresh.stderr)
  const one = JSON.parse((await runCourier(['trend', join(dir, 'other.sqlite'), '--json'])).stdout) as TrendJson
  assert.deepEqual(
    one.points.map((p) => p.runs),
    [1]
  )

  // bad input: exit 2 naming what is wrong, no stack trace, nothing run
  const typo = await runCourier(['trend', history, '--figure', 'delivery.latncy.p95'])
  assert.equal(typo.code, 2, typo.stderr)
  assert.match(typo.stderr, /--figure.*no recorded run has the figure "delivery\.latncy\.p95"/s)
  assert.match(typo.stderr, /did you mean "delivery\.latency\.p95"\?/)
  const unknown = await runCourier(['trend', history, '--scenario', 'piar'])
  assert.equal(unknown.code, 2)
  assert.match(unknown.stderr, /did you mean "pair"\?/)
  const junk = join(dir, 'junk.sqlite')
  await writeFile(junk, 'these are my notes, not a database\n'.repeat(200))
  const notDb = await runCourier(['trend', junk])
  assert.equal(notDb.code, 2, notDb.stderr)
  assert.ok(notDb.stderr.includes(junk), 'names the file')
  assert.match(notDb.stderr, /not a courier history database/)
  const refused = await runCourier(['run', scenario, '--out', join(dir, 'never'), '--history', junk, '--no-progress'])
  assert.equal(refused.code, 2, refused.stderr)
  assert.ok(refused.stderr.includes(junk))
  assert.ok(!existsSync(join(dir, 'never')), 'the run did not start')
  for (const r of [typo, unknown, notDb, refused]) assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace')
})

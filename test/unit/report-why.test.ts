// The one-line "why" of a failed threshold and where the report explains it, as HTML, Markdown
// and JUnit show it: checked on real runs (fixtures/runs/*-real) and on a hand-written Results
// whose evidence is known without running the code under test.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Results, ThresholdResult } from '../../harness/interface/index.js'
import { buildReportData, renderJUnit, renderMarkdown } from '../../reports/index.js'
import { thresholdEvidence } from '../../reports/why.js'
import { craftedResults } from '../helpers/reports/crafted-results.js'

async function realResults(name: string): Promise<Results> {
  return JSON.parse(await readFile(join('fixtures', 'runs', name, 'results.json'), 'utf8')) as Results
}

const threshold = (metric: string, over: Partial<ThresholdResult> = {}): ThresholdResult => ({
  metric,
  expression: '== 0',
  value: 1,
  unit: 'count',
  passed: false,
  message: '',
  ...over
})

test('store.inSync names the store that is missing messages, and the send times of what it lacks', async () => {
  const results = await realResults('store-out-of-sync-real')
  const t = results.thresholds.find((x) => x.metric === 'store.inSync')!
  assert.equal(t.passed, false)
  assert.deepEqual(thresholdEvidence(results, t), { section: 'rel-audit', why: 'store-2 is missing 10 of 34 messages (sent 0-10 s: 10)' })
})

test('push.phantom names the device and the messages shown too late', async () => {
  const results = await realResults('phantom-push-real')
  const t = results.thresholds.find((x) => x.metric === 'push.phantom')!
  const ev = thresholdEvidence(results, t)
  assert.equal(ev.section, 'rel-push')
  assert.match(
    ev.why ?? '',
    /^bob: 3 pushes announced messages not shown within 3 s \(alice-1 shown 5\.91 s after its push, alice-2 shown 4\.92 s after its push, alice-3 shown 3\.91 s after its push\)$/
  )
})

test('delivery thresholds name the devices that lost or were slow, and the lost messages; a device metric points at its row', () => {
  const results = craftedResults()
  assert.deepEqual(thresholdEvidence(results, threshold('delivery.loss')), {
    section: 'devices',
    why: 'alice lost 3 of 200 (alice-0003, crowd-000017, crowd-000018); bob (failed) lost 3 of 200 (alice-0003, crowd-000017, crowd-000018)'
  })
  assert.match(
    thresholdEvidence(results, threshold('delivery.latency.p95')).why ?? '',
    /^slowest: alice p95 2\.81 s \(max 7\.3 s, 197 messages\); bob p95 2\.81 s/
  )
  const own = thresholdEvidence(results, threshold('delivery.bob.duplicates.rate'))
  assert.equal(own.device, 'bob')
  assert.equal(own.why, 'no duplicate arrivals')
  assert.deepEqual(thresholdEvidence(results, threshold('devices.failed')), {
    section: 'devices',
    why: 'bob failed at 289 s: driver session lost: socket hang up'
  })
  assert.equal(thresholdEvidence(results, threshold('metadata.mismatches')).section, 'metrics')
})

test('Markdown lists a why line per failed threshold; JUnit puts it in the failure', async () => {
  const results = await realResults('store-out-of-sync-real')
  const md = renderMarkdown(results)
  assert.match(md, /\nWhy:\n\n- store\.inSync: store-2 is missing 10 of 34 messages \(sent 0-10 s: 10\)\n/)
  const xml = renderJUnit(results)
  assert.match(
    xml,
    /<failure [^>]*type="threshold">store\.inSync measured false; wanted true\nwhy: store-2 is missing 10 of 34 messages \(sent 0-10 s: 10\)<\/failure>/
  )
  // a passing run has no why section
  assert.doesNotMatch(renderMarkdown(await realResults('smoke-real')), /Why:/)
})

test("report.html data: a threshold on one device's figure links to that device's row, others to their section", () => {
  const results = craftedResults({
    thresholds: [
      threshold('delivery.bob.loss', { value: 0.015, unit: 'ratio', expression: '== 0' }),
      threshold('delivery.loss', { value: 0.015, unit: 'ratio', expression: '== 0' }),
      threshold('store.inSync', { value: true, unit: 'boolean', expression: 'true', passed: true })
    ]
  })
  const data = buildReportData(results, [])
  assert.deepEqual(data.deviceOrder, ['alice', 'bob'])
  const byMetric = Object.fromEntries(data.thresholds.map((t) => [t.metric, t]))
  assert.equal(byMetric['delivery.bob.loss']!.href, '#device-1')
  assert.equal(byMetric['delivery.bob.loss']!.why, 'bob (failed) lost 3 of 200 (alice-0003, crowd-000017, crowd-000018)')
  assert.equal(byMetric['delivery.loss']!.href, '#devices')
  assert.equal(byMetric['store.inSync']!.href, '#rel-audit')
  assert.equal(byMetric['store.inSync']!.why, null, 'a passed threshold has no why')
})

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { renderConsoleSummary } from '../../reports/index.js'
import { craftedResults } from '../helpers/reports/crafted-results.js'

const ANSI = /\u001b\[[0-9;]*m/g

function lines(text: string): string[] {
  return text.split('\n')
}

test('console summary starts with the verdict and the scenario, and says how many thresholds failed', () => {
  const text = renderConsoleSummary(craftedResults(), { color: false })
  const first = lines(text)[0]!
  assert.match(first, /^FAIL\s+prague-crowded-topic$/)
  assert.match(text, /seed 42, scenario 10m 00s/)
  assert.match(text, /2 of 4 thresholds failed/)
})

test('failed thresholds come first, each with the measured value and what was wanted', () => {
  const text = renderConsoleSummary(craftedResults(), { color: false })
  const rows = lines(text).filter((l) => /^\s+(FAIL|pass)\s/.test(l))
  assert.equal(rows.length, 4)
  assert.match(rows[0]!, /FAIL\s+delivery\.latency\.p95\s+2\.81 s\s+< 2s/)
  assert.match(rows[1]!, /FAIL\s+delivery\.loss\s+1\.5 %\s+== 0/)
  assert.ok(
    rows.slice(2).every((r) => r.trimStart().startsWith('pass')),
    'passed thresholds after the failed ones'
  )
  assert.match(text, /pass\s+bytes\.alice\.down\.perMessage\s+1\.84 kB\s+< 2kB/)
})

test('delivery table has one row per device with expected, delivered, lost, latency and duplicates by path', () => {
  const text = renderConsoleSummary(craftedResults(), { color: false })
  assert.match(text, /1,220 messages sent \(20 by devices, 1,200 by the crowd\)/)
  const alice = lines(text).find((l) => l.trimStart().startsWith('alice'))!
  assert.match(alice, /alice\s+200\s+197\s+3 \(1\.5 %\)\s+84 ms\s+2\.81 s\s+7\.3 s\s+relay 4, store 1/)
  const bob = lines(text).find((l) => l.trimStart().startsWith('bob'))!
  assert.match(bob, /FAILED$/)
  assert.doesNotMatch(alice, /FAILED/)
  assert.match(text, /all devices\s+400\s+394\s+6/)
})

test('harness health line says whether figures can be trusted, and why a run is inconclusive', () => {
  const ok = renderConsoleSummary(craftedResults(), { color: false })
  assert.match(ok, /harness: event-loop lag p99 12 ms \(limit 200 ms\).*figures trustworthy/)

  const base = craftedResults()
  const saturated = renderConsoleSummary(
    craftedResults({
      verdict: 'inconclusive',
      verdictReasons: ['harness event-loop lag p99 450 ms exceeded the limit of 200 ms'],
      harness: { ...base.harness, lagP99Ms: 450, saturated: true }
    }),
    { color: false }
  )
  assert.match(lines(saturated)[0]!, /^INCONCLUSIVE/)
  assert.match(saturated, /cannot be trusted/)
  assert.match(saturated, /- harness event-loop lag p99 450 ms exceeded the limit of 200 ms/)
  assert.match(saturated, /SATURATED/)
  assert.doesNotMatch(saturated, /figures trustworthy/)
})

test('colour only when asked; the coloured text reads the same once escape codes are removed', () => {
  const mono = renderConsoleSummary(craftedResults(), { color: false })
  const color = renderConsoleSummary(craftedResults(), { color: true })
  assert.doesNotMatch(mono, ANSI)
  assert.match(color, /\u001b\[1;31mFAIL/)
  assert.equal(color.replace(ANSI, ''), mono)
})

test('names from the run cannot drive the terminal', () => {
  const base = craftedResults()
  const text = renderConsoleSummary(
    craftedResults({
      delivery: { ...base.delivery, devices: { 'evil\u001b[2J\u001b]0;pwned\u0007': base.delivery.devices.alice! } }
    }),
    { color: false }
  )
  assert.doesNotMatch(text, /\u001b/)
  assert.match(text, /evil\?\[2J\?\]0;pwned\?/)
})

test('the replay command quotes a scenario path with spaces', () => {
  const text = renderConsoleSummary(craftedResults(), { color: false })
  assert.match(text, /replay: npx courier run 'scenarios\/prague crowded\.yaml' --seed 42/)
})

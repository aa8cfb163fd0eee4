import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { buildResults } from '../../harness/runner/results.js'
import { readEventLog } from '../../harness/runner/index.js'
import { renderConsoleSummary, writeRunReports } from '../../reports/index.js'
import { synthesizeRun } from '../helpers/synthetic-run.js'
import { REPO_ROOT, tempDir } from '../helpers/cli.js'

// User-chosen names that are also JavaScript object names must be names like any other: a device
// called `constructor` ran a whole fleet and then lost its run in analysis.

const OBJECT_NAMES = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf']

test('devices named after Object.prototype members are analysed, gated and reported like any other', async () => {
  const run = synthesizeRun({ devices: ['alice', ...OBJECT_NAMES], offline: null })
  // the generator marks only its offline device online: every device comes online at the start here
  const [start, ...rest] = run.events
  const events = [start, ...['alice', ...OBJECT_NAMES].map((device) => ({ t: 1000, type: 'device.online' as const, device })), ...rest]
  const results = buildResults({ events })
  assert.deepEqual(Object.keys(results.delivery.devices).sort(), ['alice', ...OBJECT_NAMES].sort())
  for (const name of OBJECT_NAMES) {
    const d = results.delivery.devices[name]
    assert.equal(Object.hasOwn(results.delivery.devices, name), true, name)
    assert.equal(typeof d.expected, 'number', name)
    assert.ok(d.expected > 0, `${name} expected ${d.expected}`)
    assert.equal(typeof results.metrics[`delivery.${name}.loss`]?.value, 'number', name)
  }
  // results.json round-trips: JSON keeps __proto__ as a plain key
  const back = JSON.parse(JSON.stringify(results)) as typeof results
  assert.equal(Object.hasOwn(back.delivery.devices, '__proto__'), true)
  const dir = await tempDir()
  await writeRunReports(dir, results, events, {})
  const html = await readFile(join(dir, 'report.html'), 'utf8')
  assert.match(html, /hasOwnProperty/)
  assert.match(renderConsoleSummary(results, { color: false }), /constructor/)
})

test('a run.start without its scenario (the shipped synthetic fixtures) is reported, saying what could not be rebuilt', async () => {
  const events = await readEventLog(join(REPO_ROOT, 'fixtures/runs/small-fail/events.ndjson'))
  const results = buildResults({ events })
  assert.deepEqual(Object.keys(results.delivery.devices).sort(), ['alice', 'alice-2', 'bob'])
  assert.ok(results.delivery.messages.sent > 0)
  assert.ok(
    (results.gaps ?? []).some((gap) => /no scenario\.devices/.test(gap)),
    JSON.stringify(results.gaps)
  )
  assert.ok((results.gaps ?? []).some((gap) => /no scenario\.expect: no thresholds/.test(gap)))
})

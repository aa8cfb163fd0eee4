import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { metricCatalogue } from '../../harness/analysis/index.js'

// The metric catalogue is what a threshold may name and the unit its target is read in ("30s" on
// a ms metric is 30000; "2MB" on a bytes metric is 2e6). Two independent sources pin it: the
// README's metric table, which users read to write thresholds, and the units a user would infer
// from each name, worked out here by rule. A name missing from the catalogue is refused in
// validation; a wrong unit reads every threshold on that metric wrong.
const README = readFileSync(fileURLToPath(new URL('../../../README.md', import.meta.url)), 'utf8')
const input = { devices: ['alice'], nodes: ['relay-1'], flows: ['login'] }
const LATENCY_STATS = ['p50', 'p90', 'p95', 'p99', 'max', 'mean']

function expandBraces(pattern: string): string[] {
  const m = /\{([^{}]*)\}/.exec(pattern)
  if (m == null) return [pattern]
  const options = m[1] === '...' ? LATENCY_STATS : m[1].split(',')
  return options.flatMap((o) => expandBraces(pattern.slice(0, m.index) + o + pattern.slice(m.index + m[0].length)))
}

/** Every metric name the README's table documents, with its placeholders filled from `input`. */
function documentedNames(): Set<string> {
  const section = README.slice(README.indexOf('## Metrics (names thresholds may use)'))
  const table = section.slice(0, section.indexOf('\n## ')).split('\n')
  const names = new Set<string>()
  for (const row of table.filter((line) => line.startsWith('| `'))) {
    const cell = row.split('|')[1]
    let prefix = ''
    for (const [, code] of cell.matchAll(/`([^`]+)`/g)) {
      // a name starting with a dot continues the one before it: `.lost` after `delivery.loss`,
      // `.projected.perDay` after `bytes.<owner>.background.perHour`
      const full = code.startsWith('.') ? prefix + code : code
      if (!code.startsWith('.')) {
        const placeholder = full.indexOf('>')
        prefix = placeholder >= 0 ? full.slice(0, placeholder + 1) : full.replace(/\.\{.*$/, '').replace(/\.[^.]+$/, '')
      }
      const filled = full
        .replace('<device or node>', '{alice,relay-1}')
        .replace('<owner>', '{alice,relay-1}')
        .replace('<device>', 'alice')
        .replace('<name>', 'login')
      for (const name of expandBraces(filled)) names.add(name)
    }
  }
  // `delivery.<device>.…`: every overall delivery metric, for one device
  for (const name of [...names]) {
    if (name === 'delivery.alice.…') names.delete(name)
    else if (name.startsWith('delivery.') && !name.startsWith('delivery.alice.')) names.add(name.replace('delivery.', 'delivery.alice.'))
  }
  return names
}

/** The unit a user reads off a metric's name. */
function unitByName(name: string): string {
  if (/\.(inSync|consistent|passed)$/.test(name)) return 'boolean'
  if (/^energy\.[^.]+\.(joules|joulesPerMessage)$|^censorship\.[^.]+\.joules$/.test(name)) return 'joules'
  if (/\.mAh$/.test(name)) return 'mAh'
  if (/\.mAhPerHour$/.test(name)) return 'mAh/h'
  if (/\.radioActiveSeconds$/.test(name)) return 'seconds'
  if (/\.(loss|duplicates\.rate|tailShare)$/.test(name)) return 'ratio'
  if (/^bytes\..*\.perHour$|BytesPerHour$/.test(name)) return 'bytes/h'
  if (/^bytes\.|^censorship\.[^.]+\.bytes$/.test(name)) return 'bytes'
  if (/\.(latency|renderLatency|lag|stages\.[a-zA-Z]+)\.|\.(failover|notice|healToDelivery)\.max$|renderDelay|\.duration$|reachedMs$/.test(name)) return 'ms'
  return 'count'
}

test('the metric catalogue holds exactly the metrics the README documents, for every device, node and flow', () => {
  const catalogue = metricCatalogue(input)
  const documented = documentedNames()
  assert.ok(documented.size > 100, `the README table was read: ${documented.size} names`)
  assert.deepEqual(
    [...catalogue.keys()].filter((name) => !documented.has(name)),
    [],
    'in the catalogue but not in the README'
  )
  assert.deepEqual(
    [...documented].filter((name) => !catalogue.has(name)),
    [],
    'in the README but not in the catalogue'
  )
})

test("each metric's unit is the one its name says: ms for latencies and waits, bytes and bytes/h, joules, mAh, ratios, booleans, counts", () => {
  const wrong = [...metricCatalogue(input)]
    .filter(([name, unit]) => unit !== unitByName(name))
    .map(([name, unit]) => `${name}: ${unit}, expected ${unitByName(name)}`)
  assert.deepEqual(wrong, [])
})

test('the catalogue follows the scenario: per-device, per-node and per-flow metrics only for those that exist', () => {
  const bare = metricCatalogue({ devices: [] })
  assert.ok(
    ![...bare.keys()].some(
      (name) => /^(bytes|energy|crowd|censorship)\.[^.]+\./.test(name) || /^flow\./.test(name) || /^delivery\.[a-z][a-z0-9-]*\.latency/.test(name)
    )
  )
  const two = metricCatalogue({ devices: ['alice', 'bob'], nodes: ['store-1'], flows: ['login', 'send'] })
  for (const name of [
    'delivery.bob.latency.p95',
    'bytes.store-1.total',
    'energy.bob.joules',
    'flow.send.passed',
    'censorship.bob.reachedMs',
    'crowd.bob.messagesPerHour'
  ]) {
    assert.ok(two.has(name), name)
  }
  assert.equal(two.has('energy.store-1.joules'), false, 'nodes have bytes, not a radio')
})

import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { readdir, readFile } from 'node:fs/promises'
import { connect } from 'node:net'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { CourierEvent, Results } from '../../harness/interface/index.js'
import { parseScenario } from '../../harness/scenario/index.js'
import { runScenario } from '../../harness/runner/index.js'
import { REPO_ROOT, runCourier, startCourier, tempDir, writeScenario, waitForScenarioStart } from '../helpers/cli.js'
import { nightlyTest, test } from '../helpers/suite.js'

// the checks here are outcomes and exit codes, not milliseconds: other test files run beside these
const SHORT = (expect: string, extra = '', maxLag = '200ms'): string => `name: short
seed: 3
duration: 4s
grace: 2s
network: { relays: 3, stores: 1 }
crowd: { topic: lobby, users: 50, rate: 4/s }
devices:
  alice: { driver: simulated }
  bob: { driver: simulated }
timeline:
  - { at: 1s, send: { from: alice, count: 3, every: 300ms } }
${extra}harness: { maxLagP99: ${maxLag} }
expect:
${expect}
`

async function readJson<T>(file: string): Promise<T> {
  return JSON.parse(await readFile(file, 'utf8')) as T
}

async function events(runDir: string): Promise<CourierEvent[]> {
  return (await readFile(join(runDir, 'events.ndjson'), 'utf8'))
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as CourierEvent)
}

test('the shipped smoke scenario passes with exit 0, a summary table and a run directory', async () => {
  const out = join(await tempDir(), 'run')
  const result = await runCourier(['run', 'scenarios/smoke.yaml', '--out', out])
  assert.equal(result.code, 0, result.stderr + result.stdout)
  assert.match(result.stdout, /PASS\s+smoke/)
  assert.match(result.stdout, /delivery\.loss/)
  assert.match(result.stderr, /\[smoke\] (traffic|grace|stopping)/, 'a progress line is printed while it runs')
  const results = await readJson<Results>(join(out, 'results.json'))
  assert.equal(results.schemaVersion, 1)
  assert.equal(results.verdict, 'pass')
  assert.equal(results.delivery.overall.lost, 0)
  assert.ok(results.delivery.overall.delivered > 20, `delivered ${results.delivery.overall.delivered}`)
  assert.ok(results.metrics['delivery.latency.p95'].value != null)
  assert.equal(typeof (results.tool as { node: string }).node, 'string')
  const log = await events(out)
  assert.equal(log[0].type, 'run.start')
  assert.equal(log.at(-1)?.type, 'run.end')
  assert.ok(
    log.some((e) => e.type === 'msg.relayed'),
    'relays report messages'
  )
  assert.ok(
    log.some((e) => e.type === 'msg.stored'),
    'the store archives messages'
  )
})

nightlyTest('an impossible threshold fails the run with exit 1 and names the threshold', async () => {
  const dir = await tempDir()
  const file = await writeScenario(dir, 'impossible.yaml', SHORT('  delivery.latency.p50: "< 0.001ms"\n  delivery.loss: "== 0"'))
  const result = await runCourier(['run', file, '--out', join(dir, 'run'), '--no-progress'])
  assert.equal(result.code, 1, result.stderr + result.stdout)
  assert.match(result.stdout, /FAIL/)
  assert.match(result.stdout, /delivery\.latency\.p50/)
  const results = await readJson<Results>(join(dir, 'run', 'results.json'))
  const failed = results.thresholds.filter((t) => !t.passed).map((t) => t.metric)
  assert.deepEqual(failed, ['delivery.latency.p50'])
})

test('broken YAML exits 2 with the file and line, starts nothing, prints no stack trace', async () => {
  const dir = await tempDir()
  const file = await writeScenario(dir, 'broken.yaml', 'name: broken\nduration: 5s\ndevices:\n  alice: { driver: simulated\n')
  const result = await runCourier(['run', file, '--out', join(dir, 'run')])
  assert.equal(result.code, 2)
  assert.match(result.stderr, /broken\.yaml:\d+:\d+/)
  assert.doesNotMatch(result.stderr, /\n\s+at .+\(.+:\d+:\d+\)/, 'no stack trace')
  assert.equal(existsSync(join(dir, 'run')), false, 'nothing was started or written')
})

test('a typo in a field gets a did-you-mean, and validate checks every shipped scenario', async () => {
  const dir = await tempDir()
  const file = await writeScenario(dir, 'typo.yaml', SHORT('  delivery.los: "== 0"'))
  const bad = await runCourier(['validate', file])
  assert.equal(bad.code, 2)
  assert.match(bad.stderr, /typo\.yaml:14:3: expect\.delivery\.los: unknown metric/)
  assert.match(bad.stderr, /did you mean "delivery\.loss"/)
  const files = await shippedScenarios()
  const shipped = await runCourier(['validate', ...files])
  assert.equal(shipped.code, 0, shipped.stderr)
  for (const file of files) assert.match(shipped.stdout, new RegExp(`ok\\s+${file.replace(/[.]/g, '\\.')}`))
  assert.ok(files.length >= 20, `${files.length} shipped scenarios`)
})

test('SIGINT during a run exits 130, writes partial results and leaves no process or port behind', async () => {
  const dir = await tempDir()
  const file = await writeScenario(dir, 'long.yaml', SHORT('  delivery.loss: "== 0"').replace('duration: 4s', 'duration: 60s'))
  const out = join(dir, 'run')
  const { child, done } = startCourier(['run', file, '--out', out, '--no-progress'])
  await waitForScenarioStart(out)
  await sleep(1000)
  const started = Date.now()
  child.kill('SIGINT')
  const result = await done
  assert.equal(result.code, 130, result.stderr)
  assert.ok(Date.now() - started < 15_000, 'teardown is prompt')
  const results = await readJson<Results>(join(out, 'results.json'))
  assert.equal(results.status, 'interrupted')
  assert.equal(results.verdict, 'interrupted')
  const log = await events(out)
  assert.equal(log.at(-1)?.type, 'run.end')
  assert.ok(
    log.some((e) => e.type === 'msg.sent'),
    'what was recorded before the signal is kept'
  )
  // every port a node listened on is closed
  const ports = log.flatMap((e) => (e.type === 'node.up' ? e.addrs.map((a) => Number(/\/tcp\/(\d+)/.exec(a)?.[1])) : []))
  assert.ok(ports.length >= 4)
  for (const port of ports) {
    const refused = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1')
      socket.on('connect', () => {
        socket.destroy()
        resolve(false)
      })
      socket.on('error', () => {
        resolve(true)
      })
    })
    assert.ok(refused, `port ${port} still accepts connections`)
  }
  assert.throws(() => process.kill(child.pid ?? -1, 0), 'the courier process is gone')
})

test('offline-catchup recovers every missed message from the store (failing over from its dead store), and the store path shows in duplicates', async () => {
  const out = join(await tempDir(), 'run')
  const result = await runCourier(['run', 'scenarios/offline-catchup.yaml', '--out', out, '--no-progress'])
  assert.equal(result.code, 0, result.stderr + result.stdout)
  const results = await readJson<Results>(join(out, 'results.json'))
  assert.equal(results.delivery.overall.lost, 0)
  const bob = results.delivery.devices.bob
  assert.ok((bob.firstByPath.store ?? 0) > 0, 'bob got missed messages from the store')
  assert.ok((bob.duplicates.byPath.store ?? 0) > 0, 'the overlap of the history request shows as store duplicates')
  assert.ok((results.bytes?.owners.bob?.duplicateBytes.store ?? 0) > 0, "and their bytes are counted against bob's store path")
  assert.equal(results.bytes?.owners.alice?.duplicateBytes.store, undefined, 'alice stayed online: no store duplicates')
  assert.equal(results.store.byStore['store-1']?.failed, 2, 'two failed requests to the dead store-1, then the switch')
  assert.deepEqual(
    results.reliability?.storeChoice.switches.map((s) => [s.device, s.from, s.to]),
    [['bob', 'store-1', 'store-2']]
  )
  assert.ok((results.store.byStore['store-2']?.queries ?? 0) >= 1 && results.store.byStore['store-2']?.failed === 0)
  assert.equal(results.reliability?.sentChecks.alice?.confirmed, 13, "each of alice's messages confirmed by a store")
})

test('courier report recomputes the same results from the event log alone', async () => {
  const dir = await tempDir()
  const file = await writeScenario(dir, 'short.yaml', SHORT('  delivery.loss: "== 0"'))
  const out = join(dir, 'run')
  // CI asks for its test report in folders that do not exist yet: they are made
  const first = await runCourier([
    'run',
    file,
    '--out',
    out,
    '--no-progress',
    '--junit',
    join(dir, 'ci/junit/junit.xml'),
    '--markdown',
    join(dir, 'ci/md/summary.md')
  ])
  assert.equal(first.code, 0, first.stderr)
  assert.match(await readFile(join(dir, 'ci/junit/junit.xml'), 'utf8'), /<testsuite /)
  assert.match(await readFile(join(dir, 'ci/md/summary.md'), 'utf8'), /delivery\.loss/)
  const original = await readJson<Results>(join(out, 'results.json'))
  const again = await runCourier(['report', out])
  assert.equal(again.code, 0, again.stderr)
  const recomputed = await readJson<Results>(join(out, 'results.json'))
  assert.deepEqual(recomputed.metrics, original.metrics)
  assert.deepEqual(recomputed.thresholds, original.thresholds)
  assert.equal(recomputed.verdict, original.verdict)
})

test('an existing non-empty run directory is never overwritten', async () => {
  const dir = await tempDir()
  const file = await writeScenario(dir, 'short.yaml', SHORT('  delivery.loss: "== 0"'))
  await writeScenario(dir, 'keep.txt', 'recorded')
  const result = await runCourier(['run', file, '--out', dir, '--no-progress'])
  assert.equal(result.code, 2)
  assert.match(result.stderr, /not empty/)
  assert.equal(await readFile(join(dir, 'keep.txt'), 'utf8'), 'recorded')
})

test('a killed and restarted node is reported and survived; a saturated harness makes the run inconclusive (exit 3)', async () => {
  const dir = await tempDir()
  const faults = '  - { at: 1s, kill: { node: relay-1, for: 1s } }\n  - { at: 1500ms, kill: store-1 }\n'
  // a lag limit of 0 ms cannot be met by any real process: the verdict must say the figures are not trustworthy
  const text = SHORT('  delivery.latency.p95: "< 10s"', faults, '0ms')
  const file = await writeScenario(dir, 'faults.yaml', text)
  const out = join(dir, 'run')
  const result = await runCourier(['run', file, '--out', out, '--no-progress'], { retrySaturated: false })
  assert.equal(result.code, 3, result.stderr + result.stdout)
  assert.match(result.stdout, /INCONCLUSIVE|inconclusive/)
  const results = await readJson<Results>(join(out, 'results.json'))
  assert.equal(results.status, 'complete')
  assert.equal(results.verdict, 'inconclusive')
  assert.match(results.verdictReasons.join(' '), /saturated/)
  const log = await events(out)
  const downs = log.filter((e) => e.type === 'node.down' && e.reason === 'killed').map((e) => (e as { node: string }).node)
  assert.deepEqual(downs.sort(), ['relay-1', 'store-1'])
  assert.equal(log.filter((e) => e.type === 'node.up' && e.node === 'relay-1').length, 2, 'relay-1 came back')
})

test('a report that cannot be written is exit 3 naming it, with results.json kept; a --junit path that is a folder is refused before the run', async () => {
  const dir = await tempDir()
  const file = await writeScenario(dir, 'tiny.yaml', 'name: tiny\nduration: 1s\ngrace: 200ms\nnetwork: { relays: 1, stores: 0 }\ncapture: off\n')
  const runDir = join(dir, 'run')
  const warnings: string[] = []
  const outcome = await runScenario(parseScenario(await readFile(file, 'utf8'), file), {
    runDir,
    thresholds: [],
    signal: new AbortController().signal,
    log: {
      info: () => {},
      debug: () => {},
      warn: (text: string) => {
        warnings.push(text)
      }
    },
    createDevice: () => assert.fail('the scenario has no devices'),
    onResults: async () => {
      throw new Error(`EACCES: permission denied, open '${join(dir, 'ci/junit.xml')}'`)
    }
  })
  assert.equal(outcome.exitCode, 3)
  assert.equal(outcome.results.verdict, 'pass', 'the run itself passed: only its report is missing')
  assert.match(warnings.join('\n'), /a report could not be written: EACCES: permission denied, open '.*ci\/junit\.xml'/)
  assert.equal((await readJson<Results>(join(runDir, 'results.json'))).verdict, 'pass')
  const refused = await runCourier(['run', file, '--out', join(dir, 'run-2'), '--no-progress', '--junit', dir])
  assert.equal(refused.code, 2, refused.stderr)
  assert.match(refused.stderr, /--junit: .* is a directory/)
  assert.ok(!existsSync(join(dir, 'run-2', 'events.ndjson')), 'nothing started')
})

test('validate checks device profiles too, without asking any server', async () => {
  const dir = await tempDir()
  const file = await writeScenario(dir, 'phone.yaml', 'name: x\nduration: 5s\ndevices:\n  phone: { driver: appium, profile: nope.yaml }\n')
  const result = await runCourier(['validate', file])
  assert.equal(result.code, 2)
  assert.match(result.stderr, /phone\.yaml:4:\d+: devices\.phone\.profile: device profile not found/)
})

/** Every scenario the repository ships, relative to its root. */
async function shippedScenarios(): Promise<string[]> {
  const out: string[] = []
  for (const dir of ['scenarios', 'scenarios/problems', 'scenarios/nightly']) {
    for (const name of (await readdir(join(REPO_ROOT, dir))).sort()) if (name.endsWith('.yaml')) out.push(`${dir}/${name}`)
  }
  return out
}

import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { REPO_ROOT, runCourier, startCourier, tempDir } from '../helpers/cli.js'
import { SCENARIO, alive, failedThresholds, firstSeconds, jsWakuChildren, run } from '../helpers/js-waku.js'
import { nightlyTest, test } from '../helpers/suite.js'

/**
 * scenarios/clients.yaml's first 11 s through the CLI with a real js-waku process (the whole run,
 * healthy, is in the nightly suite: test/nightly/clients.test.ts): with a js-waku that
 * drops every third pushed message (caught by its loss figures), and with its process killed
 * mid-run (device.failed, the run completes, nothing left running).
 */

// one run at a time (tests in a file run in order): each starts a fleet, three devices and a
// js-waku process on a shared 2-core machine
test('a js-waku that never shows every third pushed message fails on its losses', async () => {
  const { result, results } = await run(await firstSeconds(), { COURIER_JSWAKU_BROKEN: 'drop-third' })
  const label = `drop-third: exit ${result.code}\n${result.stdout}`
  assert.equal(result.code, 1, label)
  assert.deepEqual(failedThresholds(results), ['delivery.jswaku.lost', 'delivery.loss'], label)
  // the client under test is named with the version installed beside courier
  const sdk = JSON.parse(await readFile(join(REPO_ROOT, 'node_modules/@waku/sdk/package.json'), 'utf8')) as { version: string }
  assert.deepEqual(results.clients?.jswaku, { name: '@waku/sdk', version: sdk.version, source: '@waku/sdk/package.json' })
  assert.match(result.stdout, new RegExp(`clients: jswaku @waku/sdk ${sdk.version.replace(/\./g, '\\.')}`))
})

nightlyTest('a js-waku process killed mid-run is one device.failed, the run completes and nothing is left running', async () => {
  let killed: number | undefined
  const { result, results, events, children } = await run(await firstSeconds(), {}, async (pids) => {
    assert.equal(pids.length, 1)
    killed = pids[0]
    process.kill(killed, 'SIGKILL')
  })
  const label = `killed js-waku: exit ${result.code}\n${result.stdout}\n${result.stderr}`
  assert.equal(results.status, 'complete', label)
  const failed = events.filter((e) => e.type === 'device.failed')
  assert.deepEqual(
    failed.map((e) => (e as { device: string }).device),
    ['jswaku'],
    label
  )
  assert.match((failed[0] as { error: string }).error, /js-waku process exited \(SIGKILL\)/)
  assert.equal(events.at(-1)?.type, 'run.end')
  assert.ok(failedThresholds(results).includes('devices.failed'), label)
  assert.equal(result.code, 1, label)
  assert.ok(killed != null && !alive(killed))
  assert.deepEqual(children.filter(alive), [], 'nothing left running')
})

nightlyTest('courier itself killed (SIGKILL): its js-waku process goes too', async () => {
  const out = join(await tempDir('courier-jswaku-'), 'run')
  const { child, done } = startCourier(['run', await firstSeconds(), '--out', out, '--no-progress'])
  let pids: number[] = []
  for (let i = 0; i < 600 && pids.length === 0 && child.exitCode == null; i++) {
    const text = await readFile(join(out, 'events.ndjson'), 'utf8').catch(() => '')
    if (text.includes('"type":"scenario.start"')) pids = jsWakuChildren(child.pid ?? -1)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  assert.equal(pids.length, 1, 'the js-waku process was running')
  child.kill('SIGKILL')
  await done
  for (let i = 0; i < 30 && alive(pids[0]); i++) await new Promise((resolve) => setTimeout(resolve, 100))
  assert.ok(!alive(pids[0]), 'the js-waku process outlived courier by 3 s')
})

test('courier doctor says what a js-waku device needs and whether it is there', async () => {
  const result = await runCourier(['doctor', SCENARIO, '--json'], { timeoutMs: 60_000 })
  const doc = JSON.parse(result.stdout) as { checks: Array<{ id: string; status: string; neededBy: string[]; found: string }> }
  const check = doc.checks.find((c) => c.id === 'js-waku')
  assert.ok(check != null, result.stdout)
  assert.deepEqual(check.neededBy, ['jswaku'])
  assert.equal(check.status, 'ok', check.found)
  assert.match(check.found, /@waku\/sdk 0\.0\.36/)
})

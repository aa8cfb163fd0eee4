// The web client in Chromium end to end through the real CLI: a broken page caught by the figures,
// a browser killed mid-run, and the artifacts a failure keeps. The whole shipped
// scenarios/clients-browser.yaml (45 s) runs in the nightly suite: test/nightly/clients-browser.test.ts.
import assert from 'node:assert/strict'
import { readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { BrowserDevice } from '../../devices/browser/index.js'
import { SimulatedDevice } from '../../devices/simulated/index.js'
import type { CourierEvent } from '../../harness/interface/index.js'
import { peerIdForIdentity } from '../../harness/protocol/index.js'
import { runScenario } from '../../harness/runner/index.js'
import { parseScenario } from '../../harness/scenario/index.js'
import { writeRunReports } from '../../reports/index.js'
import { runCourier, startCourier, tempDir, writeScenario } from '../helpers/cli.js'
import { chromiumProcesses, load } from '../helpers/browser.js'
import { nightlyTest, test } from '../helpers/suite.js'

test('a page that drops every third message it receives is caught by delivery.loss (exit 1), the reference client unaffected', async () => {
  // the same devices as the shipped scenario, for a few seconds: the check, not the catch-up, is on trial
  const dir = await tempDir()
  const file = await writeScenario(
    dir,
    'broken.yaml',
    `name: browser-drop
duration: 8s
grace: 3s
network: { relays: 2, stores: 1 }
devices:
  ref: { driver: simulated, topics: [chat] }
  web: { driver: browser, topics: [chat], dropEvery: 3 }
timeline:
  - { at: 1s, send: { from: ref, topic: chat, count: 6, every: 1s, size: 300B } }
  - { at: 1500ms, send: { from: web, topic: chat, count: 3, every: 1s, size: 300B } }
harness: { maxLagP99: 1s }
expect:
  delivery.loss: "== 0"
`
  )
  const out = join(dir, 'run')
  const result = await runCourier(['run', file, '--out', out, '--no-progress'], { timeoutMs: 180_000 })
  assert.equal(result.code, 1, result.stderr + result.stdout)
  const { results } = await load(out)
  const failed = results.thresholds.filter((t) => !t.passed).map((t) => t.metric)
  assert.deepEqual(failed, ['delivery.loss'])
  assert.equal(results.delivery.devices.web.lost, 2, `web lost ${results.delivery.devices.web.lostMessages.join(', ')}`)
  assert.equal(results.delivery.devices.ref.lost, 0)
  // the page's client and the browser it ran in, as the device reported them
  assert.equal(results.clients?.web?.name, '@waku/sdk')
  assert.match(results.clients?.web?.version ?? '', /^\d+\.\d+\.\d+$/)
  assert.match(results.clients?.web?.build ?? '', /^(Headless)?Chrome\/\d+\./)
})

nightlyTest('the browser killed mid-run: the device is marked failed, the run completes, and nothing of Chromium is left running', async () => {
  const before = new Set((await chromiumProcesses()).map((p) => p.pid))
  const dir = await tempDir()
  const file = await writeScenario(
    dir,
    'crash.yaml',
    `name: browser-crash
duration: 12s
grace: 2s
network: { relays: 2, stores: 1 }
devices:
  ref: { driver: simulated, topics: [chat] }
  web: { driver: browser, topics: [chat] }
timeline:
  - { at: 500ms, send: { from: ref, topic: chat, count: 10, every: 1s } }
harness: { maxLagP99: 1s }
`
  )
  const out = join(dir, 'run')
  const { child, done } = startCourier(['run', file, '--out', out, '--no-progress'])
  const deadline = Date.now() + 120_000
  let killed: number | undefined
  while (killed == null && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 250))
    const log = await readFile(join(out, 'events.ndjson'), 'utf8').catch(() => '')
    if (!log.includes('"type":"msg.rendered","device":"web"')) continue
    killed = (await chromiumProcesses()).find((p) => p.main && !before.has(p.pid))?.pid
    if (killed != null) process.kill(killed, 'SIGKILL')
  }
  if (killed == null) child.kill('SIGINT')
  const result = await done
  assert.ok(killed != null, 'the browser never rendered a message, so it was not killed')
  assert.equal(result.code, 0, result.stderr + result.stdout)
  const { results, events } = await load(out)
  const failedEvents = events.filter((e) => e.type === 'device.failed')
  assert.deepEqual(
    failedEvents.map((e) => (e as { device: string }).device),
    ['web']
  )
  const failedAt = failedEvents[0].t
  assert.equal(events.at(-1)?.type, 'run.end')
  assert.equal((events.at(-1) as { status: string }).status, 'complete')
  assert.ok(
    events.some((e) => e.type === 'msg.sent' && e.device === 'ref' && e.t > failedAt),
    'the reference client went on sending'
  )
  assert.equal(results.delivery.devices.ref.lost, 0)
  assert.deepEqual(results.metrics['devices.failed'], { value: 1, unit: 'count' })
  assert.ok((await stat(join(out, 'devices/web/console.log'))).size > 0, "the page's console log was kept")
  assert.match(await readFile(join(out, 'report.html'), 'utf8'), /devices\/web\/console\.log/)
  await new Promise((resolve) => setTimeout(resolve, 500))
  const leftover = (await chromiumProcesses()).filter((p) => !before.has(p.pid))
  assert.deepEqual(leftover, [], 'no Chromium process left running')
})

test('a page that cannot join the fleet fails its device with a screenshot, a Playwright trace and the console log in the run directory, linked from the report', async () => {
  const dir = await tempDir()
  const file = await writeScenario(
    dir,
    's.yaml',
    'name: browser-fails\nduration: 2s\ngrace: 500ms\nnetwork: { relays: 1, stores: 0 }\ndevices:\n  good: { topics: [chat] }\n  web: { driver: browser, topics: [chat] }\ntimeline:\n  - { at: 200ms, send: { from: good, topic: chat, count: 2, every: 200ms } }\n'
  )
  const loaded = parseScenario(await readFile(file, 'utf8'), file)
  const runDir = join(dir, 'run')
  const deadRelay = `/ip4/127.0.0.1/tcp/9/ws/p2p/${await peerIdForIdentity('browser-test/nobody')}`
  const quiet = { info: () => {}, warn: () => {}, debug: () => {} }
  await runScenario(loaded, {
    runDir,
    thresholds: [],
    signal: new AbortController().signal,
    log: quiet,
    createDevice: (name, _config, topics, c) =>
      name === 'web'
        ? new BrowserDevice({ name, topics, peers: 1, startTimeoutMs: 12_000 }, { ...c, fleet: { ...c.fleet, websocket: { relays: [deadRelay], stores: [] } } })
        : new SimulatedDevice({ name, topics, relays: 1 }, c),
    onResults: async (dir, results, log) => {
      await writeRunReports(dir, results, log.passes)
    }
  })
  const { events } = await load(runDir)
  assert.equal(events.filter((e) => e.type === 'device.failed' && e.device === 'web').length, 1)
  const artifacts = events.filter((e): e is Extract<CourierEvent, { type: 'device.artifact' }> => e.type === 'device.artifact' && e.device === 'web')
  const report = await readFile(join(runDir, 'report.html'), 'utf8')
  for (const kind of ['screenshot', 'trace', 'log'] as const) {
    const artifact = artifacts.find((a) => a.kind === kind)
    assert.ok(artifact != null, `a ${kind} was kept`)
    assert.ok((await stat(join(runDir, artifact.file))).size > 0, `${artifact.file} is not empty`)
    assert.ok(report.includes(artifact.file), `the report links ${artifact.file}`)
  }
})

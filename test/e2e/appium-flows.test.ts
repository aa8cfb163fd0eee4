import assert from 'node:assert/strict'
import { readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { CourierEvent, Results } from '../../harness/interface/index.js'
import { launchChromium, openFile } from '../helpers/reports/browser.js'
import { REPO_ROOT, runCourier, tempDir, writeScenario } from '../helpers/cli.js'
import { nightlyTest, test } from '../helpers/suite.js'

const PROFILE = join(REPO_ROOT, 'devices/profiles/courier-ci.yaml')
const EXAMPLE_FLOW = join(REPO_ROOT, 'scenarios/flows/open-chat.spec.js')

// Three ways a QA flow goes wrong: a selector that finds nothing, an assertion that fails, and a
// wait that would outlast the flow's timeout.
const BROKEN_FLOW = `import assert from 'node:assert/strict'
describe('broken flow', () => {
  it('reads the status line', async () => {
    assert.ok((await screen.texts('usable')).length > 0)
  })
  it('taps a button that does not exist', async () => {
    await driver.$('~No such button').click()
  })
  it('counts the messages wrongly', async () => {
    assert.equal((await screen.texts('messageText')).length, 999, 'nine hundred ninety-nine messages on screen')
  })
  it('misspells an element of the profile', async () => {
    await screen.tap('sendButon')
  })
})
`
const HANGING_FLOW = `describe('hanging flow', () => {
  it('waits for a text that never shows', async () => {
    await screen.waitForText('messageText', 'a message nobody sends', { timeout: 60000 })
  })
})
`

async function events(runDir: string): Promise<CourierEvent[]> {
  return (await readFile(join(runDir, 'events.ndjson'), 'utf8'))
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as CourierEvent)
}

test('QA flows on an appium device: the example flow passes and is timed; broken and hanging flows are reported failed (results, JUnit, summary) while the run goes on', async () => {
  const dir = await tempDir()
  await writeFile(join(dir, 'broken.spec.mjs'), BROKEN_FLOW)
  await writeFile(join(dir, 'hangs.spec.mjs'), HANGING_FLOW)
  // these runs are about flows, not latency: two Appium servers on a shared 2-core machine may
  // push the harness's lag past the default 50 ms and make the run inconclusive (exit 3)
  const scenario = await writeScenario(
    dir,
    's.yaml',
    `name: appium-flows
seed: 4
duration: 9s
grace: 2s
harness: { maxLagP99: 1s }
network: { relays: 2, stores: 1 }
devices:
  phone: { driver: appium, profile: ${PROFILE}, topics: [chat] }
  alice: { driver: simulated, topics: [chat] }
timeline:
  - { at: 300ms, send: { from: alice, topic: chat, count: 2, every: 200ms, text: "before the flows" } }
  - { at: 1s, flow: { device: phone, spec: ${EXAMPLE_FLOW}, timeout: 6s } }
  - { at: 2s, flow: { device: phone, spec: broken.spec.mjs, timeout: 4s } }
  - { at: 4s, flow: { device: phone, spec: hangs.spec.mjs, name: hangs, timeout: 2s } }
  - { at: 6500ms, send: { from: alice, topic: chat, count: 3, every: 200ms, text: "after the flows" } }
  - { at: 7500ms, send: { from: phone, topic: chat, count: 2, every: 200ms, text: "courier's own sends after the flows" } }
expect:
  flow.open-chat.duration: "< 5s"
  flows.failed: "== 0"
`
  )
  const runDir = join(dir, 'run')
  const junit = join(dir, 'junit.xml')
  const result = await runCourier(['run', scenario, '--out', runDir, '--no-progress', '--junit', junit], { timeoutMs: 90_000 })
  // the failed flows fail the flows.failed threshold: the run itself completed
  assert.equal(result.code, 1, result.stderr + result.stdout)
  const results = JSON.parse(await readFile(join(runDir, 'results.json'), 'utf8')) as Results
  assert.equal(results.status, 'complete')
  assert.deepEqual(
    results.thresholds.map((t) => [t.metric, t.passed]),
    [
      ['flow.open-chat.duration', true],
      ['flows.failed', false]
    ]
  )

  const flows = results.flows ?? []
  assert.deepEqual(
    flows.map((f) => [f.name, f.passed]),
    [
      ['open-chat', true],
      ['broken', false],
      ['hangs', false]
    ]
  )
  const [example, broken, hangs] = flows
  assert.equal(example.tests, 3)
  assert.equal(example.passes, 3)
  assert.ok(example.durationMs != null && example.durationMs > 0 && example.durationMs < 5000, `example flow duration ${example.durationMs}`)
  assert.deepEqual(results.metrics['flow.open-chat.duration'], { value: example.durationMs, unit: 'ms' })
  assert.deepEqual(results.metrics['flows.failed'], { value: 2, unit: 'count' })
  assert.deepEqual(results.metrics['flows.run'], { value: 3, unit: 'count' })

  assert.equal(broken.tests, 4)
  assert.equal(broken.passes, 1)
  assert.equal(broken.failures, 3)
  assert.match(broken.failedTests[0].title, /taps a button that does not exist/)
  assert.match(broken.failedTests[0].error, /No such button.*\(broken\.spec\.mjs:7:\d+\)/)
  assert.match(broken.failedTests[1].error, /nine hundred ninety-nine messages on screen \(broken\.spec\.mjs:10:\d+\)/)
  assert.match(broken.failedTests[2].error, /screen has no element "sendButon" \(did you mean "sendButton"\?\)/)
  // the missing selector costs WebdriverIO's short wait (1 s), not minutes
  assert.ok(broken.durationMs != null && broken.durationMs < 3000, `broken flow took ${broken.durationMs} ms`)

  assert.match(hangs.error ?? '', /timed out after 2 s/)
  assert.ok(hangs.durationMs != null && hangs.durationMs >= 2000 && hangs.durationMs < 4000, `hanging flow stopped after ${hangs.durationMs} ms`)

  // the run went on: the phone is not failed and got alice's messages sent after the flows;
  // courier's own sends from the phone after the flows worked (the app was back on the chat)
  const phone = results.delivery.devices.phone
  assert.equal(phone.failed, false)
  assert.equal(phone.expected, 5)
  assert.equal(phone.delivered, 5)
  assert.equal(results.delivery.devices.alice.delivered, 2)

  const log = await events(runDir)
  // the example flow's message went through the app and the fleet to alice
  assert.ok(
    log.some((e) => e.type === 'msg.received' && e.device === 'alice' && e.msgId.startsWith('phone-ui-')),
    'alice received the message the flow sent'
  )
  const tests = log.filter((e) => e.type === 'flow.test' && e.flow === 'broken')
  assert.deepEqual(
    tests.map((e) => (e as { passed: boolean }).passed),
    [true, false, false, false]
  )
  const artifacts = log.filter((e) => e.type === 'device.artifact').map((e) => (e as { file: string }).file)
  assert.ok(artifacts.includes('devices/phone/flow-broken-screenshot.png'), artifacts.join(', '))
  assert.ok((await stat(join(runDir, 'devices/phone/flow-broken-page-source.xml'))).size > 0)

  const xml = await readFile(junit, 'utf8')
  assert.match(xml, /<testcase classname="courier\.appium-flows\.flows" name="open-chat on phone" time="[\d.]+"\/>/)
  assert.match(
    xml,
    /<testcase classname="courier\.appium-flows\.flows" name="broken on phone" time="[\d.]+">\s*<failure message="flow broken on phone failed: [^"]*No such button[^"]*" type="flow\.failed">/
  )
  assert.match(xml, /name="hangs on phone"[^>]*>\s*<failure message="[^"]*timed out after 2 s/)

  assert.match(result.stdout, /flows: 3 run, 2 failed/)
  assert.match(result.stdout, /open-chat\s+phone\s+pass\s+3\/3/)
  assert.match(result.stdout, /broken\s+phone\s+FAIL\s+1\/4/)

  // the HTML report has a flows section a reader sees
  const browser = await launchChromium()
  try {
    const { page, watch } = await openFile(browser, join(runDir, 'report.html'))
    const section = await page.locator('#flows').innerText()
    assert.match(section, /3 run, 2 failed/)
    assert.match(section, /broken\s+broken\.spec\.mjs\s+phone[\s\S]*FAIL[\s\S]*No such button/)
    assert.deepEqual([...watch.pageErrors, ...watch.consoleErrors], [])
  } finally {
    await browser.close()
  }
})

test('a flow on a simulated device, a missing spec and a TypeScript spec are validation errors with file, line and field (exit 2)', async () => {
  const dir = await tempDir()
  await writeFile(join(dir, 'sign-in.spec.ts'), 'describe("x", () => {})\n')
  const scenario = await writeScenario(
    dir,
    's.yaml',
    `name: flows-invalid
duration: 10s
devices:
  phone: { driver: appium, profile: ${PROFILE} }
  alice: { driver: simulated }
timeline:
  - { at: 1s, flow: { device: alice, spec: ${EXAMPLE_FLOW} } }
  - { at: 2s, flow: { device: phone, spec: flows/nowhere.spec.js } }
  - { at: 3s, flow: { device: phone, spec: sign-in.spec.ts } }
expect:
  flow.open-chat.duration: "< 5s"
  flow.nowhere.passed: true
  flow.sign-in.duration: "< 5s"
`
  )
  const result = await runCourier(['validate', scenario], { timeoutMs: 30_000 })
  assert.equal(result.code, 2, result.stderr)
  assert.match(
    result.stderr,
    /s\.yaml:7:\d+: timeline\[0\]\.flow\.device: flows run on appium devices only; "alice" is a simulated device\n {2}expected: an appium device \(driver: appium\)[^\n]*\n {2}found: {4}alice \(driver: simulated\)\n {2}hint: {5}appium devices here: phone/
  )
  assert.match(result.stderr, /s\.yaml:8:\d+: timeline\[1\]\.flow\.spec: flow spec not found[\s\S]*found: {4}flows\/nowhere\.spec\.js/)
  assert.match(result.stderr, /s\.yaml:9:\d+: timeline\[2\]\.flow\.spec: not a JavaScript spec file[\s\S]*hint: {5}compile TypeScript flows first/)
  assert.doesNotMatch(result.stderr, /unknown metric/, 'flow metrics are known to the threshold check')
  assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace')

  // the same scenario with the flow on the appium device and real specs is valid
  await writeFile(join(dir, 'sign-in.spec.js'), 'describe("x", () => {})\n')
  await writeFile(join(dir, 'nowhere.spec.js'), 'describe("x", () => {})\n')
  const fixed = (await readFile(scenario, 'utf8'))
    .replace('device: alice', 'device: phone')
    .replace('flows/nowhere', 'nowhere')
    .replace('sign-in.spec.ts', 'sign-in.spec.js')
  const ok = await runCourier(['validate', await writeScenario(dir, 'fixed.yaml', fixed)], { timeoutMs: 30_000 })
  assert.equal(ok.code, 0, ok.stderr)
})

nightlyTest('flows on two phones at the same time each see their own session, device and screen', async () => {
  const dir = await tempDir()
  await writeFile(
    join(dir, 'overlap.spec.mjs'),
    `import assert from 'node:assert/strict'
describe('overlap', () => {
  it('sees its own device throughout', async () => {
    const device = flow.device
    const session = driver.sessionId
    for (let i = 0; i < 12; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100))
      assert.equal(flow.device, device, 'flow.device changed under a running flow')
      assert.equal(driver.sessionId, session, 'driver changed under a running flow')
      await screen.texts('messageText')
    }
  })
  it('sends from its own app', async () => {
    await screen.type('messageInput', 'sent by the flow on ' + flow.device)
    await screen.tap('sendButton')
    await screen.waitForText('messageText', 'sent by the flow on ' + flow.device)
  })
})
`
  )
  const scenario = await writeScenario(
    dir,
    's.yaml',
    `name: appium-flows-overlap
duration: 8s
grace: 1s
harness: { maxLagP99: 1s }
network: { relays: 1, stores: 0 }
devices:
  phone: { driver: appium, profile: ${PROFILE}, topics: [chat] }
  tablet: { driver: appium, profile: ${PROFILE}, topics: [chat] }
  alice: { driver: simulated, topics: [chat] }
timeline:
  - { at: 1s, flow: { device: phone, spec: overlap.spec.mjs, timeout: 6s } }
  - { at: 1s, flow: { device: tablet, spec: overlap.spec.mjs, timeout: 6s } }
`
  )
  const runDir = join(dir, 'run')
  const result = await runCourier(['run', scenario, '--out', runDir, '--no-progress'], { timeoutMs: 90_000 })
  assert.equal(result.code, 0, result.stderr + result.stdout)
  const results = JSON.parse(await readFile(join(runDir, 'results.json'), 'utf8')) as Results
  const flows = results.flows ?? []
  assert.deepEqual(flows.map((f) => [f.device, f.passed, f.failedTests]).sort(), [
    ['phone', true, []],
    ['tablet', true, []]
  ])
  // they overlapped: each started before the other ended
  const [a, b] = flows
  assert.ok(a.durationMs != null && b.durationMs != null && b.t < a.t + a.durationMs && a.t < b.t + b.durationMs, JSON.stringify(flows))
  // each flow typed into its own app: the test app names what its UI sends after its device
  const received = (await events(runDir)).flatMap((e) => (e.type === 'msg.received' && e.device === 'alice' ? [e.msgId] : [])).sort()
  assert.deepEqual(received, ['phone-ui-1', 'tablet-ui-1'])
})

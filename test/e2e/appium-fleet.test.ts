import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { CourierEvent, EventOf, Results } from '../../harness/interface/index.js'
import { REPO_ROOT, runCourier, tempDir, writeScenario } from '../helpers/cli.js'
import { freeBasePort } from '../helpers/ports.js'
import { nightlyTest, test } from '../helpers/suite.js'

const SHIPPED_PROFILE = join(REPO_ROOT, 'devices/profiles/courier-ci-fleet.yaml')

// what is checked is counts, events and texts, not milliseconds: a busy machine's lag must not make the run inconclusive
const SCENARIO = (options: { profile: string; dataDir: string; ports?: number }): string => `name: appium-fleet-steps
seed: 4
duration: 5s
grace: 2s
network: { relays: 2, stores: 1${options.ports == null ? '' : `, ports: ${options.ports}`} }
devices:
  phone: { driver: appium, profile: ${options.profile}, topics: [chat], capabilities: { "courier:dataDir": ${JSON.stringify(options.dataDir)} } }
  alice: { driver: simulated, topics: [chat] }
timeline:
  - { at: 300ms, send: { from: alice, topic: chat, count: 3, every: 200ms, text: "to the phone" } }
  - { at: 1500ms, send: { from: phone, topic: chat, count: 3, every: 200ms, text: "to alice" } }
harness: { maxLagP99: 1s }
expect:
  delivery.loss: "== 0"
`

async function events(runDir: string): Promise<CourierEvent[]> {
  return (await readFile(join(runDir, 'events.ndjson'), 'utf8'))
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as CourierEvent)
}

async function deviceLog(runDir: string): Promise<string[]> {
  const text = await readFile(join(runDir, 'devices/phone/logcat.ndjson'), 'utf8').catch(() => '')
  return text
    .trim()
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => (JSON.parse(line) as { message: string }).message)
}

/** relay-1's TCP address: what `{{fleet.boot[0]}}` must have put into the app. */
function firstBoot(log: CourierEvent[]): string {
  const up = log.find((e): e is EventOf<'node.up'> => e.type === 'node.up' && e.node === 'relay-1')
  assert.ok(up != null, 'relay-1 came up')
  return up.addrs[0]
}

test("an appium device's fleet: steps enter the run's fleet through the app's settings (nothing behind Appium's back), messages flow both ways, and the next run with the same addresses skips them", async () => {
  const dir = await tempDir()
  const dataDir = join(dir, 'app-data')
  const file = await writeScenario(dir, 's.yaml', SCENARIO({ profile: SHIPPED_PROFILE, dataDir, ports: await freeBasePort() }))

  const first = join(dir, 'run-1')
  const result = await runCourier(['run', file, '--out', first, '--no-progress'])
  assert.equal(result.code, 0, result.stderr + result.stdout)
  const log = await events(first)
  const boot = firstBoot(log)
  const fleetEvents = log.filter((e): e is EventOf<'device.fleet'> => e.type === 'device.fleet')
  assert.deepEqual(
    fleetEvents.map((e) => [e.device, e.action, e.current, e.wanted, e.after, e.steps]),
    [['phone', 'set', 'none', boot, boot, 5]],
    "a fresh app shows no fleet: the five steps ran and it then showed the run's"
  )
  // the app learnt the fleet from what was typed into it, and from nothing else
  const appLog = await deviceLog(first)
  assert.ok(
    appLog.some((line) => line.includes(`fleet set: boot ${boot};`)),
    appLog.join('\n')
  )
  assert.ok(
    appLog.some((line) => line.includes(`joined the fleet through ${boot} (pubsub topic /waku/2/rs/16/32`)),
    appLog.join('\n')
  )
  const serverLog = await readFile(join(first, 'devices/phone/appium-server.log'), 'utf8')
  assert.match(serverLog, /courier:device/, "the server log shows the session's capabilities")
  assert.doesNotMatch(serverLog, /courier:fleet/, 'no fleet addresses in the capabilities')
  const results = JSON.parse(await readFile(join(first, 'results.json'), 'utf8')) as Results
  assert.equal(results.delivery.devices.phone?.delivered, 3, "the phone received alice's messages over the fleet it was given")
  assert.equal(results.delivery.devices.alice?.delivered, 3, "and alice the phone's")
  const usable = log.findIndex((e) => e.type === 'device.usable' && e.device === 'phone')
  const fleetAt = log.findIndex((e) => e.type === 'device.fleet')
  const firstSend = log.findIndex((e) => e.type === 'msg.sent' && e.device === 'phone')
  assert.ok(usable < fleetAt && fleetAt < firstSend, 'the fleet is set after the app is usable and before it sends')

  // the same scenario again: same addresses (network.ports), the app kept its fleet (noReset)
  const second = join(dir, 'run-2')
  const again = await runCourier(['run', file, '--out', second, '--no-progress'])
  assert.equal(again.code, 0, again.stderr + again.stdout)
  const log2 = await events(second)
  assert.equal(firstBoot(log2), boot, 'network.ports: the same boot address as the first run')
  assert.deepEqual(
    log2.filter((e) => e.type === 'device.fleet').map((e) => [e.action, e.current]),
    [['kept', boot]],
    "the app was on the run's fleet already: no steps"
  )
  assert.ok(!(await deviceLog(second)).some((line) => line.includes('fleet set:')), 'nothing was typed into the settings')
})

nightlyTest('fleet: steps that enter the wrong address are caught: the device fails to start saying what the app shows', async () => {
  const dir = await tempDir()
  // a broken profile: the store's address typed where the boot node goes
  const profile = (await readFile(SHIPPED_PROFILE, 'utf8')).replace(
    '{ type: "id=org.courier.testapp:id/fleet_boot", text: "{{fleet.boot[0]}}" }',
    '{ type: "id=org.courier.testapp:id/fleet_boot", text: "{{fleet.store[0]}}" }'
  )
  assert.match(profile, /fleet_boot", text: "\{\{fleet\.store\[0\]\}\}"/)
  const profileFile = join(dir, 'wrong.yaml')
  await writeFile(profileFile, profile)
  const file = await writeScenario(dir, 's.yaml', SCENARIO({ profile: profileFile, dataDir: join(dir, 'app-data') }))
  const out = join(dir, 'run')
  const result = await runCourier(['run', file, '--out', out, '--no-progress'])
  assert.equal(result.code, 3, result.stderr + result.stdout)
  const log = await events(out)
  const failed = log.find((e): e is EventOf<'device.failed'> => e.type === 'device.failed' && e.device === 'phone')
  assert.ok(failed != null, 'the phone is marked failed')
  const store = log.find((e): e is EventOf<'node.up'> => e.type === 'node.up' && e.node === 'store-1')?.addrs[0]
  assert.match(failed.error, /after its fleet: steps the app shows "(.+)" as its fleet, not "(.+)"/)
  assert.ok(failed.error.includes(`shows "${store ?? '?'}"`) && failed.error.includes(`not "${firstBoot(log)}"`), failed.error)
  assert.equal(log.filter((e) => e.type === 'device.fleet').length, 0, 'no fleet was reported set')
})

nightlyTest("an Appium server courier started outlives the device's start time limit (timeouts.start must not kill it mid-run)", async () => {
  const dir = await tempDir()
  const profile = (await readFile(join(REPO_ROOT, 'devices/profiles/courier-ci.yaml'), 'utf8')).replace(/ {2}start: 30s\n/, '  start: 20s\n')
  assert.match(profile, / {2}start: 20s\n/)
  const profileFile = join(dir, 'phone.yaml')
  await writeFile(profileFile, profile)
  // traffic runs well past 20 s after the device's start began
  const file = await writeScenario(
    dir,
    's.yaml',
    `name: appium-outlives-start
duration: 26s
grace: 2s
network: { relays: 1, stores: 0 }
devices:
  phone: { driver: appium, profile: ${profileFile}, topics: [chat] }
  alice: { driver: simulated, topics: [chat] }
timeline:
  - { at: 22s, send: { from: alice, topic: chat, count: 3, every: 300ms, text: "late" } }
harness: { maxLagP99: 1s }
expect:
  delivery.phone.lost: "== 0"
`
  )
  const out = join(dir, 'run')
  const result = await runCourier(['run', file, '--out', out, '--no-progress'])
  assert.equal(result.code, 0, result.stderr + result.stdout)
  const log = await events(out)
  assert.equal(log.filter((e) => e.type === 'device.failed').length, 0, 'the phone did not fail')
  assert.equal(log.filter((e) => e.type === 'msg.rendered' && e.device === 'phone').length, 3, 'the phone showed the messages sent 22 s into the traffic')
})

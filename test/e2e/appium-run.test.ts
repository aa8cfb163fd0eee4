import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { readdir, readFile, stat, writeFile } from 'node:fs/promises'
import { connect, createServer } from 'node:net'
import { join } from 'node:path'
import { startAppiumServer } from '../../devices/appium/index.js'
import type { CourierEvent, Results } from '../../harness/interface/index.js'
import { REPO_ROOT, runCourier, startCourier, tempDir, writeScenario, waitForScenarioStart } from '../helpers/cli.js'
import { nightlyTest, test } from '../helpers/suite.js'

const SECRETS = { COURIER_APPIUM_USER: 'sekret-user-7f3a1', COURIER_APPIUM_KEY: 'sekret-key-9c1e2', COURIER_TESTAPP_PASSWORD: 'sekret-pass-44d2b' }

async function profile(dir: string, extra: { capabilities?: string } = {}): Promise<string> {
  const base = await readFile(join(REPO_ROOT, 'devices/profiles/courier-ci.yaml'), 'utf8')
  let text = base.replace(
    / {2}- \{ type: "id=org\.courier\.testapp:id\/password", text: "not-a-secret" \}.*\n/,
    '  - { type: "id=org.courier.testapp:id/password", env: COURIER_TESTAPP_PASSWORD }\n'
  )
  assert.notEqual(text, base, "the CI profile's sign-in step changed: update this test")
  if (extra.capabilities != null) text = text.replace('capabilities:\n', `capabilities:\n${extra.capabilities}`)
  const file = join(dir, 'phone.yaml')
  await writeFile(file, text)
  return file
}

async function events(runDir: string): Promise<CourierEvent[]> {
  return (await readFile(join(runDir, 'events.ndjson'), 'utf8'))
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as CourierEvent)
}

/** Every file under the run directory, as text (binary files too: a secret would show as bytes). */
async function allFiles(dir: string): Promise<Array<{ file: string; text: string }>> {
  const out: Array<{ file: string; text: string }> = []
  for (const entry of await readdir(dir, { recursive: true })) {
    const file = join(dir, entry)
    if ((await stat(file)).isFile()) out.push({ file, text: (await readFile(file)).toString('latin1') })
  }
  return out
}

function assertNoSecrets(files: Array<{ file: string; text: string }>, output: string): void {
  assert.ok(files.length >= 5, `expected a full run directory, found ${files.length} files`)
  for (const secret of Object.values(SECRETS)) {
    for (const { file, text } of files) assert.ok(!text.includes(secret), `a secret is in ${file}`)
    assert.ok(!output.includes(secret), 'a secret is in the CLI output')
  }
}

/** Ports the Appium servers of a run listened on, from their logs in the run directory. */
async function serverPorts(runDir: string): Promise<number[]> {
  const ports: number[] = []
  for (const { file, text } of await allFiles(runDir)) {
    if (!file.endsWith('appium-server.log')) continue
    for (const match of text.matchAll(/listener started on http:\/\/127\.0\.0\.1:(\d+)/g)) ports.push(Number(match[1]))
  }
  return ports
}

async function portOpen(port: number): Promise<boolean> {
  return await new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => {
      resolve(false)
    })
  })
}

function launcherProcesses(port: number): string[] {
  const ps = execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' })
  return ps.split('\n').filter((line) => line.includes('server-launcher.js') && line.includes(`--port ${port}`))
}

test('an appium device (courier driver, server started by courier) and a simulated device exchange messages both ways with zero loss; secrets stay out of the run', async () => {
  const dir = await tempDir()
  const phone = await profile(dir)
  const scenario = await writeScenario(
    dir,
    's.yaml',
    `name: appium-both-ways
seed: 3
duration: 5s
grace: 2s
network: { relays: 2, stores: 1 }
devices:
  phone: { driver: appium, profile: ${phone}, topics: [chat] }
  alice: { driver: simulated, topics: [chat] }
timeline:
  - { at: 300ms, send: { from: alice, topic: chat, count: 3, every: 200ms, text: "to the phone" } }
  - { at: 1s, send: { from: phone, topic: chat, count: 3, every: 200ms, text: "from the phone" } }
  - { at: 2s, offline: { device: phone, for: 1500ms } }
  - { at: 2300ms, send: { from: alice, topic: chat, count: 2, every: 200ms, text: "while offline" } }
harness: { maxLagP99: 400ms }
expect:
  delivery.phone.lost: "== 0"
  delivery.alice.lost: "== 0"
`
  )
  const runDir = join(dir, 'run')
  const result = await runCourier(['run', scenario, '--out', runDir, '--no-progress'], { env: SECRETS, timeoutMs: 90_000 })
  assert.equal(result.code, 0, result.stderr + result.stdout)
  const results = JSON.parse(await readFile(join(runDir, 'results.json'), 'utf8')) as Results
  const delivery = results.delivery
  assert.equal(delivery.devices.phone.expected, 5, "the phone should expect alice's 5 messages")
  assert.equal(delivery.devices.phone.delivered, 5)
  assert.equal(delivery.devices.alice.expected, 3)
  assert.equal(delivery.devices.alice.delivered, 3)
  // latency figures for both directions: render time on the phone, arrival at the simulated device
  assert.ok((delivery.devices.phone.latency.p50 ?? 0) > 0, 'phone latency figures exist')
  assert.ok((delivery.devices.alice.latency.p50 ?? 0) > 0, 'alice latency figures exist')
  assert.ok((delivery.devices.phone.renderLatency.count ?? 0) === 5)

  const log = await events(runDir)
  const of = (type: string): CourierEvent[] => log.filter((e) => e.type === type && 'device' in e && e.device === 'phone')
  assert.equal(of('device.usable').length, 1)
  assert.deepEqual(
    of('device.clock').map((e) => (e as { phase: string }).phase),
    ['start', 'end']
  )
  const batteryEnd = of('device.battery').find((e) => (e as { phase: string }).phase === 'end') as
    | { bytesRx?: number; radioActiveMs?: number; mAh?: number }
    | undefined
  assert.ok(
    batteryEnd != null && (batteryEnd.bytesRx ?? 0) > 0 && (batteryEnd.radioActiveMs ?? 0) > 0 && (batteryEnd.mAh ?? 0) > 0,
    `batterystats figures read: ${JSON.stringify(batteryEnd)}`
  )
  assert.ok(
    of('device.status').some((e) => (e as { status: string }).status === 'upToDate'),
    'the up-to-date indicator was read after coming back'
  )
  assert.match(result.stderr + result.stdout, /fleet for phone .*relays \/ip4\/127\.0\.0\.1\/tcp\/\d+\/p2p\//)
  // the app version installed on the phone, as its package manager reports it (not the --build file's)
  assert.deepEqual(results.clients?.phone, { name: 'org.courier.testapp', version: '1.4.2', build: '142', source: 'dumpsys package (the installed app)' })
  assert.match(result.stdout, /clients: phone org\.courier\.testapp 1\.4\.2 \(142\)/)

  assertNoSecrets(await allFiles(runDir), result.stdout + result.stderr)
  // courier's own scan looked for the profile's sign-in password and found nothing (nor a false positive in Appium's logs)
  assert.deepEqual(results.leaks?.configured, ['COURIER_TESTAPP_PASSWORD'])
  assert.equal(results.leaks?.count, 0, JSON.stringify(results.leaks?.findings.slice(0, 3)))
  const ports = await serverPorts(runDir)
  assert.equal(ports.length, 1, 'one Appium server was started')
  assert.equal(await portOpen(ports[0]), false, 'the Appium server port is closed after the run')
  assert.deepEqual(launcherProcesses(ports[0]), [], 'no Appium server process is left')
})

test('a session that dies mid-run (given server URL, credentials from env) marks the device failed with its artifacts; the run still writes results', async (t) => {
  const server = await startAppiumServer({ drivers: ['courier'], allowInsecure: ['courier:adb_shell'] })
  t.after(async () => {
    await server.stop()
  })
  const dir = await tempDir()
  // the app crashes 6 s after launch: during the traffic phase (its start, sign-in to chat open,
  // took over 2.5 s at load 4, and a device that fails before the traffic makes the run inconclusive)
  const phone = await profile(dir, { capabilities: '  courier:dieAfterMs: 6000\n  courier:clockSkewMs: 4000\n' })
  const scenario = await writeScenario(
    dir,
    's.yaml',
    `name: appium-dies
duration: 9s
grace: 1s
network: { relays: 2, stores: 0 }
devices:
  phone:
    driver: appium
    profile: ${phone}
    topics: [chat]
    server: { url: "${server.url}", user: COURIER_APPIUM_USER, key: COURIER_APPIUM_KEY }
  alice: { driver: simulated, topics: [chat] }
timeline:
  - { at: 300ms, send: { from: alice, topic: chat, count: 25, every: 300ms } }
harness: { maxLagP99: 400ms }
`
  )
  const runDir = join(dir, 'run')
  const result = await runCourier(['run', scenario, '--out', runDir, '--no-progress', '--junit', join(dir, 'junit.xml')], { env: SECRETS, timeoutMs: 60_000 })
  assert.equal(result.code, 0, result.stderr + result.stdout)
  const results = JSON.parse(await readFile(join(runDir, 'results.json'), 'utf8')) as Results
  assert.equal(results.delivery.devices.phone.failed, true)
  assert.equal(results.delivery.devices.alice.failed, false)
  const log = await events(runDir)
  // the phone's clock runs 4 s ahead: the round-trip estimate finds it to within half a round trip
  const clock = log.find((e) => e.type === 'device.clock') as { offsetMs: number; rttMs: number } | undefined
  assert.ok(clock != null && Math.abs(clock.offsetMs - 4000) <= clock.rttMs / 2 + 1, JSON.stringify(clock))
  const failed = log.filter((e) => e.type === 'device.failed')
  assert.equal(failed.length, 1, 'reported once')
  assert.match((failed[0] as { error: string }).error, /crash|session|terminated|shut down/i)
  const artifacts = log.filter((e) => e.type === 'device.artifact').map((e) => (e as { file: string }).file)
  const screenshot = artifacts.find((file) => file.endsWith('screenshot.png'))
  assert.ok(screenshot != null, `a screenshot was saved: ${artifacts.join(', ')}`)
  assert.deepEqual([...(await readFile(join(runDir, screenshot))).subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47], 'a real PNG')
  assert.ok(artifacts.some((file) => file.endsWith('page-source.xml')))
  assert.ok(artifacts.some((file) => file.endsWith('logcat.ndjson')))
  assert.match(await readFile(join(dir, 'junit.xml'), 'utf8'), /phone/)
  assertNoSecrets(await allFiles(runDir), result.stdout + result.stderr)
  // the scan looked for the server's user and key and the sign-in password, through a page source, a device log and a screenshot
  assert.deepEqual(results.leaks?.configured.slice().sort(), ['COURIER_APPIUM_KEY', 'COURIER_APPIUM_USER', 'COURIER_TESTAPP_PASSWORD'])
  assert.equal(results.leaks?.count, 0, JSON.stringify(results.leaks?.findings.slice(0, 3)))
})

test('an unreachable Appium server exits 3 fast, before the fleet starts, saying what to check', async () => {
  const dir = await tempDir()
  // a port nothing listens on: bound and closed just now
  const port = await new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port
      s.close(() => {
        resolve(p)
      })
    })
  })
  const scenario = await writeScenario(
    dir,
    's.yaml',
    `name: appium-unreachable
duration: 2s
devices:
  phone: { driver: appium, profile: ${join(REPO_ROOT, 'devices/profiles/courier-ci.yaml')}, server: { url: "http://127.0.0.1:${port}" } }
`
  )
  const started = Date.now()
  const result = await runCourier(['run', scenario, '--out', join(dir, 'run'), '--no-progress'], { timeoutMs: 30_000 })
  assert.equal(result.code, 3, result.stderr)
  assert.ok(Date.now() - started < 8000, `took ${Date.now() - started} ms`)
  assert.match(result.stderr, new RegExp(`no Appium server answers at http://127\\.0\\.0\\.1:${port}`))
  assert.match(result.stderr, /check that the server is running/)
})

test("Ctrl-C during a run with an appium device exits 130, takes the phone's end-of-run readings before its Appium server stops, and leaves no Appium server behind", async () => {
  const dir = await tempDir()
  const scenario = await writeScenario(
    dir,
    's.yaml',
    `name: appium-sigint
duration: 30s
network: { relays: 2, stores: 0 }
devices:
  phone: { driver: appium, profile: ${join(REPO_ROOT, 'devices/profiles/courier-ci.yaml')}, topics: [chat] }
`
  )
  const runDir = join(dir, 'run')
  const { child, done } = startCourier(['run', scenario, '--out', runDir, '--no-progress'])
  await waitForScenarioStart(runDir)
  child.kill('SIGINT')
  const result = await done
  assert.equal(result.code, 130, result.stderr)
  const events = (await readFile(join(runDir, 'events.ndjson'), 'utf8'))
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as CourierEvent)
  const end = events.find((e) => e.type === 'device.battery' && e.phase === 'end')
  assert.ok(end != null, `no end-of-run battery reading; stderr:\n${result.stderr}`)
  assert.doesNotMatch(result.stderr, /end-of-run readings failed/)
  const ports = await serverPorts(runDir)
  assert.equal(ports.length, 1)
  assert.equal(await portOpen(ports[0]), false)
  assert.deepEqual(launcherProcesses(ports[0]), [])
})

nightlyTest('when courier is killed outright, its Appium server exits on its own (stdin watchdog)', async () => {
  const dir = await tempDir()
  const scenario = await writeScenario(
    dir,
    's.yaml',
    `name: appium-sigkill
duration: 30s
network: { relays: 1, stores: 0 }
devices:
  phone: { driver: appium, profile: ${join(REPO_ROOT, 'devices/profiles/courier-ci.yaml')}, topics: [chat] }
`
  )
  const runDir = join(dir, 'run')
  const { child, done } = startCourier(['run', scenario, '--out', runDir, '--no-progress'])
  let ports: number[] = []
  const deadline = Date.now() + 30_000
  while (ports.length === 0 && Date.now() < deadline) {
    ports = await serverPorts(runDir).catch(() => [])
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  assert.equal(ports.length, 1, 'the server started')
  child.kill('SIGKILL')
  await done
  const until = Date.now() + 10_000
  while (Date.now() < until && (launcherProcesses(ports[0]).length > 0 || (await portOpen(ports[0])))) await new Promise((resolve) => setTimeout(resolve, 100))
  assert.deepEqual(launcherProcesses(ports[0]), [])
  assert.equal(await portOpen(ports[0]), false)
})

nightlyTest("--fleet-host puts the fleet on another address, courier prints it for the app's fleet settings, and the phone reaches it", async () => {
  const dir = await tempDir()
  const scenario = await writeScenario(
    dir,
    's.yaml',
    `name: appium-fleet-host
duration: 2s
grace: 1s
network: { relays: 2, stores: 0 }
devices:
  phone: { driver: appium, profile: ${join(REPO_ROOT, 'devices/profiles/courier-ci.yaml')}, topics: [chat] }
  alice: { driver: simulated, topics: [chat] }
timeline:
  - { at: 200ms, send: { from: alice, topic: chat, count: 2, every: 200ms } }
harness: { maxLagP99: 400ms }
`
  )
  const bad = await runCourier(['run', scenario, '--out', join(dir, 'bad'), '--fleet-host', '300.1.1.1'], { timeoutMs: 20_000 })
  assert.equal(bad.code, 2)
  assert.match(bad.stderr, /--fleet-host.*not an IPv4 address/s)
  const runDir = join(dir, 'run')
  const result = await runCourier(['run', scenario, '--out', runDir, '--no-progress', '--fleet-host', '127.0.0.2'], { timeoutMs: 60_000 })
  assert.equal(result.code, 0, result.stderr)
  assert.match(result.stdout + result.stderr, /fleet for phone .*relays \/ip4\/127\.0\.0\.2\/tcp\/\d+\/p2p\/\S+ \/ip4\/127\.0\.0\.2\//)
  const log = await events(runDir)
  const relays = log.filter((e) => e.type === 'node.up') as Array<{ addrs: string[] }>
  assert.ok(relays.length === 2 && relays.every((e) => e.addrs.every((a) => a.startsWith('/ip4/127.0.0.2/'))), JSON.stringify(relays.map((e) => e.addrs)))
  const results = JSON.parse(await readFile(join(runDir, 'results.json'), 'utf8')) as Results
  assert.equal(results.delivery.devices.phone.delivered, 2)
})

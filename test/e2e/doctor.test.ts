import assert from 'node:assert/strict'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { which } from '../../devices/appium/index.js'
import { REPO_ROOT, runCourier, tempDir, writeScenario } from '../helpers/cli.js'
import { nightlyTest, test } from '../helpers/suite.js'

/** Every check `courier doctor` makes without a scenario, by id and by the title the table shows. */
const CHECKS: Array<[string, string]> = [
  ['node', 'node'],
  ['appium', 'appium'],
  ['js-waku', 'js-waku'],
  ['courier-driver', 'courier driver'],
  ['uiautomator2', 'uiautomator2'],
  ['xcuitest', 'xcuitest'],
  ['android-sdk', 'android sdk'],
  ['adb', 'adb'],
  ['android-devices', 'android devices'],
  ['xcrun', 'xcrun'],
  ['ios-devices', 'ios devices'],
  ['tcpdump', 'tcpdump'],
  ['chromium', 'chromium'],
  ['page-bundle', 'page bundle'],
  ['link-shaping', 'link shaping'],
  ['fleet-host', 'fleet host']
]

interface DoctorJson {
  schema: string
  scenario: string | null
  fleetHost: string
  ready: boolean
  exitCode: number
  checks: Array<{ id: string; title: string; status: string; required: boolean; neededBy: string[]; found: string; fix: string | null }>
  summary: { ok: number; missing: number; warn: number; requiredMissing: string[] }
}

/** A PATH with nothing on it: tcpdump, adb, ip, npm are all "not installed" (node is started by its absolute path). */
async function emptyPath(): Promise<string> {
  const dir = join(await tempDir('courier-doctor-'), 'bin')
  await mkdir(dir)
  return dir
}

function line(stdout: string, title: string): string {
  const found = stdout.split('\n').find((l) => new RegExp(`^(ok|missing|warn)\\s+${title}\\s{2}`).test(l))
  assert.ok(found != null, `no line for ${title} in:\n${stdout}`)
  return found
}

/** The fix printed under a check's line. */
function fixOf(stdout: string, title: string): string {
  const lines = stdout.split('\n')
  const next = lines[lines.indexOf(line(stdout, title)) + 1] ?? ''
  return /^\s+fix: (.*)$/.exec(next)?.[1] ?? ''
}

test('courier doctor: the table names each check with ok, missing or warn and what it found; node and the fleet host are required and fine here (exit 0)', async () => {
  const result = await runCourier(['doctor'], { timeoutMs: 60_000 })
  assert.equal(result.code, 0, result.stderr + result.stdout)
  assert.match(result.stdout, /^status\s+check\s+needed by\s+found$/m)
  for (const [, title] of CHECKS) {
    const text = line(result.stdout, title)
    assert.match(text, /^(ok|missing|warn)\s+\S/, text)
  }
  assert.match(line(result.stdout, 'node'), new RegExp(`^ok\\s+node\\s+every run\\s+${process.version.replace(/\./g, '\\.')}`))
  assert.match(line(result.stdout, 'fleet host'), /^ok\s+fleet host\s+every run\s+127\.0\.0\.1: opened and closed 8 listening ports/)
  assert.match(line(result.stdout, 'appium'), /^ok\s+appium\s+-\s+appium 3\./)
  assert.match(result.stdout, /^ready: nothing required is missing/m)
  assert.equal(result.stderr, '')
})

test('courier doctor --json: one document, every check with status, required, neededBy, found and a fix for whatever is not ok', async () => {
  const result = await runCourier(['doctor', '--json'], { timeoutMs: 60_000 })
  assert.equal(result.code, 0, result.stderr)
  const doc = JSON.parse(result.stdout) as DoctorJson
  assert.equal(doc.schema, 'courier.doctor/1')
  assert.equal(doc.scenario, null)
  assert.equal(doc.fleetHost, '127.0.0.1')
  assert.equal(doc.ready, true)
  assert.equal(doc.exitCode, 0)
  assert.deepEqual(
    doc.checks.map((c) => [c.id, c.title]),
    CHECKS
  )
  for (const check of doc.checks) {
    assert.ok(['ok', 'missing', 'warn'].includes(check.status), JSON.stringify(check))
    assert.equal(typeof check.found, 'string')
    assert.ok(check.found.length > 0, check.id)
    assert.equal(check.required, check.neededBy.length > 0, check.id)
    if (check.status !== 'ok') assert.ok(typeof check.fix === 'string' && check.fix.length > 0, `${check.id} is ${check.status} without a fix`)
  }
  assert.deepEqual(
    doc.checks.filter((c) => c.required).map((c) => [c.id, c.neededBy]),
    [
      ['node', ['every run']],
      ['fleet-host', ['every run']]
    ]
  )
  const count = (status: string): number => doc.checks.filter((c) => c.status === status).length
  assert.deepEqual(doc.summary, { ok: count('ok'), missing: count('missing'), warn: count('warn'), requiredMissing: [] })
})

nightlyTest(
  "with tcpdump and adb off the PATH, their lines say missing with the fix, and a scenario that needs Appium (courier's driver) still passes",
  async () => {
    const dir = await tempDir()
    const scenario = await writeScenario(
      dir,
      'phone.yaml',
      `name: doctor-appium
duration: 5s
devices:
  phone: { driver: appium, profile: ${join(REPO_ROOT, 'devices/profiles/courier-ci.yaml')}, topics: [chat] }
  alice: { driver: simulated, topics: [chat] }
`
    )
    // the driver courier installs on first use (Appium installs it with npm, so with the PATH as it is)
    const installed = await runCourier(['doctor', scenario, '--install-driver', '--json'], { timeoutMs: 180_000 })
    assert.equal((JSON.parse(installed.stdout) as DoctorJson).checks.find((c) => c.id === 'courier-driver')?.status, 'ok', installed.stderr)
    const PATH = await emptyPath()
    const result = await runCourier(['doctor', scenario], { env: { PATH }, timeoutMs: 60_000 })
    assert.equal(result.code, 0, result.stderr + result.stdout)
    assert.match(line(result.stdout, 'tcpdump'), /^missing\s+tcpdump\s+-\s+not on PATH/)
    assert.match(fixOf(result.stdout, 'tcpdump'), /apt-get install tcpdump/)
    assert.match(line(result.stdout, 'adb'), /^missing\s+adb\s+-\s+not on PATH/)
    assert.match(fixOf(result.stdout, 'adb'), /platform-tools.*adb on PATH/)
    assert.match(line(result.stdout, 'appium'), /^ok\s+appium\s+phone\s+appium 3\./)
    assert.match(line(result.stdout, 'courier driver'), /^ok\s+courier driver\s+phone\s+courier /)
    assert.match(result.stdout, new RegExp(`^ready for ${scenario.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: nothing required is missing`, 'm'))

    // the same machine with its PATH: tcpdump is found (the check tells the two apart)
    if (which('tcpdump') != null) {
      const full = JSON.parse((await runCourier(['doctor', scenario, '--json'], { timeoutMs: 60_000 })).stdout) as DoctorJson
      assert.notEqual(full.checks.find((c) => c.id === 'tcpdump')?.found, 'not on PATH')
    }
  }
)

nightlyTest('a phone profile that needs adb (android-status, server started locally) exits 3 naming adb; a given server is asked instead', async () => {
  const dir = await tempDir()
  const scenario = await writeScenario(
    dir,
    'android.yaml',
    `name: doctor-android
duration: 5s
devices:
  phone: { driver: appium, profile: ${join(REPO_ROOT, 'devices/profiles/android-status.yaml')}, topics: [chat] }
`
  )
  const PATH = await emptyPath()
  const result = await runCourier(['doctor', scenario], { env: { PATH }, timeoutMs: 60_000 })
  assert.equal(result.code, 3, result.stderr + result.stdout)
  assert.match(line(result.stdout, 'adb'), /^missing\s+adb\s+phone\s+not on PATH/)
  assert.match(result.stdout, /^not ready: required but missing: .*\badb\b/m)
  const doc = JSON.parse((await runCourier(['doctor', scenario, '--json'], { env: { PATH }, timeoutMs: 60_000 })).stdout) as DoctorJson
  assert.equal(doc.exitCode, 3)
  assert.ok(doc.summary.requiredMissing.includes('adb'), JSON.stringify(doc.summary))
  assert.deepEqual(doc.checks.find((c) => c.id === 'adb')?.neededBy, ['phone'])
  // the fleet on loopback cannot be reached by a real phone: said, not fatal
  assert.equal(doc.checks.find((c) => c.id === 'fleet-host')?.status, 'warn')

  // the same profile on a given server: adb is the server's business; that server must answer
  const remote = await writeScenario(
    dir,
    'remote.yaml',
    `name: doctor-remote
duration: 5s
devices:
  phone: { driver: appium, profile: ${join(REPO_ROOT, 'devices/profiles/android-status.yaml')}, server: { url: "http://127.0.0.1:1" } }
`
  )
  const given = JSON.parse((await runCourier(['doctor', remote, '--json'], { env: { PATH }, timeoutMs: 60_000 })).stdout) as DoctorJson
  assert.equal(given.checks.find((c) => c.id === 'adb')?.required, false)
  assert.deepEqual(given.summary.requiredMissing, ['server:phone'])
})

test("courier doctor: a bad scenario path exits 2 with the located error, a fleet host that is not this machine's exits 3, no stack traces", async () => {
  const missing = await runCourier(['doctor', 'no/such/scenario.yaml'], { timeoutMs: 30_000 })
  assert.equal(missing.code, 2)
  assert.match(missing.stderr, /no\/such\/scenario\.yaml: scenario file not found/)
  const dir = await tempDir()
  const bad = await writeScenario(dir, 'bad.yaml', 'name: bad\nduration: 5s\ndevices:\n  phone: { driver: appium, profile: nowhere.yaml }\n')
  const badProfile = await runCourier(['doctor', bad], { timeoutMs: 30_000 })
  assert.equal(badProfile.code, 2)
  assert.match(badProfile.stderr, /bad\.yaml:4:\d+: devices\.phone\.profile: device profile not found/)
  // TEST-NET-1: never an address of this machine
  const host = await runCourier(['doctor', '--fleet-host', '192.0.2.254'], { timeoutMs: 30_000 })
  assert.equal(host.code, 3, host.stdout)
  assert.match(line(host.stdout, 'fleet host'), /^missing\s+fleet host\s+every run\s+192\.0\.2\.254 is not an address of this machine/)
  for (const r of [missing, badProfile, host]) assert.doesNotMatch(r.stderr + r.stdout, /\n\s+at .*\(.*:\d+:\d+\)/, 'no stack trace')
})

nightlyTest(
  'courier doctor with a browser device: chromium and the page bundle are needed by it; a Chromium that is not there is missing and required (exit 3)',
  async () => {
    const dir = await tempDir('courier-doctor-')
    const scenario = await writeScenario(dir, 'web.yaml', 'name: web\nduration: 5s\nnetwork: { relays: 1, stores: 1 }\ndevices:\n  web: { driver: browser }\n')
    const doc = JSON.parse((await runCourier(['doctor', scenario, '--json'], { timeoutMs: 60_000 })).stdout) as DoctorJson
    for (const id of ['chromium', 'page-bundle']) {
      const check = doc.checks.find((c) => c.id === id)
      assert.deepEqual(check?.neededBy, ['web'], id)
      assert.equal(check?.status, 'ok', `${id}: ${check?.found ?? ''}`)
    }
    const missing = await runCourier(['doctor', scenario], { env: { COURIER_CHROMIUM: join(dir, 'no-chromium') }, timeoutMs: 60_000 })
    assert.equal(missing.code, 3, missing.stdout)
    assert.match(line(missing.stdout, 'chromium'), /^missing\s+chromium\s+web\s+no executable at /)
  }
)

import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { runConclusive, runCourier, tempDir, writeScenario } from '../helpers/cli.js'
import { binaryManifest, zipFile } from '../helpers/app-files.js'
import { nightlyTest, test } from '../helpers/suite.js'

// Small on purpose: the machine is shared. 32 messages between two devices give the rank test
// about 45 latency samples a side, plenty for a 400 ms shift (larger than the harness lag a loaded test machine adds, which compare discounts); 16 sends a device fit a 2 s traffic phase.
const PAIR = (bobLink: string, duration = '3s'): string => `name: pair
seed: 5
duration: ${duration}
grace: 1s
network: { relays: 2, stores: 1 }
crowd: { topic: lobby, users: 10, rate: 2/s }
devices:
  alice: { driver: simulated }
  bob: { driver: simulated${bobLink} }
timeline:
  - { at: 300ms, send: { from: alice, count: 16, every: 100ms } }
  - { at: 350ms, send: { from: bob, count: 16, every: 100ms } }
harness: { maxLagP99: 500ms }
regress:
  delivery.latency.*: 10%
`

test('a candidate whose device link is 400 ms slower is worse on latency; swapped it is better; other scenarios are refused unless forced', async () => {
  const dir = await tempDir()
  const fast = await writeScenario(dir, 'fast.yaml', PAIR(''))
  const slow = await writeScenario(dir, 'slow.yaml', PAIR(', link: { latency: 400ms }'))
  const apk = join(dir, 'app.apk')
  await zipFile(apk, { 'AndroidManifest.xml': binaryManifest('im.example.courier', '1.2.3', 123) })
  // a run the harness could not time (inconclusive) is run once more, as the fault runs are
  const [{ result: a, out: base }, { result: b, out: slowRun }] = await Promise.all([
    runConclusive(fast, dir, { out: 'base', args: ['--build', apk, '--junit', join(dir, 'base-junit.xml')] }),
    runConclusive(slow, dir, { out: 'slow' })
  ])
  assert.equal(a.code, 0, a.stdout + a.stderr)
  assert.equal(b.code, 0, b.stdout + b.stderr)
  // the build under test: in results.json, the summary's header and JUnit properties
  const results = JSON.parse(await readFile(join(base, 'results.json'), 'utf8')) as {
    build?: { app?: { id: string; version: string; sha256: string }; courier: { lockfileSha256?: string } }
  }
  assert.equal(results.build?.app?.id, 'im.example.courier')
  assert.equal(results.build?.app?.version, '1.2.3')
  assert.match(results.build?.courier.lockfileSha256 ?? '', /^[0-9a-f]{64}$/)
  assert.match(a.stdout, /app im\.example\.courier 1\.2\.3 \(123\) apk sha256 [0-9a-f]{12}; courier /)
  assert.match(await readFile(join(dir, 'base-junit.xml'), 'utf8'), /<property name="app\.id" value="im\.example\.courier"\/>/)

  const refused = await runCourier(['compare', base, slowRun])
  assert.equal(refused.code, 2, refused.stderr)
  assert.match(refused.stderr, /different scenarios/)
  assert.match(refused.stderr, /--force/)
  assert.doesNotMatch(refused.stderr, /\n\s+at /, 'no stack trace')

  const worse = await runCourier([
    'compare',
    base,
    slowRun,
    '--force',
    '--junit',
    join(dir, 'out', 'c.xml'),
    '--html',
    join(dir, 'out', 'c.html'),
    '--markdown',
    join(dir, 'out', 'c.md')
  ])
  assert.equal(worse.code, 1, worse.stdout + worse.stderr)
  assert.match(worse.stdout, /worse\s+delivery\.latency\.p50\s.*Mann-Whitney/)
  assert.match(worse.stdout, /worse\s+delivery\.bob\.latency\.p50\s/)
  assert.match(worse.stdout, /REGRESSION/)
  assert.match(worse.stdout, /app im\.example\.courier 1\.2\.3/, 'the base side names its build')
  const junit = await readFile(join(dir, 'out', 'c.xml'), 'utf8')
  assert.match(junit, /<testcase [^>]*name="delivery\.latency\.p50"[^>]*>\s*<failure type="regression"/)
  assert.match(await readFile(join(dir, 'out', 'c.md'), 'utf8'), /worse \| `delivery\.latency\.p50`/)
  const html = await readFile(join(dir, 'out', 'c.html'), 'utf8')
  assert.match(html, /verdict-fail/)
  assert.doesNotMatch(html, /<script/)

  const swapped = await runCourier(['compare', slowRun, base, '--force'])
  assert.match(swapped.stdout, /better\s+delivery\.latency\.p50\s/)
  assert.doesNotMatch(swapped.stdout, /worse\s+delivery\.[a-z.]*latency/)

  const same = await runCourier(['compare', base, base])
  assert.equal(same.code, 0, same.stdout)
  assert.match(same.stdout, /NO REGRESSION; 0 better/)

  // the inline gate checks its baseline before spending a run on it
  const inline = await runCourier(['run', slow, '--out', join(dir, 'never'), '--baseline', base, '--no-progress'])
  assert.equal(inline.code, 2, inline.stderr)
  assert.match(inline.stderr, /baseline is not a run of pair/)
  assert.ok(!existsSync(join(dir, 'never')), 'nothing ran')
  const missing = await runCourier(['compare', join(dir, 'nope'), base])
  assert.equal(missing.code, 2)
  assert.match(missing.stderr, /nope: base: no such directory/)
})

nightlyTest('--repeat 3 makes run-1..run-3 with seeds 5, 6, 7 and a summary that compare accepts', async () => {
  const dir = await tempDir()
  const file = await writeScenario(dir, 'pair.yaml', PAIR('', '2s'))
  let rep = join(dir, 'rep')
  let result = await runCourier(['run', file, '--out', rep, '--repeat', '3', '--no-progress'], { timeoutMs: 240_000 })
  // three runs back to back beside the other test files: one that courier itself calls
  // inconclusive (harness saturated) is no verdict on --repeat; the set runs once more, as runConclusive does
  if (result.code === 3 && /harness saturated/.test(result.stdout)) {
    rep = join(dir, 'rep-again')
    result = await runCourier(['run', file, '--out', rep, '--repeat', '3', '--no-progress'], { timeoutMs: 240_000 })
  }
  assert.equal(result.code, 0, result.stdout + result.stderr)
  for (const i of [1, 2, 3]) assert.ok(existsSync(join(rep, `run-${i}`, 'results.json')), `run-${i}`)
  const summary = JSON.parse(await readFile(join(rep, 'summary.json'), 'utf8')) as {
    runs: Array<{ seed: number }>
    figures: Record<string, { median: number; min: number; max: number; runs: number }>
  }
  assert.deepEqual(
    summary.runs.map((r) => r.seed),
    [5, 6, 7]
  )
  const p50 = summary.figures['delivery.latency.p50']
  assert.equal(p50.runs, 3)
  assert.ok(p50.min <= p50.median && p50.median <= p50.max)
  assert.match(result.stdout, /pair: 3 runs/)
  assert.match(result.stdout, /delivery\.latency\.p95: .*\(.*\.\..*\)/)
  const self = await runCourier(['compare', rep, rep, '--all'])
  assert.equal(self.code, 0, self.stdout)
  assert.match(self.stdout, /base 3 run\(s\) vs candidate 3 run\(s\)/)
  assert.match(self.stdout, /bootstrap 95 % CI/)
})

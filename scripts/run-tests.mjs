// Finds the compiled tests and runs each file with node's own test runner, with the Node 20
// polyfill preloaded (Node 20's --test takes no globs), on lanes of its own (below), printing each
// file's output whole when it ends and a summary at the end. Usage: node scripts/run-tests.mjs [filter...]
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs'
import { setPriority } from 'node:os'
import { join } from 'node:path'
import { spawn } from 'node:child_process'
import { performance } from 'node:perf_hooks'

const root = 'dist/test'
// tsc never deletes: a test file moved or removed leaves its compiled copy in dist, which must not run
const hasSource = (compiled) => existsSync(compiled.replace(/^dist\//, '').replace(/\.js$/, '.ts'))
const filters = process.argv.slice(2)
// test/nightly runs scenarios of minutes: only when asked for by name (npm run test:nightly)
const nightlyAsked = filters.some((f) => f.includes('nightly'))
const files = []
;(function walk(dir) {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) {
      if (name !== 'nightly' || nightlyAsked) walk(path)
    } else if (name.endsWith('.test.js') && hasSource(path) && (filters.length === 0 || filters.some((f) => path.includes(f)))) files.push(path)
  }
})(root)
// The nightly suite also runs the nightly-only tests kept beside their npm test siblings
// (test/helpers/suite.ts: COURIER_SUITE=nightly skips the siblings, which npm test has run)
if (nightlyAsked) {
  ;(function walkForTwins(dir) {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name)
      if (statSync(path).isDirectory()) {
        if (name !== 'nightly' && name !== 'helpers') walkForTwins(path)
      } else if (name.endsWith('.test.js') && hasSource(path) && !files.includes(path) && readFileSync(path, 'utf8').includes('nightlyTest(')) files.push(path)
    }
  })(root)
  process.env.COURIER_SUITE = 'nightly'
}
if (files.length === 0) {
  console.error(`no test files under ${root} match ${filters.join(' ')}`)
  process.exit(1)
}
// Tests that measure time (shaped links, radio energy from packet timing, device timeouts, unit
// tests with clock tolerances) run one file at a time on the timed lane, and so do light mode's (a
// crowd of 3000 at 10 msg/s beside four shaped phones: inconclusive at lag p99 460 ms beside two
// other files), the browser's and js-waku's (Chromium and a js-waku process take a core: a scenario
// test beside it came out inconclusive on harness lag). So do the files that assert the exact set of
// a run's outside contacts (leaks, destinations): a run captures every interface, and another
// scenario file's short connection to 127.0.0.2 or a namespace, closed between two socket polls,
// counted as a third destination once.
const TIMING = [
  'e2e/destinations.',
  'e2e/leaks.',
  '/unit/links-',
  '/unit/hostile-timeline.',
  '/unit/light-protocols.',
  '/compliance/appium.',
  '/compliance/browser.',
  '/compliance/js-waku.',
  'e2e/links.',
  'e2e/energy.',
  'e2e/appium-energy.',
  'e2e/browser.',
  'e2e/js-waku.',
  'e2e/light.'
]
const timed = files.filter((f) => nightlyAsked || TIMING.some((part) => f.includes(part)))
// Longest first: the lanes finish together instead of one long file running alone at the end
// (seconds each file took in a fresh-clone .ci/run of 3f00a27, 2026-12-07; a file not listed is
// short and goes after them). A long file missing here starts last and runs on alone: workers and
// kube-manifests did, which cost about 20 s of the suite.
const LONGEST = [
  ['e2e/run.', 123],
  ['e2e/workers.', 73],
  ['e2e/fault-scenarios-network.', 72],
  ['e2e/fault-scenarios-store.', 67],
  ['e2e/problems.', 66],
  ['e2e/report-browser.', 62],
  ['e2e/appium-run.', 54],
  ['e2e/compare.', 51],
  ['e2e/bytes.', 50],
  ['e2e/appium-fleet.', 50],
  ['e2e/kube-manifests.', 44],
  ['e2e/appium-flows.', 42],
  ['e2e/doctor.', 37],
  ['e2e/hostile-inputs.', 31],
  ['e2e/remote-workers.', 31],
  ['e2e/censored.', 24],
  ['e2e/fleet-up.', 24],
  ['e2e/pcap-cli.', 15],
  ['interop/js-waku-light.', 12],
  ['compliance/simulated.', 10],
  ['interop/identify.', 10],
  ['compliance/simulated-light.', 10]
]
const expected = (f) => LONGEST.find(([part]) => f.includes(part))?.[1] ?? 0
const waiting = files.filter((f) => !timed.includes(f)).sort((a, b) => expected(b) - expected(a))

// The timed lane alone used a quarter of the machine (two cores) and took as long as everything
// else. Unit files only compute and set no harness-lag limit, so they run beside it, niced, on two
// lanes: at nice 10 a file gets about a tenth of a core's share against a timed file when both want
// the CPU, so the timed files keep their timing. Scenario files (end-to-end, compliance, interop)
// start once the timed lane is done, three at a time at normal priority: beside a timed file that
// takes a core (Chromium, js-waku) a niced scenario run starves and its harness is saturated
// (measured: smoke's event-loop delay p99 1.15 s against its 200 ms limit). Two end-to-end files
// run no scenario and time nothing but generous process timeouts (courier pcap on stored
// captures, courier doctor), so they go beside the timed lane with the unit files: those take about
// 150 s of work on two lanes against the timed lane's 300 s (fresh clone of a590967), so the
// second half of it left a core mostly idle.
const WAITING_NICE = 10
const NO_SCENARIO_E2E = ['e2e/pcap-cli.', 'e2e/doctor.']
const besideTimed = (file) => file.includes('/unit/') || NO_SCENARIO_E2E.some((part) => file.includes(part))
const lanesBesideTimed = 2
const lanesAlone = 3

function runFile(file, { nice }) {
  return new Promise((resolveRun) => {
    const started = performance.now()
    const child = spawn(
      process.execPath,
      [
        '--import',
        './dist/harness/polyfill.js',
        // a test that leaks a socket or node must fail on its own, not hang the whole run: force the
        // exit once tests finish, and bound every test
        '--test',
        '--test-reporter=spec',
        '--test-force-exit',
        `--test-timeout=${nightlyAsked ? 1_800_000 : 300_000}`,
        file
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] }
    )
    running.add(child)
    if (nice) {
      try {
        setPriority(child.pid, WAITING_NICE)
      } catch {}
    }
    const chunks = []
    child.stdout.on('data', (chunk) => chunks.push(chunk))
    child.stderr.on('data', (chunk) => chunks.push(chunk))
    child.on('close', (code, signal) => {
      running.delete(child)
      const output = Buffer.concat(chunks).toString('utf8')
      const seconds = (performance.now() - started) / 1000
      process.stdout.write(`\n# ${file} (${seconds.toFixed(1)} s${nice ? `, nice ${WAITING_NICE}` : ''})\n${output}`)
      const count = (name) => Number(new RegExp(`^ℹ ${name} (\\d+)`, 'm').exec(output)?.[1] ?? 0)
      resolveRun({
        file,
        code: code ?? (signal == null ? 1 : 128),
        seconds,
        tests: count('tests'),
        pass: count('pass'),
        fail: count('fail'),
        skipped: count('skipped')
      })
    })
  })
}

const running = new Set()
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    for (const child of running) child.kill(signal)
    process.exit(130)
  })
}

const startedAt = performance.now()
const outcomes = []
let timedLeft = timed.length
const timedLane = (async () => {
  for (const file of timed) {
    outcomes.push(await runFile(file, { nice: false }))
    timedLeft--
  }
})()
const queue = [...waiting]
let waitingRunning = 0
await new Promise((resolveAll) => {
  const next = () => {
    const lanes = timedLeft > 0 ? lanesBesideTimed : lanesAlone
    while (waitingRunning < lanes) {
      const index = queue.findIndex((file) => timedLeft === 0 || besideTimed(file))
      if (index < 0) break
      const [file] = queue.splice(index, 1)
      waitingRunning++
      runFile(file, { nice: timedLeft > 0 }).then((outcome) => {
        outcomes.push(outcome)
        waitingRunning--
        next()
      })
    }
    if (queue.length === 0 && waitingRunning === 0) resolveAll()
  }
  next()
  // when the timed lane ends, a third lane opens
  timedLane.then(next)
})
await timedLane

const total = (key) => outcomes.reduce((sum, o) => sum + o[key], 0)
const failed = outcomes.filter((o) => o.code !== 0)
process.stdout.write(
  `\n# ${outcomes.length} files, ${total('tests')} tests: ${total('pass')} passed, ${total('fail')} failed, ${total('skipped')} skipped, in ${((performance.now() - startedAt) / 1000).toFixed(0)} s\n`
)
for (const o of failed) process.stdout.write(`# FAILED ${o.file} (exit ${o.code})\n`)
process.exit(failed.length === 0 ? 0 : 1)

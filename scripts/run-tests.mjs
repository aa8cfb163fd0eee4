// Finds the compiled tests and hands them to node's own test runner, with the Node 20 polyfill
// preloaded (Node 20's --test takes no globs). Usage: node scripts/run-tests.mjs [filter...]
import { readFileSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { spawnSync } from 'node:child_process'

const root = 'dist/test'
const filters = process.argv.slice(2)
// test/nightly runs scenarios of minutes: only when asked for by name (npm run test:nightly)
const nightlyAsked = filters.some((f) => f.includes('nightly'))
const files = []
;(function walk(dir) {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) {
      if (name !== 'nightly' || nightlyAsked) walk(path)
    } else if (name.endsWith('.test.js') && (filters.length === 0 || filters.some((f) => path.includes(f)))) files.push(path)
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
      } else if (name.endsWith('.test.js') && !files.includes(path) && readFileSync(path, 'utf8').includes('nightlyTest(')) files.push(path)
    }
  })(root)
  process.env.COURIER_SUITE = 'nightly'
}
if (files.length === 0) {
  console.error(`no test files under ${root} match ${filters.join(' ')}`)
  process.exit(1)
}
// Tests that measure time (shaped links, radio energy from packet timing, device timeouts, unit
// tests with clock tolerances) run one file at a time, and so do light mode's (a crowd of 3000 at
// 10 msg/s beside four shaped phones: inconclusive at lag p99 460 ms beside two other files), the browser's and js-waku's
// (Chromium and a js-waku process take a core: a scenario test beside it came out inconclusive on
// harness lag). Everything else runs three files at once: the end-to-end scenario tests mostly wait
// on scenario time and their scenarios allow for a loaded harness, and the other unit tests only
// compute (most of their time is loading modules).
const TIMING = [
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
// Longest first: three lanes finish together instead of one long file running alone at the end
// (seconds each file took alone, 2026-12-07; a file not listed is short and goes after them)
const LONGEST = [
  ['e2e/fault-scenarios-store.', 101],
  ['e2e/run.', 95],
  ['e2e/fault-scenarios-network.', 94],
  ['e2e/appium-fleet.', 83],
  ['e2e/problems.', 79],
  ['e2e/appium-run.', 58],
  ['e2e/bytes.', 56],
  ['e2e/appium-flows.', 45],
  ['e2e/report-browser.', 38],
  ['e2e/compare.', 35],
  ['e2e/censored.', 30],
  ['e2e/doctor.', 25],
  ['e2e/history.', 25],
  ['e2e/hostile-inputs.', 20],
  ['e2e/leaks.', 15],
  ['e2e/fleet-up.', 13],
  ['compliance/simulated-light.', 11],
  ['e2e/destinations.', 9]
]
const expected = (f) => LONGEST.find(([part]) => f.includes(part))?.[1] ?? 0
const waiting = files.filter((f) => !timed.includes(f)).sort((a, b) => expected(b) - expected(a))

function runFiles(list, concurrency) {
  if (list.length === 0) return 0
  const result = spawnSync(
    process.execPath,
    [
      '--import',
      './dist/harness/polyfill.js',
      // a test that leaks a socket or node must fail on its own, not hang the whole run: force the
      // exit once tests finish, and bound every test
      '--test',
      `--test-concurrency=${concurrency}`,
      '--test-reporter=spec',
      '--test-force-exit',
      `--test-timeout=${nightlyAsked ? 1_800_000 : 300_000}`,
      ...list
    ],
    { stdio: 'inherit' }
  )
  return result.status ?? 1
}

// Three files at once: the whole suite used one core of two on average at two (15.1 CPU-minutes in
// 15.9 minutes, .ci/run on a fresh clone, 2026-12-07); the scenario files allow a loaded harness.
const statuses = [runFiles(timed, 1), runFiles(waiting, 3)]
process.exit(statuses.find((status) => status !== 0) ?? 0)

// The deliberate bugs of issue 17, each applied to the source one at a time, the project rebuilt,
// and the unit tests that cover the pure modules run: every bug must make at least one test fail.
// Usage: node scripts/known-bugs.mjs [id...]   (npm run test:known-bugs)
// The source file is restored after each bug, on failure and on Ctrl-C; the build is redone at
// the end so dist/ matches the source again.
import { readFileSync, writeFileSync } from 'node:fs'
import { spawnSync } from 'node:child_process'

const TESTS = ['unit/gate', 'unit/analysis', 'unit/scenario-units', 'unit/energy', 'unit/capture', 'unit/fleet-plan']

export const BUGS = [
  {
    id: 'lt-as-le',
    what: '`<` evaluated as `<=`',
    file: 'harness/gate/threshold.ts',
    from: "case '<': return value < target",
    to: "case '<': return value <= target"
  },
  {
    id: 'seconds-x1000',
    what: 'seconds thresholds not divided by 1000 ("30s" read as 30000 s)',
    file: 'harness/gate/threshold.ts',
    from: 'return parsed.ok ? parsed.value / 1000 : null',
    to: 'return parsed.ok ? parsed.value : null'
  },
  {
    id: 'missing-passes',
    what: 'a threshold whose metric has no value passes',
    file: 'harness/gate/index.ts',
    from: 'if (measured == null) passed = false',
    to: 'if (measured == null) passed = true'
  },
  { id: 'p95-as-p90', what: 'p95 computed as the 0.90 quantile', file: 'harness/analysis/stats.ts', from: 'p95: q(0.95)', to: 'p95: q(0.9)' },
  { id: 'mib-decimal', what: 'MiB taken as 10^6 bytes', file: 'harness/scenario/units.ts', from: 'mib: 1024 ** 2', to: 'mib: 1_000_000' },
  {
    id: 'tail-next-label',
    what: "a radio tail's energy charged to the next packet's label",
    file: 'harness/energy/tail-model.ts',
    from: 'acc.add(phase.state, TAIL, cursor, end, j)\n        acc.attribute(i, j)',
    to: 'acc.add(phase.state, TAIL, cursor, end, j)\n        acc.attribute(Math.min(i + 1, n - 1), j)'
  },
  {
    id: 'captured-length',
    what: 'per-direction wire bytes taken from the captured length',
    file: 'harness/capture/flows.ts',
    from: 'dir.wireBytes += packet.wireLength',
    to: 'dir.wireBytes += packet.capturedLength'
  },
  {
    id: 'degree-minus-one',
    what: 'one fewer random peer per relay in the topology',
    file: 'harness/fleet/fleet.ts',
    from: 'const wanted = Math.min(degree, relays - 1)',
    to: 'const wanted = Math.min(degree - 1, relays - 1)'
  }
]

function build() {
  return spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', '.'], { encoding: 'utf8' })
}

let restore = null
const stop = () => {
  if (restore != null) restore()
  process.exit(130)
}
process.on('SIGINT', stop)
process.on('SIGTERM', stop)

const wanted = process.argv.slice(2)
const outcomes = []
for (const bug of BUGS.filter((b) => wanted.length === 0 || wanted.includes(b.id))) {
  const original = readFileSync(bug.file, 'utf8')
  if (original.split(bug.from).length !== 2) {
    outcomes.push({ ...bug, result: 'NOT APPLIED (the source text is not there exactly once)', killedBy: [] })
    continue
  }
  restore = () => writeFileSync(bug.file, original)
  try {
    writeFileSync(bug.file, original.replace(bug.from, bug.to))
    build()
    const run = spawnSync(process.execPath, ['scripts/run-tests.mjs', ...TESTS], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
    const out = run.stdout + run.stderr
    // node's spec reporter repeats each failing test under "failing tests:" with its file (once per test file)
    const killedBy = [...new Set([...out.matchAll(/test at dist\/(test\/\S+?)\.js:\d+:\d+\n✖ (.+?) \(\d/g)].map((m) => `${m[1]}.ts: ${m[2]}`))]
    outcomes.push({ ...bug, result: run.status === 0 ? 'SURVIVED' : 'killed', killedBy })
  } finally {
    restore()
    restore = null
  }
  console.error(`${bug.id}: ${outcomes.at(-1).result}`)
}
build()
for (const o of outcomes) {
  console.log(`${o.result === 'killed' ? 'killed  ' : o.result}  ${o.id}  ${o.what}`)
  for (const k of o.killedBy) console.log(`          ${k}`)
}
process.exit(outcomes.every((o) => o.result === 'killed') ? 0 : 1)

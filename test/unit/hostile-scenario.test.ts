import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { formatProblems, InvalidInputError, MAX_USER_FILE_BYTES, printable, type InputProblem } from '../../harness/interface/index.js'
import { loadScenarioFile, parseScenario } from '../../harness/scenario/index.js'
import { tempDir } from '../helpers/cli.js'

// Hostile and careless scenarios: each must be refused with a located problem (exit 2 in the CLI),
// never accepted and then run as something else.

const BASE = `name: t
duration: 10s
network: { relays: 3, stores: 1 }
devices:
  alice: { driver: simulated }
`

function problemsOf(text: string, file = 'scenario.yaml'): InputProblem[] {
  try {
    parseScenario(text, file)
  } catch (error) {
    assert.ok(error instanceof InvalidInputError, `expected InvalidInputError, got ${String(error)}`)
    return error.problems
  }
  assert.fail('the scenario was accepted')
}

async function fileProblems(file: string): Promise<InputProblem[]> {
  try {
    await loadScenarioFile(file)
  } catch (error) {
    assert.ok(error instanceof InvalidInputError, `expected InvalidInputError, got ${String(error)}`)
    return error.problems
  }
  assert.fail('the file was accepted')
}

test("a duration past Node's timer limit (2^31-1 ms) is refused where it is written, with the limit", () => {
  const [problem] = problemsOf(BASE.replace('duration: 10s', 'duration: 600h'))
  assert.equal(problem.path, 'duration')
  assert.deepEqual([problem.location.line, problem.location.column], [2, 11])
  assert.match(problem.expected ?? '', /2147483647ms/)
  // just under the limit is fine: 596h is 2 145 600 000 ms
  parseScenario(BASE.replace('duration: 10s', 'duration: 596h'), 'scenario.yaml')
})

test('every timer-bound field has the same limit: at, every, for, grace, timeouts', () => {
  const cases: Array<[string, string]> = [
    [`${BASE}grace: 1000h\n`, 'grace'],
    [`${BASE}timeline:\n  - { at: 1000h, checkpoint: x }\n`, 'timeline[0].at'],
    [`${BASE}timeline:\n  - { at: 1s, offline: { device: alice, for: 99999999999999999999h } }\n`, 'timeline[0].offline.for'],
    [`${BASE.replace('{ driver: simulated }', '{ driver: simulated, storeTimeout: 700h }')}`, 'devices.alice.storeTimeout']
  ]
  for (const [text, path] of cases) {
    const problems = problemsOf(text)
    assert.ok(
      problems.some((p) => p.path === path && /2147483647ms/.test(p.expected ?? '')),
      `${path}: ${formatProblems(problems)}`
    )
  }
})

test("sends that cannot fit before the end of the traffic phase are refused (the issue's 100 x 500ms at 1s in 3s)", () => {
  const text = `name: t
duration: 3s
devices:
  alice: { driver: simulated }
timeline:
  - { at: 1s, send: { from: alice, topic: t, count: 100, every: 500ms } }
`
  const [problem] = problemsOf(text)
  assert.equal(problem.path, 'timeline[0].send')
  assert.equal(problem.location.line, 6)
  assert.match(problem.message, /do not fit.*would be at 50.5s/)
  // four sends, the last at 2.5s, fit
  parseScenario(text.replace('count: 100', 'count: 4'), 'scenario.yaml')
})

test("a crowd message size over the network's 150 kB limit is refused, not clamped", () => {
  const crowd = (size: string): string => `${BASE}crowd: { topic: lobby, users: 10, rate: 1/s, size: ${size} }\n`
  for (const size of ['10GB', '{ median: 300B, p99: 151kB }', '{ median: 200kB, p99: 300kB }']) {
    const problems = problemsOf(crowd(size))
    assert.ok(
      problems.some((p) => p.path.startsWith('crowd.size') && /150kB/.test(p.expected ?? '')),
      `${size}: ${formatProblems(problems)}`
    )
  }
  const sends = problemsOf(`${BASE}timeline:\n  - { at: 1s, send: { from: alice, topic: t, size: 1MB } }\n`)
  assert.ok(
    sends.some((p) => p.path === 'timeline[0].send.size'),
    formatProblems(sends)
  )
  parseScenario(crowd('150kB'), 'scenario.yaml')
})

test('a median above the 99th percentile is refused', () => {
  const problems = problemsOf(`${BASE}crowd: { topic: lobby, users: 10, rate: 1/s, size: { median: 4kB, p99: 300B } }\n`)
  assert.ok(
    problems.some((p) => p.path === 'crowd.size.median' && /above the 99th percentile/.test(p.message)),
    formatProblems(problems)
  )
})

test('a written degree larger than relays - 1 is refused; the default degree is not', () => {
  const [problem] = problemsOf(BASE.replace('{ relays: 3, stores: 1 }', '{ relays: 2, stores: 1, degree: 12 }'))
  assert.equal(problem.path, 'network.degree')
  assert.match(problem.expected ?? '', /relays - 1 \(1\)/)
  parseScenario(BASE.replace('{ relays: 3, stores: 1 }', '{ relays: 2, stores: 1 }'), 'scenario.yaml')
})

test('a crowd that would plan millions of posts is refused before it costs memory', () => {
  const problems = problemsOf(`${BASE}crowd: { topic: lobby, users: 10, rate: 100000000/s }\n`)
  assert.ok(
    problems.some((p) => p.path === 'crowd.rate'),
    formatProblems(problems)
  )
})

test('"__proto__" as a key anywhere is refused where it is written (JavaScript would drop it silently)', () => {
  const [problem] = problemsOf(`${BASE}expect:\n  __proto__: "< 1"\n`)
  assert.deepEqual([problem.location.line, problem.location.column], [7, 3])
  assert.match(problem.message, /__proto__/)
})

test('a YAML alias bomb is refused quickly with a clear message', () => {
  const lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
  for (const [i, name] of ['b', 'c', 'd', 'e', 'f', 'g', 'h'].entries()) lines.push(`${name}: &${name} [${Array(9).fill(`*${'abcdefgh'[i]}`).join(',')}]`)
  const started = Date.now()
  const [problem] = problemsOf(`${lines.join('\n')}\n${BASE}`)
  assert.match(problem.message, /alias bomb/)
  assert.ok(Date.now() - started < 2000)
})

test('YAML nested thousands deep is a located problem, not a stack overflow', () => {
  const problems = problemsOf(`name: ${'['.repeat(20_000)}`)
  assert.match(problems[0].message, /nested too deeply/)
})

test('a scenario name longer than 100 characters is refused (it names the run directory)', () => {
  const [problem] = problemsOf(BASE.replace('name: t', `name: ${'n'.repeat(300)}`))
  assert.equal(problem.path, 'name')
  assert.match(problem.expected ?? '', /at most 100/)
})

test('file inputs: a FIFO, /dev/zero, a directory and an oversized file are refused without reading them', async () => {
  const dir = await tempDir()
  const fifo = join(dir, 'fifo.yaml')
  execFileSync('mkfifo', [fifo])
  const big = join(dir, 'big.yaml')
  await writeFile(big, `${BASE}description: "${'x'.repeat(MAX_USER_FILE_BYTES)}"\n`)
  const started = Date.now()
  assert.match((await fileProblems(fifo))[0].message, /named pipe \(FIFO\)/)
  assert.match((await fileProblems('/dev/zero'))[0].message, /character device/)
  assert.match((await fileProblems(dir))[0].message, /directory/)
  assert.match((await fileProblems(big))[0].message, /courier reads at most 1048576/)
  assert.ok(Date.now() - started < 2000, 'bounded time')
})

test('UTF-16 files are named as such; a UTF-8 byte-order mark is accepted', async () => {
  const dir = await tempDir()
  const le = join(dir, 'le.yaml')
  await writeFile(le, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(BASE, 'utf16le')]))
  assert.match((await fileProblems(le))[0].message, /UTF-16 LE/)
  const noBom = join(dir, 'nobom.yaml')
  await writeFile(noBom, Buffer.from(BASE, 'utf16le'))
  assert.match((await fileProblems(noBom))[0].message, /UTF-16/)
  const latin1 = join(dir, 'latin1.yaml')
  await writeFile(latin1, Buffer.from(`${BASE}description: caf\xe9\n`, 'latin1'))
  assert.match((await fileProblems(latin1))[0].message, /not valid UTF-8/)
  const bom8 = join(dir, 'bom8.yaml')
  await writeFile(bom8, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(BASE)]))
  assert.equal((await loadScenarioFile(bom8)).config.name, 't')
})

test('user text echoed to a terminal has its control characters escaped and its length capped', () => {
  assert.equal(printable('red \x1b[31mALERT\x1b[0m'), 'red \\u001b[31mALERT\\u001b[0m')
  assert.equal(printable('a\u202eb\x07'), 'a\\u202eb\\u0007')
  const long = printable('x'.repeat(50_000_000))
  assert.ok(long.length < 300)
  assert.match(long, /49999800 more characters/)
  // problem listings are capped too: a file with thousands of problems prints 50 and a count
  const many = Array.from({ length: 5000 }, (_, i): InputProblem => ({ location: { file: 'f', line: i + 1 }, path: '', message: 'bad \x1b[2J' }))
  const text = formatProblems(many)
  assert.equal(text.split('\n').length, 51)
  assert.doesNotMatch(text, /\x1b/)
})

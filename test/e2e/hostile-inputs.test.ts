import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { cp, readdir, readFile, stat, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import { join } from 'node:path'
import type { CourierEvent, Results } from '../../harness/interface/index.js'
import { REPO_ROOT, runCourier, tempDir, writeScenario, type CliResult } from '../helpers/cli.js'

// The real `courier` binary against inputs an attacker or a careless user would give it: each
// asserts the exit code, the message, no stack trace, bounded time, and what was kept on disk.

const STACK_FRAME = /^\s+at .+[(:]\d+/m
// a hang (a FIFO, /dev/zero, mkdir under /proc) never ends; these bounds leave room for a loaded machine
const LIMIT_MS = 15_000
const RUN_LIMIT_MS = 60_000

function userMistake(result: CliResult, message: RegExp, code = 2): void {
  assert.equal(result.code, code, `exit code; stderr:\n${result.stderr}`)
  assert.match(result.stderr, message)
  assert.doesNotMatch(result.stderr, STACK_FRAME, 'a user mistake shows no stack trace')
  assert.doesNotMatch(result.stderr, /internal error/)
}

async function timed(args: string[], limitMs: number, options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<CliResult> {
  const started = Date.now()
  const result = await runCourier(args, { ...options, timeoutMs: limitMs + 10_000 })
  assert.ok(Date.now() - started < limitMs, `courier ${args.join(' ')} took ${Date.now() - started} ms (limit ${limitMs})`)
  return result
}

const SMALL = `name: small
duration: 2s
grace: 500ms
capture: socket
network: { relays: 1, stores: 0 }
`

/** An Appium-like server that refuses every session and echoes the request's credentials back, in every form. */
async function echoingServer(): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    if (req.url?.endsWith('/status') === true) {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ value: { ready: true, build: { version: 'hostile' } } }))
      return
    }
    let body = ''
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString()
    })
    req.on('end', () => {
      const auth = req.headers.authorization ?? ''
      const decoded = Buffer.from(auth.replace(/^Basic /, ''), 'base64').toString()
      const [user, key] = decoded.split(':')
      res.writeHead(500, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          value: {
            error: 'session not created',
            message: `denied: Authorization: ${auth}; user=${encodeURIComponent(user)}&key=${encodeURIComponent(key)}; raw ${decoded}; body ${body.length}`,
            stacktrace: ''
          }
        })
      )
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  assert.ok(address != null && typeof address === 'object')
  return { server, url: `http://127.0.0.1:${address.port}` }
}

// the cases are independent processes, mostly waiting on scenario time or start-up: three at once
describe('hostile inputs', { concurrency: 3 }, () => {
  test('validation in one call: a duration past the timer limit, unfitting sends, an alias bomb, a FIFO and /dev/zero as radio profiles, UTF-16: each exit 2 with its location, none stopping the others; ANSI in a name escaped', async () => {
    const dir = await tempDir()
    const long = await writeScenario(dir, 'long.yaml', SMALL.replace('duration: 2s', 'duration: 600h'))
    const sends = await writeScenario(
      dir,
      'sends.yaml',
      `${SMALL}devices:\n  alice: { driver: simulated }\ntimeline:\n  - { at: 1s, send: { from: alice, topic: t, count: 100, every: 500ms } }\n`
    )
    const bomb = await writeScenario(
      dir,
      'bomb.yaml',
      ['a: &a [x,x,x,x,x,x,x,x,x]', ...'bcdefgh'.split('').map((n, i) => `${n}: &${n} [${Array(9).fill(`*${'abcdefg'[i]}`).join(',')}]`), SMALL].join('\n')
    )
    const fifo = join(dir, 'radio.json')
    execFileSync('mkfifo', [fifo])
    const viaFifo = await writeScenario(dir, 'fifo.yaml', `${SMALL}devices:\n  alice: { driver: simulated, radio: ${fifo} }\n`)
    const viaZero = await writeScenario(dir, 'zero.yaml', `${SMALL}devices:\n  alice: { driver: simulated, radio: /dev/zero }\n`)
    const utf16 = join(dir, 'utf16.yaml')
    await writeFile(utf16, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(SMALL, 'utf16le')]))
    const ansi = await writeScenario(dir, 'ansi.yaml', SMALL.replace('name: small', 'name: "red \\e[31mALERT\\e[0m \\e]0;pwned\\a"'))
    const result = await timed(['validate', long, bomb, sends, viaFifo, viaZero, utf16, ansi], LIMIT_MS)
    userMistake(result, /long\.yaml:2:11: duration: longer than courier can wait\n {2}expected: at most 2147483647ms/)
    assert.match(result.stderr, /bomb\.yaml:1:1: YAML aliases expand too much \(an alias bomb\)/)
    assert.match(result.stderr, /sends\.yaml:9:\d+: timeline\[0\]\.send: the sends do not fit in the traffic phase/)
    assert.match(result.stderr, /radio\.json: is a named pipe \(FIFO\), not a radio profile/)
    assert.match(result.stderr, /\/dev\/zero: is a character device, not a radio profile/)
    assert.match(result.stderr, /utf16\.yaml: the scenario file is UTF-16 LE text/)
    assert.match(result.stderr, /6 of 7 scenario file\(s\) invalid/)
    assert.doesNotMatch(result.stdout, /\x1b/)
    assert.match(result.stdout, /ok {2}.*ansi\.yaml: red \\u001b\[31mALERT/)
  })

  test('--out mistakes are exit 2 with a clear message and no stack trace', async () => {
    const dir = await tempDir()
    const scenario = await writeScenario(dir, 's.yaml', SMALL)
    const file = join(dir, 'a-file')
    await writeFile(file, 'not a directory')
    userMistake(await timed(['run', scenario, '--out', file, '--no-progress'], LIMIT_MS), /a-file exists and is not a directory/)
    userMistake(await timed(['run', scenario, '--out', join(file, 'sub'), '--no-progress'], LIMIT_MS), /cannot use .*a-file\/sub for the run directory/)
    // Node's recursive mkdir loops forever under /proc: this spun a core and ignored Ctrl-C
    userMistake(
      await timed(['run', scenario, '--out', '/proc/courier-hostile/run', '--no-progress'], LIMIT_MS),
      /cannot create the run directory: \/proc\/courier-hostile/
    )
    assert.deepEqual((await readdir(dir)).sort(), ['a-file', 's.yaml'], 'nothing was started: no run directory appeared')
  })

  test('user mistakes in other commands and flags are exit 2 with a clear message and no stack trace', async () => {
    const dir = await tempDir()
    const scenario = await writeScenario(dir, 's.yaml', SMALL)
    userMistake(await timed(['schema', '-o', join(dir, 'missing', 'schema.json')], LIMIT_MS), /cannot write the schema there: its folder does not exist/)
    userMistake(
      await timed(['run', scenario, '--fleet-host', '198.51.100.7', '--out', join(dir, 'run'), '--no-progress'], LIMIT_MS),
      /--fleet-host: 198\.51\.100\.7 is not an address of this machine/
    )
    const named = await writeScenario(dir, 'named.yaml', SMALL.replace('name: small', `name: ${'n'.repeat(300)}`))
    userMistake(await timed(['run', named, '--no-progress'], LIMIT_MS, { cwd: dir }), /named\.yaml:1:7: name: out of range: at most 100/)
    const pipe = join(dir, 'capture.pcap')
    execFileSync('mkfifo', [pipe])
    userMistake(await timed(['pcap', pipe], LIMIT_MS), /capture\.pcap: is a named pipe \(FIFO\)/)
    // nothing was started for any of them: no run directory appeared
    assert.deepEqual((await readdir(dir)).sort(), ['capture.pcap', 'named.yaml', 's.yaml'])
  })

  test('an internal error prints its message and how to get the stack; --debug prints the stack', async () => {
    const dir = await tempDir()
    // an event log no courier wrote: a device entry that is null trips analysis (no check foresees it)
    await writeFile(
      join(dir, 'events.ndjson'),
      '{"t":0,"type":"run.start","runId":"x","scenario":{"devices":{"a":null}},"scenarioFile":"x.yaml","seed":1,"tool":{}}\n'
    )
    const plain = await timed(['report', dir], LIMIT_MS)
    assert.equal(plain.code, 3)
    assert.match(plain.stderr, /courier: internal error: .*\n\(a bug in courier: run again with --debug/)
    assert.doesNotMatch(plain.stderr, STACK_FRAME)
    const debug = await timed(['report', dir, '--debug'], LIMIT_MS)
    assert.equal(debug.code, 3)
    assert.match(debug.stderr, STACK_FRAME)
  })

  test('courier report on the shipped synthetic fixtures (run.start without a scenario) reports them and says what it could not rebuild', async () => {
    const dir = await tempDir()
    await cp(join(REPO_ROOT, 'fixtures/runs/small-fail'), join(dir, 'run'), { recursive: true })
    const result = await timed(['report', join(dir, 'run')], LIMIT_MS)
    assert.doesNotMatch(result.stderr, STACK_FRAME)
    assert.ok(result.code === 0 || result.code === 1 || result.code === 3, result.stderr)
    assert.match(result.stderr, /could not rebuild: run\.start has no scenario\.devices/)
    assert.ok((await stat(join(dir, 'run', 'report.html'))).size > LIMIT_MS)
    const results = JSON.parse(await readFile(join(dir, 'run', 'results.json'), 'utf8')) as Results
    assert.ok(results.delivery.messages.sent > 0)
  })

  test('courier report with a damaged capture: exit 2 naming it and the way out; --allow-truncated reports without its figures', async () => {
    const dir = await tempDir()
    const run = join(dir, 'run')
    await cp(join(REPO_ROOT, 'fixtures/runs/smoke-real'), run, { recursive: true })
    await writeFile(join(run, 'capture.pcap'), Buffer.alloc(300, 0x5a))
    userMistake(await timed(['report', run], LIMIT_MS), /capture\.pcap: not a pcap file[\s\S]*--allow-truncated/)
    const allowed = await timed(['report', run, '--allow-truncated'], LIMIT_MS)
    assert.equal(allowed.code, 3, allowed.stderr) // figures are missing: never a pass
    assert.match(allowed.stderr, /could not rebuild: the capture could not be read/)
    const results = JSON.parse(await readFile(join(run, 'results.json'), 'utf8')) as Results
    assert.equal(results.verdict, 'inconclusive')
  })

  test('a device named constructor runs, and its run keeps results.json and its report', async () => {
    const dir = await tempDir()
    const scenario = await writeScenario(
      dir,
      'ctor.yaml',
      `${SMALL.replace('relays: 1', 'relays: 2')}devices:\n  constructor: { driver: simulated }\n  bob: { driver: simulated }\ntimeline:\n  - { at: 500ms, send: { from: constructor, topic: t, count: 2, every: 200ms } }\nharness: { maxLagP99: 5s }\nexpect:\n  delivery.loss: "== 0"\n`
    )
    const runDir = join(dir, 'run')
    const result = await timed(['run', scenario, '--out', runDir, '--no-progress'], RUN_LIMIT_MS)
    assert.equal(result.code, 0, result.stderr)
    const results = JSON.parse(await readFile(join(runDir, 'results.json'), 'utf8')) as Results
    assert.equal(results.delivery.devices.bob.delivered, 2)
    assert.ok(Object.hasOwn(results.delivery.devices, 'constructor'))
    assert.ok((await stat(join(runDir, 'report.html'))).size > LIMIT_MS)
  })

  test('grid credentials are masked in every form a hostile server echoes them (plain, URL-encoded, base64 Basic) in output and every artifact', async () => {
    const { server, url } = await echoingServer()
    try {
      const user = 'ci.user+grid@example.com'
      const key = 'k3y/with spaces&=+signs'
      const forms = [user, key, encodeURIComponent(user), encodeURIComponent(key), Buffer.from(`${user}:${key}`).toString('base64')]
      const dir = await tempDir()
      const scenario = await writeScenario(
        dir,
        's.yaml',
        `${SMALL}devices:\n  phone: { driver: appium, profile: ${join(REPO_ROOT, 'devices/profiles/courier-ci.yaml')}, topics: [chat], server: { url: "${url}", user: HOSTILE_GRID_USER, key: HOSTILE_GRID_KEY } }\n`
      )
      const runDir = join(dir, 'run')
      const result = await timed(['run', scenario, '--out', runDir, '--no-progress'], 40_000, { env: { HOSTILE_GRID_USER: user, HOSTILE_GRID_KEY: key } })
      assert.equal(result.code, 3, result.stderr) // the phone never started: inconclusive
      const events = (await readFile(join(runDir, 'events.ndjson'), 'utf8'))
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as CourierEvent)
      const failed = events.find((e) => e.type === 'device.failed')
      assert.ok(failed?.type === 'device.failed')
      assert.match(failed.error, /denied: Authorization: Basic \*\*\*; user=\*\*\*&key=\*\*\*/, "the server's echo reached the event, masked")
      const texts = [{ file: 'stdout+stderr', text: result.stdout + result.stderr }]
      for (const entry of await readdir(runDir, { recursive: true })) {
        const file = join(runDir, entry)
        if ((await stat(file)).isFile()) texts.push({ file, text: (await readFile(file)).toString('latin1') })
      }
      assert.ok(texts.some((t) => t.file.endsWith('report.html')) && texts.some((t) => t.file.endsWith('results.json')))
      for (const form of forms) for (const { file, text } of texts) assert.ok(!text.includes(form), `${form} is in ${file}`)
    } finally {
      server.close()
    }
  })

  test('a missing credential environment variable is exit 2 at validation, before the fleet starts', async () => {
    const dir = await tempDir()
    const scenario = await writeScenario(
      dir,
      's.yaml',
      `${SMALL}devices:\n  phone: { driver: appium, profile: ${join(REPO_ROOT, 'devices/profiles/courier-ci.yaml')}, server: { url: "http://127.0.0.1:9", user: HOSTILE_UNSET_USER, key: HOSTILE_UNSET_KEY } }\n`
    )
    const result = await timed(['run', scenario, '--out', join(dir, 'run'), '--no-progress'], LIMIT_MS)
    userMistake(result, /s\.yaml:7:\d+: devices\.phone\.server\.user: the environment variable HOSTILE_UNSET_USER .* is not set/)
    assert.match(result.stderr, /HOSTILE_UNSET_KEY/)
    assert.doesNotMatch(result.stderr, /courier: running/)
  })
})

import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { readFile } from 'node:fs/promises'
import { connect } from 'node:net'
import { join } from 'node:path'
import type { CourierEvent, EventOf, Results } from '../../harness/interface/index.js'
import { alive, COURIER_BIN, runCourier, startCourier, tempDir, writeScenario } from '../helpers/cli.js'
import { createTestNamespace } from '../helpers/netns.js'
import { freeBasePort } from '../helpers/ports.js'
import { nightlyTest, test } from '../helpers/suite.js'

// the worker host's monotonic clock reads this much ahead of the runner's: another machine's would
const SKEW_MS = 250_000

const SCENARIO = (host: string): string => `name: remote-workers
seed: 3
duration: 4s
grace: 2s
network: { relays: 3, stores: 1, host: ${host} }
crowd: { topic: lobby, users: 20, rate: 4/s, gateways: 2 }
devices:
  alice: { topics: [lobby, chat] }
  bob: { topics: [lobby, chat] }
timeline:
  - { at: 1s, send: { from: alice, topic: chat, count: 3, every: 300ms } }
capture: socket
harness: { maxLagP99: 400ms }
expect:
  delivery.loss: "== 0"
`

test('a worker on another host (a network namespace) joins over TCP, carries relays and gateways there, its clock offset is measured and applied, and it leaves with the run', async () => {
  const ns = await createTestNamespace()
  try {
    const dir = await tempDir()
    const file = await writeScenario(dir, 'remote.yaml', SCENARIO(ns.hostAddress))
    const port = await freeBasePort(1)
    const out = join(dir, 'run')
    const run = startCourier(['run', file, '--out', out, '--no-progress', '--remote-workers', '1', '--worker-listen', `${ns.hostAddress}:${port}`])
    const worker = spawn(
      'ip',
      ['netns', 'exec', ns.name, process.execPath, COURIER_BIN, 'worker', '--join', `${ns.hostAddress}:${port}`, '--host', ns.address],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, COURIER_WORKER_CLOCK_SKEW_MS: String(SKEW_MS) } }
    )
    let workerOutput = ''
    worker.stdout.on('data', (chunk: Buffer) => (workerOutput += chunk.toString()))
    worker.stderr.on('data', (chunk: Buffer) => (workerOutput += chunk.toString()))
    const workerExit = once(worker, 'exit')
    const result = await run.done
    assert.equal(result.code, 0, `${result.stdout}${result.stderr}\nworker: ${workerOutput}`)
    // the run let go of it: the worker stopped its nodes and exited by itself
    const [code] = await Promise.race([
      workerExit,
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`worker still running: ${workerOutput}`)), 10_000))
    ])
    assert.equal(code, 0, workerOutput)

    const results = JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as Results
    assert.equal(results.verdict, 'pass')
    assert.equal(results.delivery.overall.lost, 0)
    const events = (await readFile(join(out, 'events.ndjson'), 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as CourierEvent)
    const of = <K extends CourierEvent['type']>(type: K): Array<EventOf<K>> => events.filter((e): e is EventOf<K> => e.type === type)
    const placement = of('workers.placement')[0]
    const remoteNodes = placement.byWorker['remote-1']
    assert.ok(remoteNodes.length >= 2, `the remote worker carries nodes: ${JSON.stringify(placement)}`)
    const up = of('worker.up').find((e) => e.worker === 'remote-1')
    assert.ok(up != null)
    assert.equal(up.host, ns.address, 'the worker connected from the other host')
    assert.ok(Math.abs((up.clockOffsetMs ?? 0) - SKEW_MS) < 50, `offset measured: ${up.clockOffsetMs} ms, skew ${SKEW_MS} ms`)
    // after the correction the worker's run clock is the runner's: the residual is a round trip's noise
    for (const check of of('worker.clock').filter((e) => e.worker === 'remote-1')) assert.ok(Math.abs(check.offsetMs) < 20, JSON.stringify(check))
    // its nodes listen and announce on the other host's address
    for (const node of of('node.up').filter((e) => remoteNodes.includes(e.node))) {
      assert.ok(node.addrs.length > 0 && node.addrs.every((addr) => addr.includes(`/ip4/${ns.address}/`)), `${node.node}: ${node.addrs.join(' ')}`)
    }
    // its events sit on the run clock: up before the traffic starts, not 250 s away
    const scenarioStart = of('scenario.start')[0].t
    const remoteUps = of('node.up').filter((e) => remoteNodes.includes(e.node))
    assert.ok(remoteUps.length >= 2)
    for (const e of remoteUps) assert.ok(e.t > 0 && e.t <= scenarioStart, `${e.node} up at ${e.t}, traffic from ${scenarioStart}`)
    const lastT = events.at(-1)?.t ?? 0
    assert.ok(
      events.every((e) => e.t <= lastT + 1000),
      'no event of the worker lands in the future'
    )
    assert.equal(alive(up.pid), false, 'the worker process is gone')
  } finally {
    await ns.remove()
  }
})

test('a run whose remote workers do not all join gives up after --worker-wait (exit 3, naming how many came); a connection that is not a courier worker does not count', async () => {
  const dir = await tempDir()
  const file = await writeScenario(dir, 'remote.yaml', SCENARIO('127.0.0.1'))
  const port = await freeBasePort(1)
  const run = startCourier([
    'run',
    file,
    '--out',
    join(dir, 'run'),
    '--no-progress',
    '--remote-workers',
    '1',
    '--worker-listen',
    `127.0.0.1:${port}`,
    '--worker-wait',
    '3'
  ])
  // something else knocks on the port once the run listens (after its start-up): an HTTP client, not courier's frames
  let knocked = false
  for (let i = 0; i < 600 && !knocked; i++) {
    const answered = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.end('GET / HTTP/1.1\r\nHost: x\r\n\r\n')
        resolve(true)
      })
      socket.once('error', () => resolve(false))
    })
    knocked = answered
    if (!answered) await new Promise((resolve) => setTimeout(resolve, 100))
  }
  assert.ok(knocked, 'the run listened for workers')
  const result = await run.done
  assert.equal(result.code, 3, result.stdout + result.stderr)
  assert.match(result.stdout + result.stderr, /0 of 1 worker\(s\) joined/)
  assert.match(result.stdout + result.stderr, /not a courier worker/)
  assert.doesNotMatch(result.stderr, /\n\s+at /)
})

test('--remote-workers without --worker-listen, and a --worker-listen that is not HOST:PORT, are refused before anything starts (exit 2)', async () => {
  const dir = await tempDir()
  const file = await writeScenario(dir, 'remote.yaml', SCENARIO('127.0.0.1'))
  const cases = [
    [['--remote-workers', '1'], /--remote-workers/],
    [['--remote-workers', '1', '--worker-listen', 'somewhere'], /--worker-listen/],
    [['--remote-workers', '0', '--worker-listen', '127.0.0.1:7400'], /--remote-workers/]
  ] as const
  // refused before anything starts: the three can run side by side
  const results = await Promise.all(cases.map(async ([args]) => await runCourier(['run', file, '--out', join(dir, 'never'), ...args])))
  for (const [i, [args, flag]] of cases.entries()) {
    assert.equal(results[i].code, 2, `${args.join(' ')}: ${results[i].stderr}`)
    assert.match(results[i].stderr, flag)
  }
})

nightlyTest('a remote worker killed mid-run (SIGKILL) is recorded as its nodes crashing, and the run goes on to its results', async () => {
  const dir = await tempDir()
  const file = await writeScenario(
    dir,
    'remote.yaml',
    SCENARIO('127.0.0.1')
      .replace('duration: 4s', 'duration: 6s')
      .replace(/expect:\n.*\n/, '')
  )
  const port = await freeBasePort(1)
  const out = join(dir, 'run')
  const run = startCourier(['run', file, '--out', out, '--no-progress', '--remote-workers', '1', '--worker-listen', `127.0.0.1:${port}`])
  const worker = spawn(process.execPath, [COURIER_BIN, 'worker', '--join', `127.0.0.1:${port}`], { stdio: 'ignore' })
  const eventsFile = join(out, 'events.ndjson')
  // kill it once the traffic runs
  for (let i = 0; i < 300; i++) {
    const text = await readFile(eventsFile, 'utf8').catch(() => '')
    if (text.includes('"scenario.start"')) break
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  await new Promise((resolve) => setTimeout(resolve, 1000))
  worker.kill('SIGKILL')
  const result = await run.done
  assert.ok(result.code === 0 || result.code === 1, `the run ends with its verdict: ${result.code} ${result.stderr}`)
  const events = (await readFile(eventsFile, 'utf8'))
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as CourierEvent)
  const placed = events.find((e): e is EventOf<'workers.placement'> => e.type === 'workers.placement')?.byWorker['remote-1'] ?? []
  assert.ok(placed.length > 0)
  const exit = events.find((e): e is EventOf<'worker.exit'> => e.type === 'worker.exit' && e.worker === 'remote-1')
  assert.equal(exit?.expected, false)
  const crashed = events.filter((e): e is EventOf<'node.down'> => e.type === 'node.down' && e.reason === 'crashed').map((e) => e.node)
  assert.deepEqual([...crashed].sort(), [...placed].sort())
  JSON.parse(await readFile(join(out, 'results.json'), 'utf8'))
})

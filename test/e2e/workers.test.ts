import { nightlyTest, test } from '../helpers/suite.js'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { CourierEvent, Results } from '../../harness/interface/index.js'
import { alive, COURIER_BIN, REPO_ROOT, runConclusive, runCourier, startCourier, tempDir, waitForScenarioStart, writeScenario } from '../helpers/cli.js'

// `courier run --workers N` with real worker processes, real sockets between them and courier's
// own process, and the processes checked by pid afterwards.

const SCENARIO = (extra = ''): string => `name: workers
seed: 5
duration: 5s
grace: 2s
network: { relays: 4, stores: 1, degree: 2 }
crowd: { topic: lobby, users: 100, rate: 8/s, size: 300B, gateways: 2 }
devices:
  alice: {}
  bob: {}
capture: off
# two cores shared with other tests and three processes: the figures checked here are counts, not latency
harness: { maxLagP99: 1s }
${extra}`

async function events(runDir: string): Promise<CourierEvent[]> {
  const text = await readFile(join(runDir, 'events.ndjson'), 'utf8')
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as CourierEvent)
}

async function gone(pids: number[], withinMs: number): Promise<number[]> {
  const deadline = Date.now() + withinMs
  while (Date.now() < deadline && pids.some(alive)) await sleep(100)
  return pids.filter(alive)
}

const of = <K extends CourierEvent['type']>(list: CourierEvent[], type: K): Array<Extract<CourierEvent, { type: K }>> =>
  list.filter((e): e is Extract<CourierEvent, { type: K }> => e.type === type)

test('--workers 3: relays and gateways in two worker processes; crowd and device messages cross processes and arrive; a worker relay is killed and restarted over the channel; no worker left', async () => {
  const dir = await tempDir()
  const file = await writeScenario(
    dir,
    'workers.yaml',
    SCENARIO(`timeline:
  - { at: 1s, send: { from: alice, count: 4, every: 300ms } }
  - { at: 2s, kill: { node: relay-2, for: 1s } }
expect:
  delivery.loss: "== 0"
`).replace('alice: {}', 'alice: { bootstrap: 1 }')
  )
  const { result, out } = await runConclusive(file, dir, { args: ['--workers', '3'] })
  assert.equal(result.code, 0, result.stdout + result.stderr)
  const log = await events(out)
  const placement = of(log, 'workers.placement')[0]
  assert.deepEqual(placement.byWorker, { 'worker-1': ['relay-1', 'relay-3', 'crowd-1'], 'worker-2': ['relay-2', 'relay-4', 'crowd-2'] })
  assert.deepEqual(placement.runner, ['store-1'])
  const workers = of(log, 'worker.up')
  assert.equal(workers.length, 2)
  const pids = workers.map((w) => w.pid)
  assert.ok(pids.every((pid) => pid > 0 && pid !== result.code))
  // every worker pid is gone once courier has exited: no process outlives the run
  assert.deepEqual(await gone(pids, 2000), [], 'worker processes left after the run')

  // crowd messages were published in the workers (their gateways) and reached devices in courier's process
  const results = JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as Results
  const crowdSent = of(log, 'msg.sent').filter((e) => e.node === 'crowd-1' || e.node === 'crowd-2')
  assert.ok(crowdSent.some((e) => e.node === 'crowd-1') && crowdSent.some((e) => e.node === 'crowd-2'), 'both workers played their gateways')
  const received = new Set(of(log, 'msg.received').map((e) => `${e.device} ${e.msgId}`))
  for (const sent of crowdSent) for (const device of ['alice', 'bob']) assert.ok(received.has(`${device} ${sent.msgId}`), `${device} missed ${sent.msgId}`)
  assert.equal(results.delivery.overall.lost, 0)
  // device messages went the other way: worker relays report relaying alice's messages
  const aliceHashes = new Set(of(log, 'msg.sent').flatMap((e) => (e.device === 'alice' ? [e.hash] : [])))
  assert.equal(aliceHashes.size, 4)
  assert.ok(of(log, 'msg.relayed').some((e) => aliceHashes.has(e.hash) && ['relay-1', 'relay-2', 'relay-3', 'relay-4'].includes(e.node)))
  // crowd ids are numbered by place in the plan: no two processes hand out the same one
  assert.equal(new Set(crowdSent.map((e) => e.msgId)).size, crowdSent.length)

  // times: worker events sit on the run clock, between run.start and run.end, after their worker came up
  const runEnd = of(log, 'run.end')[0].t
  for (const e of log) assert.ok(e.t >= 0 && e.t <= runEnd, `${e.type} at ${e.t} outside the run (0..${runEnd})`)
  for (const up of of(log, 'node.up').filter((e) => e.node !== 'store-1')) {
    const worker = workers.find((w) => w.nodes.includes(up.node))
    assert.ok(worker != null && up.t > worker.t - 1000, `${up.node} up at ${up.t}, its worker at ${worker?.t}`)
  }
  // a message's first relay by a worker node comes after its send in courier's process and before its delivery
  const firstSend = of(log, 'msg.sent').find((e) => e.device === 'alice')
  const relayedAt = of(log, 'msg.relayed').filter((e) => e.hash === firstSend?.hash)
  assert.ok(firstSend != null && relayedAt.length > 0 && relayedAt.every((e) => e.t >= firstSend.t), 'relayed before it was sent?')
  const clocks = of(log, 'worker.clock')
  assert.equal(clocks.length, 4, 'start and end, per worker')
  for (const c of clocks) assert.ok(Math.abs(c.offsetMs) <= Math.max(1, c.rttMs), `${c.worker} clock off by ${c.offsetMs} ms (rtt ${c.rttMs})`)
  // each process watched itself
  assert.deepEqual([...new Set(of(log, 'harness.lag').map((e) => e.process))].sort(), ['runner', 'worker-1', 'worker-2'])
  assert.deepEqual(Object.keys(results.harness.processes ?? {}).sort(), ['runner', 'worker-1', 'worker-2'])

  // peer exchange from a worker's relay names every service node that is up, whichever process runs it, and the
  // asking device by name (a worker never heard of alice: courier names the peers of the events it writes)
  const exchange = of(log, 'peerExchange.request').find((e) => e.node.startsWith('relay-'))
  assert.deepEqual({ peer: exchange?.peer, answered: exchange?.answered }, { peer: 'alice', answered: 5 })

  // the kill and restart of relay-2 (worker-2's) went over the channel; the node went down and came back
  const relay2 = log.filter((e) => (e.type === 'node.down' || e.type === 'node.up') && e.node === 'relay-2').map((e) => e.type)
  assert.deepEqual(relay2, ['node.up', 'node.down', 'node.up', 'node.down'])
  assert.equal(of(log, 'node.down').find((e) => e.node === 'relay-2')?.reason, 'killed')
  assert.ok(of(log, 'worker.exit').every((e) => e.expected && e.code === 0))
})

nightlyTest(
  'a worker killed with SIGKILL mid-run: its nodes are recorded as crashed, the run goes on to its results, the other worker is stopped',
  async () => {
    const dir = await tempDir()
    const file = await writeScenario(dir, 'crash.yaml', SCENARIO().replace('duration: 5s', 'duration: 6s'))
    const out = join(dir, 'run')
    const { child, done } = startCourier(['run', file, '--out', out, '--no-progress', '--workers', '3'])
    await waitForScenarioStart(out, 60_000)
    const up = of(await events(out), 'worker.up')
    const victim = up.find((w) => w.worker === 'worker-1')
    assert.ok(victim != null)
    await sleep(1500)
    process.kill(victim.pid, 'SIGKILL')
    const result = await done
    assert.ok(child.pid != null)
    const log = await events(out)
    const exit = of(log, 'worker.exit').find((e) => e.worker === 'worker-1')
    assert.deepEqual({ expected: exit?.expected, signal: exit?.signal }, { expected: false, signal: 'SIGKILL' })
    const crashed = of(log, 'node.down')
      .filter((e) => e.reason === 'crashed')
      .map((e) => e.node)
      .sort()
    assert.deepEqual(crashed, [...victim.nodes].sort())
    assert.ok(of(log, 'harness.error').some((e) => e.component === 'worker-1' && /died \(SIGKILL\)/.test(e.error)))
    // the run went on: the other worker's crowd kept publishing after the crash, the run ended complete
    const crashAt = exit?.t ?? Infinity
    assert.ok(
      of(log, 'msg.sent').some((e) => e.node === 'crowd-2' && e.t > crashAt + 500),
      'nothing published after the crash'
    )
    assert.ok(
      of(log, 'msg.received').some((e) => e.t > crashAt + 500),
      'nothing delivered after the crash'
    )
    const results = JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as Results
    assert.equal(results.status, 'complete', result.stderr)
    assert.ok(of(log, 'worker.exit').some((e) => e.worker === 'worker-2' && e.expected))
    assert.deepEqual(
      await gone(
        up.map((w) => w.pid),
        2000
      ),
      []
    )
  }
)

test('the runner killed with SIGKILL: its workers notice and exit by themselves', async () => {
  const dir = await tempDir()
  const file = await writeScenario(dir, 'orphan.yaml', SCENARIO().replace('duration: 5s', 'duration: 30s'))
  const out = join(dir, 'run')
  const { child, done } = startCourier(['run', file, '--out', out, '--no-progress', '--workers', '3'])
  let pids: number[] = []
  try {
    await waitForScenarioStart(out, 60_000)
    pids = of(await events(out), 'worker.up').map((w) => w.pid)
    assert.equal(pids.length, 2)
    assert.ok(pids.every(alive))
    child.kill('SIGKILL')
    await done
    assert.deepEqual(await gone(pids, 5000), [], 'workers outlived their runner')
  } finally {
    // a failure here must not leave the orphans it found behind
    child.kill('SIGKILL')
    for (const pid of pids.filter(alive)) process.kill(pid, 'SIGKILL')
  }
})

test('--workers takes a whole number from 1 to 64; anything else is exit 2 naming the flag', async () => {
  const dir = await tempDir()
  const file = await writeScenario(dir, 'bad.yaml', SCENARIO())
  for (const value of ['0', '-1', '2.5', 'two', '65']) {
    const result = await runCourier(['run', file, '--out', join(dir, `run-${value}`), '--no-progress', '--workers', value])
    assert.equal(result.code, 2, `--workers ${value}: ${result.stdout}${result.stderr}`)
    assert.match(result.stderr, /--workers.*not a number of processes/s)
    assert.match(result.stderr, /a whole number from 1 to 64/)
  }
})

// network-partition.yaml with its relays in workers. The broken variant runs shorter (its messages
// are lost whatever the timing); the healthy one keeps the shipped timings, which leave alice's
// resends time to land (at 12 s with a 4 s partition one of three missed the grace, in-process too)
const PARTITION = (confirmSent: boolean): string => `name: partition-workers
seed: 32
duration: ${confirmSent ? '20s' : '12s'}
grace: ${confirmSent ? '5s' : '4s'}
network: { relays: 4, stores: 2 }
crowd: { topic: lobby, users: 300, rate: 1/s }
devices:
  alice: { syncInterval: 3s, confirmSent: ${confirmSent} }
  bob: { syncInterval: 3s }
capture: off
timeline:
  - { at: 2s, partition: { groups: [[alice], [rest]], for: ${confirmSent ? '6s' : '4s'} } }
  - { at: 3s, send: { from: alice, count: 3, every: 1s, text: "into the void" } }
harness: { maxLagP99: 1s }
expect:
  partition.crossLost: "== 0"
  delivery.loss: "== 0"
`

// npm test runs the partition across processes with a device inside a worker (below); this one, with the
// device in courier's process, runs nightly beside its healthy twin
nightlyTest('a partition with --workers 3 cuts a device off relays in other processes: without resends its messages are lost across it', async () => {
  const dir = await tempDir()
  const file = await writeScenario(dir, 'partition.yaml', PARTITION(false))
  const { result, out } = await runConclusive(file, dir, { args: ['--workers', '3'] })
  assert.equal(result.code, 1, result.stdout + result.stderr)
  const log = await events(out)
  const placement = of(log, 'workers.placement')[0]
  assert.deepEqual(
    Object.values(placement.byWorker)
      .flat()
      .filter((n) => n.startsWith('relay'))
      .sort(),
    ['relay-1', 'relay-2', 'relay-3', 'relay-4']
  )
  assert.equal(placement.note, undefined)
  const results = JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as Results
  assert.ok((results.reliability?.partitions[0]?.cross.lost ?? 0) >= 3, "alice's messages from inside the partition must not reach bob")
  assert.ok(results.thresholds.some((t) => t.metric === 'partition.crossLost' && !t.passed))
})

nightlyTest('a partition with --workers 3, healthy client: resent after the heal, nothing lost across it', async () => {
  const dir = await tempDir()
  const file = await writeScenario(dir, 'partition.yaml', PARTITION(true))
  const { result, out } = await runConclusive(file, dir, { args: ['--workers', '3'] })
  assert.equal(result.code, 0, result.stdout + result.stderr)
  const results = JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as Results
  assert.equal(results.reliability?.partitions[0]?.cross.lost, 0)
  assert.ok((results.reliability?.sentChecks.alice?.resent ?? 0) >= 3)
})

test('Ctrl-C in a terminal (SIGINT to the whole process group): the run stops in order, exit 130, and no worker is recorded as crashed', async () => {
  const dir = await tempDir()
  const file = await writeScenario(dir, 'ctrl-c.yaml', SCENARIO().replace('duration: 5s', 'duration: 30s'))
  const out = join(dir, 'run')
  // a process group of its own, as a shell gives a foreground job
  const child = spawn(process.execPath, [COURIER_BIN, 'run', file, '--out', out, '--no-progress', '--workers', '3'], {
    cwd: REPO_ROOT,
    detached: true,
    stdio: 'ignore'
  })
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  let pids: number[] = []
  try {
    await waitForScenarioStart(out, 60_000)
    pids = of(await events(out), 'worker.up').map((w) => w.pid)
    assert.equal(pids.length, 2)
    process.kill(-(child.pid ?? 0), 'SIGINT')
    assert.equal(await exited, 130)
    const log = await events(out)
    assert.equal(of(log, 'run.end')[0]?.status, 'interrupted')
    assert.deepEqual(
      of(log, 'node.down').filter((e) => e.reason === 'crashed'),
      [],
      'a worker died of the Ctrl-C instead of being stopped by courier'
    )
    assert.ok(of(log, 'worker.exit').length === 2 && of(log, 'worker.exit').every((e) => e.expected))
    assert.deepEqual(await gone(pids, 2000), [])
  } finally {
    if (child.exitCode == null) child.kill('SIGKILL')
    for (const pid of pids.filter(alive)) process.kill(pid, 'SIGKILL')
  }
})

// Simulated devices in worker processes: with 2 relays and 4 devices, courier's process would carry
// 5 libp2p nodes against 1 in each worker, so two devices leave it. alice (worker-1) and carol
// (courier's) message each other; alice goes offline while carol sends and catches up from the store.
const DEVICES = (broken: boolean): string => `name: devices-on-workers
seed: 7
duration: 5s
grace: 2s
network: { relays: 2, stores: 1 }
devices:
  alice: { confirmSent: ${!broken}, radio: lte }
  bob: {}
  carol: {}
  dave: {}
capture: socket
timeline:
${
  broken
    ? `  - { at: 1s, partition: { groups: [[alice], [rest]] } }
  - { at: 2s, send: { from: alice, topic: chat, count: 3, every: 300ms } }`
    : `  - { at: 500ms, send: { from: alice, topic: chat, count: 3, every: 300ms } }
  - { at: 500ms, send: { from: carol, topic: chat, count: 3, every: 300ms } }
  - { at: 1500ms, offline: { device: alice, for: 1500ms } }
  - { at: 2s, send: { from: carol, topic: chat, count: 3, every: 300ms } }`
}
harness: { maxLagP99: 1s }
expect:
  delivery.loss: "== 0"
${broken ? '  partition.crossLost: "== 0"\n' : ''}`

test('--workers 3 moves simulated devices into workers: placement says which and why, their events come from the worker, messages cross both ways, offline/online works, nothing lost, no worker left', async () => {
  const dir = await tempDir()
  const file = await writeScenario(dir, 'devices.yaml', DEVICES(false))
  const { result, out } = await runConclusive(file, dir, { args: ['--workers', '3'] })
  assert.equal(result.code, 0, result.stdout + result.stderr)
  const log = await events(out)
  const placement = of(log, 'workers.placement')[0]
  assert.deepEqual(placement.byWorker, { 'worker-1': ['relay-1'], 'worker-2': ['relay-2'] })
  assert.deepEqual(placement.devices, { 'worker-1': ['alice'], 'worker-2': ['bob'] })
  assert.deepEqual(Object.keys(placement.devicesKept ?? {}).sort(), ['carol', 'dave'])
  assert.match(placement.devicesKept?.carol ?? '', /^balance: /)
  assert.match(result.stdout + result.stderr, /devices in workers: worker-1 alice; worker-2 bob/)

  // the moved devices came up in their workers' processes; carol and dave in courier's
  const workers = of(log, 'worker.up')
  const up = new Map(of(log, 'device.up').map((e) => [e.device, e.worker]))
  assert.deepEqual(Object.fromEntries(up), { alice: 'worker-1', bob: 'worker-2', carol: undefined, dave: undefined })
  assert.ok(workers.some((w) => w.worker === 'worker-1' && w.pid > 0 && w.pid !== process.pid))
  // its socket accounting crossed the channel under its own name: its bytes are counted
  const results = JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as Results
  assert.ok((results.bytes?.owners.alice?.down ?? 0) > 0 && results.bytes?.owners.alice?.kind === 'device', 'no bytes for alice')
  // and its radio is priced from them (socket chunks stamped on the run clock in the worker)
  assert.ok(Number(results.metrics['energy.alice.joules']?.value ?? 0) > 0, 'alice not priced')

  // messages both ways between worker-1's alice and courier's carol, each sent before it arrived
  const sent = of(log, 'msg.sent')
  const received = of(log, 'msg.received').filter((e) => !e.duplicate)
  for (const [from, to, count] of [
    ['alice', 'carol', 3],
    ['carol', 'alice', 6]
  ] as const) {
    const ids = sent.filter((e) => e.device === from)
    assert.equal(ids.length, count, `${from} sent ${ids.length}`)
    for (const message of ids) {
      const arrival = received.find((e) => e.device === to && e.hash === message.hash)
      assert.ok(arrival != null, `${to} never got ${message.msgId}`)
      assert.ok(arrival.t >= message.t, `${message.msgId} arrived at ${arrival.t}, before it was sent at ${message.t}`)
    }
  }
  assert.equal(results.delivery.overall.lost, 0)

  // the timeline's offline/online reached alice in her worker: carol's messages of that time came from the store
  const start = of(log, 'scenario.start')[0].t
  const offline = of(log, 'device.offline').find((e) => e.device === 'alice' && e.t > start)
  const online = of(log, 'device.online').find((e) => e.device === 'alice' && offline != null && e.t > offline.t)
  assert.ok(offline != null && online != null, 'alice did not go offline and back')
  const whileAway = sent.filter((e) => e.device === 'carol' && e.t > offline.t && e.t < online.t).map((e) => e.hash)
  assert.ok(whileAway.length > 0)
  for (const hash of whileAway) assert.equal(received.find((e) => e.device === 'alice' && e.hash === hash)?.via, 'store')

  assert.ok(of(log, 'worker.exit').every((e) => e.expected && e.code === 0))
  assert.deepEqual(
    await gone(
      workers.map((w) => w.pid),
      2000
    ),
    [],
    'worker processes left after the run'
  )
})

test('--workers 3, broken: a partition cuts off alice in her worker; without resends her messages across it are lost and the run fails', async () => {
  const dir = await tempDir()
  const file = await writeScenario(dir, 'devices-broken.yaml', DEVICES(true))
  const { result, out } = await runConclusive(file, dir, { args: ['--workers', '3'] })
  assert.equal(result.code, 1, result.stdout + result.stderr)
  const log = await events(out)
  assert.deepEqual(of(log, 'workers.placement')[0].devices?.['worker-1'], ['alice'])
  assert.equal(of(log, 'device.up').find((e) => e.device === 'alice')?.worker, 'worker-1')
  const results = JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as Results
  assert.ok((results.reliability?.partitions[0]?.cross.lost ?? 0) >= 3, "alice's messages from inside the partition must not reach the others")
  assert.ok(results.thresholds.some((t) => t.metric === 'partition.crossLost' && !t.passed))
})

nightlyTest('a worker hosting a device killed with SIGKILL: its device is recorded as failed beside its node, the run goes on to its results', async () => {
  const dir = await tempDir()
  const file = await writeScenario(
    dir,
    'device-crash.yaml',
    DEVICES(false).replace('duration: 5s', 'duration: 8s').replace('  - { at: 2s, send: { from: carol', '  - { at: 5s, send: { from: carol')
  )
  const out = join(dir, 'run')
  const { done } = startCourier(['run', file, '--out', out, '--no-progress', '--workers', '3'])
  await waitForScenarioStart(out, 60_000)
  const victim = of(await events(out), 'worker.up').find((w) => w.worker === 'worker-1')
  assert.ok(victim != null)
  await sleep(2500)
  process.kill(victim.pid, 'SIGKILL')
  const result = await done
  const log = await events(out)
  const exit = of(log, 'worker.exit').find((e) => e.worker === 'worker-1')
  assert.deepEqual({ expected: exit?.expected, signal: exit?.signal }, { expected: false, signal: 'SIGKILL' })
  assert.deepEqual(
    of(log, 'node.down')
      .filter((e) => e.reason === 'crashed')
      .map((e) => e.node),
    ['relay-1']
  )
  const failed = of(log, 'device.failed')
  assert.deepEqual(
    failed.map((e) => e.device),
    ['alice'],
    result.stderr
  )
  assert.match(failed[0].error, /its worker worker-1 \(process \d+\) died \(SIGKILL\)/)
  assert.ok(of(log, 'harness.error').some((e) => e.component === 'worker-1' && /and its devices alice died with it/.test(e.error)))
  // the run went on: carol's later messages reached bob in the other worker and dave in courier's process
  const late = of(log, 'msg.sent').filter((e) => e.device === 'carol' && e.t > (exit?.t ?? Infinity))
  assert.ok(late.length > 0)
  for (const device of ['bob', 'dave'])
    for (const message of late)
      assert.ok(
        of(log, 'msg.received').some((e) => e.device === device && e.hash === message.hash),
        `${device} missed ${message.msgId}`
      )
  const results = JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as Results
  assert.equal(results.status, 'complete')
  assert.deepEqual(await gone([victim.pid, ...of(log, 'worker.up').map((w) => w.pid)], 2000), [])
})

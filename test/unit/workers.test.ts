import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { CourierEvent } from '../../harness/interface/index.js'
import { analyzeRun } from '../../harness/analysis/index.js'
import { buildResults } from '../../harness/runner/results.js'
import { parseScenario } from '../../harness/scenario/index.js'
import { Partitions } from '../../harness/fleet/index.js'
import { encodeFrame, FrameDecoder, MAX_FRAME_BYTES, planPlacement, runOriginNs } from '../../harness/worker/index.js'

test('frames come out whole and in order whatever the chunk boundaries, a byte at a time included', () => {
  const messages = [{ kind: 'events', events: [[1.5, 'msg.sent', { msgId: 'c1', text: 'ünïcode ✓' }]] }, { id: 7 }, 'x'.repeat(70_000), null]
  const bytes = Buffer.concat(messages.map((m) => encodeFrame(m)))
  for (const size of [1, 3, 4, 5, 1000, bytes.length]) {
    const decoder = new FrameDecoder()
    const out: unknown[] = []
    for (let i = 0; i < bytes.length; i += size) out.push(...decoder.push(bytes.subarray(i, i + size)))
    assert.deepEqual(out, messages, `chunks of ${size} bytes`)
    assert.equal(decoder.buffered, 0)
  }
  // a stream cut mid-frame leaves bytes waiting, which the channel reports when the stream ends
  const cut = new FrameDecoder()
  assert.deepEqual(cut.push(bytes.subarray(0, 6)), [])
  assert.equal(cut.buffered, 6)
})

test('a frame length over the limit or a body that is not JSON is refused, not buffered forever', () => {
  const huge = Buffer.alloc(4)
  huge.writeUInt32BE(MAX_FRAME_BYTES + 1, 0)
  assert.throws(() => new FrameDecoder().push(huge), /over the .*limit/)
  const notJson = Buffer.concat([Buffer.from([0, 0, 0, 3]), Buffer.from('{x}')])
  assert.throws(() => new FrameDecoder().push(notJson), SyntaxError)
})

const scenario = (extra = ''): ReturnType<typeof parseScenario> =>
  parseScenario(
    `name: placement
seed: 1
duration: 5s
network: { relays: 5, stores: 2 }
crowd: { topic: lobby, users: 10, rate: 1/s, gateways: 2 }
devices: { alice: {} }
${extra}`,
    'placement.yaml'
  )

test('placement: 1 keeps everything in courier; N deals relays then gateways to the process with the fewest nodes, courier counting its stores and devices; stores never move', () => {
  assert.deepEqual([...planPlacement(scenario(), 1, false).byWorker], [])
  const three = planPlacement(scenario(), 3, false)
  assert.equal(three.note, undefined)
  assert.deepEqual(Object.fromEntries(three.byWorker), {
    'worker-1': ['relay-1', 'relay-3', 'relay-5', 'crowd-2'],
    'worker-2': ['relay-2', 'relay-4', 'crowd-1']
  })
  assert.ok(![...three.byWorker.values()].flat().some((node) => node.startsWith('store')))
  // a big fleet on two processes: courier's keeps its 2 stores and 4 devices and takes relays and gateways up to half of the 40 nodes
  const big = parseScenario(
    'name: big\nseed: 1\nduration: 5s\nnetwork: { relays: 32, stores: 2 }\ncrowd: { topic: lobby, users: 10, rate: 1/s, gateways: 2 }\ndevices: { a: {}, b: {}, c: {}, d: {} }\n',
    'big.yaml'
  )
  const two = planPlacement(big, 2, false)
  const inWorker = two.byWorker.get('worker-1') ?? []
  assert.equal(inWorker.length, 20)
  assert.equal([...big.nodes.relays, ...big.nodes.gateways].filter((node) => !inWorker.includes(node)).length, 14)
  assert.throws(() => planPlacement(scenario(), 0, false), /whole number >= 1/)
  assert.throws(() => planPlacement(scenario(), 1.5, false), /whole number >= 1/)
})

test('placement: node links keep every node in courier and say why; partitions and blocks no longer do (the gates follow over the channel)', () => {
  const partition = planPlacement(scenario('timeline:\n  - { at: 1s, partition: { groups: [[relay-1], [rest]], for: 1s } }'), 2, false)
  assert.equal(partition.note, undefined)
  assert.equal(partition.byWorker.size, 1)
  const links = planPlacement(scenario(), 2, true)
  assert.equal(links.byWorker.size, 0)
  assert.match(links.note ?? '', /shapes links between fleet nodes/)
})

test('partitions: a snapshot restored elsewhere decides exactly as the original, and every change is announced', () => {
  const a = new Partitions()
  let changes = 0
  a.onChange(() => {
    changes++
  })
  a.register('relay-1', 'P1')
  a.register('relay-2', 'P2')
  a.register('alice', 'PA')
  a.register('alice', 'PA')
  assert.equal(changes, 3, 'a registration that changes nothing is not a change')
  a.set([['alice'], ['rest']])
  a.block('alice', ['relay-2'])
  assert.equal(changes, 5)
  const b = new Partitions()
  b.register('relay-9', 'P9')
  b.restore(structuredClone(a.snapshot()))
  for (const [self, peer] of [
    ['relay-1', 'PA'],
    ['relay-1', 'P2'],
    ['relay-2', 'PA'],
    ['relay-9', 'PA'],
    ['relay-1', 'P9']
  ])
    assert.equal(b.blocked(self, peer), a.blocked(self, peer), `${self} and ${peer}`)
  assert.equal(b.blocked('relay-1', 'PA'), true)
  assert.equal(b.peerName('P9'), 'relay-9', "the copy keeps its own nodes' names")
  a.clear()
  a.unblock('alice', ['relay-2'])
  b.restore(a.snapshot())
  assert.equal(b.blocked('relay-2', 'PA'), false, 'a lifted block is lifted in the copy too')
  assert.equal(b.blocked('relay-1', 'PA'), false)
})

const lag = (t: number, process: string, p99: number): CourierEvent => ({ t, type: 'harness.lag', process, p50: 1, p99, max: p99, cpu: 40, rssMb: 100 })

test('harness health judges each process on its own samples: one saturated worker makes the run inconclusive and is named', () => {
  const base: CourierEvent[] = [{ t: 100, type: 'scenario.start' }]
  const samples = [1100, 2100, 3100, 4100].flatMap((t) => [lag(t, 'runner', 3), lag(t + 1, 'worker-1', 4), lag(t + 2, 'worker-2', t === 3100 ? 400 : 300)])
  const health = analyzeRun([...base, ...samples, { t: 4500, type: 'scenario.end' }], { lagLimitMs: 50 }).harness
  assert.equal(health.saturated, true)
  assert.equal(health.process, 'worker-2')
  assert.ok((health.lagP99Ms ?? 0) >= 300, `the worst process's p99, not a mix of all samples: ${health.lagP99Ms}`)
  assert.equal(health.processes?.runner.saturated, false)
  assert.equal(health.processes?.['worker-1'].samples, 4)
  // pooled, the calm processes' samples would have hidden the busy one (8 of 12 samples under 5 ms)
  const calm = analyzeRun([...base, ...samples.filter((e) => e.type === 'harness.lag' && e.process !== 'worker-2'), { t: 4500, type: 'scenario.end' }], {
    lagLimitMs: 50
  }).harness
  assert.equal(calm.saturated, false)
  // one process only: results.json keeps its old shape
  const single = analyzeRun([...base, lag(1100, 'runner', 3), { t: 4500, type: 'scenario.end' }], { lagLimitMs: 50 }).harness
  assert.equal(single.processes, undefined)
  assert.equal(single.process, undefined)
})

test("the verdict's reason names the saturated worker with its own p99", () => {
  const events: CourierEvent[] = [
    {
      t: 0,
      type: 'run.start',
      runId: 'r',
      scenario: scenario().config,
      scenarioFile: 'placement.yaml',
      seed: 1,
      tool: { courier: '0', node: 'v20', libp2p: '3', host: { platform: 'linux', arch: 'x64', cpus: 2, memoryGb: 4, hostname: 'h' } }
    },
    { t: 100, type: 'scenario.start' },
    ...[1100, 2100, 3100].flatMap((t) => [lag(t, 'runner', 2), lag(t + 1, 'worker-1', 90)]),
    { t: 5100, type: 'scenario.end' },
    { t: 5200, type: 'run.end', status: 'complete' }
  ]
  const results = buildResults({ events, thresholds: [] })
  assert.equal(results.verdict, 'inconclusive')
  assert.match(results.verdictReasons.join('\n'), /harness saturated \(worker-1 90 ms\)/)
})

test("a worker's clock origin stays on the run clock when the runner is preempted between two clock reads", () => {
  // the run clock reads the monotonic clock like performance.now(); the first read is held up 8 ms,
  // as a loaded 2-core machine did in CI, which put a worker 8.5 ms ahead of the runner
  const t0 = process.hrtime.bigint()
  let reads = 0
  const clock = {
    now: (): number => {
      const called = process.hrtime.bigint()
      if (reads++ === 0) while (process.hrtime.bigint() - called < 8_000_000n);
      return Number(process.hrtime.bigint() - t0) / 1e6
    }
  }
  const errorMs = Number(runOriginNs(clock) - t0) / 1e6
  assert.ok(Math.abs(errorMs) < 1, `origin off by ${errorMs} ms`)
})

test('placement of devices: simulated ones leave courier for the lightest worker while it carries two fewer; the rest stay, each with its reason; nodes sit where they did', () => {
  const devices = (
    extra = '',
    devicesYaml = 'alice: {}\n  bob: {}\n  carol: {}\n  dave: {}',
    network = 'relays: 2, stores: 1'
  ): ReturnType<typeof parseScenario> =>
    parseScenario(`name: devices\nseed: 1\nduration: 5s\nnetwork: { ${network} }\ndevices:\n  ${devicesYaml}\n${extra}`, 'devices.yaml')
  // courier's process starts with 1 store + 4 devices = 5 against 1 relay per worker: alice and bob move, then 3 vs 2 is even enough
  const four = planPlacement(devices(), 3, false)
  assert.deepEqual(Object.fromEntries(four.byWorker), { 'worker-1': ['relay-1'], 'worker-2': ['relay-2'] })
  assert.deepEqual(Object.fromEntries(four.devices), { 'worker-1': ['alice'], 'worker-2': ['bob'] })
  assert.deepEqual([...four.devicesKept.keys()], ['carol', 'dave'])
  assert.match(four.devicesKept.get('carol') ?? '', /^balance: courier's process carries 3 libp2p nodes with it, the lightest worker 2/)
  // the nodes' placement is what it was before devices could move: the e2e scenario of 4 relays, a store, 2 gateways, 2 devices moves no device
  const even = planPlacement(devices('crowd: { topic: lobby, users: 10, rate: 1/s, gateways: 2 }', 'alice: {}\n  bob: {}', 'relays: 4, stores: 1'), 3, false)
  assert.deepEqual(Object.fromEntries(even.byWorker), { 'worker-1': ['relay-1', 'relay-3', 'crowd-1'], 'worker-2': ['relay-2', 'relay-4', 'crowd-2'] })
  assert.deepEqual([...even.devices.values()].flat(), [])
  // 1 process: nothing placed at all
  assert.deepEqual([...planPlacement(devices(), 1, false).devices], [])

  // what a worker cannot reproduce stays, and says why
  const kept = planPlacement(
    devices(
      'timeline:\n  - { at: 1s, block: { device: bob, nodes: [relay-1] } }\n  - { at: 1s, link: { device: dave, to: { latency: 50ms } } }',
      'alice: { link: { latency: 20ms } }\n  bob: {}\n  carol: { driver: js-waku }\n  dave: {}\n  erin: {}\n  frank: {}',
      'relays: 2, stores: 1'
    ),
    3,
    false
  )
  assert.match(kept.devicesKept.get('alice') ?? '', /link is shaped in courier's process/)
  assert.match(kept.devicesKept.get('dave') ?? '', /link is shaped in courier's process/)
  assert.match(kept.devicesKept.get('bob') ?? '', /a block in the timeline/)
  assert.match(kept.devicesKept.get('carol') ?? '', /the js-waku driver: only simulated devices move/)
  assert.deepEqual([...kept.devices.values()].flat().sort(), ['erin', 'frank'])
  // workers on other hosts take nodes, never devices: the capture here would not see their packets
  const remote = planPlacement(devices(), 1, false, 2)
  assert.equal([...remote.byWorker.values()].flat().length, 2)
  assert.deepEqual([...remote.devices], [])
  assert.match(remote.devicesKept.get('alice') ?? '', /workers on other hosts take no devices/)
  // node links keep devices in courier's process with the nodes
  const linked = planPlacement(devices(), 3, true)
  assert.deepEqual([...linked.devices], [])
  assert.match(linked.note ?? '', /every fleet node and device runs there/)
})

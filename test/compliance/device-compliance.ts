import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { SimulatedDevice } from '../../devices/simulated/index.js'
import { Fleet } from '../../harness/fleet/index.js'
import type { CourierEvent, Device, DeviceComponents, EventData, EventSink, EventType, Results } from '../../harness/interface/index.js'
import { runScenario } from '../../harness/runner/index.js'
import { parseScenario, seededRandom } from '../../harness/scenario/index.js'
import { tempDir, writeScenario } from '../helpers/cli.js'

/** One device driver as the compliance suite sees it. */
export interface DriverUnderTest {
  driver: string
  /** How test titles name it when one driver runs in several modes (default: the driver). */
  label?: string
  create: (name: string, topics: string[], components: DeviceComponents) => Device
  /** A device of this driver that cannot start (an unreachable phone, a client that finds no relay), made through the real start path. */
  failing: (name: string, topics: string[], components: DeviceComponents) => Device
  setup?: () => Promise<void>
  teardown?: () => Promise<void>
}

const TOPIC = 'compliance'
const quiet = { info: () => {}, warn: () => {}, debug: () => {} }

/** Records events with the run clock, as the event log would. */
class Recorder implements EventSink {
  readonly events: CourierEvent[] = []
  private readonly t0 = performance.now()
  readonly clock = { now: () => performance.now() - this.t0 }
  emit<K extends EventType>(type: K, data: EventData<K>, at?: number): void {
    const now = this.clock.now()
    this.events.push({ t: at != null ? Math.min(at, now) : now, type, ...data } as unknown as CourierEvent)
  }

  of(type: EventType, device: string): CourierEvent[] {
    return this.events.filter((e) => e.type === type && (e as { device?: string }).device === device)
  }

  async waitFor(what: string, predicate: (e: CourierEvent) => boolean, timeoutMs = 8000): Promise<CourierEvent> {
    const deadline = Date.now() + timeoutMs
    while (Date.now() < deadline) {
      const found = this.events.find(predicate)
      if (found != null) return found
      await new Promise((resolve) => setTimeout(resolve, 25))
    }
    assert.fail(`timed out waiting for ${what}`)
  }
}

/**
 * The tests every device driver passes, against a real fleet (2 relays, 1 store) and a simulated
 * peer on the same topic: start, send reaches the fleet, receive from the fleet with render
 * events, offline and back with history catch-up, stop twice, and a failing device reported
 * while the run goes on.
 */
export function deviceCompliance(under: DriverUnderTest): void {
  const recorder = new Recorder()
  const controller = new AbortController()
  const scenario = parseScenario(`name: compliance\nduration: 10s\nnetwork: { relays: 2, stores: 1 }\n`, 'compliance.yaml')
  const fleet = new Fleet(scenario, { clock: recorder.clock, events: recorder, onError: () => {} })
  let peer: SimulatedDevice
  let device: Device
  const components = (name: string): DeviceComponents => ({
    clock: recorder.clock,
    events: recorder,
    log: quiet,
    fleet: fleet.directory(),
    random: seededRandom(1, name),
    byteAccounting: false
  })

  before(async () => {
    await under.setup?.()
    await fleet.start(controller.signal)
    peer = new SimulatedDevice({ name: 'peer', topics: [TOPIC], relays: 2 }, components('peer'))
    await peer.start()
  })
  after(async () => {
    await device?.stop().catch(() => {})
    await peer?.stop()
    await fleet.stop()
    await under.teardown?.()
  })

  test(`${under.label ?? under.driver}: starts, says it is up and online, and joins its topics`, async () => {
    device = under.create('dut', [TOPIC], components('dut'))
    assert.equal(device.driver, under.driver)
    await device.start({ signal: controller.signal })
    assert.equal(recorder.of('device.up', 'dut').length, 1)
    assert.equal(recorder.of('device.online', 'dut').length, 1)
    assert.deepEqual(
      recorder.of('device.subscribe', 'dut').map((e) => (e as { topic: string }).topic),
      [TOPIC]
    )
  })

  test(`${under.label ?? under.driver}: a message it sends reaches the fleet`, async () => {
    await device.send({ msgId: 'dut-1', topic: TOPIC, bytes: 200, text: 'compliance' })
    const sent = recorder.of('msg.sent', 'dut').find((e) => (e as { msgId: string }).msgId === 'dut-1')
    assert.ok(sent != null, "msg.sent with courier's msgId")
    await recorder.waitFor('the peer to receive dut-1', (e) => e.type === 'msg.received' && e.device === 'peer' && e.msgId === 'dut-1')
  })

  test(`${under.label ?? under.driver}: a message from the fleet is received and rendered`, async () => {
    await peer.send({ msgId: 'peer-1', topic: TOPIC, bytes: 200 })
    const received = await recorder.waitFor('dut to receive peer-1', (e) => e.type === 'msg.received' && e.device === 'dut' && e.msgId === 'peer-1')
    const rendered = await recorder.waitFor('dut to render peer-1', (e) => e.type === 'msg.rendered' && e.device === 'dut' && e.msgId === 'peer-1')
    assert.ok(rendered.t >= received.t, 'rendered no earlier than received')
  })

  test(`${under.label ?? under.driver}: offline then online catches up on what was missed`, async () => {
    await device.setOnline(false)
    assert.equal(recorder.of('device.offline', 'dut').length, 1)
    await peer.send({ msgId: 'peer-away-1', topic: TOPIC, bytes: 200 })
    await peer.send({ msgId: 'peer-away-2', topic: TOPIC, bytes: 200 })
    await new Promise((resolve) => setTimeout(resolve, 500))
    assert.ok(!recorder.events.some((e) => e.type === 'msg.received' && e.device === 'dut' && e.msgId.startsWith('peer-away')), 'nothing arrives while offline')
    await device.setOnline(true)
    assert.equal(recorder.of('device.online', 'dut').length, 2)
    for (const id of ['peer-away-1', 'peer-away-2']) {
      await recorder.waitFor(`dut to render ${id} after coming back`, (e) => e.type === 'msg.rendered' && e.device === 'dut' && e.msgId === id)
    }
  })

  test(`${under.label ?? under.driver}: stop is safe twice`, async () => {
    await device.stop()
    await device.stop()
    assert.equal(recorder.of('device.down', 'dut').length, 1)
  })

  test(`${under.label ?? under.driver}: a device that fails is reported and the run goes on`, async () => {
    const failing = under.failing
    const dir = await tempDir()
    const file = await writeScenario(
      dir,
      's.yaml',
      `name: compliance-failing\nduration: 2s\ngrace: 500ms\nnetwork: { relays: 2, stores: 0 }\ndevices:\n  good: { topics: [${TOPIC}] }\n  bad: { topics: [${TOPIC}] }\ntimeline:\n  - { at: 200ms, send: { from: good, topic: ${TOPIC}, count: 2, every: 200ms } }\n`
    )
    const loaded = parseScenario(await readFile(file, 'utf8'), file)
    const runDir = join(dir, 'run')
    const outcome = await runScenario(loaded, {
      runDir,
      thresholds: [],
      signal: new AbortController().signal,
      log: quiet,
      createDevice: (name, _config, topics, c) => (name === 'bad' ? failing(name, topics, c) : new SimulatedDevice({ name, topics, relays: 2 }, c))
    })
    const results = JSON.parse(await readFile(join(runDir, 'results.json'), 'utf8')) as Results
    assert.equal(results.verdict, outcome.results.verdict, 'results.json was written')
    const log = (await readFile(join(runDir, 'events.ndjson'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as CourierEvent)
    assert.equal(log.filter((e) => e.type === 'device.failed' && e.device === 'bad').length, 1)
    assert.equal(log.at(-1)?.type, 'run.end')
    assert.equal((log.at(-1) as { status: string }).status, 'complete')
    assert.equal(log.filter((e) => e.type === 'msg.sent' && e.device === 'good').length, 2, 'the other device went on')
  })
}

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import type { CourierEvent, Device, EventSink } from '../../harness/interface/index.js'
import { analyzeRun } from '../../harness/analysis/index.js'
import { decideVerdict } from '../../harness/gate/index.js'
import { TimelinePlayer, type TimelineContext } from '../../harness/runner/timeline.js'
import { parseScenario } from '../../harness/scenario/index.js'

// Work the scenario asked for that did not happen must never pass: the timeline records it.

function player(yaml: string, device: Partial<Device>): { player: TimelinePlayer; events: CourierEvent[]; sent: string[] } {
  const scenario = parseScenario(yaml, 'scenario.yaml')
  const events: CourierEvent[] = []
  const t0 = performance.now()
  const clock = { now: () => performance.now() - t0 }
  const sink: EventSink = {
    emit: (type, fields) => {
      events.push({ t: clock.now(), type, ...fields } as unknown as CourierEvent)
    }
  } as EventSink
  const sent: string[] = []
  const alice = {
    driver: 'simulated',
    send: async (m: { msgId: string }) => {
      sent.push(m.msgId)
    },
    ...device
  } as unknown as Device
  const context = {
    config: scenario.config,
    scenarioFile: 'scenario.yaml',
    clock,
    devices: new Map([['alice', alice]]),
    events: sink,
    onDeviceError: () => {},
    onError: () => {},
    signal: new AbortController().signal
  } as unknown as TimelineContext
  return { player: new TimelinePlayer(context), events, sent }
}

const SCENARIO = `name: t
duration: 2s
devices:
  alice: { driver: simulated }
timeline:
  - { at: 0ms, send: { from: alice, topic: t, count: 20, every: 10ms } }
`

function dropped(events: CourierEvent[]): number {
  return analyzeRun(events, { lagLimitMs: 50 }).metrics['timeline.dropped'].value as number
}

test('sends still pending when the traffic phase ends (a late, saturated harness) are a timeline.dropped event and a counted figure', async () => {
  const { player: timeline, events, sent } = player(SCENARIO, {})
  timeline.start()
  await sleep(55) // a few sends are made
  // the harness is saturated: the event loop is blocked past every send's due time, then the phase ends
  const until = performance.now() + 300
  while (performance.now() < until) {
    /* busy */
  }
  await timeline.stop()
  const missing = 20 - sent.length
  assert.ok(missing > 0 && missing < 20, `sent ${sent.length}`)
  const event = events.find((e) => e.type === 'timeline.dropped')
  assert.ok(event?.type === 'timeline.dropped')
  assert.equal(event.index, 0)
  assert.equal(event.action, 'send')
  assert.equal(event.count, missing)
  assert.match(event.reason, /pending when the traffic phase ended/)
  assert.equal(dropped(events), missing)
})

test('sends a failed device could not make are counted, once per timeline entry', async () => {
  const { player: timeline, events } = player(SCENARIO, {
    send: async () => {
      throw new Error('session gone')
    }
  })
  timeline.start()
  await sleep(400)
  await timeline.stop()
  await timeline.stop() // the runner stops it at the end of the traffic phase and again in teardown
  const drops = events.filter((e) => e.type === 'timeline.dropped')
  assert.equal(drops.length, 1)
  assert.equal(dropped(events), 20)
})

test('a timeline played in full records nothing dropped', async () => {
  const { player: timeline, events, sent } = player(SCENARIO, {})
  timeline.start()
  await sleep(400)
  await timeline.stop()
  assert.equal(sent.length, 20)
  assert.equal(events.filter((e) => e.type === 'timeline.dropped').length, 0)
  assert.equal(dropped(events), 0)
})

test('a dropped action makes a run whose thresholds all pass inconclusive', () => {
  const base = {
    status: 'complete' as const,
    thresholds: [{ metric: 'delivery.loss', expression: '== 0', value: 0, unit: 'ratio' as const, passed: true, message: 'ok' }],
    harnessSaturated: false
  }
  assert.equal(decideVerdict(base).verdict, 'pass')
  const { verdict, reasons } = decideVerdict({ ...base, incomplete: ['timeline[0]: 6 send action(s) did not happen'] })
  assert.equal(verdict, 'inconclusive')
  assert.match(reasons[0], /did not happen/)
})

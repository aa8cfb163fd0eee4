import { test } from 'node:test'
import assert from 'node:assert/strict'
import { EB3G, energyBoxStates3g, loadRadioProfile, priceTimeline, type EnergyBoxPoint } from '../../harness/energy/index.js'
import type { RadioPacket } from '../../harness/interface/index.js'

const { idle: IDLE, fach: FACH, dch: DCH } = EB3G

/** The state the engine left the radio in at packet time t (last point at t). */
function stateAt(trace: EnergyBoxPoint[], t: number): number {
  const at = trace.filter((p) => Math.abs(p.time - t) < 1e-9)
  assert.ok(at.length > 0, `no point at ${t}`)
  return at[at.length - 1].state
}

// EnergyBox TeliaSonera thresholds: IDLE->DCH above 1000 B up / 515 B down; FACH->DCH when the RLC
// buffer exceeds 294 B up / 515 B down; uplink buffer drains in 1.2 ms per byte, downlink in 30 ms.
const eb = loadRadioProfile('energybox-3g-teliasonera')

test('3G: in FACH, a packet above the RLC threshold lands in DCH, one below stays in FACH (each direction)', () => {
  const wake: RadioPacket = { time: 0, bytes: 80, direction: 'down' }
  const cases: Array<{ packet: RadioPacket; state: number }> = [
    { packet: { time: 1, bytes: 294, direction: 'up' }, state: FACH },
    { packet: { time: 1, bytes: 295, direction: 'up' }, state: DCH },
    { packet: { time: 1, bytes: 515, direction: 'down' }, state: FACH },
    { packet: { time: 1, bytes: 516, direction: 'down' }, state: DCH }
  ]
  for (const { packet, state } of cases) {
    const trace = energyBoxStates3g([wake, packet], eb)
    assert.equal(stateAt(trace, 0), FACH, 'a small packet wakes the radio into FACH')
    assert.equal(stateAt(trace, 1), state, `${packet.bytes} B ${packet.direction}`)
  }
})

test('3G: the RLC buffer fills across packets faster than it drains, and empties when they are far apart', () => {
  const wake: RadioPacket = { time: 0, bytes: 80, direction: 'down' }
  // 2 x 200 B uplink 10 ms apart: 200 B need 240 ms to drain, so the buffer holds 400 B > 294.
  const quick = energyBoxStates3g([wake, { time: 1, bytes: 200, direction: 'up' }, { time: 1.01, bytes: 200, direction: 'up' }], eb)
  assert.equal(stateAt(quick, 1), FACH)
  assert.equal(stateAt(quick, 1.01), DCH)
  // The same packets 1 s apart: the buffer drained in between, 200 B < 294.
  const slow = energyBoxStates3g([wake, { time: 1, bytes: 200, direction: 'up' }, { time: 2, bytes: 200, direction: 'up' }], eb)
  assert.equal(stateAt(slow, 2), FACH)
})

test('3G: from IDLE, one packet above the IDLE threshold goes straight to DCH, below it to FACH; tails demote DCH -> FACH -> IDLE', () => {
  const big = energyBoxStates3g([{ time: 0, bytes: 600, direction: 'down' }], eb)
  assert.deepEqual(
    big.map((p) => p.state),
    [IDLE, DCH, DCH, FACH, FACH, IDLE]
  )
  assert.deepEqual(
    big.map((p) => Number(p.time.toFixed(6))),
    [0, 0, 4.1, 4.1, 9.7, 9.7]
  )
  const small = energyBoxStates3g([{ time: 0, bytes: 500, direction: 'down' }], eb)
  assert.deepEqual(
    small.map((p) => p.state),
    [IDLE, FACH, FACH, IDLE]
  )
  assert.deepEqual(
    small.map((p) => Number(p.time.toFixed(6))),
    [0, 0, 5.6, 5.6]
  )
})

test('3G priced: time and joules per state follow the trace (DCH tail, FACH tail, idle)', () => {
  const report = priceTimeline(
    [
      { time: 0, bytes: 600, direction: 'down', label: 'a' },
      { time: 30, bytes: 500, direction: 'down', label: 'b' }
    ],
    eb
  )
  // a: DCH 4.1 s + FACH 5.6 s, idle until 30; b: FACH 5.6 s.
  assert.ok(Math.abs(report.states.dch.seconds - 4.1) < 1e-9)
  assert.ok(Math.abs(report.states.fach.seconds - 11.2) < 1e-9)
  assert.ok(Math.abs(report.states.idle.seconds - 20.3) < 1e-9)
  const expected = 4.1 * 1.3 + 11.2 * 0.5 + 20.3 * 0.2
  assert.ok(Math.abs(report.totalJoules - expected) < 1e-9, `${report.totalJoules} vs ${expected}`)
  assert.ok(Math.abs(report.byLabel.a - (4.1 * 1.3 + 5.6 * 0.5)) < 1e-9)
  assert.ok(Math.abs(report.byLabel.b - 5.6 * 0.5) < 1e-9)
  assert.ok(Math.abs(report.byLabel['(idle)'] - 20.3 * 0.2) < 1e-9)
  assert.equal(report.promotions, 2)
})

test('3G with Video Optimizer defaults: IDLE->DCH promotion 2 s at 0.53 W, DCH 5 s, FACH 12 s; RLC thresholds 543/475 B', () => {
  const vo = loadRadioProfile('3g')
  const one = priceTimeline([{ time: 100, bytes: 60, direction: 'up' }], vo)
  const expected = 2 * 0.53 + 5 * 0.7 + 12 * 0.35
  assert.ok(Math.abs(one.totalJoules - expected) < 1e-9, `${one.totalJoules} vs ${expected}`)
  assert.deepEqual(
    one.timeline.map((s) => [s.state, s.kind]),
    [
      ['promotion', 'promotion'],
      ['dch', 'tail'],
      ['fach', 'tail']
    ]
  )
  assert.ok(Math.abs(one.timeline[0].start - 98) < 1e-9)

  // In FACH (10 s after the first packet): 543 B up stays in FACH, 544 B up promotes (1.5 s at 0.55 W).
  const stay = priceTimeline(
    [
      { time: 0, bytes: 60, direction: 'up' },
      { time: 10, bytes: 543, direction: 'up' }
    ],
    vo
  )
  const go = priceTimeline(
    [
      { time: 0, bytes: 60, direction: 'up' },
      { time: 10, bytes: 544, direction: 'up' }
    ],
    vo
  )
  assert.equal(stay.promotions, 1)
  assert.equal(go.promotions, 2)
  assert.equal(stay.states.dch.seconds, 5)
  // The FACH->DCH promotion takes 1.5 s of FACH before the packet, then a fresh DCH tail follows.
  assert.ok(Math.abs(go.byKind.promotion.joules - (2 * 0.53 + 1.5 * 0.55)) < 1e-9)
  assert.ok(Math.abs(go.states.dch.seconds - 10) < 1e-9)
  assert.ok(Math.abs(go.states.fach.seconds - (3.5 + 12)) < 1e-9)
  const downStay = energyBoxStates3g(
    [
      { time: 0, bytes: 60, direction: 'up' },
      { time: 10, bytes: 475, direction: 'down' }
    ],
    vo
  )
  const downGo = energyBoxStates3g(
    [
      { time: 0, bytes: 60, direction: 'up' },
      { time: 10, bytes: 476, direction: 'down' }
    ],
    vo
  )
  assert.equal(stateAt(downStay, 10), FACH)
  assert.equal(stateAt(downGo, 10), DCH)
})

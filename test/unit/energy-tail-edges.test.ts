import { test } from 'node:test'
import assert from 'node:assert/strict'
import { compareRadios, IDLE_LABEL, loadRadioProfile, parseRadioProfile, priceTimeline, UNLABELLED, type RadioProfile } from '../../harness/energy/index.js'
import type { RadioPacket } from '../../harness/interface/index.js'

// The tail model and the report around it, on a toy profile with round numbers so that every
// joule below is worked out by hand in the comments: promotion 1 s at 2 W, active 1 W plus
// 1 W/Mbps up and 0.5 W/Mbps down in 1 s windows, inactivity timer 0.5 s, tail 2 s at 0.5 W then
// 3 s at 0.25 W, idle 0.1 W. 125 000 bytes up in a 1 s window are 1 Mbps, so 1 W more; 250 000
// bytes down are 2 Mbps at 0.5 W/Mbps, 1 W more. Found by mutation testing (npm run mutation,
// scope energy-pricing).

function toy(overrides: Record<string, unknown> = {}): RadioProfile {
  return parseRadioProfile({
    name: 'toy',
    model: 'tail',
    source: 'hand',
    verified: false,
    promotion: { state: 'promo', seconds: 1, watts: 2 },
    active: { state: 'act', inactivitySeconds: 0.5, betaWatts: 1, alphaUpWattsPerMbps: 1, alphaDownWattsPerMbps: 0.5, windowSeconds: 1 },
    tail: [
      { state: 't1', seconds: 2, watts: 0.5 },
      { state: 't2', seconds: 3, watts: 0.25 }
    ],
    idle: { state: 'rest', watts: 0.1 },
    ...overrides
  })
}

function close(actual: number | null | undefined, expected: number, what = ''): void {
  assert.ok(actual != null && Math.abs(actual - expected) < 1e-9, `${what}: ${actual} is not ${expected}`)
}

function closeRecord(actual: Record<string, number>, expected: Record<string, number>): void {
  assert.deepEqual(Object.keys(actual).sort(), Object.keys(expected).sort())
  for (const [k, v] of Object.entries(expected)) close(actual[k], v, k)
}

test('one packet: a promotion before it, the two tail phases after it, nothing idle; every figure of the report', () => {
  const r = priceTimeline([{ time: 10, bytes: 1000, direction: 'up', label: 'a' }], toy())
  // promotion [9,10] 2 J; t1 [10,12] 1 J; t2 [12,15] 0.75 J
  close(r.totalJoules, 3.75, 'total')
  assert.equal(r.start, 9)
  assert.equal(r.end, 15)
  assert.equal(r.durationSeconds, 6)
  close(r.averageWatts, 0.625, 'average')
  assert.equal(r.bytesUp, 1000)
  assert.equal(r.bytesDown, 0)
  assert.equal(r.packets, 1)
  close(r.joulesPerKB, 3.75, 'per kB')
  assert.equal(r.joulesPerMessage, null)
  assert.equal(r.messages, null)
  assert.equal(r.voltage, 3.85)
  close(r.mAh, 3.75 / (3.6 * 3.85), 'mAh')
  close(r.mAhPerHour, 3.75 / (3.6 * 3.85) / (6 / 3600), 'mAh per hour')
  assert.equal(r.radioActiveSeconds, 6)
  assert.equal(r.promotions, 1)
  close(r.tailShare, 1.75 / 3.75, 'tail share')
  close(r.promotionShare, 2 / 3.75, 'promotion share')
  assert.deepEqual(r.byKind, {
    promotion: { seconds: 1, joules: 2 },
    active: { seconds: 0, joules: 0 },
    tail: { seconds: 5, joules: 1.75 },
    idle: { seconds: 0, joules: 0 }
  })
  assert.deepEqual(r.states, { promo: { seconds: 1, joules: 2 }, t1: { seconds: 2, joules: 1 }, t2: { seconds: 3, joules: 0.75 } })
  assert.deepEqual(r.timeline, [
    { state: 'promo', kind: 'promotion', start: 9, end: 10, joules: 2 },
    { state: 't1', kind: 'tail', start: 10, end: 12, joules: 1 },
    { state: 't2', kind: 'tail', start: 12, end: 15, joules: 0.75 }
  ])
  assert.deepEqual(r.byLabel, { a: 3.75 })
  assert.deepEqual(r.notes, ['profile toy is not verified against its primary source (hand)'])
  assert.deepEqual(r.profile, { name: 'toy', model: 'tail', source: 'hand', verified: false })
})

test('a burst, a short gap, a long gap and a last packet: active windows priced by throughput, tails, idle, two promotions', () => {
  const packets: RadioPacket[] = [
    { time: 0, bytes: 125_000, direction: 'up', label: 'a' },
    { time: 0.25, bytes: 250_000, direction: 'down', label: 'b' },
    { time: 3, bytes: 100, direction: 'up', label: 'c' },
    { time: 20, bytes: 100, direction: 'down', label: 'd' }
  ]
  const r = priceTimeline(packets, toy({ verified: true }))
  // promo [-1,0] 2 J (a). Active [0,0.25] in window 0 at 1 + 1 + 1 = 3 W: 0.75 J, shared by bytes:
  // a 1/3 (0.25 J), b 2/3 (0.5 J). Gap 2.75 s after b: t1 [0.25,2.25] 1 J, t2 [2.25,3] 0.1875 J (b).
  // Gap 17 s after c: t1 [3,5] 1 J, t2 [5,8] 0.75 J (c), idle [8,19] 1.1 J, promo [19,20] 2 J (d).
  // After d: t1 [20,22] 1 J, t2 [22,25] 0.75 J (d).
  closeRecord(r.byLabel, { a: 2.25, b: 1.6875, c: 1.75, d: 3.75, [IDLE_LABEL]: 1.1 })
  close(r.totalJoules, 10.5375, 'total')
  close(r.byKind.promotion.joules, 4, 'promotion')
  close(r.byKind.active.joules, 0.75, 'active')
  close(r.byKind.active.seconds, 0.25, 'active s')
  close(r.byKind.tail.joules, 4.6875, 'tail')
  close(r.byKind.tail.seconds, 12.75, 'tail s')
  close(r.byKind.idle.joules, 1.1, 'idle')
  close(r.byKind.idle.seconds, 11, 'idle s')
  assert.equal(r.promotions, 2)
  assert.equal(r.start, -1)
  assert.equal(r.end, 25)
  assert.equal(r.bytesUp, 125_100)
  assert.equal(r.bytesDown, 250_100)
  close(r.radioActiveSeconds, 2 + 0.25 + 12.75, 'radio active')
  assert.deepEqual(r.notes, [])
  assert.deepEqual(
    r.timeline.map((s) => [s.state, s.kind, s.start, s.end]),
    [
      ['promo', 'promotion', -1, 0],
      ['act', 'active', 0, 0.25],
      ['t1', 'tail', 0.25, 2.25],
      ['t2', 'tail', 2.25, 3],
      ['t1', 'tail', 3, 5],
      ['t2', 'tail', 5, 8],
      ['rest', 'idle', 8, 19],
      ['promo', 'promotion', 19, 20],
      ['t1', 'tail', 20, 22],
      ['t2', 'tail', 22, 25]
    ]
  )
  // the same packets in another order: sorted by time first, same report
  assert.deepEqual(priceTimeline([packets[3], packets[1], packets[0], packets[2]], toy({ verified: true })), r)
})

test('a gap just longer than the tail: the promotion cuts the end of the tail, no idle between them', () => {
  const r = priceTimeline(
    [
      { time: 0, bytes: 1, direction: 'up' },
      { time: 5.5, bytes: 1, direction: 'up' }
    ],
    toy()
  )
  // t1 [0,2], t2 [2,4.5] (cut at 4.5 = 5.5 - 1), promo [4.5,5.5]
  assert.deepEqual(
    r.timeline.map((s) => [s.state, s.start, s.end]),
    [
      ['promo', -1, 0],
      ['t1', 0, 2],
      ['t2', 2, 4.5],
      ['promo', 4.5, 5.5],
      ['t1', 5.5, 7.5],
      ['t2', 7.5, 10.5]
    ]
  )
  assert.equal(r.byKind.idle.seconds, 0)
  // and a gap exactly the tail (5 s) does not go idle: no second promotion, the tail is whole
  const exact = priceTimeline(
    [
      { time: 0, bytes: 1, direction: 'up' },
      { time: 5, bytes: 1, direction: 'up' }
    ],
    toy()
  )
  assert.equal(exact.promotions, 1)
  close(exact.byKind.tail.seconds, 10, 'tail s')
})

test('a promotion longer than the gap starts at the previous packet, never before it', () => {
  // tail 0.1 s + the open-ended last phase up to tailSeconds 0.2; promotion 1 s; gap 0.8 s
  const short = toy({
    active: { state: 'act', inactivitySeconds: 0.1, betaWatts: 1, windowSeconds: 1 },
    tailSeconds: 0.2,
    tail: [
      { state: 't1', seconds: 0.1, watts: 0.5 },
      { state: 't2', watts: 0.25 }
    ]
  })
  const r = priceTimeline(
    [
      { time: 0, bytes: 1, direction: 'up', label: 'x' },
      { time: 0.8, bytes: 1, direction: 'up', label: 'y' }
    ],
    short
  )
  assert.deepEqual(
    r.timeline.map((s) => [s.state, s.start, s.end]),
    [
      // the two promotions touch, so the timeline shows one span
      ['promo', -1, 0.8],
      ['t1', 0.8, 0.9],
      ['t2', 0.9, 1]
    ]
  )
  assert.equal(r.promotions, 2)
  // x: its promotion, 2 J; y: 0.8 s of promotion (1.6 J) and the tail, 0.05 + 0.025 J
  closeRecord(r.byLabel, { x: 2, y: 1.675 })
  close(r.end, 1, 'end')
})

test('gaps up to the inactivity timer are active time, in consecutive spans merged into one; equal bytes of nothing share evenly', () => {
  const r = priceTimeline(
    [
      { time: 0, bytes: 0, direction: 'up', label: 'x' },
      { time: 0.25, bytes: 0, direction: 'down', label: 'y' },
      // exactly the inactivity timer
      { time: 0.75, bytes: 0, direction: 'down', label: 'y' }
    ],
    toy()
  )
  // active [0,0.75] at 1 W (no bytes, no throughput), one span; 0.75 J shared by 3 packets
  assert.deepEqual(
    r.timeline.map((s) => [s.state, s.start, s.end]),
    [
      ['promo', -1, 0],
      ['act', 0, 0.75],
      ['t1', 0.75, 2.75],
      ['t2', 2.75, 5.75]
    ]
  )
  close(r.timeline[1].joules, 0.75, 'active span')
  closeRecord(r.byLabel, { x: 2 + 0.25, y: 0.5 + 1.75 })
  assert.equal(r.joulesPerKB, null)
})

test('an inactivity timer longer than the window: a window without packets is priced at the base and goes to the packet before', () => {
  const r = priceTimeline(
    [
      { time: 0, bytes: 125_000, direction: 'up', label: 'a' },
      { time: 2.5, bytes: 250_000, direction: 'up', label: 'b' }
    ],
    toy({ active: { state: 'act', inactivitySeconds: 3, betaWatts: 1, alphaUpWattsPerMbps: 1, alphaDownWattsPerMbps: 0.5, windowSeconds: 1 } })
  )
  // active [0,1] at 2 W (a's window), [1,2] at 1 W (empty window, to a), [2,2.5] at 1 + 2 = 3 W (b's
  // window 2, shared among its packets: b); then b's tail 1.75 J
  closeRecord(r.byLabel, { a: 2 + 2 + 1, b: 1.5 + 1.75 })
  close(r.byKind.active.joules, 4.5, 'active')
  close(r.byKind.active.seconds, 2.5, 'active s')
})

test('an observation longer than the covered time is padded with idle; a shorter one is noted, an equal one changes nothing', () => {
  const one: RadioPacket[] = [{ time: 10, bytes: 1000, direction: 'up', label: 'a' }]
  const padded = priceTimeline(one, toy(), { durationSeconds: 10 })
  // covered [9,15]; the observation runs to 9 + 10 = 19: idle [15,19] 0.4 J
  close(padded.totalJoules, 4.15, 'total')
  assert.equal(padded.end, 19)
  assert.equal(padded.durationSeconds, 10)
  close(padded.averageWatts, 0.415, 'average')
  closeRecord(padded.byLabel, { a: 3.75, [IDLE_LABEL]: 0.4 })
  assert.deepEqual(padded.timeline.at(-1), { state: 'rest', kind: 'idle', start: 15, end: 19, joules: 0.1 * 4 })
  const shorter = priceTimeline(one, toy({ verified: true }), { durationSeconds: 4 })
  assert.deepEqual(shorter.notes, ['the radio stays up 2.000 s past the 4 s observation (tail after the last packet); that energy is included'])
  close(shorter.totalJoules, 3.75, 'total')
  assert.equal(shorter.durationSeconds, 6)
  const equal = priceTimeline(one, toy({ verified: true }), { durationSeconds: 6 })
  assert.deepEqual(equal.notes, [])
  assert.equal(equal.end, 15)
  close(equal.totalJoules, 3.75, 'total')
})

test('idle paging priced as its duty-cycle average; no packets: zeroes, nulls, the idle label and a note', () => {
  const paging = toy({ verified: true, idle: { state: 'rest', watts: 0.1, pulse: { cycleSeconds: 1, onSeconds: 0.1, onWatts: 1.1 } } })
  // 0.1 + (1.1 - 0.1) * 0.1 / 1 = 0.2 W
  const r = priceTimeline([], paging, { durationSeconds: 10 })
  close(r.totalJoules, 2, 'total')
  assert.equal(r.start, 0)
  assert.equal(r.end, 10)
  close(r.averageWatts, 0.2, 'average')
  assert.deepEqual(r.byLabel, { [IDLE_LABEL]: r.totalJoules })
  assert.deepEqual(r.notes, ['no packets: the radio never left idle'])
  const none = priceTimeline([], paging)
  assert.equal(none.totalJoules, 0)
  assert.equal(none.durationSeconds, 0)
  assert.equal(none.averageWatts, null)
  assert.equal(none.mAhPerHour, null)
  assert.equal(none.joulesPerKB, null)
  assert.equal(none.tailShare, 0)
  assert.equal(none.promotionShare, 0)
  assert.equal(none.promotions, 0)
  assert.deepEqual(none.byLabel, { [IDLE_LABEL]: 0 })
  assert.deepEqual(none.timeline, [])
})

test('messages, voltage and the timeline option; packets without a label are unlabelled; tail phases with pulses', () => {
  const pulsed = toy({
    tail: [
      { state: 't1', seconds: 2, watts: 0.5, pulse: { cycleSeconds: 0.5, onSeconds: 0.25, onWatts: 1.5 } },
      { state: 't2', seconds: 3, watts: 0.25 }
    ]
  })
  // t1 at 0.5 + (1.5 - 0.5) * 0.25 / 0.5 = 1 W: 2 J instead of 1 J
  const r = priceTimeline([{ time: 0, bytes: 10, direction: 'down' }], pulsed, { messages: 5, voltage: 3.6, timeline: false })
  close(r.totalJoules, 4.75, 'total')
  close(r.joulesPerMessage, 0.95, 'per message')
  assert.equal(r.messages, 5)
  close(r.mAh, 4.75 / (3.6 * 3.6), 'mAh')
  assert.equal(r.voltage, 3.6)
  assert.deepEqual(r.timeline, [])
  closeRecord(r.byLabel, { [UNLABELLED]: 4.75 })
  assert.equal(priceTimeline([{ time: 0, bytes: 10, direction: 'down' }], pulsed, { messages: 0 }).joulesPerMessage, null)
})

test('a profile without a promotion: the first packet pays nothing, states are named by default', () => {
  const bare = parseRadioProfile({
    name: 'bare',
    model: 'tail',
    source: 'hand',
    verified: true,
    active: { inactivitySeconds: 0.5, betaWatts: 1 },
    tail: [{ state: 't', seconds: 1, watts: 1 }],
    idle: { watts: 0 }
  })
  const r = priceTimeline(
    [
      { time: 0, bytes: 1, direction: 'up' },
      { time: 0.5, bytes: 1, direction: 'up' },
      { time: 10, bytes: 1, direction: 'up' }
    ],
    bare
  )
  // active [0,0.5] at 1 W; t [0.5,1.5]; idle [1.5,10] at 0 W; a zero-length promotion; t [10,11]
  close(r.totalJoules, 2.5, 'total')
  assert.deepEqual(Object.keys(r.states).sort(), ['connected', 'idle', 't'])
  assert.equal(r.promotions, 2)
  assert.equal(r.start, 0)
})

test('compareRadios prices the same packets on each profile, cheapest first', () => {
  const packets: RadioPacket[] = [{ time: 10, bytes: 1000, direction: 'up', label: 'a' }]
  const dear = toy({ name: 'dear', promotion: { state: 'promo', seconds: 1, watts: 4 } })
  const cheap = toy({ name: 'cheap' })
  const c = compareRadios(packets, [dear, cheap], { durationSeconds: 6 })
  assert.deepEqual(
    c.rows.map((row) => row.profile),
    ['cheap', 'dear']
  )
  close(c.rows[0].totalJoules, 3.75, 'cheap')
  close(c.rows[1].totalJoules, 5.75, 'dear')
  assert.deepEqual(c.rows[0], {
    profile: 'cheap',
    verified: false,
    totalJoules: c.reports.cheap.totalJoules,
    mAh: c.reports.cheap.mAh,
    mAhPerHour: c.reports.cheap.mAhPerHour,
    averageWatts: c.reports.cheap.averageWatts,
    tailShare: c.reports.cheap.tailShare,
    promotionShare: c.reports.cheap.promotionShare,
    radioActiveSeconds: 6,
    promotions: 1
  })
  assert.deepEqual(Object.keys(c.reports).sort(), ['cheap', 'dear'])
  close(c.reports.dear.promotionShare, 4 / 5.75, 'dear promotion share')
})

test("an observation with no packets is idle at each model's lowest state: EnergyBox 3G's idle, EnergyBox WiFi's power save", () => {
  // the built-in profiles' idle powers, from their config files: 3G idle 0.2 W, WiFi PSM 0.03 W
  const umts = priceTimeline([], loadRadioProfile('energybox-3g-teliasonera'), { durationSeconds: 10 })
  close(umts.totalJoules, 2, '3g')
  assert.deepEqual(Object.keys(umts.states), ['idle'])
  close(umts.states.idle.seconds, 10, '3g idle s')
  const wifi = priceTimeline([], loadRadioProfile('energybox-wifi-general'), { durationSeconds: 10 })
  close(wifi.totalJoules, 0.3, 'wifi')
  assert.deepEqual(Object.keys(wifi.states), ['psm'])
})

test('spans merge in the timeline only when state and kind both match and they touch', () => {
  // the tail's first phase has the active state's name, as in Video Optimizer's WiFi profile
  const sameName = toy({
    tail: [
      { state: 'act', seconds: 2, watts: 0.5 },
      { state: 't2', seconds: 3, watts: 0.25 }
    ]
  })
  const r = priceTimeline(
    [
      { time: 0, bytes: 0, direction: 'up' },
      { time: 0.5, bytes: 0, direction: 'up' }
    ],
    sameName
  )
  assert.deepEqual(
    r.timeline.map((s) => [s.state, s.kind, s.start, s.end]),
    [
      ['promo', 'promotion', -1, 0],
      ['act', 'active', 0, 0.5],
      ['act', 'tail', 0.5, 2.5],
      ['t2', 'tail', 2.5, 5.5]
    ]
  )
  // the state totals do add up across kinds
  assert.deepEqual(r.states.act, { seconds: 2.5, joules: 0.5 + 1 })
})

import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  EB3G,
  energyBoxStates3g,
  energyBoxStatesWifi,
  energyBoxTraceEnergy,
  formatEnergyBoxCsv,
  javaDouble,
  parseEnergyBoxCsv,
  loadRadioProfile,
  priceTimeline,
  type EnergyBoxPoint,
  type EnergyBox3gProfile
} from '../../harness/energy/index.js'
import type { EnergyReport } from '../../harness/energy/index.js'
import type { RadioPacket } from '../../harness/interface/index.js'

// The EnergyBox 3G engine at the edges of its rules (fixtures/pcap/energybox/ENERGYBOX.md, "3G
// engine"), which the two upstream captures do not reach (its "Coverage gaps"): every expected
// trace below is worked by hand from the TeliaSonera config, DCH tail 4.1 s, FACH tail 5.6 s,
// IDLE -> DCH above 1000 B up / 515 B down (a large uplink packet switching 1.7 s late), FACH ->
// DCH above 294 B up / 515 B down in the RLC buffer, the uplink buffer draining in 1.2 ms per
// byte + 10 us, the downlink one in 30 ms. Traces are written `state@time`, IDLE 0, FACH 1, DCH 3.

const { idle: IDLE, fach: FACH, dch: DCH } = EB3G
const eb = loadRadioProfile('energybox-3g-teliasonera') as EnergyBox3gProfile
// WiFi (general config, Samsung S2): CAM tail 220 ms, 50 ms windows, high CAM above 3000 B a
// window; PSM 0.03 W, CAM 0.25 W, CAMH 0.45 W. States PSM 0, CAM 2, CAMH 3.
const wifi = loadRadioProfile('energybox-wifi-general')

const show = (trace: EnergyBoxPoint[]): string[] => trace.map((p) => `${p.state}@${p.time.toFixed(6)}`)
const down = (time: number, bytes: number): RadioPacket => ({ time, bytes, direction: 'down' })
const up = (time: number, bytes: number): RadioPacket => ({ time, bytes, direction: 'up' })

test('3G trace times are absolute: a capture starting at 100 s has its points from 100 s, tails included', () => {
  // 100 B down wakes IDLE -> FACH at 100; the FACH tail ends at 100 + 5.6.
  assert.deepEqual(show(energyBoxStates3g([down(100, 100)], eb)), ['0@100.000000', '1@100.000000', '1@105.600000', '0@105.600000'])
})

test('3G FACH tail: a gap of exactly 5.6 s keeps FACH (upstream demotes only when the gap exceeds the tail), 1 us more demotes', () => {
  // 100 B down at 0 wakes FACH; the next 100 B at 5.6 s is still in FACH: FACH twice, tail to 11.2.
  assert.deepEqual(show(energyBoxStates3g([down(0, 100), down(5.6, 100)], eb)), [
    '0@0.000000',
    '1@0.000000',
    '1@5.600000',
    '1@5.600000',
    '1@11.200000',
    '0@11.200000'
  ])
  // At 5.600001 s FACH has ended at 5.6 (0 + tail); the packet wakes IDLE -> FACH again.
  assert.deepEqual(show(energyBoxStates3g([down(0, 100), down(5.600001, 100)], eb)), [
    '0@0.000000',
    '1@0.000000',
    '1@5.600000',
    '0@5.600000',
    '0@5.600001',
    '1@5.600001',
    '1@11.200001',
    '0@11.200001'
  ])
})

test('3G DCH tails: 4.1 s keeps DCH, 4.1 s + 1 us drops to FACH, 9.7 s stays in FACH, 9.7 s + 1 us reaches IDLE', () => {
  // 600 B down at 0 (> 515) goes IDLE -> DCH at once.
  const after = (t: number): string[] => show(energyBoxStates3g([down(0, 600), down(t, 100)], eb))
  // Gap 4.1 s: not above the DCH tail, DCH at 4.1, then the tails from 4.1: DCH to 8.2, FACH to 13.8.
  assert.deepEqual(after(4.1), ['0@0.000000', '3@0.000000', '3@4.100000', '3@8.200000', '1@8.200000', '1@13.800000', '0@13.800000'])
  // Gap 4.100001 s: DCH -> FACH at 4.1; the packet is handled in FACH (100 B, stays), tail 5.6 s.
  assert.deepEqual(after(4.100001), ['0@0.000000', '3@0.000000', '3@4.100000', '1@4.100000', '1@4.100001', '1@4.100001', '1@9.700001', '0@9.700001'])
  // Gap 9.7 s = DCH tail + FACH tail: only the DCH -> FACH step, the packet in FACH.
  assert.deepEqual(after(9.7), ['0@0.000000', '3@0.000000', '3@4.100000', '1@4.100000', '1@9.700000', '1@9.700000', '1@15.300000', '0@15.300000'])
  // Gap 9.700001 s: DCH -> FACH at 4.1, FACH -> IDLE at 9.7, and the packet wakes FACH again.
  assert.deepEqual(after(9.700001), [
    '0@0.000000',
    '3@0.000000',
    '3@4.100000',
    '1@4.100000',
    '1@9.700000',
    '0@9.700000',
    '0@9.700001',
    '1@9.700001',
    '1@15.300001',
    '0@15.300001'
  ])
})

test('3G from IDLE: 1000 B up or 515 B down wake FACH, 1001 B up or 516 B down go to DCH', () => {
  const states = (p: RadioPacket): number[] => energyBoxStates3g([p], eb).map((x) => x.state)
  assert.deepEqual(states(up(0, 1000)), [IDLE, FACH, FACH, IDLE])
  assert.deepEqual(states(down(0, 515)), [IDLE, FACH, FACH, IDLE])
  // Alone, a large uplink packet switches at once (upstream would crash: there is no next packet).
  assert.deepEqual(show(energyBoxStates3g([up(0, 1001)], eb)), ['0@0.000000', '3@0.000000', '3@4.100000', '1@4.100000', '1@9.700000', '0@9.700000'])
  assert.deepEqual(states(down(0, 516)), [IDLE, DCH, DCH, FACH, FACH, IDLE])
})

test('3G from IDLE: a large uplink packet switches to DCH 1.7 s late when the next packet comes later than that', () => {
  // Next packet at 2 s > 0 + 1.7: IDLE -> DCH at 1.7. The tails still count from the last packet (2 s).
  assert.deepEqual(show(energyBoxStates3g([up(0, 1001), down(2, 100)], eb)), [
    '0@1.700000',
    '3@1.700000',
    '3@2.000000',
    '3@6.100000',
    '1@6.100000',
    '1@11.700000',
    '0@11.700000'
  ])
  // Next packet at exactly 1.7 s: not later, so the switch is at the packet's own time.
  assert.deepEqual(show(energyBoxStates3g([up(0, 1001), down(1.7, 100)], eb)), [
    '0@0.000000',
    '3@0.000000',
    '3@1.700000',
    '3@5.800000',
    '1@5.800000',
    '1@11.400000',
    '0@11.400000'
  ])
  // A large downlink packet is never delayed.
  assert.deepEqual(show(energyBoxStates3g([down(0, 600), down(2, 100)], eb)), [
    '0@0.000000',
    '3@0.000000',
    '3@2.000000',
    '3@6.100000',
    '1@6.100000',
    '1@11.700000',
    '0@11.700000'
  ])
})

test('3G RLC uplink buffer: 200 B drain in 1.2 ms x 200 + 10 us = 240.01 ms; a packet at that gap still adds to them', () => {
  // Woken at 0 by 100 B down (not buffered); 200 B up at 1 s, 95 B up 240010 us later: the buffer
  // has not drained (the gap does not exceed 240010 us), 200 + 95 = 295 > 294: FACH -> DCH.
  assert.deepEqual(show(energyBoxStates3g([down(0, 100), up(1, 200), up(1.24001, 95)], eb)), [
    '0@0.000000',
    '1@0.000000',
    '1@1.000000',
    '1@1.000000',
    '1@1.240010',
    '3@1.240010',
    '3@5.340010',
    '1@5.340010',
    '1@10.940010',
    '0@10.940010'
  ])
  // 1 us later the 200 B are gone: 95 B, FACH, tail 5.6 s.
  assert.deepEqual(show(energyBoxStates3g([down(0, 100), up(1, 200), up(1.240011, 95)], eb)), [
    '0@0.000000',
    '1@0.000000',
    '1@1.000000',
    '1@1.000000',
    '1@1.240011',
    '1@1.240011',
    '1@6.840011',
    '0@6.840011'
  ])
})

const stateAt = (trace: EnergyBoxPoint[], t: number): number => {
  const here = trace.filter((p) => Math.abs(p.time - t) < 1e-9)
  assert.ok(here.length > 0, `no point at ${t}`)
  return here[here.length - 1].state
}

test('3G RLC downlink buffer: it drains 30 ms after the last downlink packet, not after the last packet', () => {
  // 300 B + 300 B down 30 ms apart: not drained (the gap must exceed 30 ms), 600 > 515: DCH.
  assert.equal(stateAt(energyBoxStates3g([down(0, 100), down(1, 300), down(1.03, 300)], eb), 1.03), DCH)
  // 30.001 ms apart: drained, 300 B: FACH.
  assert.equal(stateAt(energyBoxStates3g([down(0, 100), down(1, 300), down(1.030001, 300)], eb), 1.030001), FACH)
  // Every FACH packet checks both buffers against the gap last measured in each direction (the
  // downlink gap is measured only when a downlink packet comes). 10 B down at 0.99 and 300 B at 1
  // (10 ms apart, kept: 310 B); 10 B up at 1.02 checks the downlink buffer against those 10 ms:
  // kept. 300 B down at 1.03: 30 ms since the last downlink, kept, 610 > 515: DCH.
  assert.equal(stateAt(energyBoxStates3g([down(0, 100), down(0.99, 10), down(1, 300), up(1.02, 10), down(1.03, 300)], eb), 1.03), DCH)
  // At 1.04 instead: 40 ms since the last downlink (though 20 ms since the last packet): drained, 300 B, FACH.
  assert.equal(stateAt(energyBoxStates3g([down(0, 100), down(0.99, 10), down(1, 300), up(1.02, 10), down(1.04, 300)], eb), 1.04), FACH)
})

test('3G RLC uplink buffer: the gap is the one to the last uplink packet, and a downlink packet checks the last gap measured', () => {
  // 10 B up at 0.9, 200 B up at 1 (100 ms later: 10 B drained after 12.01 ms, so 200 B buffered),
  // 100 B down at 1.2 (the uplink gap last measured is 100 ms < 240.01 ms: kept), 95 B up at 1.3:
  // 300 ms since the last uplink > 240.01 ms, drained, 95 B: FACH.
  assert.equal(stateAt(energyBoxStates3g([down(0, 100), up(0.9, 10), up(1, 200), down(1.2, 100), up(1.3, 95)], eb), 1.3), FACH)
  // With the downlink packet at 1.1 and 95 B up at 1.2: 200 ms since the last uplink, kept, 295 B: DCH.
  assert.equal(stateAt(energyBoxStates3g([down(0, 100), up(0.9, 10), up(1, 200), down(1.1, 100), up(1.2, 95)], eb), 1.2), DCH)
  // Upstream's quirk: without the uplink packet at 0.9, the uplink gap last measured when the
  // downlink packet comes is 1 s (0 -> 1, the first packet being the starting reference), so that
  // packet drains the 200 B although the next uplink packet is only 200 ms later: 95 B, FACH.
  assert.equal(stateAt(energyBoxStates3g([down(0, 100), up(1, 200), down(1.1, 100), up(1.2, 95)], eb), 1.2), FACH)
})

test('3G RLC buffers: a downlink promotion empties only the downlink buffer; any packet in DCH empties both', () => {
  // A DCH tail of 50 ms, so the radio is back in FACH before 200 B of uplink (240 ms) drain.
  const short: EnergyBox3gProfile = { ...eb, dchTailSeconds: 0.05 }
  // 10 B up at 0.9 and 200 B up at 1 (100 ms apart: 200 B buffered, as above), 516 B down at 1.01
  // (DCH; the uplink 200 B stay, the last uplink gap being 100 ms), DCH -> FACH at 1.06, 95 B up at
  // 1.1: 100 ms since the last uplink, 200 + 95 = 295 > 294: DCH.
  const kept = energyBoxStates3g([down(0, 100), up(0.9, 10), up(1, 200), down(1.01, 516), up(1.1, 95)], short)
  assert.equal(stateAt(kept, 1.01), DCH)
  assert.equal(stateAt(kept, 1.06), FACH)
  assert.equal(stateAt(kept, 1.1), DCH)
  // The same with 10 B down at 1.02 in DCH: both buffers emptied, 95 B at 1.1: FACH.
  const emptied = energyBoxStates3g([down(0, 100), up(0.9, 10), up(1, 200), down(1.01, 516), down(1.02, 10), up(1.1, 95)], short)
  assert.equal(stateAt(emptied, 1.02), DCH)
  assert.equal(stateAt(emptied, 1.1), FACH)
})

/** Energy the way upstream sums a trace, checked against the hand-worked figure to 1e-9 J. */
function assertJoules(trace: EnergyBoxPoint[], profile: typeof wifi, expected: number): void {
  const j = energyBoxTraceEnergy(trace, profile)
  assert.ok(Math.abs(j - expected) < 1e-9, `${j} J, by hand ${expected} J`)
}

test('WiFi trace: absolute times, and the CAM tail of 220 ms kept for a gap of exactly 220 ms, ended for 1 us more', () => {
  const one = energyBoxStatesWifi([down(100, 100)], wifi)
  assert.deepEqual(show(one), ['0@100.000000', '2@100.000000', '2@100.220000', '0@100.220000'])
  // CAM 0.22 s x 0.25 W.
  assertJoules(one, wifi, 0.055)
  const kept = energyBoxStatesWifi([down(0, 100), down(0.22, 100)], wifi)
  assert.deepEqual(show(kept), ['0@0.000000', '2@0.000000', '2@0.220000', '2@0.440000', '0@0.440000'])
  assertJoules(kept, wifi, 0.44 * 0.25)
  const ended = energyBoxStatesWifi([down(0, 100), down(0.220001, 100)], wifi)
  assert.deepEqual(show(ended), ['0@0.000000', '2@0.000000', '2@0.220000', '0@0.220000', '0@0.220001', '2@0.220001', '2@0.440001', '0@0.440001'])
  // CAM 0.22 s twice and PSM 1 us.
  assertJoules(ended, wifi, 0.44 * 0.25 + 1e-6 * 0.03)
})

test('WiFi high CAM: 6000 B in the first 50 ms window from power save (CAMH at the first packet), back to CAM 1 ms after the window', () => {
  // Windows [0, 0.05) 6000 B: high; [0.05, 0.1) empty; [0.1, 0.15) 100 B; the last ends at the last
  // packet (0.2). From PSM, the first packet's CAM point gets a CAMH point at the same time; the
  // next CAM points in the high window become CAMH; the first point in a low window (0.1) is
  // preceded by CAMH -> CAM at the high window's end + 1 ms (0.051).
  const trace = energyBoxStatesWifi([down(0, 2000), down(0.01, 2000), down(0.02, 2000), down(0.1, 100), down(0.2, 100)], wifi)
  assert.deepEqual(show(trace), [
    '0@0.000000',
    '2@0.000000',
    '3@0.000000',
    '3@0.010000',
    '3@0.020000',
    '3@0.051000',
    '2@0.051000',
    '2@0.100000',
    '2@0.200000',
    '2@0.420000',
    '0@0.420000'
  ])
  // CAMH 0 -> 0.051 at 0.45 W, CAM 0.051 -> 0.42 at 0.25 W.
  assertJoules(trace, wifi, 0.051 * 0.45 + 0.369 * 0.25)
  // The window the last packet falls in is never high: without the packet at 0.2 the windows end
  // at 0.1, the high one is the last closed, and CAMH lasts to the packet at 0.1 (no CAM point
  // 1 ms after the window, as no later window is walked).
  const short = energyBoxStatesWifi([down(0, 2000), down(0.01, 2000), down(0.02, 2000), down(0.1, 100)], wifi)
  assert.deepEqual(show(short), ['0@0.000000', '2@0.000000', '3@0.000000', '3@0.010000', '3@0.020000', '2@0.100000', '2@0.320000', '0@0.320000'])
  assertJoules(short, wifi, 0.1 * 0.45 + 0.22 * 0.25)
  // 3000 B in a window is not above the threshold: no CAMH.
  const atThreshold = energyBoxStatesWifi([down(0, 1000), down(0.01, 1000), down(0.02, 1000), down(0.1, 100), down(0.2, 100)], wifi)
  assert.ok(!atThreshold.some((p) => p.state === 3))
  assertJoules(atThreshold, wifi, 0.42 * 0.25)
})

test('WiFi high CAM from CAM: CAM -> CAMH at the start of the high window (the previous window end)', () => {
  // 100 B at 0 (window [0, 0.05) low), 2 x 2000 B at 0.06 and 0.07 (window [0.05, 0.1) high), 100 B
  // at 0.2 and 0.3. The point at 0.06 follows a CAM point: CAM -> CAMH at 0.05, then CAMH at 0.06
  // and 0.07; the point at 0.2 (low window) gets CAMH -> CAM at 0.1 + 1 ms before it.
  const trace = energyBoxStatesWifi([down(0, 100), down(0.06, 2000), down(0.07, 2000), down(0.2, 100), down(0.3, 100)], wifi)
  assert.deepEqual(show(trace), [
    '0@0.000000',
    '2@0.000000',
    '2@0.050000',
    '3@0.050000',
    '3@0.060000',
    '3@0.070000',
    '3@0.101000',
    '2@0.101000',
    '2@0.200000',
    '2@0.300000',
    '2@0.520000',
    '0@0.520000'
  ])
  // CAM 0 -> 0.05, CAMH 0.05 -> 0.101, CAM 0.101 -> 0.52.
  assertJoules(trace, wifi, 0.05 * 0.25 + 0.051 * 0.45 + 0.419 * 0.25)
})

const near = (actual: number, expected: number, what: string): void => assert.ok(Math.abs(actual - expected) < 1e-9, `${what}: ${actual}, by hand ${expected}`)
const labelled = (time: number, bytes: number, direction: 'up' | 'down', label: string): RadioPacket => ({ time, bytes, direction, label })
const spans = (r: EnergyReport): string[] => r.timeline.map((s) => `${s.state} ${s.kind} ${s.start.toFixed(6)}-${s.end.toFixed(6)}`)

test('EnergyBox 3G priced: time in FACH between packets is active, shared by bytes in 0.5 s windows; the last FACH tail goes to the last packet', () => {
  // TeliaSonera: a 100 B at 0 wakes FACH, b 300 B at 0.2 and c 100 B at 3 stay in FACH (gaps under
  // 5.6 s, buffers far below 515 B), FACH tail 3 -> 8.6. All at 0.5 W.
  const r = priceTimeline([labelled(0, 100, 'down', 'a'), labelled(0.2, 300, 'down', 'b'), labelled(3, 100, 'down', 'c')], eb)
  assert.deepEqual(spans(r), ['fach active 0.000000-3.000000', 'fach tail 3.000000-8.600000'])
  // Window [0, 0.5) holds a and b: 0.5 s x 0.5 W = 0.25 J, a 100/400 of it, b 300/400. The windows
  // of [0.5, 3) hold no packet: 2.5 s x 0.5 W = 1.25 J to b, the packet before the gap. c: the tail,
  // 5.6 s x 0.5 W = 2.8 J.
  near(r.byLabel.a, 0.0625, 'a')
  near(r.byLabel.b, 0.1875 + 1.25, 'b')
  near(r.byLabel.c, 2.8, 'c')
  near(r.byKind.active.seconds, 3, 'active s')
  near(r.byKind.active.joules, 1.5, 'active J')
  near(r.byKind.tail.joules, 2.8, 'tail J')
  near(r.totalJoules, 8.6 * 0.5, 'total')
  assert.equal(r.promotions, 1)
})

test('EnergyBox 3G priced: a gap in which the radio demotes is tail throughout (DCH and FACH), charged to the packet before it', () => {
  // a 600 B at 0: DCH; b at 6 s: DCH -> FACH at 4.1, b in FACH, FACH tail 6 -> 11.6.
  const r = priceTimeline([labelled(0, 600, 'down', 'a'), labelled(6, 100, 'down', 'b')], eb)
  assert.deepEqual(spans(r), ['dch tail 0.000000-4.100000', 'fach tail 4.100000-11.600000'])
  // a: 4.1 s DCH x 1.3 W + 1.9 s FACH x 0.5 W = 6.28 J; b: 5.6 s x 0.5 W = 2.8 J.
  near(r.byLabel.a, 4.1 * 1.3 + 1.9 * 0.5, 'a')
  near(r.byLabel.b, 2.8, 'b')
  near(r.states.dch.seconds, 4.1, 'dch s')
  near(r.states.fach.seconds, 7.5, 'fach s')
  near(r.byKind.active.seconds, 0, 'active s')
  near(r.totalJoules, 4.1 * 1.3 + 7.5 * 0.5, 'total')
})

test('EnergyBox 3G priced with promotion costs: IDLE -> DCH before the first packet, FACH -> DCH cut at the previous packet', () => {
  // Video Optimizer 3G: every packet in IDLE goes to DCH (2 s at 0.53 W before it), DCH 5 s at
  // 0.7 W, FACH 12 s at 0.35 W, FACH -> DCH 1.5 s at 0.55 W above 543 B up.
  const vo = loadRadioProfile('3g')
  // a 60 B up at 0: promotion -2 -> 0, DCH; b 10 B up at 10: DCH -> FACH at 5, b in FACH; c 544 B
  // up at 10.5 (b's 10 B drained after 12.01 ms): FACH -> DCH, whose 1.5 s would start at 9, but
  // it may not reach back past b: 10 -> 10.5. Then DCH to 15.5 and FACH to 27.5.
  const r = priceTimeline([labelled(0, 60, 'up', 'a'), labelled(10, 10, 'up', 'b'), labelled(10.5, 544, 'up', 'c')], vo)
  assert.deepEqual(spans(r), [
    'promotion promotion -2.000000-0.000000',
    'dch tail 0.000000-5.000000',
    'fach tail 5.000000-10.000000',
    'promotion promotion 10.000000-10.500000',
    'dch tail 10.500000-15.500000',
    'fach tail 15.500000-27.500000'
  ])
  assert.equal(r.promotions, 2)
  // a: 2 x 0.53 + 5 x 0.7 + 5 x 0.35 = 6.31 J; b: its FACH time is the promotion's, 0 J; c: 0.5 x
  // 0.55 + 5 x 0.7 + 12 x 0.35 = 7.975 J.
  near(r.byLabel.a, 6.31, 'a')
  near(r.byLabel.b, 0, 'b')
  near(r.byLabel.c, 7.975, 'c')
  near(r.byKind.promotion.seconds, 2.5, 'promotion s')
  near(r.byKind.promotion.joules, 2 * 0.53 + 0.5 * 0.55, 'promotion J')
  near(r.states.dch.seconds, 10, 'dch s')
  near(r.states.fach.seconds, 17, 'fach s')
  near(r.totalJoules, 6.31 + 7.975, 'total')
})

test('EnergyBox WiFi priced: CAMH and CAM between packets are active, shared by bytes; the CAM tail goes to the last packet', () => {
  // The trace of "high CAM ... from power save" above: CAMH 0 -> 0.051, CAM 0.051 -> 0.2 (active,
  // one 0.5 s window holding every packet: 6200 B), CAM tail 0.2 -> 0.42 to the last packet.
  const r = priceTimeline(
    [
      labelled(0, 2000, 'down', 'big'),
      labelled(0.01, 2000, 'down', 'big'),
      labelled(0.02, 2000, 'down', 'big'),
      labelled(0.1, 100, 'down', 'small'),
      labelled(0.2, 100, 'down', 'small')
    ],
    wifi
  )
  assert.deepEqual(spans(r), ['camh active 0.000000-0.051000', 'cam active 0.051000-0.200000', 'cam tail 0.200000-0.420000'])
  const active = 0.051 * 0.45 + 0.149 * 0.25
  near(r.byKind.active.joules, active, 'active J')
  near(r.byLabel.big, (active * 6000) / 6200, 'big')
  near(r.byLabel.small, (active * 200) / 6200 + 0.22 * 0.25, 'small')
  near(r.states.camh.seconds, 0.051, 'camh s')
  near(r.states.cam.seconds, 0.369, 'cam s')
  near(r.totalJoules, 0.051 * 0.45 + 0.369 * 0.25, 'total')
  assert.equal(r.promotions, 1)
})

test("javaDouble prints as Java's Double.toString: decimal from 1e-3 up to 1e7, computerized scientific notation outside", () => {
  const cases: Array<[number, string]> = [
    [0, '0.0'],
    [-0, '-0.0'],
    [1, '1.0'],
    [79.25099999999765, '79.25099999999765'],
    [0.001, '0.001'],
    [-0.001, '-0.001'],
    [0.0001, '1.0E-4'],
    [-0.00012, '-1.2E-4'],
    [9999999, '9999999.0'],
    [1e7, '1.0E7'],
    [-1e7, '-1.0E7'],
    [12345678.9, '1.23456789E7'],
    [Number.NaN, 'NaN'],
    [Number.POSITIVE_INFINITY, 'Infinity'],
    [Number.NEGATIVE_INFINITY, '-Infinity']
  ]
  for (const [x, java] of cases) assert.equal(javaDouble(x), java, String(x))
})

test('EnergyBox CSV: one state,time line per point; the reader skips blank lines and takes CRLF', () => {
  const trace = [
    { state: 0, time: 0 },
    { state: 1, time: 0.0001 },
    { state: 3, time: 12.5 }
  ]
  assert.equal(formatEnergyBoxCsv(trace), '0,0.0\n1,1.0E-4\n3,12.5\n')
  assert.deepEqual(parseEnergyBoxCsv('0,0.0\r\n\r\n1,1.0E-4\n  \n3,12.5'), trace)
})

test('EnergyBox traces refuse a profile of the other model, naming both; trace energy refuses a non-EnergyBox profile', () => {
  assert.throws(
    () => energyBoxStates3g([down(0, 100)], wifi),
    (err: unknown) => err instanceof TypeError && err.message === 'profile energybox-wifi-general is a energybox-wifi profile, not energybox-3g'
  )
  assert.throws(
    () => energyBoxStatesWifi([down(0, 100)], eb),
    (err: unknown) => err instanceof TypeError && err.message === 'profile energybox-3g-teliasonera is a energybox-3g profile, not energybox-wifi'
  )
  assert.throws(
    () => energyBoxTraceEnergy([], loadRadioProfile('lte')),
    (err: unknown) => err instanceof TypeError && err.message === 'profile lte is not an EnergyBox profile'
  )
})

test('EnergyBox trace energy: each point at its state power until the next point, a step back in time counted negative', () => {
  // 3G: IDLE 0 -> 1 (0.2 W), FACH 1 -> 3 (0.5 W), DCH 3 -> 2 (1.3 W, -1 s), FACH 2 -> 4 (0.5 W).
  const trace = [
    { state: 0, time: 0 },
    { state: 1, time: 1 },
    { state: 3, time: 3 },
    { state: 1, time: 2 },
    { state: 0, time: 4 }
  ]
  near(energyBoxTraceEnergy(trace, eb), 0.2 + 2 * 0.5 - 1.3 + 2 * 0.5, '3G')
  // WiFi: PSM 0 -> 1 (0.03 W), CAM 1 -> 2 (0.25 W), CAMH 2 -> 4 (0.45 W); state 1 is no WiFi state (0 W).
  const w = [
    { state: 0, time: 0 },
    { state: 2, time: 1 },
    { state: 3, time: 2 },
    { state: 1, time: 4 },
    { state: 0, time: 9 }
  ]
  near(energyBoxTraceEnergy(w, wifi), 0.03 + 0.25 + 2 * 0.45, 'WiFi')
  assert.equal(energyBoxTraceEnergy([{ state: 3, time: 0 }], eb), 0)
})

test('EnergyBox traces walk the packets in the order given unless sortByTime is asked for', () => {
  // Given order: 100 B at 10, then 100 B at 0 (10 s back): FACH at 10, the next gap -10 s keeps
  // FACH, the tail counts from the last packet in file order (0): 5.6.
  const given = [down(10, 100), down(0, 100)]
  assert.deepEqual(show(energyBoxStates3g(given, eb)), ['0@10.000000', '1@10.000000', '1@0.000000', '1@0.000000', '1@5.600000', '0@5.600000'])
  // Sorted: 0 then 10 (gap 10 s > 5.6: FACH -> IDLE at 5.6, FACH again at 10).
  assert.deepEqual(show(energyBoxStates3g(given, eb, { sortByTime: true })), [
    '0@0.000000',
    '1@0.000000',
    '1@5.600000',
    '0@5.600000',
    '0@10.000000',
    '1@10.000000',
    '1@15.600000',
    '0@15.600000'
  ])
  assert.deepEqual(show(energyBoxStatesWifi(given, wifi, { sortByTime: true })), [
    '0@0.000000',
    '2@0.000000',
    '2@0.220000',
    '0@0.220000',
    '0@10.000000',
    '2@10.000000',
    '2@10.220000',
    '0@10.220000'
  ])
  assert.deepEqual(show(energyBoxStatesWifi(given, wifi)), ['0@10.000000', '2@10.000000', '2@0.000000', '2@0.220000', '0@0.220000'])
})

test('EnergyBox engines: no packets, no points', () => {
  assert.deepEqual(energyBoxStates3g([], eb), [])
  assert.deepEqual(energyBoxStatesWifi([], wifi), [])
})

test('EnergyBox priced: packet times have any origin; 100 s earlier (negative times) prices the same per label, state and kind', () => {
  const packets = [labelled(0, 600, 'down', 'a'), labelled(1, 600, 'down', 'b'), labelled(10, 100, 'down', 'c')]
  const shifted = packets.map((p) => ({ ...p, time: p.time - 100 }))
  // a 600 B at 0: DCH; b 600 B at 1 in DCH; 9 s to c: DCH -> FACH at 5.1, c in FACH, FACH tail to 15.6.
  // Gap a -> b is active DCH (windows [0, 0.5) with a, [0.5, 1) empty: a), gap b -> c demotes:
  // tail to b, DCH 4.1 s + FACH 4.9 s; c: FACH tail 5.6 s.
  for (const [r, origin] of [
    [priceTimeline(packets, eb), 0],
    [priceTimeline(shifted, eb), -100]
  ] as const) {
    assert.deepEqual(spans(r), [
      `dch active ${origin.toFixed(6)}-${(origin + 1).toFixed(6)}`,
      `dch tail ${(origin + 1).toFixed(6)}-${(origin + 5.1).toFixed(6)}`,
      `fach tail ${(origin + 5.1).toFixed(6)}-${(origin + 15.6).toFixed(6)}`
    ])
    near(r.byLabel.a, 1.3, `a from ${origin}`)
    near(r.byLabel.b, 4.1 * 1.3 + 4.9 * 0.5, `b from ${origin}`)
    near(r.byLabel.c, 5.6 * 0.5, `c from ${origin}`)
    near(r.byKind.idle.seconds, 0, `idle from ${origin}`)
    near(r.totalJoules, 5.1 * 1.3 + 10.5 * 0.5, `total from ${origin}`)
  }
})

test('EnergyBox 3G what-if with no tails: the IDLE -> DCH promotion is still paid', () => {
  // Video Optimizer 3G with DCH and FACH tails of 0: every packet promotes from IDLE (2 s x 0.53 W
  // before it) and the radio is back in IDLE at once.
  const vo = { ...(loadRadioProfile('3g') as EnergyBox3gProfile), dchTailSeconds: 0, fachTailSeconds: 0 }
  const one = priceTimeline([labelled(5, 60, 'up', 'a')], vo)
  assert.deepEqual(spans(one), ['promotion promotion 3.000000-5.000000'])
  near(one.byLabel.a, 1.06, 'a')
  near(one.totalJoules, 1.06, 'one packet')
  // Two packets 10 s apart: two promotions, 2 x 1.06 J, and 3 s of IDLE at 0 W between them.
  const two = priceTimeline([labelled(5, 60, 'up', 'a'), labelled(10, 60, 'up', 'b')], vo)
  assert.deepEqual(spans(two), ['promotion promotion 3.000000-5.000000', 'idle idle 5.000000-8.000000', 'promotion promotion 8.000000-10.000000'])
  near(two.byLabel.a, 1.06, 'a')
  near(two.byLabel.b, 1.06, 'b')
  assert.equal(two.promotions, 2)
})

test('EnergyBox 3G promotion costs: IDLE -> FACH and IDLE -> DCH each pay their own, never the other', () => {
  // TeliaSonera with an IDLE -> FACH cost only (0.5 s x 0.4 W): a 600 B packet (IDLE -> DCH) pays
  // nothing, a 100 B packet (IDLE -> FACH) pays 0.2 J in the 0.5 s before it.
  const fachOnly: EnergyBox3gProfile = { ...eb, promotion: { idleToFach: { seconds: 0.5, watts: 0.4 } } }
  // 600 B at 100: DCH 100 -> 105.1 (1.3 W), 100 B at 101 in DCH; FACH 105.1 -> 110.7 (0.5 W).
  const big = priceTimeline([labelled(100, 600, 'down', 'a'), labelled(101, 100, 'down', 'b')], fachOnly)
  near(big.byKind.promotion.joules, 0, 'no IDLE -> FACH in this one')
  near(big.totalJoules, 5.1 * 1.3 + 5.6 * 0.5, 'big')
  const small = priceTimeline([labelled(100, 100, 'down', 'a')], fachOnly)
  assert.deepEqual(spans(small), ['promotion promotion 99.500000-100.000000', 'fach tail 100.000000-105.600000'])
  near(small.byLabel.a, 0.2 + 2.8, 'small')
})

test('WiFi windows: a packet exactly on a window boundary belongs to the window it opens (bytes and points)', () => {
  // 3 x 1000 B at 0, 0.01, 0.02 and 100 B at exactly 0.05: window [0, 0.05) holds 3000 B, not above
  // the threshold, so no CAMH (counting the 0.05 packet in it would make 3100 B, high).
  const notHigh = energyBoxStatesWifi([down(0, 1000), down(0.01, 1000), down(0.02, 1000), down(0.05, 100), down(0.2, 100)], wifi)
  assert.ok(!notHigh.some((p) => p.state === 3), JSON.stringify(show(notHigh)))
  // 3 x 2000 B (high window [0, 0.05)) and 100 B at exactly 0.05: that packet's point is in the low
  // window [0.05, 0.1), so CAMH ends at 0.05 + 1 ms, a point after the packet's own (upstream's order).
  const high = energyBoxStatesWifi([down(0, 2000), down(0.01, 2000), down(0.02, 2000), down(0.05, 100), down(0.2, 100)], wifi)
  assert.deepEqual(show(high), [
    '0@0.000000',
    '2@0.000000',
    '3@0.000000',
    '3@0.010000',
    '3@0.020000',
    '3@0.051000',
    '2@0.051000',
    '2@0.050000',
    '2@0.200000',
    '2@0.420000',
    '0@0.420000'
  ])
  // Upstream's sum counts the step back: CAMH 0.051 s, CAM -0.001 s then 0.37 s.
  assertJoules(high, wifi, 0.051 * 0.45 + 0.369 * 0.25)
  // Priced, time does not run backwards: CAMH 0 -> 0.051, CAM 0.051 -> 0.42.
  const r = priceTimeline(
    [down(0, 2000), down(0.01, 2000), down(0.02, 2000), down(0.05, 100), down(0.2, 100)].map((p, i) => ({ ...p, label: i < 3 ? 'big' : 'small' })),
    wifi
  )
  assert.deepEqual(spans(r), ['camh active 0.000000-0.051000', 'cam active 0.051000-0.200000', 'cam tail 0.200000-0.420000'])
  near(r.states.camh.seconds, 0.051, 'camh s')
  near(r.states.cam.seconds, 0.369, 'cam s')
})

test('EnergyBox 3G: a promotion cost before a delayed IDLE -> DCH switch ends at the switch, and no time is lost', () => {
  // TeliaSonera (the 1.7 s delay) with an IDLE -> DCH cost of 1 s at 0.6 W. a 100 B at 0: FACH to
  // 5.6, IDLE; b 1001 B up at 10, c at 12 > 11.7: DCH from 11.7, so the promotion is 10.7 -> 11.7
  // and IDLE lasts 5.6 -> 10.7; DCH 11.7 -> 16.1 (active to c at 12, then tail), FACH 16.1 -> 21.7.
  const withCost: EnergyBox3gProfile = { ...eb, promotion: { idleToDch: { seconds: 1, watts: 0.6 } } }
  const r = priceTimeline([labelled(0, 100, 'down', 'a'), labelled(10, 1001, 'up', 'b'), labelled(12, 100, 'down', 'c')], withCost)
  assert.deepEqual(spans(r), [
    'fach tail 0.000000-5.600000',
    'idle idle 5.600000-10.700000',
    'promotion promotion 10.700000-11.700000',
    'dch active 11.700000-12.000000',
    'dch tail 12.000000-16.100000',
    'fach tail 16.100000-21.700000'
  ])
  const seconds = Object.values(r.states).reduce((sum, s) => sum + s.seconds, 0)
  near(seconds, 21.7, 'time in states')
  // a: FACH tail 2.8 J; idle 5.1 s x 0.2 W; b: 0.6 J and 0.3 s of active DCH (its window [11.5, 12)
  // holds no packet: to b, the packet before the gap) 0.39 J; c: 4.1 x 1.3 + 5.6 x 0.5 = 8.13 J.
  near(r.byLabel.a, 2.8, 'a')
  near(r.byLabel['(idle)'], 1.02, 'idle')
  near(r.byLabel.b, 0.6 + 0.39, 'b')
  near(r.byLabel.c, 8.13, 'c')
  near(r.totalJoules, 2.8 + 1.02 + 0.99 + 8.13, 'total')
})

test('WiFi windows stop where the boundary reaches the last packet: the bytes after the last full window never make CAMH', () => {
  // Last packet at 0.1 = 0.05 + 0.05, a boundary: window [0, 0.05) holds 100 B, and the 4000 B at
  // 0.06 and 0.07 are in the final window (0.05 to the last packet), which is never high: no CAMH.
  const trace = energyBoxStatesWifi([down(0, 100), down(0.06, 2000), down(0.07, 2000), down(0.1, 100)], wifi)
  assert.deepEqual(show(trace), ['0@0.000000', '2@0.000000', '2@0.060000', '2@0.070000', '2@0.100000', '2@0.320000', '0@0.320000'])
  assertJoules(trace, wifi, 0.32 * 0.25)
})

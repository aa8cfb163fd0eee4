import { test } from 'node:test'
import assert from 'node:assert/strict'
import { loadRadioProfile, priceTimeline } from '../../harness/energy/index.js'
import type { RadioPacket } from '../../harness/interface/index.js'

// Huang et al. 2012, Tables 3 and 4, as listed in shared/reference/energy-models.md. The expected
// figures below are computed from these numbers here, not by the code under test.
const T = {
  promotionS: 0.2601,
  promotionW: 1.2107,
  tiS: 0.1,
  shortDrxS: 0.02, // short-DRX duration (one 20 ms cycle)
  shortCycleS: 0.02,
  longCycleS: 0.04,
  onS: 0.001,
  onW: 1.6802,
  tailS: 11.576,
  tailW: 1.06,
  pagingOnS: 0.0432,
  pagingW: 0.5943,
  pagingCycleS: 1.2802,
  betaW: 1.28804,
  alphaDownWPerMbps: 0.05197
}
const promotionJ = T.promotionS * T.promotionW
const drxPulseJ = (T.onW - T.tailW) * T.onS
const fullTailJ = T.tailS * T.tailW + (T.shortDrxS / T.shortCycleS) * drxPulseJ + ((T.tailS - T.tiS - T.shortDrxS) / T.longCycleS) * drxPulseJ
const idleW = (T.pagingW * T.pagingOnS) / T.pagingCycleS

const close = (actual: number, expected: number, relative: number, what: string): void => {
  assert.ok(Math.abs(actual - expected) <= relative * Math.abs(expected), `${what}: ${actual} vs expected ${expected}`)
}

test('LTE worked example: one packet after idle pays a promotion and the whole tail with DRX pulses (~12.76 J over ~11.84 s)', () => {
  const report = priceTimeline([{ time: 50, bytes: 120, direction: 'up', label: 'keepalive' }], loadRadioProfile('lte'))
  const expectedJ = promotionJ + fullTailJ
  close(expectedJ, 12.76, 0.001, 'the reference figure itself')
  close(report.totalJoules, expectedJ, 0.001, 'total joules')
  close(report.durationSeconds, T.promotionS + T.tailS, 0.001, 'covered seconds')
  assert.equal(report.promotions, 1)
  close(report.byKind.promotion.joules, promotionJ, 0.001, 'promotion joules')
  close(report.byKind.tail.joules, fullTailJ, 0.001, 'tail joules')
  assert.equal(report.byKind.active.joules, 0)
  // The timeline a chart would draw: promotion, then the tail phases in order, back to back.
  assert.deepEqual(
    report.timeline.map((s) => s.state),
    ['promotion', 'continuous-reception', 'short-drx', 'long-drx']
  )
  close(report.timeline[0].start, 50 - T.promotionS, 1e-9, 'promotion start')
  close(report.timeline[3].end, 50 + T.tailS, 1e-9, 'tail end')
  for (let i = 1; i < report.timeline.length; i++) close(report.timeline[i].start, report.timeline[i - 1].end, 1e-12, 'contiguous')
  // Everything belongs to the packet that caused it.
  assert.deepEqual(Object.keys(report.byLabel), ['keepalive'])
  close(report.byLabel.keepalive, report.totalJoules, 1e-12, 'attribution')
  // mAh at 3.85 V: 1 mAh = 3.6 * 3.85 J.
  close(report.mAh, expectedJ / (3.6 * 3.85), 0.001, 'mAh')
  close(report.radioActiveSeconds, T.promotionS + T.tailS, 0.001, 'radio-active time')
  assert.ok(report.tailShare > 0.97, `tail share ${report.tailShare}`)
})

test('LTE: two packets closer than the tail cost one promotion; a gap longer than the tail costs two', () => {
  const lte = loadRadioProfile('lte')
  const near = priceTimeline(
    [
      { time: 0, bytes: 100, direction: 'up' },
      { time: 5, bytes: 100, direction: 'down' }
    ],
    lte
  )
  assert.equal(near.promotions, 1)
  assert.equal(near.timeline.filter((s) => s.state === 'promotion').length, 1)
  assert.equal(near.states.idle, undefined, 'the radio never went idle between them')

  const far = priceTimeline(
    [
      { time: 0, bytes: 100, direction: 'up' },
      { time: 20, bytes: 100, direction: 'down' }
    ],
    lte
  )
  assert.equal(far.promotions, 2)
  assert.equal(far.timeline.filter((s) => s.state === 'promotion').length, 2)
  // Two full bursts and the idle time between them (20 s - tail - promotion of the second packet).
  close(far.totalJoules, 2 * (promotionJ + fullTailJ) + idleW * (20 - T.tailS - T.promotionS), 0.001, 'two bursts')
  close(far.states.idle.seconds, 20 - T.tailS - T.promotionS, 1e-9, 'idle seconds')
})

test('LTE transfer power: beta + alpha x throughput of each 0.5 s window while packets flow', () => {
  // 100 downlink packets of 1000 B, 10 ms apart: gaps below Ti, so 0.99 s of continuous transfer.
  const packets: RadioPacket[] = Array.from({ length: 100 }, (_, i) => ({ time: i * 0.01, bytes: 1000, direction: 'down' }))
  const report = priceTimeline(packets, loadRadioProfile('lte'))
  // Each 0.5 s window holds 50 packets: 50,000 B -> 0.8 Mbit/s downlink.
  const mbps = (50_000 * 8) / 0.5 / 1e6
  const watts = T.betaW + T.alphaDownWPerMbps * mbps
  close(report.byKind.active.seconds, 0.99, 1e-9, 'active seconds')
  close(report.byKind.active.joules, 0.99 * watts, 1e-9, 'active joules')
  close(report.totalJoules, promotionJ + 0.99 * watts + fullTailJ, 0.001, 'total')
  close(report.joulesPerKB ?? NaN, report.totalJoules / 100, 1e-12, 'joules per kB')
})

test('keep-alives: mean power falls with the period, flat below the tail, then as 1/period: the knee is the tail length', () => {
  const lte = loadRadioProfile('lte')
  const hour = 3600
  const keepAlive = (period: number) => {
    const packets: RadioPacket[] = []
    for (let t = 0; t < hour; t += period) packets.push({ time: t, bytes: 150, direction: 'up', label: 'ka' })
    return { count: packets.length, report: priceTimeline(packets, lte, { durationSeconds: hour, timeline: false }) }
  }
  const periods = [2, 5, 10, 11, 12, 15, 20, 30, 60, 120]
  const runs = periods.map((p) => ({ period: p, ...keepAlive(p) }))
  const mean = (r: (typeof runs)[number]): number => r.report.averageWatts ?? NaN

  for (let i = 1; i < runs.length; i++) {
    // Non-increasing; below the tail the power is a plateau at tail level, where the mix of DRX
    // phases moves it by less than 0.2 %.
    assert.ok(mean(runs[i]) <= mean(runs[i - 1]) * 1.002, `period ${runs[i].period}: ${mean(runs[i])} W > ${mean(runs[i - 1])} W at ${runs[i - 1].period} s`)
  }
  for (const r of runs) {
    if (r.period < T.tailS) {
      // One promotion for the whole hour: the radio never reaches idle.
      assert.equal(r.report.promotions, 1, `period ${r.period}`)
      assert.ok(mean(r) > 1.05 && mean(r) < 1.09, `period ${r.period}: ${mean(r)} W is not tail power`)
    } else {
      // Every keep-alive pays promotion + full tail; the rest of the period is idle paging.
      assert.equal(r.report.promotions, r.count, `period ${r.period}`)
      const perPeriod = promotionJ + fullTailJ + idleW * (r.period - T.tailS - T.promotionS)
      close(mean(r), perPeriod / r.period, 0.02, `period ${r.period} mean power`)
    }
  }
  // Past the knee, doubling the period roughly halves the power.
  const p30 = mean(runs.find((r) => r.period === 30)!)
  const p60 = mean(runs.find((r) => r.period === 60)!)
  assert.ok(p60 < 0.55 * p30, `${p60} vs ${p30}`)
  // A keep-alive every 30 s costs about 12.8 J per 30 s (the reference's figure).
  close(p30 * 30, 12.76 + idleW * (30 - 11.836), 0.01, 'joules per 30 s')
})

test("attribution: a burst's promotion goes to its first packet, its tail to its last, transfer energy by bytes", () => {
  const report = priceTimeline(
    [
      { time: 10, bytes: 300, direction: 'up', label: 'first' },
      { time: 10.05, bytes: 100, direction: 'up', label: 'last' }
    ],
    loadRadioProfile('lte')
  )
  const activeJ = report.byKind.active.joules
  close(activeJ, 0.05 * (T.betaW + 0.43839 * ((400 * 8) / 0.5 / 1e6)), 1e-9, 'active joules')
  close(report.byLabel.first, promotionJ + (activeJ * 300) / 400, 1e-6, 'first packet')
  close(report.byLabel.last, fullTailJ + (activeJ * 100) / 400, 1e-6, 'last packet')
  close(report.byLabel.first + report.byLabel.last, report.totalJoules, 1e-12, 'sum')
})

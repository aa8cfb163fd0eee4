import { test } from 'node:test'
import assert from 'node:assert/strict'
import { compareRadios, listBuiltinProfiles, loadRadioProfile, priceTimeline } from '../../harness/energy/index.js'
import type { RadioPacket } from '../../harness/interface/index.js'

// A chat app idling in a channel: a 300 B sync every 30 s for 10 minutes.
const periodic: RadioPacket[] = Array.from({ length: 20 }, (_, i) => ({ time: i * 30, bytes: 300, direction: i % 2 === 0 ? 'up' : 'down', label: 'sync' }))

test('what-if on small periodic traffic: WiFi is cheapest; LTE and 3G are dominated by tail energy', () => {
  const cmp = compareRadios(periodic, ['lte', '3g', 'wifi', '5g-nsa'].map(loadRadioProfile), { durationSeconds: 600 })
  assert.deepEqual(cmp.rows.map((r) => r.profile).sort(), ['3g', '5g-nsa', 'lte', 'wifi'])
  assert.equal(cmp.rows[0].profile, 'wifi')
  for (let i = 1; i < cmp.rows.length; i++) assert.ok(cmp.rows[i].totalJoules >= cmp.rows[i - 1].totalJoules, 'rows sorted cheapest first')
  const wifi = cmp.reports.wifi
  for (const name of ['lte', '3g']) {
    const r = cmp.reports[name]
    assert.ok(r.tailShare > 0.5, `${name} tail share ${r.tailShare}`)
    assert.ok(r.byKind.tail.joules > r.byKind.active.joules + r.byKind.promotion.joules, `${name}: tails outweigh transfer and promotions`)
    assert.ok(r.totalJoules > 5 * wifi.totalJoules, `${name} ${r.totalJoules} J vs wifi ${wifi.totalJoules} J`)
    assert.equal(r.promotions, 20, `${name}: every sync finds the radio idle again`)
  }
  // Every report covers the same 10 minutes, so mAh per hour compares directly.
  for (const r of Object.values(cmp.reports)) assert.equal(r.durationSeconds, 600)
  assert.ok(cmp.reports.lte.mAhPerHour! > cmp.reports.wifi.mAhPerHour!)
})

test('attribution sums to the total on every built-in profile, for a mixed multi-label timeline', () => {
  const packets: RadioPacket[] = []
  let t = 0
  const labels = ['relay', 'store', 'keepalive']
  for (let i = 0; i < 400; i++) {
    // bursts of close packets, pauses of a few seconds, and long idle gaps
    t += i % 40 === 0 ? 25 : i % 10 === 0 ? 2.5 : 0.004 * (1 + (i % 3))
    packets.push({ time: t, bytes: 60 + ((i * 37) % 1400), direction: i % 3 === 0 ? 'up' : 'down', label: i % 17 === 0 ? undefined : labels[i % 3] })
  }
  for (const { name } of listBuiltinProfiles()) {
    const r = priceTimeline(packets, loadRadioProfile(name), { durationSeconds: 600, messages: 40 })
    const labelSum = Object.values(r.byLabel).reduce((a, b) => a + b, 0)
    assert.ok(Math.abs(labelSum - r.totalJoules) < 1e-9 * r.totalJoules, `${name}: labels ${labelSum} vs total ${r.totalJoules}`)
    const kindSum = Object.values(r.byKind).reduce((a, b) => a + b.joules, 0)
    const stateSum = Object.values(r.states).reduce((a, b) => a + b.joules, 0)
    const timelineSum = r.timeline.reduce((a, s) => a + s.joules, 0)
    for (const [what, sum] of [
      ['kinds', kindSum],
      ['states', stateSum],
      ['timeline', timelineSum]
    ] as const) {
      assert.ok(Math.abs(sum - r.totalJoules) < 1e-9 * r.totalJoules, `${name}: ${what} ${sum} vs ${r.totalJoules}`)
    }
    // State times tile the covered interval: no gap, no overlap.
    const stateSeconds = Object.values(r.states).reduce((a, b) => a + b.seconds, 0)
    assert.ok(Math.abs(stateSeconds - r.durationSeconds) < 1e-6, `${name}: ${stateSeconds} s of states over ${r.durationSeconds} s`)
    for (let i = 1; i < r.timeline.length; i++) {
      assert.ok(Math.abs(r.timeline[i].start - r.timeline[i - 1].end) < 1e-9, `${name}: timeline gap at ${i}`)
    }
    assert.ok('(unlabelled)' in r.byLabel, `${name}: unlabelled packets are accounted for`)
    assert.ok(Math.abs((r.joulesPerMessage ?? NaN) - r.totalJoules / 40) < 1e-12)
    assert.ok(Math.abs(r.mAh - r.totalJoules / (3.6 * 3.85)) < 1e-12)
    assert.ok(Math.abs((r.mAhPerHour ?? NaN) - (r.mAh * 3600) / 600) < 1e-9)
    assert.ok(r.radioActiveSeconds > 0 && r.radioActiveSeconds < r.durationSeconds)
    assert.doesNotThrow(() => JSON.parse(JSON.stringify(r)))
  }
})

test('durationSeconds pads the report with idle time after the last tail, and a shorter one is noted, not truncated', () => {
  const lte = loadRadioProfile('lte')
  const bare = priceTimeline([{ time: 0, bytes: 100, direction: 'up' }], lte)
  const padded = priceTimeline([{ time: 0, bytes: 100, direction: 'up' }], lte, { durationSeconds: 60 })
  assert.equal(padded.durationSeconds, 60)
  const idleW = (0.5943 * 0.0432) / 1.2802
  assert.ok(Math.abs(padded.totalJoules - (bare.totalJoules + idleW * (60 - bare.durationSeconds))) < 1e-9)
  assert.equal(padded.byLabel['(idle)'] > 0, true)
  const short = priceTimeline([{ time: 0, bytes: 100, direction: 'up' }], lte, { durationSeconds: 5 })
  assert.equal(short.totalJoules, bare.totalJoules)
  assert.match(short.notes.join('\n'), /past the 5 s observation/)
  // An empty timeline over a minute is pure idle.
  const empty = priceTimeline([], lte, { durationSeconds: 60 })
  assert.ok(Math.abs(empty.totalJoules - idleW * 60) < 1e-12)
  assert.equal(empty.promotions, 0)
})

test('unsorted input is priced in time order', () => {
  const lte = loadRadioProfile('lte')
  const sorted = priceTimeline(
    [
      { time: 0, bytes: 100, direction: 'up', label: 'a' },
      { time: 3, bytes: 100, direction: 'down', label: 'b' }
    ],
    lte
  )
  const shuffled = priceTimeline(
    [
      { time: 3, bytes: 100, direction: 'down', label: 'b' },
      { time: 0, bytes: 100, direction: 'up', label: 'a' }
    ],
    lte
  )
  assert.deepEqual(shuffled, sorted)
})

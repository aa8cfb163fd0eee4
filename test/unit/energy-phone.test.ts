import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { CourierEvent } from '../../harness/interface/index.js'
import { compareWithPhone, DISAGREEMENT_LIMIT, phoneMeasurements } from '../../harness/runner/energy.js'

test('model and phone within 25% are not flagged; beyond it they are, on either figure', () => {
  // 11 vs 10 mAh: 10% apart; radio 12 vs 10 s: 20% apart
  const close = compareWithPhone(11, 12, { mAh: 10, radioActiveSeconds: 10, source: 'dumpsys batterystats' })
  assert.equal(close.flagged, false)
  assert.ok(Math.abs((close.mAh ?? 0) - 0.1) < 1e-12)
  assert.equal(close.limit, DISAGREEMENT_LIMIT)
  // 14 vs 10 mAh: 40% apart
  assert.equal(compareWithPhone(14, 10, { mAh: 10, radioActiveSeconds: 10, source: 's' }).flagged, true)
  // mAh agree, radio-active time 3x: flagged
  assert.equal(compareWithPhone(10, 30, { mAh: 10, radioActiveSeconds: 10, source: 's' }).flagged, true)
  // a figure the phone did not give is not compared
  const partial = compareWithPhone(10, 30, { mAh: 10, source: 's' })
  assert.equal(partial.radioActiveSeconds, undefined)
  assert.equal(partial.flagged, false)
})

test('the phone\'s own figures come from its last end-of-run battery report', () => {
  const events: CourierEvent[] = [
    { t: 1, type: 'device.battery', device: 'phone', phase: 'start', level: 1, source: 'mobile: batteryInfo' },
    { t: 9, type: 'device.battery', device: 'phone', phase: 'end', level: 0.99, mAh: 0.9, radioActiveMs: 13_000, source: 'dumpsys batterystats' },
    { t: 9, type: 'device.battery', device: 'tablet', phase: 'end', level: 0.5, source: 'mobile: batteryInfo' }
  ]
  assert.deepEqual(phoneMeasurements(events), { phone: { mAh: 0.9, radioActiveSeconds: 13, source: 'dumpsys batterystats' } })
})

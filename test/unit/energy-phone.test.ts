import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { CourierEvent } from '../../harness/interface/index.js'
import { compareWithPhone, DISAGREEMENT_LIMIT, phoneMeasurements, protocolLabeler } from '../../harness/runner/energy.js'

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

test("the phone's own figures come from its last end-of-run battery report", () => {
  const events: CourierEvent[] = [
    { t: 1, type: 'device.battery', device: 'phone', phase: 'start', level: 1, source: 'mobile: batteryInfo' },
    { t: 9, type: 'device.battery', device: 'phone', phase: 'end', level: 0.99, mAh: 0.9, radioActiveMs: 13_000, source: 'dumpsys batterystats' },
    { t: 9, type: 'device.battery', device: 'tablet', phase: 'end', level: 0.5, source: 'mobile: batteryInfo' }
  ]
  assert.deepEqual(phoneMeasurements(events), { phone: { mAh: 0.9, radioActiveSeconds: 13, source: 'dumpsys batterystats' } })
})

test('a packet is store traffic inside a history request, relay next to a message, control otherwise', () => {
  const events: CourierEvent[] = [
    { t: 100, type: 'msg.sent', msgId: 'a-1', hash: 'h', topic: 't', bytes: 300, device: 'alice' },
    { t: 500, type: 'msg.received', device: 'alice', hash: 'h2', msgId: 'b-1', via: 'relay', bytes: 300, duplicate: false },
    { t: 900, type: 'store.query', device: 'alice', store: 'store-1', requestId: 'r', topic: 't' },
    { t: 1000, type: 'store.response', device: 'alice', store: 'store-1', requestId: 'r', status: 200, messages: 3, bytes: 900, pages: 1 }
  ]
  const purpose = protocolLabeler(events)
  assert.equal(purpose('alice', 110, 'up'), 'relay', 'just after sending')
  assert.equal(purpose('alice', 90, 'up'), 'control', 'before the send')
  assert.equal(purpose('alice', 490, 'down'), 'relay', 'just before the live arrival')
  assert.equal(purpose('alice', 510, 'down'), 'control', 'after the arrival')
  assert.equal(purpose('alice', 950, 'down'), 'store')
  assert.equal(purpose('bob', 950, 'down'), 'control', "another device's request")
  assert.equal(purpose('alice', 5000, 'up'), 'control')
})

import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { CourierEvent } from '../../harness/interface/index.js'
import { analyzeDelivery, deliveryLatencySamples } from '../../harness/analysis/index.js'
import { offline, online, received, rendered, sent, subscribe } from '../helpers/message-events.js'

// The edges of who is expected to have what, worked by hand from small logs: presence at the
// exact millisecond of a send or of scenario.end, a device that is never online or never gets
// anything, repeated offline/failed events, long lists of losses, empty runs, and the latency
// samples a comparison reads. Found by mutation testing (npm run mutation, scope analysis).
const expectedOf = (events: CourierEvent[]): Record<string, number> =>
  Object.fromEntries(Object.entries(analyzeDelivery(events).devices).map(([device, d]) => [device, d.expected]))

test('a device that comes online only after scenario.end is not expected to have the traffic, even when the log goes on after the end', () => {
  const events: CourierEvent[] = [
    subscribe('alice'),
    subscribe('carol'),
    online(0, 'alice'),
    sent(1000, 'm1', { device: 'alice' }),
    { t: 5000, type: 'scenario.end' },
    online(6000, 'carol'),
    // the store hands it to carol after the end: not a delivery the traffic phase is judged on
    received(7000, 'carol', 'm1', { via: 'store' })
  ]
  const { devices, overall } = analyzeDelivery(events)
  assert.deepEqual([devices.carol.expected, devices.carol.delivered], [0, 0])
  assert.deepEqual([overall.expected, overall.lost], [0, 0])
})

test('presence at the exact millisecond counts: online at scenario.end, offline at the send, and a send at scenario.end are all expected', () => {
  const events: CourierEvent[] = [
    subscribe('alice'),
    subscribe('bob'),
    subscribe('carol'),
    subscribe('dave'),
    online(0, 'alice'),
    online(0, 'bob'),
    online(0, 'dave'),
    // bob leaves in the very millisecond m1 is sent: he was there for it
    sent(1000, 'm1', { device: 'alice' }),
    offline(1000, 'bob'),
    // carol arrives in the last millisecond of the traffic: m1 and m2 may reach her from a store
    online(5000, 'carol'),
    // m2 goes out in the last millisecond of the traffic
    sent(5000, 'm2', { device: 'alice' }),
    { t: 5000, type: 'scenario.end' }
  ]
  // alice sent both; bob only m1 (he was gone at m2); carol and dave both
  assert.deepEqual(expectedOf(events), { alice: 0, bob: 1, carol: 2, dave: 2 })
})

test("device.down ends a device's time on the network, and a second offline does not move the end of the first", () => {
  const events: CourierEvent[] = [
    subscribe('alice'),
    subscribe('bob'),
    subscribe('carol'),
    online(0, 'alice'),
    online(0, 'bob'),
    online(0, 'carol'),
    { t: 2000, type: 'device.down', device: 'carol' },
    offline(2000, 'bob'),
    sent(3000, 'm1', { device: 'alice' }),
    // bob's session stops while he is already offline: he was away from 2000 on
    { t: 4000, type: 'device.down', device: 'bob' },
    { t: 9000, type: 'scenario.end' }
  ]
  assert.deepEqual(expectedOf(events), { alice: 0, bob: 0, carol: 0 })
})

test('device.offline of a device never online yet is no error, and the device counts from when it does come online', () => {
  const { devices } = analyzeDelivery([
    subscribe('alice'),
    subscribe('dave'),
    online(0, 'alice'),
    offline(500, 'dave'),
    sent(1000, 'm1', { device: 'alice' }),
    online(2000, 'dave'),
    received(2100, 'dave', 'm1', { via: 'store' }),
    { t: 9000, type: 'scenario.end' }
  ])
  assert.deepEqual([devices.dave.expected, devices.dave.delivered], [1, 1])
  assert.equal(devices.dave.latency.max, 1100)
})

test('a device failed twice is expected to have only what was sent before its first failure', () => {
  const { devices } = analyzeDelivery([
    subscribe('alice'),
    subscribe('bob'),
    online(0, 'alice'),
    online(0, 'bob'),
    sent(1000, 'm1', { device: 'alice' }),
    received(1050, 'bob', 'm1'),
    { t: 2000, type: 'device.failed', device: 'bob', error: 'session lost' },
    sent(3000, 'm2', { device: 'alice' }),
    { t: 4000, type: 'device.failed', device: 'bob', error: 'session lost again' },
    { t: 9000, type: 'scenario.end' }
  ])
  assert.equal(devices.bob.failed, true)
  assert.deepEqual([devices.bob.expected, devices.bob.delivered, devices.bob.lost], [1, 1, 0])
})

test('a subscribed device that never received anything lost all it was expected to have', () => {
  const { devices } = analyzeDelivery([
    subscribe('alice'),
    subscribe('erin'),
    online(0, 'alice'),
    online(0, 'erin'),
    sent(1000, 'm1', { device: 'alice' }),
    sent(2000, 'c1', { node: 'crowd-1', user: 'u1' }),
    { t: 9000, type: 'scenario.end' }
  ])
  const erin = devices.erin
  assert.deepEqual([erin.expected, erin.delivered, erin.lost, erin.lossRate], [2, 0, 2, 1])
  assert.deepEqual(erin.lostMessages, ['m1', 'c1'])
  assert.equal(erin.latency.count, 0)
})

test('lost message ids are listed up to 50 per device and 50 overall, the lost counts are whole', () => {
  const crowd = Array.from({ length: 60 }, (_, i) => sent(1000 + i, `c${i}`, { node: 'crowd-1', user: 'u1' }))
  const { devices, overall } = analyzeDelivery([
    subscribe('bob'),
    subscribe('carol'),
    online(0, 'bob'),
    online(0, 'carol'),
    ...crowd,
    { t: 9000, type: 'scenario.end' }
  ])
  const first50 = Array.from({ length: 50 }, (_, i) => `c${i}`)
  assert.equal(devices.bob.lost, 60)
  assert.deepEqual(devices.bob.lostMessages, first50)
  assert.deepEqual(devices.carol.lostMessages, first50)
  assert.equal(overall.lost, 120)
  // bob's come first, and fill the overall list
  assert.deepEqual(
    overall.lostMessages,
    first50.map((id) => `bob:${id}`)
  )
})

test('a run where nothing was expected or received has a loss rate and a duplicate rate of 0, not NaN', () => {
  const { overall, messages } = analyzeDelivery([subscribe('alice'), online(0, 'alice'), { t: 100, type: 'scenario.start' }, { t: 9000, type: 'scenario.end' }])
  assert.deepEqual(messages, { sent: 0, byDevices: 0, byCrowd: 0 })
  assert.equal(overall.lossRate, 0)
  assert.equal(overall.duplicates.rate, 0)
})

test('latency samples: every first-arrival and render latency, per device and overall, as the summaries count them', () => {
  const samples = deliveryLatencySamples([
    subscribe('alice'),
    subscribe('bob'),
    subscribe('carol'),
    online(0, 'alice'),
    online(0, 'bob'),
    online(0, 'carol'),
    sent(1000, 'm1', { device: 'alice' }),
    received(1050, 'bob', 'm1'),
    rendered(1080, 'bob', 'm1'),
    received(1200, 'carol', 'm1'),
    sent(2000, 'c1', { node: 'crowd-1', user: 'u1' }),
    received(2010, 'alice', 'c1'),
    { t: 9000, type: 'scenario.end' }
  ])
  assert.deepEqual(samples, {
    overall: [10, 50, 200],
    devices: { alice: [10], bob: [50], carol: [200] },
    render: [80],
    renderDevices: { alice: [], bob: [80], carol: [] }
  })
})

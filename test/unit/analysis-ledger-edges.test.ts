import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { CourierEvent } from '../../harness/interface/index.js'
import { analyzeDelivery, analyzeReliability } from '../../harness/analysis/index.js'
import { received, rendered, sent } from '../helpers/message-events.js'

// The message ledger delivery and reliability share, read through their figures: a message sent
// twice, a render repeated, names that are both a topic and a sender, and devices the ledger never
// heard of. Found by mutation testing (npm run mutation, scope analysis).
const subscribe = (device: string, topic = 'lobby'): CourierEvent[] => [
  { t: 0, type: 'device.subscribe', device, topic },
  { t: 0, type: 'device.online', device }
]

test("a message sent again (the run's first) is one message, timed from its last send", () => {
  const { devices, messages } = analyzeDelivery([
    ...subscribe('alice'),
    ...subscribe('bob'),
    sent(1000, 'm1', { device: 'alice' }),
    sent(1500, 'm2', { device: 'alice' }),
    received(1600, 'bob', 'm2'),
    // alice's app resends m1 (same msgId); bob gets it 100 ms after the resend
    sent(2000, 'm1', { device: 'alice' }),
    received(2100, 'bob', 'm1'),
    { t: 9000, type: 'scenario.end' }
  ])
  assert.deepEqual(messages, { sent: 2, byDevices: 2, byCrowd: 0 })
  assert.deepEqual([devices.bob.expected, devices.bob.delivered], [2, 2])
  assert.equal(devices.bob.latency.max, 100)
})

test('render latency is from the first render; rendering the message again later does not move it', () => {
  const { devices } = analyzeDelivery([
    ...subscribe('alice'),
    ...subscribe('bob'),
    sent(1000, 'm1', { device: 'alice' }),
    received(1050, 'bob', 'm1'),
    rendered(1080, 'bob', 'm1'),
    // the chat is opened again and the message drawn once more
    rendered(5000, 'bob', 'm1'),
    { t: 9000, type: 'scenario.end' }
  ])
  assert.equal(devices.bob.renderLatency.count, 1)
  assert.equal(devices.bob.renderLatency.max, 80)
})

// Topics, devices and nodes share one name table whose first name is the first send's topic: a
// sender named like that topic must still be told apart from "no sender".
test('a device posting on a topic of its own name is still the sender of its messages', () => {
  const { devices, messages } = analyzeDelivery([
    ...subscribe('news', 'news'),
    ...subscribe('bob', 'news'),
    sent(1000, 'n1', { device: 'news' }, 'news'),
    received(1050, 'bob', 'n1'),
    { t: 9000, type: 'scenario.end' }
  ])
  assert.deepEqual(messages, { sent: 1, byDevices: 1, byCrowd: 0 })
  assert.equal(devices.news.expected, 0, 'its own message')
  assert.deepEqual([devices.bob.expected, devices.bob.delivered], [1, 1])
})

test('partitions: a node on one side sends across to a device that never got anything', () => {
  const split: CourierEvent = {
    t: 1000,
    type: 'partition.start',
    groups: [
      ['alice', 'crowd-1'],
      ['bob', 'relay-1']
    ]
  }
  const [p] = analyzeReliability(
    [...subscribe('alice'), ...subscribe('bob'), split, sent(1500, 'c1', { node: 'crowd-1', user: 'u1' }), { t: 4000, type: 'partition.heal' }],
    {}
  ).partitions
  assert.deepEqual(p.cross, { expected: 1, delivered: 0, lost: 1 })
  assert.deepEqual(p.byGroups, [{ from: 0, to: 1, expected: 1, delivered: 0, lost: 1 }])
  assert.equal(p.healToFullDeliveryMs, null)

  // the same with the node publishing on a topic named like itself (the first name of the run)
  const [own] = analyzeReliability(
    [
      ...subscribe('alice', 'relay-1'),
      ...subscribe('bob', 'relay-1'),
      { ...split, groups: [['bob'], ['alice', 'relay-1']] },
      sent(1500, 'r1', { node: 'relay-1' }, 'relay-1'),
      received(1600, 'alice', 'r1'),
      { t: 4000, type: 'partition.heal' }
    ],
    {}
  ).partitions
  assert.deepEqual(own.cross, { expected: 1, delivered: 0, lost: 1 }, "alice is on relay-1's side: only bob is across")
})

test('push: a push to a device that never received or rendered anything is phantom', () => {
  const push = analyzeReliability(
    [
      ...subscribe('bob'),
      ...subscribe('carol'),
      sent(500, 'm1', { node: 'crowd-1', user: 'u1' }),
      received(600, 'bob', 'm1'),
      rendered(700, 'bob', 'm1'),
      { t: 1000, type: 'push.received', device: 'carol', hash: 'h-m1', msgId: 'm1' }
    ],
    {},
    3000
  ).push
  assert.deepEqual([push.received, push.phantom], [1, 1])
  assert.deepEqual(push.examples, [{ device: 'carol', msgId: 'm1', pushAt: 1000, renderedAt: null }])
})

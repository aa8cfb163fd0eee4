import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { CourierEvent, DeliveryMatrix } from '../../harness/interface/index.js'
import { deliveryMatrix, lateAfter, type LatencyThreshold } from '../../harness/analysis/index.js'
import { MatrixFold } from '../../harness/analysis/matrix.js'
import { StringIds } from '../../harness/analysis/fold.js'
import { received, sent } from '../helpers/message-events.js'

// The delivery matrix at its edges, worked by hand: the late bound from thresholds in seconds, in
// no known unit, tied or not finite; receivers known only by device.up or by what they received;
// who a send is from when the log says little; arrivals logged out of order; failures at the very
// millisecond of a send. Found by mutation testing (npm run mutation, scope analysis).
const threshold = (metric: string, comparator: string, target: number | boolean, expression: string, unit = 'ms'): LatencyThreshold => ({
  metric,
  comparator,
  target,
  expression,
  unit
})
const subscribe = (device: string, topic = 'lobby'): CourierEvent => ({ t: 0, type: 'device.subscribe', device, topic })
const LATE = { ms: 2000, source: 'test' }
const cell = (expected: number, onTime: number, late: number, lost: number, duplicates: number) => ({ expected, onTime, late, lost, duplicates })
const cellOf = (m: DeliveryMatrix, sender: string, receiver: string) => m.cells[m.senders.indexOf(sender)]?.[m.receivers.indexOf(receiver)]

test('late after: a bound in seconds is taken in ms; a bound in no time unit, or not a finite number, is no bound', () => {
  assert.deepEqual(lateAfter([threshold('delivery.latency.p95', '<', 1.5, '< 1.5s', 'seconds')]), {
    ms: 1500,
    source: 'threshold delivery.latency.p95 < 1.5s'
  })
  const none = { ms: 2000, source: 'default; no delivery.latency threshold' }
  assert.deepEqual(lateAfter([threshold('delivery.latency.p95', '<', 3, '< 3', 'count')]), none)
  assert.deepEqual(lateAfter([threshold('delivery.latency.p95', '<', Number.POSITIVE_INFINITY, '< Infinity')]), none)
  assert.deepEqual(lateAfter([threshold('delivery.latency.p95', '<', true, '< true')]), none)
  // only names that start with delivery.latency. are latency bounds
  assert.deepEqual(lateAfter([threshold('compare.delivery.latency.p95', '<', 500, '< 500ms')]), none)
})

test('late after: the tightest bound wins wherever it is in the list; of two equal bounds, the first is the source', () => {
  assert.deepEqual(lateAfter([threshold('delivery.latency.p95', '<', 1000, '< 1s'), threshold('delivery.latency.max', '<', 3000, '< 3s')]), {
    ms: 1000,
    source: 'threshold delivery.latency.p95 < 1s'
  })
  assert.deepEqual(lateAfter([threshold('delivery.latency.p95', '<', 2, '< 2s', 'seconds'), threshold('delivery.latency.max', '<=', 2000, '<= 2000ms')]), {
    ms: 2000,
    source: 'threshold delivery.latency.p95 < 2s'
  })
})

test('a device known only by device.up is a receiver of every topic', () => {
  const m = deliveryMatrix(
    [subscribe('alice'), { t: 0, type: 'device.up', device: 'eve', driver: 'simulated' }, sent(1000, 'c1', { node: 'crowd-1', user: 'u1' }, 'other')],
    LATE
  )
  assert.deepEqual(m.receivers, ['alice', 'eve'])
  // alice is on "lobby" only; eve subscribed to nothing, so she expects c1 on "other"
  assert.equal(cellOf(m, 'crowd', 'alice'), null)
  assert.deepEqual(cellOf(m, 'crowd', 'eve'), cell(1, 0, 0, 1, 0))
})

test('a device known only by what it received is a receiver; an arrival of a message never sent is in no cell', () => {
  const m = deliveryMatrix([subscribe('alice'), sent(1000, 'a1', { device: 'alice' }), received(1100, 'frank', 'a1'), received(1200, 'frank', 'ghost')], LATE)
  assert.deepEqual(m.receivers, ['alice', 'frank'])
  assert.deepEqual(m.senders, ['alice'])
  assert.deepEqual(m.cells, [[null, cell(1, 1, 0, 0, 0)]])
})

test('a device failed twice expects what was sent before its first failure, not a message sent in that very millisecond', () => {
  const m = deliveryMatrix(
    [
      subscribe('alice'),
      subscribe('dave'),
      sent(1000, 'a1', { device: 'alice' }),
      { t: 2000, type: 'device.failed', device: 'dave', error: 'gone' },
      sent(2000, 'a2', { device: 'alice' }),
      sent(3000, 'a3', { device: 'alice' }),
      { t: 4000, type: 'device.failed', device: 'dave', error: 'gone again' }
    ],
    LATE
  )
  assert.deepEqual(cellOf(m, 'alice', 'dave'), cell(1, 0, 0, 1, 0))
})

test("who sent it: a crowd user's post is the crowd's whatever node carried it; a node's role may come from its node.down; a send naming no one is from 'unknown'", () => {
  const m = deliveryMatrix(
    [
      subscribe('bob'),
      { t: 0, type: 'node.up', node: 'relay-1', role: 'relay', peerId: 'p1', addrs: [] },
      // a log that starts after crowd-2 came up: its role is known from its node.down
      { t: 500, type: 'node.down', node: 'crowd-2', role: 'crowd', reason: 'killed' },
      sent(1000, 'c1', { node: 'relay-1', user: 'u1' }),
      sent(2000, 'c2', { node: 'crowd-2' }),
      sent(3000, 'x1', {})
    ],
    LATE
  )
  assert.deepEqual(m.senders, ['crowd', 'unknown'])
  assert.deepEqual(cellOf(m, 'crowd', 'bob'), cell(2, 0, 0, 2, 0))
  assert.deepEqual(cellOf(m, 'unknown', 'bob'), cell(1, 0, 0, 1, 0))
})

test('the earliest arrival decides on time or late, even when it is logged after a later one', () => {
  const m = deliveryMatrix(
    [subscribe('alice'), subscribe('bob'), sent(1000, 'a1', { device: 'alice' }), received(4000, 'bob', 'a1'), received(1100, 'bob', 'a1')],
    LATE
  )
  assert.deepEqual(cellOf(m, 'alice', 'bob'), cell(1, 1, 0, 0, 1))
})

test('a matrix fold finished without a device list has the devices its events name as receivers, no others', () => {
  const fold = new MatrixFold(new StringIds())
  for (const e of [subscribe('alice'), subscribe('bob'), sent(1000, 'a1', { device: 'alice' }), received(1100, 'bob', 'a1')]) fold.add(e)
  const m = fold.finish({ late: LATE })
  assert.deepEqual(m.receivers, ['alice', 'bob'])
  assert.deepEqual(m.cells, [[null, cell(1, 1, 0, 0, 0)]])
})

test("the matrix's rows are the devices first, then the crowd, then fleet nodes, each group in name order", () => {
  const m = deliveryMatrix(
    [
      subscribe('amy'),
      subscribe('zoe'),
      { t: 0, type: 'node.up', node: 'relay-1', role: 'relay', peerId: 'p1', addrs: [] },
      { t: 0, type: 'node.up', node: 'archive-1', role: 'store', peerId: 'p2', addrs: [] },
      sent(1000, 'n1', { node: 'relay-1' }),
      sent(1100, 'n2', { node: 'archive-1' }),
      sent(1200, 'c1', { node: 'relay-1', user: 'u1' }),
      sent(1300, 'z1', { device: 'zoe' })
    ],
    LATE
  )
  // name order alone would put archive-1 and the crowd before zoe
  assert.deepEqual(m.senders, ['zoe', 'crowd', 'archive-1', 'relay-1'])
})

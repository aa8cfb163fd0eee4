import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { CourierEvent } from '../../harness/interface/index.js'
import { protocolLabeler } from '../../harness/runner/energy.js'

// What each of a device's packets was for, from the run's events: the labels energy is split by
// ("What the energy was for"). Each case sits at a window's edge, so a window one step too wide or
// too narrow, or a label given to the wrong device, moves a packet to another purpose.
const events = [
  // alice's history request: from the query at 1000 ms to 50 ms after the answer at 1200 ms
  { t: 1000, type: 'store.query', device: 'alice', store: 'store-1', requestId: 'q1' },
  { t: 1200, type: 'store.response', device: 'alice', store: 'store-1', requestId: 'q1', status: 200, messages: 3, bytes: 900, pages: 1 },
  // alice sends at 2000 ms (relay); bob receives live at 3000 ms and by a filter push at 4000 ms
  { t: 2000, type: 'msg.sent', device: 'alice', msgId: 'm1', hash: 'h1', topic: 'chat', bytes: 100 },
  { t: 3000, type: 'msg.received', device: 'bob', msgId: 'm2', hash: 'h2', via: 'relay', bytes: 100, duplicate: false },
  { t: 4000, type: 'msg.received', device: 'bob', msgId: 'm3', hash: 'h3', via: 'filter', bytes: 100, duplicate: false },
  // carol, a light device: LIGHTPUSH sent at 5000 ms, answered at 5100 ms
  { t: 5000, type: 'msg.sent', device: 'carol', msgId: 'm4', hash: 'h4', topic: 'chat', bytes: 100, via: 'lightpush' },
  { t: 5100, type: 'lightpush.response', device: 'carol', hash: 'h4', ok: true }
] as unknown as CourierEvent[]

test("store traffic is what falls inside a device's own history request, to 50 ms after its answer", () => {
  const purpose = protocolLabeler(events)
  assert.equal(purpose('alice', 1000, 'up'), 'store', 'the query itself')
  assert.equal(purpose('alice', 1250, 'down'), 'store', "the answer's last bytes, 50 ms on")
  assert.equal(purpose('alice', 1251, 'down'), 'control', 'after the window')
  assert.equal(purpose('alice', 999, 'up'), 'control', 'before the query')
  assert.equal(purpose('bob', 1100, 'down'), 'control', 'bob had no history request then')
})

test('relay is up to 30 ms after a send, or up to 30 ms before a live receive; filter before a push', () => {
  const purpose = protocolLabeler(events)
  assert.equal(purpose('alice', 2000, 'up'), 'relay')
  assert.equal(purpose('alice', 2030, 'up'), 'relay')
  assert.equal(purpose('alice', 2031, 'up'), 'control')
  assert.equal(purpose('alice', 2010, 'down'), 'control', 'a send makes upload relay, not download')
  assert.equal(purpose('bob', 2970, 'down'), 'relay', 'the message arriving, 30 ms before it is received')
  assert.equal(purpose('bob', 2969, 'down'), 'control')
  assert.equal(purpose('bob', 3001, 'down'), 'control', 'after the receive')
  assert.equal(purpose('bob', 2990, 'up'), 'control', 'a receive makes download relay, not upload')
  assert.equal(purpose('bob', 3980, 'down'), 'filter', 'a filter push')
  assert.equal(purpose('alice', 3990, 'down'), 'control', "bob's push is not alice's")
})

test("lightpush is from a light device's send to 50 ms after its answer, and wins over relay", () => {
  const purpose = protocolLabeler(events)
  assert.equal(purpose('carol', 5000, 'up'), 'lightpush')
  assert.equal(purpose('carol', 5150, 'down'), 'lightpush')
  assert.equal(purpose('carol', 5151, 'down'), 'control')
  assert.equal(purpose('carol', 4999, 'up'), 'control', 'a LIGHTPUSH send is not a relay send')
})

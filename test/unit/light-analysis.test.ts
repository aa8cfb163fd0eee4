// What the analysis makes of light devices' events: filter is a live path like relay (first
// arrivals, duplicates and their bytes by path), lost subscriptions become failover episodes with
// the time to notice, and energy labels a light device's packets filter / lightpush.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { analyzeRun } from '../../harness/analysis/index.js'
import type { CourierEvent } from '../../harness/interface/index.js'
import { protocolLabeler } from '../../harness/runner/energy.js'

const received = (t: number, device: string, msgId: string, via: 'relay' | 'store' | 'filter', duplicate: boolean): CourierEvent => ({
  t,
  type: 'msg.received',
  device,
  hash: `h-${msgId}`,
  msgId,
  via,
  bytes: 400,
  duplicate
})

const events: CourierEvent[] = [
  { t: 0, type: 'scenario.start' },
  { t: 1, type: 'device.subscribe', device: 'lite', topic: 'chat' },
  { t: 1, type: 'device.online', device: 'lite' },
  { t: 1, type: 'filter.subscription', device: 'lite', node: 'relay-1', state: 'subscribed', contentTopics: ['/courier/1/chat/proto'] },
  { t: 100, type: 'msg.sent', msgId: 'a-1', hash: 'h-a-1', topic: 'chat', bytes: 300, device: 'alice' },
  received(150, 'lite', 'a-1', 'filter', false),
  // the second service node's push of the same message
  received(160, 'lite', 'a-1', 'filter', true),
  { t: 1000, type: 'node.down', node: 'relay-1', role: 'relay', reason: 'killed' },
  {
    t: 1004,
    type: 'filter.subscription',
    device: 'lite',
    node: 'relay-1',
    state: 'lost',
    contentTopics: ['/courier/1/chat/proto'],
    reason: 'connection closed'
  },
  { t: 1100, type: 'msg.sent', msgId: 'a-2', hash: 'h-a-2', topic: 'chat', bytes: 300, device: 'alice' },
  { t: 1150, type: 'filter.subscription', device: 'lite', node: 'relay-3', state: 'subscribed', contentTopics: ['/courier/1/chat/proto'] },
  // sent while nothing was subscribed: it comes from the store's catch-up
  received(1400, 'lite', 'a-2', 'store', false),
  { t: 2000, type: 'msg.sent', msgId: 'lite-1', hash: 'h-lite-1', topic: 'chat', bytes: 300, device: 'lite', via: 'lightpush' },
  { t: 2300, type: 'lightpush.response', device: 'lite', node: 'relay-3', requestId: 'lp1', hash: 'h-lite-1', status: 200, relayPeers: 2 },
  // a ping found a forgotten subscription: no node died, the episode counts from the notice
  {
    t: 3000,
    type: 'filter.subscription',
    device: 'lite',
    node: 'relay-3',
    state: 'lost',
    contentTopics: ['/courier/1/chat/proto'],
    reason: 'ping answered 404'
  },
  { t: 3040, type: 'filter.subscription', device: 'lite', node: 'relay-3', state: 'subscribed', contentTopics: ['/courier/1/chat/proto'] },
  { t: 4000, type: 'scenario.end' },
  { t: 4000, type: 'bytes.sample', owner: 'lite', connId: 'lite#1', protocol: 'wire', up: 100, down: 1000 }
]

test("filter is a live path: first arrivals and duplicates by path, and their bytes, as relay's are", () => {
  const analysis = analyzeRun(events, { lagLimitMs: 50 })
  const lite = analysis.delivery.devices.lite
  assert.equal(lite.lost, 0)
  assert.deepEqual(lite.firstByPath, { filter: 1, store: 1 })
  assert.deepEqual(lite.duplicates.byPath, { filter: 1 })
  assert.equal(analysis.metrics['delivery.lite.duplicates.filter'].value, 1)
  assert.equal(analysis.metrics['delivery.lite.duplicates.relay'].value, 0)
  assert.equal(analysis.metrics['bytes.lite.duplicates.filter'].value, 400)
})

test("lost subscriptions are failover episodes: from the node's death (or the notice) to the next subscription", () => {
  const analysis = analyzeRun(events, { lagLimitMs: 50 })
  assert.deepEqual(analysis.reliability.filterFailover, [
    { device: 'lite', node: 'relay-1', diedAt: 1000, lostAt: 1004, reason: 'connection closed', noticeMs: 4, recoveredAt: 1150, via: 'relay-3', ms: 150 },
    { device: 'lite', node: 'relay-3', diedAt: null, lostAt: 3000, reason: 'ping answered 404', noticeMs: null, recoveredAt: 3040, via: 'relay-3', ms: 40 }
  ])
  assert.equal(analysis.metrics['filter.failover.max'].value, 150)
  assert.equal(analysis.metrics['filter.notice.max'].value, 4)
  assert.equal(analysis.metrics['filter.failover.unrecovered'].value, 0)
  const unrecovered = analyzeRun(
    events.filter((e) => !(e.type === 'filter.subscription' && e.t === 3040)),
    { lagLimitMs: 50 }
  )
  assert.equal(unrecovered.metrics['filter.failover.unrecovered'].value, 1)
})

test("energy labels a light device's pushes filter and its sends lightpush, up to the LIGHTPUSH answer", () => {
  const purpose = protocolLabeler(events)
  assert.equal(purpose('lite', 140, 'down'), 'filter', 'just before a push arrived')
  assert.equal(purpose('lite', 2000, 'up'), 'lightpush')
  assert.equal(purpose('lite', 2250, 'down'), 'lightpush', 'the answer, 250 ms later on a slow link')
  assert.equal(purpose('lite', 2500, 'up'), 'control')
  assert.equal(purpose('lite', 3500, 'down'), 'control')
})

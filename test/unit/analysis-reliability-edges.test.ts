import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { CourierEvent } from '../../harness/interface/index.js'
import { analyzeReliability } from '../../harness/analysis/index.js'
import { received as receivedEvent, rendered, sent, subscribe } from '../helpers/message-events.js'

// The edges of the reliability figures, worked by hand from small logs: partitions of three
// groups, sends at the very millisecond of a split or a heal, stores stopped on purpose or dying
// mid-request, arrivals logged before their send, claims and checkpoints at the exact allowance,
// and the long lists that stop at their limit while the counts go on. Found by mutation testing
// (npm run mutation, scope analysis-rest).
// this file's arrivals are 400 bytes unless it says otherwise
const received = (t: number, device: string, msgId: string, duplicate = false, bytes = 400): CourierEvent =>
  receivedEvent(t, device, msgId, { duplicate, bytes })
const stored = (t: number, msgId: string, store = 'store-1'): CourierEvent => ({ t, type: 'msg.stored', store, hash: `h-${msgId}` })
const relayed = (t: number, msgId: string, node = 'relay-1'): CourierEvent => ({ t, type: 'msg.relayed', node, hash: `h-${msgId}` })
const upToDate = (t: number, device: string): CourierEvent => ({ t, type: 'device.status', device, status: 'upToDate' })
const query = (t: number, device: string, store: string, requestId: string): CourierEvent => ({
  t,
  type: 'store.query',
  device,
  store,
  requestId,
  topic: 'lobby'
})
const answer = (t: number, device: string, store: string, requestId: string, status = 200): CourierEvent => ({
  t,
  type: 'store.response',
  device,
  store,
  requestId,
  status,
  messages: status === 200 ? 1 : 0,
  bytes: 0,
  pages: status === 200 ? 1 : 0,
  ...(status === 200 ? {} : { error: 'refused' })
})
const checkpoint = (t: number, index: number, name?: string): CourierEvent => ({
  t,
  type: 'timeline.action',
  index,
  action: 'checkpoint',
  detail: name == null ? {} : { name }
})
const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i)

test('partitions of three groups: each ordered pair of groups is counted on its own, listed by group, over sends from the split up to the heal', () => {
  // subscription order puts bob before alice, so carol's and bob's sends meet the higher group first
  const events: CourierEvent[] = [
    subscribe('bob'),
    subscribe('dave', 'other'), // on bob's side but not on the topic: never expected
    subscribe('carol'),
    subscribe('alice'),
    subscribe('erin'), // in no group: not part of the split
    sent(500, 'early', { device: 'alice' }), // before the split: not counted
    {
      t: 1000,
      type: 'partition.start',
      groups: [['alice'], ['bob', 'dave'], ['carol']]
    },
    sent(1000, 'c1', { device: 'carol' }), // in the very millisecond of the split: 2 -> 1 (bob, lost) and 2 -> 0 (alice)
    received(1100, 'alice', 'c1'),
    sent(1500, 'a1', { device: 'alice' }), // 0 -> 1 (bob) and 0 -> 2 (carol)
    received(1600, 'bob', 'a1'),
    received(1700, 'carol', 'a1'),
    sent(2000, 'b1', { device: 'bob' }), // 1 -> 2 (carol) and 1 -> 0 (alice)
    received(2100, 'carol', 'b1'),
    received(2200, 'alice', 'b1'),
    sent(4000, 'late', { device: 'alice' }), // in the very millisecond of the heal: the split is over
    { t: 4000, type: 'partition.heal' },
    sent(7000, 'after', { device: 'alice' }),
    { t: 8000, type: 'scenario.end' }
  ]
  const [p] = analyzeReliability(events, {}).partitions
  assert.deepEqual(p.cross, { expected: 6, delivered: 5, lost: 1 })
  assert.deepEqual(p.byGroups, [
    { from: 0, to: 1, expected: 1, delivered: 1, lost: 0 },
    { from: 0, to: 2, expected: 1, delivered: 1, lost: 0 },
    { from: 1, to: 0, expected: 1, delivered: 1, lost: 0 },
    { from: 1, to: 2, expected: 1, delivered: 1, lost: 0 },
    { from: 2, to: 0, expected: 1, delivered: 1, lost: 0 },
    { from: 2, to: 1, expected: 1, delivered: 0, lost: 1 }
  ])
  assert.equal(p.healToFullDeliveryMs, null, 'c1 never reached bob')
})

test('a partition never healed counts its sends up to the end of the log, and has no heal-to-delivery time, even with everything delivered', () => {
  const events: CourierEvent[] = [
    subscribe('alice'),
    subscribe('bob'),
    { t: 1000, type: 'partition.start', groups: [['alice'], ['bob']] },
    sent(2000, 'a1', { device: 'alice' }),
    received(2500, 'bob', 'a1'),
    sent(3000, 'a2', { device: 'alice' }),
    { t: 9000, type: 'scenario.end' }
  ]
  const [p] = analyzeReliability(events, {}).partitions
  assert.equal(p.heal, null)
  assert.deepEqual(p.cross, { expected: 2, delivered: 1, lost: 1 })
  assert.equal(p.healToFullDeliveryMs, null)
  // without a2, everything sent across arrived: still no heal to time from
  const [allDelivered] = analyzeReliability(
    events.filter((e) => !(e.type === 'msg.sent' && e.msgId === 'a2')),
    {}
  ).partitions
  assert.deepEqual(allDelivered.cross, { expected: 1, delivered: 1, lost: 0 })
  assert.equal(allDelivered.healToFullDeliveryMs, null)
})

test('a healed partition with no traffic across it has no heal-to-delivery time, and a second heal does not move the first', () => {
  const events: CourierEvent[] = [
    subscribe('alice'),
    subscribe('bob'),
    { t: 1000, type: 'partition.start', groups: [['alice'], ['bob']] },
    { t: 2000, type: 'partition.heal' },
    { t: 3000, type: 'partition.heal' }
  ]
  const partitions = analyzeReliability(events, {}).partitions
  assert.equal(partitions.length, 1)
  assert.equal(partitions[0].heal, 2000)
  assert.deepEqual(partitions[0].cross, { expected: 0, delivered: 0, lost: 0 })
  assert.equal(partitions[0].healToFullDeliveryMs, null, 'nothing was expected across: no delivery to time')
})

test("store failover: one episode per device and store however often it fails; a stopped store or one dying mid-request dates it from the request; a good answer ends only that device's episodes", () => {
  const events: CourierEvent[] = [
    // a store the scenario stops (not killed or crashed): the episode starts at the failed request
    { t: 1000, type: 'node.down', node: 'store-1', role: 'store', reason: 'stopped' },
    query(3000, 'alice', 'store-1', 'r1'),
    answer(3010, 'alice', 'store-1', 'r1', 0),
    query(3200, 'bob', 'store-1', 'r2'),
    answer(3300, 'bob', 'store-1', 'r2', 0), // bob's own episode on the same store
    query(3500, 'alice', 'store-1', 'r3'),
    answer(3510, 'alice', 'store-1', 'r3', 0), // alice again: still her first episode
    query(3900, 'alice', 'store-2', 'r4'),
    answer(4000, 'alice', 'store-2', 'r4'), // ends alice's episode, not bob's
    // carol's request was already on its way when store-2 was killed: it counts from her request
    query(5000, 'carol', 'store-2', 'r5'),
    { t: 6000, type: 'node.down', node: 'store-2', role: 'store', reason: 'killed' },
    query(6900, 'bob', 'store-3', 'r6'),
    answer(7000, 'bob', 'store-3', 'r6'),
    answer(13_000, 'carol', 'store-2', 'r5', 0)
  ]
  assert.deepEqual(analyzeReliability(events, {}).failover, [
    { store: 'store-1', downAt: 3000, device: 'alice', recoveredAt: 4000, ms: 1000, via: 'store-2' },
    { store: 'store-1', downAt: 3200, device: 'bob', recoveredAt: 7000, ms: 3800, via: 'store-3' },
    { store: 'store-2', downAt: 5000, device: 'carol', recoveredAt: null, ms: null, via: null }
  ])
})

test('filter failover: a stopped or restarted service node is no death to count from, and a failed attempt does not end the episode', () => {
  const lost = (t: number, device: string, node: string, reason: string): CourierEvent => ({
    t,
    type: 'filter.subscription',
    device,
    node,
    state: 'lost',
    contentTopics: ['lobby'],
    reason
  })
  const subscription = (t: number, device: string, node: string, state: 'subscribed' | 'failed'): CourierEvent => ({
    t,
    type: 'filter.subscription',
    device,
    node,
    state,
    contentTopics: ['lobby']
  })
  const events: CourierEvent[] = [
    { t: 1000, type: 'node.down', node: 'relay-1', role: 'relay', reason: 'stopped' },
    lost(1500, 'alice', 'relay-1', 'closed'),
    subscription(1800, 'alice', 'relay-3', 'failed'),
    { t: 2000, type: 'node.down', node: 'relay-2', role: 'relay', reason: 'killed' },
    subscription(2200, 'alice', 'relay-4', 'subscribed'),
    { t: 2500, type: 'node.up', node: 'relay-2', role: 'relay', peerId: 'p-2', addrs: [] },
    lost(4000, 'bob', 'relay-2', 'ping'),
    subscription(4500, 'bob', 'relay-3', 'subscribed')
  ]
  assert.deepEqual(analyzeReliability(events, {}).filterFailover, [
    { device: 'alice', node: 'relay-1', diedAt: null, lostAt: 1500, reason: 'closed', noticeMs: null, recoveredAt: 2200, via: 'relay-4', ms: 700 },
    { device: 'bob', node: 'relay-2', diedAt: null, lostAt: 4000, reason: 'ping', noticeMs: null, recoveredAt: 4500, via: 'relay-3', ms: 500 }
  ])
})

test("store audit: a missing hash the run never sent is in the 'unknown' window, and extra messages alone put stores out of sync", () => {
  const events: CourierEvent[] = [
    { t: 0, type: 'scenario.start' },
    sent(15_000, 'm1', { node: 'crowd-1' }),
    { t: 20_000, type: 'store.audit', store: 'store-1', reachable: true, expected: 1, missing: 2, missingHashes: ['h-m1', 'h-stranger'], extra: 0 }
  ]
  assert.deepEqual(analyzeReliability(events, {}).audit.stores['store-1'].missingByWindow, { '10s': 1, unknown: 1 })

  const extra: CourierEvent[] = [
    ...events.slice(0, 2),
    { t: 20_000, type: 'store.audit', store: 'store-2', reachable: true, expected: 1, missing: 0, missingHashes: [], extra: 2 }
  ]
  assert.equal(analyzeReliability(extra, {}).audit.inSync, false, 'a store holding messages nobody sent is not in sync')
})

test('history: a device of the account that showed nothing lacks everything; one inconsistent account makes the run inconsistent', () => {
  const events: CourierEvent[] = [
    sent(1000, 'm1', { node: 'crowd-1' }),
    rendered(1100, 'phone', 'm1'), // alice's desktop shows nothing at all
    rendered(1100, 'tablet', 'm1'),
    rendered(1200, 'laptop', 'm1')
  ]
  const history = analyzeReliability(events, { phone: 'alice', desktop: 'alice', tablet: 'bob', laptop: 'bob' }).history
  assert.deepEqual(history.accounts.alice.differences, [{ msgId: 'm1', shownOn: ['phone'], missingOn: ['desktop'] }])
  assert.equal(history.accounts.bob.consistent, true)
  assert.equal(history.consistent, false, "bob's devices agree, alice's do not")
})

test('history: differences stop at 50 per account at the end, and at 50 over all accounts at a checkpoint', () => {
  // account a: 60 messages on its phone only; account b: 5 on its phone only (the desktops show nothing)
  const events: CourierEvent[] = [
    ...range(60).flatMap((i) => [sent(1000, `a${i}`, { node: 'crowd-1' }), rendered(1100 + i, 'a-phone', `a${i}`)]),
    ...range(5).flatMap((i) => [sent(1000, `b${i}`, { node: 'crowd-1' }), rendered(1200 + i, 'b-phone', `b${i}`)]),
    checkpoint(100_000, 7, 'late')
  ]
  const accounts = { 'a-phone': 'a', 'a-desktop': 'a', 'b-phone': 'b', 'b-desktop': 'b' }
  const history = analyzeReliability(events, accounts).history
  const a = history.accounts.a.differences
  assert.equal(a.length, 50)
  assert.deepEqual([a[0].msgId, a[49].msgId], ['a0', 'a49'], 'the first 50 shown')
  assert.equal(history.accounts.b.differences.length, 5)
  const [late] = history.checkpoints
  assert.equal(late.differences.length, 50)
  assert.deepEqual(new Set(late.differences.map((d) => d.account)), new Set(['a']), "a's first 50 fill the list")
})

test("checkpoints: a render logged in the checkpoint's millisecond counts, a send exactly 2 s before it is compared, an unnamed one is named by its index, one at the end of the log is still taken", () => {
  const events: CourierEvent[] = [
    sent(1000, 'm1', { node: 'crowd-1' }),
    rendered(1100, 'desktop', 'm1'),
    sent(3000, 'm2', { node: 'crowd-1' }), // exactly 2 s before the first checkpoint
    rendered(3100, 'desktop', 'm2'),
    checkpoint(5000, 2),
    rendered(5000, 'phone', 'm1'), // logged after the checkpoint, in its millisecond
    rendered(6000, 'phone', 'm2'),
    sent(6500, 'm3', { node: 'crowd-1' }),
    rendered(6600, 'desktop', 'm3'),
    checkpoint(9000, 5, 'last') // nothing follows: taken at the end
  ]
  assert.deepEqual(analyzeReliability(events, { phone: 'alice', desktop: 'alice' }).history.checkpoints, [
    { name: '#2', t: 5000, consistent: false, differences: [{ account: 'alice', msgId: 'm2', shownOn: ['desktop'], missingOn: ['phone'] }] },
    { name: 'last', t: 9000, consistent: false, differences: [{ account: 'alice', msgId: 'm3', shownOn: ['desktop'], missingOn: ['phone'] }] }
  ])
})

test('sent-message checks: a device that checks but never has one confirmed has every send unconfirmed; the id list stops at 50', () => {
  const events: CourierEvent[] = [
    ...range(60).map((i) => sent(1000 + i, `alice-${i}`, { device: 'alice' })),
    { t: 9000, type: 'msg.confirm', device: 'alice', store: 'store-1', checked: 60, found: 0, bytes: 200 }
  ]
  const alice = analyzeReliability(events, {}).sentChecks.alice
  assert.deepEqual(
    { ...alice, unconfirmedIds: alice.unconfirmedIds.length },
    { checks: 1, failedChecks: 0, bytes: 200, sent: 60, confirmed: 0, resent: 0, unconfirmed: 60, unconfirmedIds: 50 }
  )
  assert.deepEqual([alice.unconfirmedIds[0], alice.unconfirmedIds[49]], ['alice-0', 'alice-49'])
})

test("sent-message checks: a device named 'undefined' is not charged with the crowd's sends", () => {
  const events: CourierEvent[] = [
    sent(1000, 'c1', { node: 'crowd-1' }),
    sent(1000, 'u1', { device: 'undefined' }),
    { t: 4000, type: 'msg.confirm', device: 'undefined', store: 'store-1', checked: 1, found: 1, bytes: 90 },
    { t: 4001, type: 'msg.confirmed', device: 'undefined', hash: 'h-u1', msgId: 'u1', store: 'store-1' }
  ]
  const checks = analyzeReliability(events, {}).sentChecks.undefined
  assert.deepEqual([checks.sent, checks.confirmed, checks.unconfirmed], [1, 1, 0])
})

test('crowd: arrivals logged before their send still count on the crowd topic (duplicates as bytes only); off-topic ones and non-members do not', () => {
  // 36 s of traffic = 1/100 h
  const events: CourierEvent[] = [
    subscribe('phone', 'devcon4'),
    subscribe('phone', 'lobby'),
    subscribe('laptop', 'devcon4'), // joins the crowd but gets nothing
    { t: 1000, type: 'scenario.start' },
    sent(2000, 'c1', { node: 'crowd-1' }, 'devcon4'),
    received(2010, 'phone', 'c1'),
    // the phone's clock runs ahead: c2 and c3 are logged before the crowd's send
    received(2900, 'phone', 'c2'),
    received(2910, 'phone', 'c3', false, 500),
    received(2950, 'phone', 'c2', true),
    received(2960, 'watch', 'c2'), // never joined the topic
    received(2970, 'phone', 'l1'), // on the phone's other topic
    sent(3000, 'c2', { node: 'crowd-1' }, 'devcon4'),
    sent(3000, 'c3', { node: 'crowd-1' }, 'devcon4'),
    sent(3000, 'l1', { device: 'alice' }, 'lobby'),
    sent(4000, 'x1', { node: 'crowd-2' }, 'lobby'), // a later crowd send on another topic does not move the crowd topic
    { t: 37_000, type: 'scenario.end' }
  ]
  const crowd = analyzeReliability(events, {}).crowd
  assert.equal(crowd?.topic, 'devcon4')
  assert.deepEqual(
    { ...crowd?.devices },
    {
      phone: {
        messages: 3, // c1, c2, c3
        messagesPerHour: 300,
        messageBytesPerHour: 170_000, // (400 + 400 + 500 + 400 duplicate) x 100
        previewBytesPerHour: 12_300, // 3 x 41 x 100
        previewShare: 0.0724 // 123 / 1700
      },
      laptop: { messages: 0, messagesPerHour: 0, messageBytesPerHour: 0, previewBytesPerHour: 0, previewShare: null }
    }
  )
})

test("crowd: a crowd node named like the crowd's topic is still the crowd's sender (the names share one table)", () => {
  const events: CourierEvent[] = [subscribe('phone', 'crowd-1'), sent(1000, 'c1', { node: 'crowd-1' }, 'crowd-1'), received(1010, 'phone', 'c1')]
  const crowd = analyzeReliability(events, {}).crowd
  assert.equal(crowd?.topic, 'crowd-1')
  assert.equal(crowd?.devices.phone?.messages, 1)
})

test('up to date without stores: the first relay to carry a message is when the fleet held it', () => {
  const events: CourierEvent[] = [
    subscribe('bob'),
    sent(1000, 'm1', { node: 'crowd-1' }),
    relayed(1010, 'm1', 'relay-1'),
    relayed(4500, 'm1', 'relay-2'),
    upToDate(5000, 'bob') // bob never got anything
  ]
  const r = analyzeReliability(events, {}).upToDate
  assert.equal(r.falsePositives, 1)
  assert.deepEqual(r.examples, [{ device: 'bob', t: 5000, missing: 1, missingIds: ['m1'] }])
})

test('up to date with stores: relays no longer count once a store archived anything, and the first store to hold a message dates it', () => {
  const events: CourierEvent[] = [
    subscribe('bob'),
    sent(1000, 'm1', { node: 'crowd-1' }),
    sent(1000, 'm2', { node: 'crowd-1' }),
    relayed(1010, 'm1'),
    stored(1020, 'm2'),
    stored(4000, 'm1'), // held by a store 1 s before the claim only
    { t: 4500, type: 'msg.stored', store: 'store-2', hash: 'h-m2', via: 'sync' },
    upToDate(5000, 'bob')
  ]
  const r = analyzeReliability(events, {}).upToDate
  assert.deepEqual(r.examples, [{ device: 'bob', t: 5000, missing: 1, missingIds: ['m2'] }])
})

test("up to date: a claim is not blamed for its own sends, a message stored exactly 2 s before, or one that arrived in the claim's millisecond", () => {
  const events: CourierEvent[] = [
    subscribe('bob'),
    sent(1000, 'mine', { device: 'bob' }),
    stored(1000, 'mine'),
    sent(1000, 'arrived', { node: 'crowd-1' }),
    stored(1000, 'arrived'),
    sent(2000, 'edge', { node: 'crowd-1' }),
    stored(3000, 'edge'),
    sent(1000, 'lost', { node: 'crowd-1' }),
    stored(1000, 'lost'),
    received(5000, 'bob', 'arrived'),
    upToDate(5000, 'bob')
  ]
  const r = analyzeReliability(events, {}).upToDate
  assert.equal(r.falsePositives, 1)
  assert.deepEqual(r.examples, [{ device: 'bob', t: 5000, missing: 1, missingIds: ['lost'] }])
})

test('up to date: missing ids stop at 10 per claim and examples at 50, while the counts go on', () => {
  const events: CourierEvent[] = [
    subscribe('bob'),
    ...range(12).flatMap((i) => [sent(1000, `m${i}`, { node: 'crowd-1' }), stored(1000, `m${i}`)]),
    ...range(52).map((i) => upToDate(5000 + i, 'bob'))
  ]
  const r = analyzeReliability(events, {}).upToDate
  assert.equal(r.claims, 52)
  assert.equal(r.falsePositives, 52)
  assert.equal(r.examples.length, 50)
  assert.deepEqual([r.examples[0].t, r.examples[49].t], [5000, 5049])
  assert.equal(r.examples[0].missing, 12)
  assert.deepEqual(
    r.examples[0].missingIds,
    range(10).map((i) => `m${i}`)
  )
})

test('push: a message shown exactly at the bound is no phantom; the examples stop at 50 while the count goes on', () => {
  const push = (t: number, msgId: string): CourierEvent => ({ t, type: 'push.received', device: 'bob', hash: `h-${msgId}`, msgId })
  const onTime: CourierEvent[] = [push(1000, 'm0'), rendered(4000, 'bob', 'm0')]
  const clean = analyzeReliability(onTime, {}, 3000).push
  assert.deepEqual([clean.received, clean.phantom, clean.examples], [1, 0, []])
  assert.equal(clean.renderDelay.max, 3000)

  const events: CourierEvent[] = [...onTime, ...range(52).map((i) => push(5000 + i, `p${i}`))]
  const r = analyzeReliability(events, {}, 3000).push
  assert.deepEqual([r.received, r.phantom, r.examples.length], [53, 52, 50])
  assert.deepEqual(r.examples[0], { device: 'bob', msgId: 'p0', pushAt: 5000, renderedAt: null })
  assert.equal(r.examples[49].msgId, 'p49')
})

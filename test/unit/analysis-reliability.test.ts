import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { CourierEvent, DeliveryPath } from '../../harness/interface/index.js'
import { analyzeReliability, analyzeRun, PREVIEW_ENTRY_BYTES } from '../../harness/analysis/index.js'
import { StoreQueryResponse } from '../../harness/protocol/index.js'
import { received as receivedEvent, rendered, sent } from '../helpers/message-events.js'

// Small hand-made event logs, one per figure; every expected answer below is worked out by hand
// from the lines of its log, not by the code under test.
const subscribe = (device: string, topic = 'lobby'): CourierEvent[] => [
  { t: 0, type: 'device.subscribe', device, topic },
  { t: 0, type: 'device.online', device }
]
// this file's arrivals are 400 bytes unless it says otherwise
const received = (t: number, device: string, msgId: string, via: DeliveryPath = 'relay', duplicate = false, bytes = 400): CourierEvent =>
  receivedEvent(t, device, msgId, { via, duplicate, bytes })

test('partitions: messages across groups during the split are expected, and heal-to-delivery is the last of them', () => {
  const events: CourierEvent[] = [
    ...subscribe('alice'),
    ...subscribe('bob'),
    ...subscribe('carol'),
    {
      t: 1000,
      type: 'partition.start',
      groups: [
        ['alice', 'relay-1'],
        ['bob', 'carol', 'relay-2']
      ]
    },
    sent(1500, 'a1', { device: 'alice' }), // crosses to bob and carol: 2 expected
    sent(2000, 'b1', { device: 'bob' }), // crosses to alice only (carol is on bob's side): 1 expected
    received(2010, 'carol', 'b1'),
    { t: 4000, type: 'partition.heal' },
    received(5000, 'bob', 'a1', 'store'),
    received(6500, 'carol', 'a1', 'store'),
    received(4200, 'alice', 'b1', 'store'),
    sent(7000, 'a2', { device: 'alice' }) // after the heal: not a cross-partition message
  ]
  const [p] = analyzeReliability(events, {}).partitions
  assert.deepEqual(p.cross, { expected: 3, delivered: 3, lost: 0 })
  assert.deepEqual(p.byGroups, [
    { from: 0, to: 1, expected: 2, delivered: 2, lost: 0 },
    { from: 1, to: 0, expected: 1, delivered: 1, lost: 0 }
  ])
  assert.equal(p.healToFullDeliveryMs, 2500, 'carol got a1 2.5 s after the heal, the last one')

  const lossy = analyzeReliability(
    events.filter((e) => !(e.type === 'msg.received' && e.device === 'carol' && e.msgId === 'a1')),
    {}
  ).partitions[0]
  assert.deepEqual(lossy.cross, { expected: 3, delivered: 2, lost: 1 })
  assert.deepEqual(lossy.byGroups[0], { from: 0, to: 1, expected: 2, delivered: 1, lost: 1 }, "the loss is from alice's group to bob's")
  assert.equal(lossy.healToFullDeliveryMs, null, 'not all arrived: no heal-to-delivery time')
})

test("failover: from the store's death (or the first failed request) to the first good answer from another store", () => {
  const events: CourierEvent[] = [
    { t: 1000, type: 'node.down', node: 'store-1', role: 'store', reason: 'killed' },
    { t: 3000, type: 'store.query', device: 'alice', store: 'store-1', requestId: 'r1', topic: 'lobby' },
    { t: 3010, type: 'store.response', device: 'alice', store: 'store-1', requestId: 'r1', status: 0, messages: 0, bytes: 0, pages: 0, error: 'refused' },
    { t: 3020, type: 'store.query', device: 'alice', store: 'store-2', requestId: 'r2', topic: 'lobby' },
    { t: 3400, type: 'store.response', device: 'alice', store: 'store-2', requestId: 'r2', status: 200, messages: 4, bytes: 900, pages: 1 },
    // carol's store refuses during a partition and answers again after it: recovered on the same store
    { t: 2000, type: 'store.query', device: 'carol', store: 'store-2', requestId: 'r4', topic: 'lobby' },
    { t: 2005, type: 'store.response', device: 'carol', store: 'store-2', requestId: 'r4', status: 0, messages: 0, bytes: 0, pages: 0, error: 'partition' },
    { t: 6000, type: 'store.query', device: 'carol', store: 'store-2', requestId: 'r5', topic: 'lobby' },
    { t: 6010, type: 'store.response', device: 'carol', store: 'store-2', requestId: 'r5', status: 200, messages: 9, bytes: 2000, pages: 1 },
    // bob asks a store that hangs (not dead): the episode starts when he asked
    { t: 5000, type: 'store.query', device: 'bob', store: 'store-3', requestId: 'r3', topic: 'lobby' },
    { t: 13000, type: 'store.response', device: 'bob', store: 'store-3', requestId: 'r3', status: 0, messages: 0, bytes: 0, pages: 0, error: 'timeout' }
  ]
  const r = analyzeReliability(events, {})
  assert.deepEqual(r.failover, [
    { store: 'store-1', downAt: 1000, device: 'alice', recoveredAt: 3400, ms: 2400, via: 'store-2' },
    { store: 'store-2', downAt: 2000, device: 'carol', recoveredAt: 6010, ms: 4010, via: 'store-2' },
    { store: 'store-3', downAt: 5000, device: 'bob', recoveredAt: null, ms: null, via: null }
  ])
  const run = analyzeRun(events, { lagLimitMs: 50 })
  assert.equal(run.metrics['store.failover.max'].value, 4010)
  assert.equal(run.metrics['store.failover.unrecovered'].value, 1)
})

test('store audit: missing messages per store and 10 s window; in sync only when every store is complete', () => {
  const events: CourierEvent[] = [
    { t: 100, type: 'scenario.start' },
    sent(5_100, 'm1', { node: 'crowd-1' }),
    sent(12_100, 'm2', { node: 'crowd-1' }),
    sent(13_100, 'm3', { node: 'crowd-1' }),
    { t: 20_000, type: 'store.audit', store: 'store-1', reachable: true, expected: 3, missing: 0, missingHashes: [], extra: 0 },
    { t: 20_000, type: 'store.audit', store: 'store-2', reachable: true, expected: 3, missing: 2, missingHashes: ['h-m2', 'h-m3'], extra: 1 }
  ]
  const audit = analyzeReliability(events, {}).audit
  assert.deepEqual(audit.stores['store-2'], { reachable: true, expected: 3, missing: 2, extra: 1, missingByWindow: { '10s': 2 } })
  assert.equal(audit.inSync, false)
  assert.equal(analyzeReliability(events.slice(0, -1), {}).audit.inSync, true)
})

test('history: devices of one account are compared at the end and at each checkpoint, over messages sent 2 s before it', () => {
  const events: CourierEvent[] = [
    sent(1000, 'm1', { node: 'crowd-1' }),
    rendered(1010, 'phone', 'm1'),
    rendered(1020, 'desktop', 'm1'),
    sent(2000, 'm2', { node: 'crowd-1' }),
    rendered(2010, 'desktop', 'm2'),
    sent(4500, 'm3', { node: 'crowd-1' }),
    rendered(4510, 'desktop', 'm3'),
    // checkpoint at 5 s: m2 (sent at 2 s) is on the desktop only; m3 was sent 0.5 s before, not counted
    { t: 5000, type: 'timeline.action', index: 3, action: 'checkpoint', detail: { name: 'noon' } },
    rendered(7000, 'phone', 'm2'),
    rendered(7000, 'phone', 'm3'),
    { t: 8000, type: 'timeline.action', index: 4, action: 'checkpoint', detail: { name: 'evening' } },
    sent(8500, 'm4', { node: 'crowd-1' }),
    rendered(8510, 'desktop', 'm4'),
    rendered(8600, 'tablet', 'm4')
  ]
  const history = analyzeReliability(events, { phone: 'alice', desktop: 'alice', tablet: 'bob' }).history
  assert.deepEqual(history.checkpoints, [
    { name: 'noon', t: 5000, consistent: false, differences: [{ account: 'alice', msgId: 'm2', shownOn: ['desktop'], missingOn: ['phone'] }] },
    { name: 'evening', t: 8000, consistent: true, differences: [] }
  ])
  assert.equal(history.consistent, false, 'at the end the phone lacks m4')
  assert.deepEqual(history.accounts.alice.differences, [{ msgId: 'm4', shownOn: ['desktop'], missingOn: ['phone'] }])
  assert.equal(history.accounts.bob, undefined, 'one device alone has nothing to differ from')
})

test('up to date: a claim while missing a message a store held over 2 s before is a false positive', () => {
  const stored = (t: number, msgId: string): CourierEvent => ({ t, type: 'msg.stored', store: 'store-1', hash: `h-${msgId}` })
  const events: CourierEvent[] = [
    ...subscribe('bob'),
    sent(1000, 'm1', { node: 'crowd-1' }),
    stored(1010, 'm1'),
    sent(3900, 'm2', { node: 'crowd-1' }),
    stored(3910, 'm2'),
    // m3 never reached a store (its sender was cut off): no claim is blamed for it
    sent(1000, 'm3', { device: 'alice' }),
    { t: 5000, type: 'device.status', device: 'bob', status: 'upToDate' }, // m1 missing (held 4 s); m2 held only 1.09 s
    received(5500, 'bob', 'm1', 'store'),
    { t: 6000, type: 'device.status', device: 'bob', status: 'upToDate' }, // m2 held 2.09 s and missing
    received(6500, 'bob', 'm2', 'store'),
    { t: 7000, type: 'device.status', device: 'bob', status: 'upToDate' },
    { t: 7100, type: 'device.status', device: 'bob', status: 'failed' }
  ]
  const upToDate = analyzeReliability(events, {}).upToDate
  assert.equal(upToDate.claims, 3)
  assert.equal(upToDate.falsePositives, 2)
  assert.deepEqual(
    upToDate.examples.map((e) => [e.t, e.missingIds]),
    [
      [5000, ['m1']],
      [6000, ['m2']]
    ]
  )
})

test('push: a push whose message is not on screen within the bound is phantom', () => {
  const events: CourierEvent[] = [
    { t: 1000, type: 'push.received', device: 'bob', hash: 'h-m1', msgId: 'm1' },
    rendered(1400, 'bob', 'm1'),
    { t: 2000, type: 'push.received', device: 'bob', hash: 'h-m2', msgId: 'm2' },
    rendered(6000, 'bob', 'm2'),
    { t: 3000, type: 'push.received', device: 'bob', hash: 'h-m3', msgId: 'm3' }
  ]
  const push = analyzeReliability(events, {}, 3000).push
  assert.equal(push.received, 3)
  assert.equal(push.phantom, 2, 'm2 shown 4 s after its push, m3 never')
  assert.equal(push.renderDelay.max, 4000)
  assert.deepEqual(
    push.examples.map((e) => [e.msgId, e.renderedAt]),
    [
      ['m2', 6000],
      ['m3', null]
    ]
  )
})

test('history request stages split the time between dial, first page, transfer and render', () => {
  const events: CourierEvent[] = [
    {
      t: 0,
      type: 'store.stages',
      device: 'a',
      store: 's',
      requestId: 'r',
      sent: 1000,
      dialed: 1030,
      firstPage: 4030,
      lastPage: 4100,
      rendered: 4110,
      messages: 12
    }
  ]
  const stages = analyzeReliability(events, {}).stages
  assert.deepEqual([stages.dialMs.max, stages.firstPageMs.max, stages.transferMs.max, stages.renderMs.max, stages.totalMs.max], [30, 3000, 70, 10, 3110])
})

test('sent-message checks: confirmed, resent and never-confirmed messages per device', () => {
  const events: CourierEvent[] = [
    sent(1000, 'alice-1', { device: 'alice' }),
    sent(2000, 'alice-2', { device: 'alice' }),
    sent(2000, 'bob-1', { device: 'bob' }),
    { t: 4000, type: 'msg.confirm', device: 'alice', store: 'store-1', checked: 2, found: 0, bytes: 0, error: 'refused' },
    { t: 4001, type: 'msg.confirm', device: 'alice', store: 'store-2', checked: 2, found: 1, bytes: 180 },
    { t: 4002, type: 'msg.confirmed', device: 'alice', hash: 'h-alice-1', msgId: 'alice-1', store: 'store-2' },
    { t: 12_000, type: 'msg.resent', device: 'alice', hash: 'h-alice-2', msgId: 'alice-2', attempt: 1 },
    { t: 15_000, type: 'msg.confirm', device: 'alice', store: 'store-2', checked: 1, found: 0, bytes: 120 }
  ]
  const r = analyzeReliability(events, {})
  assert.deepEqual(r.sentChecks, {
    alice: { checks: 3, failedChecks: 1, bytes: 300, sent: 2, confirmed: 1, resent: 1, unconfirmed: 1, unconfirmedIds: ['alice-2'] }
  })
  assert.equal((r.sentChecks as Record<string, unknown>).bob, undefined, 'bob does not check: no figure rather than a false "unconfirmed"')
  const run = analyzeRun(events, { lagLimitMs: 50 })
  assert.equal(run.metrics['sent.unconfirmed'].value, 1)
  assert.equal(run.metrics['sent.resent'].value, 1)
})

test('store choice and store sync are reported as they happened', () => {
  const events: CourierEvent[] = [
    { t: 500, type: 'store.select', device: 'alice', store: 'store-2', rttMs: { 'store-1': 40, 'store-2': 3 } },
    { t: 9000, type: 'store.switch', device: 'alice', from: 'store-2', to: 'store-1', failures: 2 },
    { t: 3000, type: 'store.sync', store: 'store-2', peer: 'store-1', checked: 40, missing: 5, fetched: 5 },
    { t: 5000, type: 'store.sync', store: 'store-1', peer: 'store-2', checked: 0, missing: 0, fetched: 0, error: 'partition' },
    { t: 7000, type: 'store.sync', store: 'store-2', peer: 'store-1', checked: 45, missing: 2, fetched: 2 }
  ]
  const r = analyzeReliability(events, {})
  assert.equal(r.storeChoice.selected[0].store, 'store-2')
  assert.deepEqual(r.storeChoice.switches, [{ t: 9000, device: 'alice', from: 'store-2', to: 'store-1', failures: 2 }])
  assert.deepEqual(r.storeSync, { fetched: 7, failedRounds: 1, byStore: { 'store-2': 7, 'store-1': 0 } })
})

test("the crowded topic's cost per hour, and what a preview of it would cost", () => {
  // 36 s of traffic = 1/100 h; the phone gets 3 crowd messages (one twice), 400 B each as they arrive
  const events: CourierEvent[] = [
    ...subscribe('phone', 'devcon4'),
    ...subscribe('laptop', 'other'),
    { t: 1000, type: 'scenario.start' },
    sent(2000, 'c1', { node: 'crowd-1' }, 'devcon4'),
    sent(3000, 'c2', { node: 'crowd-1' }, 'devcon4'),
    sent(4000, 'c3', { node: 'crowd-2' }, 'devcon4'),
    received(2010, 'phone', 'c1'),
    received(3010, 'phone', 'c2'),
    received(3020, 'phone', 'c2', 'relay', true),
    received(4010, 'phone', 'c3'),
    { t: 37_000, type: 'scenario.end' }
  ]
  const crowd = analyzeReliability(events, {}).crowd
  assert.equal(crowd?.topic, 'devcon4')
  assert.deepEqual(Object.keys(crowd?.devices ?? {}), ['phone'], 'only devices that joined the crowd topic')
  assert.deepEqual(crowd?.devices.phone, {
    messages: 3,
    messagesPerHour: 300,
    messageBytesPerHour: 160_000, // 4 arrivals x 400 B x 100
    previewBytesPerHour: 3 * PREVIEW_ENTRY_BYTES * 100,
    previewShare: 0.0769 // 123 / 1600, to four places
  })
})

test('a preview entry costs what a hash-only STORE v3 entry encodes to, plus a size field', () => {
  const one = StoreQueryResponse.encode({ requestId: '', messages: [{ messageHash: new Uint8Array(32) }] }).byteLength
  const two = StoreQueryResponse.encode({ requestId: '', messages: [{ messageHash: new Uint8Array(32) }, { messageHash: new Uint8Array(32) }] }).byteLength
  // field 20 takes a two-byte tag: 2 + 1 (length) + 2 + 32 (the hash)
  assert.equal(two - one, 37, 'each hash-only entry adds 37 bytes to a response')
  assert.equal(PREVIEW_ENTRY_BYTES, 37 + 4)
})

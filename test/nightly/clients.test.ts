// The whole of scenarios/clients.yaml (95 s, three clients, Chromium and a js-waku process): a
// nightly-sized run. npm test runs its first 11 s with the broken variants (test/e2e/js-waku.test.ts).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { CourierEvent } from '../../harness/interface/index.js'
import { SCENARIO, alive, failedThresholds, run } from '../helpers/js-waku.js'

test('scenarios/clients.yaml with js-waku in Node and in Chromium beside the reference client passes, with what the README says js-waku did', async () => {
  const { result, results, events, children } = await run(SCENARIO, {})
  const label = `healthy clients run: exit ${result.code}\n${result.stdout}\n${result.stderr}`
  assert.equal(result.code, 0, label)
  assert.deepEqual(failedThresholds(results), [], label)
  assert.equal(children.length, 1, 'one js-waku process')
  assert.ok(!alive(children[0]), 'the js-waku process ended with the run')
  const of = (type: string): CourierEvent[] => events.filter((e) => e.type === type && (e as { device?: string }).device === 'jswaku')
  assert.deepEqual(
    of('device.clock').map((e) => (e as { phase: string }).phase),
    ['start', 'end'],
    'the clock offset is measured and recorded'
  )
  const received = of('msg.received') as Array<Extract<CourierEvent, { type: 'msg.received' }>>
  assert.ok(
    received.some((e) => e.via === 'filter'),
    "pushes through js-waku's filter"
  )
  const catchUp = of('store.response') as Array<Extract<CourierEvent, { type: 'store.response' }>>
  assert.ok(
    catchUp.some((e) => e.status === 200 && e.messages > 0 && e.store === 'store-2'),
    'the catch-up came from the living store'
  )
  assert.ok(
    received.some((e) => e.via === 'store' && !e.duplicate),
    'something missed while offline came from the store'
  )
  // alice's messages sent by courier's client reach js-waku, and js-waku's reach courier's
  const sentBy = (device: string): Set<string> => new Set(events.flatMap((e) => (e.type === 'msg.sent' && e.device === device ? [e.msgId] : [])))
  for (const id of sentBy('jswaku'))
    assert.ok(
      events.some((e) => e.type === 'msg.rendered' && e.device === 'ref' && e.msgId === id),
      `ref shows ${id}`
    )
  // the two clients courier did not write, side by side: js-waku in Node and js-waku in Chromium see each other
  for (const id of sentBy('jswaku'))
    assert.ok(
      events.some((e) => e.type === 'msg.rendered' && e.device === 'web' && e.msgId === id),
      `the browser shows ${id}`
    )
  for (const id of sentBy('web'))
    assert.ok(
      events.some((e) => e.type === 'msg.rendered' && e.device === 'jswaku' && e.msgId === id),
      `js-waku shows ${id}`
    )
  assert.ok(results.bytes?.owners.jswaku?.byProtocol.filter != null, "bytes at js-waku's sockets, by protocol")
  // relay-1's death: every js-waku subscription lost to it came back
  const episodes = (results.reliability?.filterFailover ?? []).filter((f) => f.device === 'jswaku')
  const heldRelay1 = events.some((e) => e.type === 'filter.subscription' && e.device === 'jswaku' && e.node === 'relay-1' && e.state === 'subscribed')
  if (heldRelay1)
    assert.ok(
      episodes.some((f) => f.node === 'relay-1' && f.ms != null),
      'js-waku replaced the subscription relay-1 took with it'
    )
  assert.ok(episodes.every((f) => f.ms != null))
  // README's findings: its store client dials a store peer at once after the network is back (and
  // its filter subscribes there), but dials made while offline put the relays in js-waku's 60 s
  // failed-dial cooldown, so it reconnects to them about a minute after going offline
  const away = events.find((e) => e.type === 'device.offline' && e.device === 'jswaku')?.t ?? Infinity
  const back = events.find((e) => e.type === 'device.online' && e.device === 'jswaku' && e.t > away)?.t ?? Infinity
  const relayPeers = new Set(events.flatMap((e) => (e.type === 'node.up' && e.role === 'relay' ? [e.peerId] : [])))
  const relayBack = events.find((e) => e.type === 'conn.open' && e.owner === 'jswaku' && e.t > back && relayPeers.has(e.remote.split('/p2p/')[1] ?? ''))?.t
  assert.ok(
    relayBack != null && relayBack - away > 50_000 && relayBack - away < 75_000,
    `js-waku redialled a relay ${relayBack == null ? 'never' : `${Math.round(relayBack - away)} ms`} after going offline`
  )
  const resubscribed = events.find((e) => e.type === 'filter.subscription' && e.device === 'jswaku' && e.state === 'subscribed' && e.t > back)?.t
  assert.ok(resubscribed != null && resubscribed - back < 5000, 'subscribed again within seconds, on the store node its store client dialled')
})

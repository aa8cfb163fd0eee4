// The whole of scenarios/clients-browser.yaml (45 s with Chromium): a nightly-sized run. npm test
// runs the browser's broken variant, its crash and its failure artifacts (test/e2e/browser.test.ts)
// and the device compliance suite on the same driver.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import type { CourierEvent } from '../../harness/interface/index.js'
import { chromiumProcesses, load } from '../helpers/browser.js'
import { runCourier, tempDir } from '../helpers/cli.js'

test('clients-browser.yaml: the web client and the reference client exchange everything, the web client catches up from the store after being offline, and the browser is gone afterwards', async () => {
  const before = new Set((await chromiumProcesses()).map((p) => p.pid))
  const out = join(await tempDir(), 'run')
  const result = await runCourier(['run', 'scenarios/clients-browser.yaml', '--out', out, '--no-progress'], { timeoutMs: 180_000 })
  assert.equal(result.code, 0, result.stderr + result.stdout)
  const { results, events } = await load(out)
  const web = results.delivery.devices.web
  const ref = results.delivery.devices.ref
  assert.equal(web.expected, 15)
  assert.equal(web.lost, 0, `web lost ${web.lostMessages.join(', ')}`)
  assert.equal(ref.expected, 8)
  assert.equal(ref.lost, 0, `ref lost ${ref.lostMessages.join(', ')}`)
  // the five sent before it went offline came by FILTER; the four sent while it was offline (and
  // any sent while it was reconnecting, about 5 s here) from the store
  assert.ok((web.firstByPath.filter ?? 0) >= 5, JSON.stringify(web.firstByPath))
  assert.ok((web.firstByPath.store ?? 0) >= 4, JSON.stringify(web.firstByPath))
  const of = <T extends CourierEvent['type']>(type: T): Array<Extract<CourierEvent, { type: T }>> =>
    events.filter((e): e is Extract<CourierEvent, { type: T }> => e.type === type && (e as { device?: string }).device === 'web')
  assert.equal(of('device.offline').length, 1)
  assert.equal(of('device.online').length, 2)
  const response = of('store.response').find((e) => e.status === 200)
  assert.ok(response != null && response.messages >= 4, 'the catch-up answered with the missed messages')
  // every first arrival was painted, and no earlier than it arrived (page timestamps on the run clock)
  const rendered = new Map(of('msg.rendered').map((e) => [e.msgId, e.t]))
  for (const arrival of of('msg.received').filter((e) => !e.duplicate)) {
    const paintedAt = rendered.get(arrival.msgId)
    assert.ok(paintedAt != null, `${arrival.msgId} was never rendered`)
    assert.ok(paintedAt >= arrival.t, `${arrival.msgId} rendered at ${paintedAt} before it arrived at ${arrival.t}`)
  }
  // relay-1 dies holding one of its two FILTER subscriptions: js-waku subscribes elsewhere (the fleet
  // names the browser's peer because device.up carried its peer id)
  const killedAt = events.find((e) => e.type === 'timeline.action' && e.action === 'kill')?.t ?? assert.fail('relay-1 was not killed')
  assert.ok(
    events.some(
      (e) => e.type === 'filter.request' && e.peer === 'web' && e.request === 'subscribe' && e.node !== 'relay-1' && e.t > killedAt && e.status === 200
    ),
    'a new FILTER subscription after relay-1 died'
  )
  const clock = of('device.clock').find((e) => e.phase === 'start')
  assert.ok(clock != null && clock.rttMs < 200, `clock offset measured with a round trip of ${clock?.rttMs ?? 'none'} ms`)
  // what the page sent was typed and clicked: its msg.sent times come from the page's click handler
  assert.equal(of('msg.sent').length, 8)
  const bytes = results.bytes?.owners.web
  assert.ok(bytes != null && bytes.up > 1000 && bytes.down > 3000, `web bytes from the DevTools protocol: ${JSON.stringify(bytes)}`)
  const leftover = (await chromiumProcesses()).filter((p) => !before.has(p.pid))
  assert.deepEqual(leftover, [], 'no Chromium process left running')
})

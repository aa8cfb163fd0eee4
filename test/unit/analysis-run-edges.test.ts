import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { CourierEvent } from '../../harness/interface/index.js'
import { analyzeRun, RunFold, type CapturedConversations } from '../../harness/analysis/index.js'
import { online, received, rendered, sent, subscribe } from '../helpers/message-events.js'

// What the whole run's analysis carries beside the folds' figures (found by mutation testing).

test("a run's errors list every harness error and device failure, in log order, with when, where and what", () => {
  const analysis = analyzeRun(
    [
      { t: 0, type: 'scenario.start' },
      { t: 1200, type: 'harness.error', component: 'capture', error: 'tcpdump exited with code 1' },
      { t: 3400, type: 'device.failed', device: 'alice', error: 'session gone' },
      { t: 5000, type: 'scenario.end' }
    ],
    { lagLimitMs: 200 }
  )
  assert.deepEqual(analysis.errors, [
    { t: 1200, component: 'capture', error: 'tcpdump exited with code 1' },
    { t: 3400, component: 'alice', error: 'session gone' }
  ])
})

test('timeline.dropped adds up the counts of every drop event', () => {
  const analysis = analyzeRun(
    [
      { t: 0, type: 'scenario.start' },
      { t: 900, type: 'timeline.dropped', index: 2, action: 'send', count: 3, reason: 'traffic phase over' },
      { t: 950, type: 'timeline.dropped', index: 3, action: 'send', count: 4, reason: 'traffic phase over' },
      { t: 1000, type: 'scenario.end' }
    ],
    { lagLimitMs: 200 }
  )
  assert.deepEqual(analysis.metrics['timeline.dropped'], { value: 7, unit: 'count' })
})

// alice subscribes, two messages reach her (100 ms and 250 ms) and are shown 40 ms and 60 ms later
const delivered: CourierEvent[] = [
  { t: 0, type: 'scenario.start' },
  { t: 0, type: 'device.up', device: 'alice', driver: 'simulated' },
  subscribe('alice'),
  online(0, 'alice'),
  sent(1000, 'm1', { node: 'crowd-1' }),
  received(1100, 'alice', 'm1'),
  rendered(1140, 'alice', 'm1'),
  sent(2000, 'm2', { node: 'crowd-1' }),
  received(2250, 'alice', 'm2'),
  rendered(2310, 'alice', 'm2'),
  { t: 3000, type: 'scenario.end' }
]

test("a run fold's latency samples are its deliveries' latencies, and its message hashes the ones it saw", () => {
  const fold = new RunFold()
  for (const event of delivered) fold.add(event)
  const samples = fold.latencySamples()
  assert.deepEqual(samples.overall, [100, 250])
  assert.deepEqual(samples.devices, { alice: [100, 250] })
  assert.deepEqual(samples.render, [140, 310])
  assert.deepEqual(samples.renderDevices, { alice: [140, 310] })
  assert.equal(fold.messageHashes.has('h-m1'), true)
  assert.equal(fold.messageHashes.has('h-m2'), true)
  assert.equal(fold.messageHashes.has('h-m3'), false)
})

test("history.differences counts every account's differences", () => {
  const events: CourierEvent[] = [
    sent(1000, 'm1', { node: 'crowd-1' }),
    sent(1000, 'm2', { node: 'crowd-1' }),
    sent(1000, 'm3', { node: 'crowd-1' }),
    rendered(1100, 'phone', 'm1'),
    rendered(1100, 'phone', 'm2'),
    rendered(1100, 'tablet', 'm3')
  ]
  const accounts = { phone: 'alice', desktop: 'alice', tablet: 'bob', laptop: 'bob' }
  const analysis = analyzeRun(events, { lagLimitMs: 200, accounts })
  assert.deepEqual(analysis.metrics['history.differences'], { value: 3, unit: 'count' }, "alice's desktop lacks two, bob's laptop one")
  assert.deepEqual(analysis.metrics['history.consistent'], { value: false, unit: 'boolean' })
})

test('a capture gives the cross-check mismatches and the packets tcpdump dropped as metrics; no capture gives neither', () => {
  const events: CourierEvent[] = [
    { t: 0, type: 'capture.start', backend: 'tcpdump', file: 'capture.pcap' },
    { t: 0, type: 'device.up', device: 'alice', driver: 'simulated' },
    {
      t: 1,
      type: 'conn.open',
      owner: 'alice',
      remote: '/ip4/127.0.0.1/tcp/6000',
      localAddr: '127.0.0.1:50000',
      remoteAddr: '127.0.0.1:6000',
      connId: 'alice#1'
    },
    {
      t: 1,
      type: 'conn.open',
      owner: 'relay-1',
      remote: '/ip4/127.0.0.1/tcp/50000',
      localAddr: '127.0.0.1:6000',
      remoteAddr: '127.0.0.1:50000',
      connId: 'relay-1#2'
    },
    { t: 1000, type: 'scenario.start' },
    { t: 2000, type: 'scenario.end' },
    { t: 2100, type: 'conn.close', owner: 'alice', connId: 'alice#1', bytesUp: 600, bytesDown: 1600 },
    { t: 2100, type: 'conn.close', owner: 'relay-1', connId: 'relay-1#2', bytesUp: 1600, bytesDown: 600 }
  ]
  // each side's sent bytes are checked against the capture's payload in that direction
  const capture = (aliceUp: number, aliceDown: number): CapturedConversations => ({
    file: 'capture.pcap',
    packets: 20,
    dropped: 6,
    wireBytes: 5000,
    payloadBytes: 2200,
    retransmittedBytes: 0,
    conversations: [
      { a: { ip: '127.0.0.1', port: 50000 }, b: { ip: '127.0.0.1', port: 6000 }, aToB: { payloadBytes: aliceUp }, bToA: { payloadBytes: aliceDown } }
    ]
  })
  const matching = analyzeRun(events, { lagLimitMs: 200, capture: capture(600, 1600) }).metrics
  assert.deepEqual(matching['capture.check.mismatches'], { value: 0, unit: 'count' })
  assert.deepEqual(matching['capture.dropped'], { value: 6, unit: 'count' })
  const short = analyzeRun(events, { lagLimitMs: 200, capture: capture(590, 1500) }).metrics
  assert.deepEqual(
    short['capture.check.mismatches'],
    { value: 2, unit: 'count' },
    'alice sent 600 and relay-1 1600 by their sockets, not the 590 and 1500 captured'
  )
  const none = analyzeRun(events, { lagLimitMs: 200 }).metrics
  assert.equal(none['capture.check.mismatches'], undefined)
  assert.equal(none['capture.dropped'], undefined)
})

// A section's fold with a bug, put in place of the real one: the guard exists for courier's own bugs,
// so the only way to exercise it is to plant one.
type Section = { fold: { add(event: CourierEvent): void; finish(options?: unknown): unknown }; error?: unknown }
const plant = (fold: RunFold, section: 'bytes' | 'flows', planted: Section['fold']): void => {
  ;(fold as unknown as Record<string, Section>)[section] = { fold: planted }
}

test("a section whose fold throws while adding is left out with the first error's message; it sees no more events, and the rest of the run keeps its figures", () => {
  const fold = new RunFold()
  let calls = 0
  let finished = false
  plant(fold, 'flows', {
    add() {
      calls++
      throw new Error(`flows bug #${calls}`)
    },
    finish() {
      finished = true
      return [{ name: 'planted' }]
    }
  })
  for (const event of delivered) fold.add(event)
  const analysis = fold.finish({ lagLimitMs: 200 })
  assert.equal(calls, 1, 'the failed section is not fed again')
  assert.equal(finished, false, 'nor finished')
  assert.deepEqual(analysis.failedSections, ['flows: analysis failed (flows bug #1); its figures are left out'])
  assert.deepEqual(analysis.flows, [])
  assert.deepEqual(analysis.metrics['delivery.latency.max'], { value: 250, unit: 'ms' })
})

test('a section whose fold throws while finishing is left out by name; a run without byte figures still has the rest', () => {
  const fold = new RunFold()
  plant(fold, 'bytes', {
    add() {},
    finish() {
      throw new Error('bytes bug')
    }
  })
  for (const event of delivered) fold.add(event)
  const analysis = fold.finish({ lagLimitMs: 200 })
  assert.deepEqual(analysis.failedSections, ['bytes: analysis failed (bytes bug); its figures are left out'])
  assert.equal(analysis.bytes, undefined)
  assert.equal(Object.keys(analysis.metrics).filter((name) => name.startsWith('bytes.') || name.startsWith('capture.')).length, 0)
  assert.deepEqual(analysis.metrics['delivery.delivered'], { value: 2, unit: 'count' })
})

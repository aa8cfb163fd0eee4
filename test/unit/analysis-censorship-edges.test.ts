import { test } from 'node:test'
import assert from 'node:assert/strict'
import { analyzeCensorship, censorshipMetrics } from '../../harness/analysis/censorship.js'
import type { CensorshipResult, CourierEvent } from '../../harness/interface/index.js'

// censorshipMetrics on results written by hand: the unreached count, per device the slowest way
// round (the largest reachedMs, null when one block was never got around) and the bytes of all
// its blocks added up. Found by mutation testing (npm run mutation, scope analysis-small).

function block(device: string, reachedMs: number | null, bytes: number): CensorshipResult {
  return { device, atMs: 0, nodes: ['n1'], reachedMs, bytes, peerExchange: { answers: 0, learned: 0 } }
}

test('per device: the slowest block, the bytes of all blocks; unreached counts the blocks never got around', () => {
  const metrics = censorshipMetrics(
    [block('alice', 100, 10), block('alice', 300, 20), block('alice', 200, 5), block('bob', null, 7), block('bob', 50, 1)],
    ['alice', 'bob', 'carol']
  )
  assert.deepEqual(metrics, {
    'censorship.unreached': { value: 1, unit: 'count' },
    'censorship.alice.reachedMs': { value: 300, unit: 'ms' },
    'censorship.alice.bytes': { value: 35, unit: 'bytes' },
    'censorship.bob.reachedMs': { value: null, unit: 'ms' },
    'censorship.bob.bytes': { value: 8, unit: 'bytes' }
  })
})

// analyzeCensorship's time windows at their edges, worked by hand: what happens exactly at the
// block's start, at its end, and to another device's events.
const ev = (t: number, type: string, fields: Record<string, unknown>): CourierEvent => ({ t, type, ...fields }) as unknown as CourierEvent

test('a relay connection at the very millisecond the block starts is found, not kept; one just before is kept; blocked nodes and other devices never count', () => {
  const [atStart] = analyzeCensorship([
    ev(500, 'device.relay', { device: 'alice', node: 'relay-1', source: 'bootstrap' }),
    ev(1000, 'block.start', { device: 'alice', nodes: ['relay-1'] }),
    ev(1000, 'device.relay', { device: 'alice', node: 'relay-2', source: 'peer-exchange' })
  ])
  assert.deepEqual([atStart.reachedMs, atStart.reachedVia, atStart.source], [0, 'relay-2', 'peer-exchange'])
  const [justBefore] = analyzeCensorship([
    ev(999, 'device.relay', { device: 'alice', node: 'relay-2', source: 'bootstrap' }),
    ev(1000, 'block.start', { device: 'alice', nodes: ['relay-1'] }),
    ev(1500, 'device.relay', { device: 'alice', node: 'relay-3', source: 'peer-exchange' })
  ])
  assert.deepEqual([justBefore.reachedMs, justBefore.reachedVia, justBefore.source], [0, 'relay-2', 'bootstrap'])
  // a blocked node before the start is no way in; another device's connections are not alice's
  const [none] = analyzeCensorship([
    ev(900, 'device.relay', { device: 'alice', node: 'relay-1', source: 'bootstrap' }),
    ev(950, 'device.relay', { device: 'bob', node: 'relay-2', source: 'bootstrap' }),
    ev(1000, 'block.start', { device: 'alice', nodes: ['relay-1'] }),
    ev(1200, 'device.relay', { device: 'bob', node: 'relay-3', source: 'bootstrap' }),
    ev(1300, 'device.relay', { device: 'alice', node: 'relay-1', source: 'bootstrap' }),
    ev(2000, 'run.end', { status: 'complete' })
  ])
  assert.equal(none.reachedMs, null)
  assert.equal(none.reachedVia, undefined)
  assert.equal(none.source, undefined)
  assert.equal(none.liftedMs, undefined)
})

test('a block lifted at its own start time ends there; another device lifting its block does not end this one; a connection at the lift counts, one after does not', () => {
  const [sameMs] = analyzeCensorship([
    ev(1000, 'block.start', { device: 'alice', nodes: ['relay-1'] }),
    ev(1000, 'block.end', { device: 'alice', nodes: ['relay-1'] }),
    ev(1001, 'device.relay', { device: 'alice', node: 'relay-2', source: 'bootstrap' })
  ])
  assert.deepEqual([sameMs.liftedMs, sameMs.reachedMs], [1000, null])
  const [others] = analyzeCensorship([
    ev(900, 'block.end', { device: 'alice', nodes: ['relay-1'] }),
    ev(1000, 'block.start', { device: 'alice', nodes: ['relay-1'] }),
    ev(1100, 'block.end', { device: 'bob', nodes: ['relay-1'] }),
    ev(2000, 'device.relay', { device: 'alice', node: 'relay-2', source: 'bootstrap' }),
    ev(2000, 'block.end', { device: 'alice', nodes: ['relay-1'] })
  ])
  assert.deepEqual([others.liftedMs, others.reachedMs, others.reachedVia], [2000, 1000, 'relay-2'])
})

test("bytes from the block's start to the moment it was got around, both ends included; peer-exchange answers up to that moment, the device's own only", () => {
  const [alice] = analyzeCensorship([
    ev(400, 'device.peerExchange', { device: 'alice', node: 'relay-1', answered: 5, learned: 2 }),
    ev(999, 'bytes.chunk', { owner: 'alice', connId: 'c', direction: 'up', bytes: 1 }),
    ev(1000, 'block.start', { device: 'alice', nodes: ['relay-1'] }),
    ev(1000, 'bytes.chunk', { owner: 'alice', connId: 'c', direction: 'up', bytes: 10 }),
    ev(1200, 'device.peerExchange', { device: 'bob', node: 'relay-1', answered: 5, learned: 40 }),
    // socket samples and connections name their owner too, but only chunks are bytes here
    ev(1200, 'bytes.sample', { owner: 'alice', connId: 'c', protocol: 'wire', up: 5, down: 5 }),
    ev(1250, 'bytes.chunk', { owner: 'bob', connId: 'd', direction: 'down', bytes: 1000 }),
    ev(1300, 'device.peerExchange', { device: 'alice', node: 'relay-3', answered: 4, learned: 3 }),
    ev(1500, 'bytes.chunk', { owner: 'alice', connId: 'c', direction: 'down', bytes: 100 }),
    ev(1500, 'device.relay', { device: 'alice', node: 'relay-2', source: 'peer-exchange' }),
    ev(1500, 'device.peerExchange', { device: 'alice', node: 'relay-2', answered: 4, learned: 1 }),
    ev(1501, 'bytes.chunk', { owner: 'alice', connId: 'c', direction: 'down', bytes: 10_000 }),
    ev(1501, 'device.peerExchange', { device: 'alice', node: 'relay-2', answered: 4, learned: 100 })
  ])
  assert.equal(alice.reachedMs, 500)
  assert.equal(alice.bytes, 110)
  // answers before the block count too: what it learned is what it could try
  assert.deepEqual(alice.peerExchange, { answers: 3, learned: 6 })
})

test('a block never got around counts its bytes up to its lift, or to the last event of the run; reachedMs is rounded to a tenth of a millisecond', () => {
  const [lifted, open] = analyzeCensorship([
    ev(1000, 'block.start', { device: 'alice', nodes: ['relay-1'] }),
    ev(1000.04, 'block.start', { device: 'bob', nodes: ['relay-1'] }),
    ev(1500, 'bytes.chunk', { owner: 'alice', connId: 'c', direction: 'up', bytes: 7 }),
    ev(2000, 'block.end', { device: 'alice', nodes: ['relay-1'] }),
    ev(2000.5, 'bytes.chunk', { owner: 'alice', connId: 'c', direction: 'up', bytes: 70 }),
    ev(2500, 'bytes.chunk', { owner: 'bob', connId: 'd', direction: 'up', bytes: 9 }),
    ev(3000, 'bytes.chunk', { owner: 'bob', connId: 'd', direction: 'up', bytes: 90 })
  ])
  assert.deepEqual([lifted.bytes, lifted.reachedMs, lifted.liftedMs], [7, null, 2000])
  assert.deepEqual([open.bytes, open.reachedMs], [99, null])
  const [rounded] = analyzeCensorship([
    ev(1000, 'block.start', { device: 'alice', nodes: ['relay-1'] }),
    ev(1234.56, 'device.relay', { device: 'alice', node: 'relay-2', source: 'bootstrap' })
  ])
  assert.equal(rounded.reachedMs, 234.6)
})

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { analyzeCensorship, censorshipMetrics } from '../../harness/analysis/censorship.js'
import { parseScenario } from '../../harness/scenario/index.js'
import { parseBlockRule } from '../../harness/fleet/index.js'
import { InvalidInputError, type CourierEvent } from '../../harness/interface/index.js'

const ev = (t: number, type: string, fields: Record<string, unknown>): CourierEvent => ({ t, type, ...fields }) as unknown as CourierEvent

test('a block is got around at the first relay connection to a node outside it; bytes counted up to then; redials of blocked nodes do not count', () => {
  const events = [
    ev(100, 'device.relay', { device: 'alice', node: 'relay-1', source: 'bootstrap' }),
    ev(200, 'device.peerExchange', { device: 'alice', node: 'relay-1', answered: 4, learned: 3 }),
    ev(1000, 'block.start', { device: 'alice', nodes: ['relay-1', 'relay-2'] }),
    ev(1500, 'bytes.chunk', { owner: 'alice', connId: 'c', direction: 'up', bytes: 300 }),
    ev(1600, 'bytes.chunk', { owner: 'bob', connId: 'd', direction: 'up', bytes: 999 }),
    ev(1800, 'device.relay', { device: 'alice', node: 'relay-2', source: 'bootstrap' }),
    ev(2500, 'device.relay', { device: 'alice', node: 'relay-4', source: 'peer-exchange' }),
    ev(2600, 'bytes.chunk', { owner: 'alice', connId: 'e', direction: 'down', bytes: 5000 }),
    ev(3000, 'block.start', { device: 'bob', nodes: ['relay-3'] }),
    ev(4000, 'block.end', { device: 'bob', nodes: ['relay-3'] }),
    ev(4500, 'device.relay', { device: 'bob', node: 'relay-2', source: 'bootstrap' })
  ]
  const [alice, bob] = analyzeCensorship(events)
  assert.deepEqual(alice, {
    device: 'alice',
    atMs: 1000,
    nodes: ['relay-1', 'relay-2'],
    reachedMs: 1500,
    reachedVia: 'relay-4',
    source: 'peer-exchange',
    bytes: 300,
    peerExchange: { answers: 1, learned: 3 }
  })
  // bob's connection came after his block was lifted: he never got around it while blocked
  assert.equal(bob.reachedMs, null)
  assert.equal(bob.liftedMs, 4000)
  // a device connected to a node outside the block before it started kept that way in
  const [carol] = analyzeCensorship([
    ev(100, 'device.relay', { device: 'carol', node: 'relay-2', source: 'bootstrap' }),
    ev(110, 'device.relay', { device: 'carol', node: 'relay-5', source: 'bootstrap' }),
    ev(1000, 'block.start', { device: 'carol', nodes: ['relay-5'] })
  ])
  assert.deepEqual([carol.reachedMs, carol.reachedVia, carol.source], [0, 'relay-2', 'bootstrap'])
  const metrics = censorshipMetrics([alice, bob], ['alice', 'bob', 'carol'])
  assert.equal(metrics['censorship.unreached'].value, 1)
  assert.equal(metrics['censorship.alice.reachedMs'].value, 1500)
  assert.equal(metrics['censorship.bob.reachedMs'].value, null)
  assert.equal(metrics['censorship.carol.reachedMs'], undefined)
})

test('block rules: an address, a port on any address, or both', () => {
  assert.deepEqual(parseBlockRule('127.0.0.1'), { host: '127.0.0.1' })
  assert.deepEqual(parseBlockRule(':60001'), { port: 60001 })
  assert.deepEqual(parseBlockRule('127.0.0.1:60001'), { host: '127.0.0.1', port: 60001 })
})

test('a block naming an unknown device or node is refused with its line', () => {
  const yaml =
    'name: x\nduration: 5s\nnetwork: { relays: 2 }\ndevices:\n  alice: { driver: simulated }\ntimeline:\n  - { at: 1s, block: { device: alice, nodes: [relay-9] } }\n  - { at: 2s, block: { device: bob, nodes: bootstrap } }\n'
  assert.throws(
    () => parseScenario(yaml, 'b.yaml'),
    (error: unknown) => {
      assert.ok(error instanceof InvalidInputError)
      assert.deepEqual(
        error.problems.map((p) => [p.path, p.location.line]),
        [
          ['timeline[0].block.nodes[0]', 7],
          ['timeline[1].block.device', 8]
        ]
      )
      return true
    }
  )
  const both =
    'name: x\nduration: 5s\ndevices:\n  alice: { driver: simulated }\ntimeline:\n  - { at: 1s, block: { device: alice, nodes: bootstrap, addresses: [":60001"] } }\n'
  assert.throws(
    () => parseScenario(both, 'b.yaml'),
    (error: unknown) => {
      assert.ok(error instanceof InvalidInputError)
      assert.deepEqual(
        error.problems.map((p) => [p.path, p.location.line, p.message]),
        [['timeline[0].block', 6, 'block takes nodes or addresses, not both']]
      )
      return true
    }
  )
  assert.throws(
    () => parseScenario(both.replace('nodes: bootstrap, addresses: [":60001"]', 'addresses: ["localhost"]'), 'b.yaml'),
    (error: unknown) => {
      assert.ok(error instanceof InvalidInputError)
      assert.deepEqual(
        error.problems.map((p) => [p.path, p.location.line]),
        [['timeline[0].block.addresses[0]', 6]]
      )
      return true
    }
  )
})

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { censorshipMetrics } from '../../harness/analysis/censorship.js'
import type { CensorshipResult } from '../../harness/interface/index.js'

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

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { analyzePeers, analyzeRun } from '../../harness/analysis/index.js'
import type { CourierEvent } from '../../harness/interface/index.js'

const events = [
  { t: 10, type: 'metadata.peer', node: 'relay-1', peer: 'alice', status: 'ok', clusterId: 16, shards: [] },
  { t: 11, type: 'metadata.peer', node: 'relay-1', peer: '16Uiu2Hx', status: 'mismatch', clusterId: 1, shards: [] },
  { t: 12, type: 'metadata.peer', node: 'relay-2', peer: '16Uiu2Hy', status: 'unsupported' },
  { t: 13, type: 'metadata.peer', node: 'relay-2', peer: '16Uiu2Hz', status: 'mismatch', clusterId: 99, shards: [1] },
  { t: 14, type: 'peerExchange.request', node: 'store-1', peer: 'js', asked: 60, answered: 4 },
  { t: 15, type: 'peerExchange.request', node: 'relay-1', peer: 'js', asked: 2, answered: 2 }
] as unknown as CourierEvent[]

test('metadata outcomes are counted by status and every mismatch is listed with its cluster', () => {
  const peers = analyzePeers(events)
  assert.deepEqual(peers.metadata, { ok: 1, mismatch: 2, unsupported: 1, failed: 0 })
  assert.deepEqual(peers.mismatches, [
    { t: 11, node: 'relay-1', peer: '16Uiu2Hx', clusterId: 1 },
    { t: 13, node: 'relay-2', peer: '16Uiu2Hz', clusterId: 99 }
  ])
  assert.deepEqual(peers.peerExchange, { requests: 2, peersGiven: 6 })
})

test('metadata.mismatches and peerExchange.requests are metrics a threshold can use', () => {
  const analysis = analyzeRun(events, { lagLimitMs: 50 })
  assert.deepEqual(analysis.metrics['metadata.mismatches'], { value: 2, unit: 'count' })
  assert.deepEqual(analysis.metrics['peerExchange.requests'], { value: 2, unit: 'count' })
})

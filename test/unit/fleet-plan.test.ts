import { test } from 'node:test'
import assert from 'node:assert/strict'
import { planCrowd, planRelayEdges } from '../../harness/fleet/index.js'

const crowd = { topic: 'lobby', users: 1000, rate: 5, size: { median: 300, p99: 4000 }, gateways: 2 }

test('the same seed gives the same crowd schedule, sizes and senders; another seed does not', () => {
  const a = planCrowd(crowd, 60_000, 42)
  const b = planCrowd(crowd, 60_000, 42)
  const c = planCrowd(crowd, 60_000, 43)
  assert.deepEqual(a, b)
  assert.notDeepEqual(a, c)
})

test('the crowd posts at the asked rate with the asked size distribution', () => {
  const posts = planCrowd(crowd, 600_000, 1)
  // Poisson with 5/s over 600 s: 3000 expected, sd ~55
  assert.ok(Math.abs(posts.length - 3000) < 250, `${posts.length} posts`)
  const sizes = posts.map((p) => p.bytes).sort((x, y) => x - y)
  const median = sizes[Math.floor(sizes.length / 2)]
  const p99 = sizes[Math.floor(sizes.length * 0.99)]
  assert.ok(median > 250 && median < 350, `median ${median}`)
  assert.ok(p99 > 3000 && p99 < 5300, `p99 ${p99}`)
  assert.ok(posts.every((p, i) => i === 0 || p.at >= posts[i - 1].at))
  assert.ok(new Set(posts.map((p) => p.user)).size > 900)
})

test('a fixed size gives every post that size', () => {
  assert.ok(planCrowd({ ...crowd, size: 777 }, 10_000, 1).every((p) => p.bytes === 777))
})

test('the relay graph is connected, deterministic and reaches the degree', () => {
  const edges = planRelayEdges(8, 4, 42)
  assert.deepEqual(edges, planRelayEdges(8, 4, 42))
  const reached = new Set([0])
  for (let changed = true; changed;) {
    changed = false
    for (const [a, b] of edges) {
      if (reached.has(a) !== reached.has(b)) { reached.add(a); reached.add(b); changed = true }
    }
  }
  assert.equal(reached.size, 8)
  const degree = (n: number): number => edges.filter(([a, b]) => a === n || b === n).length
  assert.ok([...Array(8).keys()].every((n) => degree(n) >= 3))
})

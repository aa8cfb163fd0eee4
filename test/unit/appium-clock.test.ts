import { test } from 'node:test'
import assert from 'node:assert/strict'
import { estimateClockOffset, toRunClock } from '../../devices/appium/index.js'

/** A fake link: the phone's clock is `skew` ahead; each round trip takes `delays[i]` split unevenly. */
function phone(skew: number, trips: Array<[number, number]>): { read: () => Promise<number>; hostNow: () => number } {
  let host = 1_000_000
  let i = 0
  return {
    hostNow: () => host,
    read: async () => {
      const [up, down] = trips[i++ % trips.length]
      host += up
      const reading = host + skew
      host += down
      return reading
    }
  }
}

test('the offset comes from the round trip with the smallest RTT', async () => {
  // asymmetric slow trips would mislead; the fast symmetric one is exact
  const link = phone(2500, [
    [80, 5],
    [3, 3],
    [5, 90]
  ])
  const estimate = await estimateClockOffset(link.read, { samples: 3, hostNow: link.hostNow })
  assert.equal(estimate.offsetMs, 2500)
  assert.equal(estimate.rttMs, 6)
  assert.equal(estimate.samples, 3)
})

test('the error is at most half the best RTT', async () => {
  const link = phone(-700, [
    [40, 1],
    [9, 1],
    [30, 30]
  ])
  const estimate = await estimateClockOffset(link.read, { samples: 3, hostNow: link.hostNow })
  assert.ok(Math.abs(estimate.offsetMs - -700) <= estimate.rttMs / 2, JSON.stringify(estimate))
  assert.equal(estimate.rttMs, 10)
  // the first (slowest-up) sample alone would be off by 19.5 ms: picking by RTT is what helps
  const slow = phone(-700, [[40, 1]])
  const first = await estimateClockOffset(slow.read, { samples: 1, hostNow: slow.hostNow })
  assert.ok(Math.abs(first.offsetMs + 700) > Math.abs(estimate.offsetMs + 700))
})

test('phone timestamps go onto the run clock', () => {
  // phone 2.5 s ahead, run started at host wall 1 000 000: phone time 1 004 500 is run time 2 s
  assert.equal(toRunClock(1_004_500, 2500, 1_000_000), 2000)
})

test('unreadable device clocks are an error, not an offset of NaN', async () => {
  await assert.rejects(
    estimateClockOffset(async () => NaN, { samples: 2 }),
    /no usable reading/
  )
})

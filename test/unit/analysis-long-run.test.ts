import assert from 'node:assert/strict'
import { test } from 'node:test'
import { analyzeRun } from '../../harness/analysis/index.js'
import type { CourierEvent } from '../../harness/interface/index.js'

// Figures over a run's whole length must not be spread into a call: past some 120,000 values
// Math.max(...values) throws `Maximum call stack size exceeded` and the run gets no results.

test('harness health over two and a half days of per-second samples: maxima from a loop, not a spread', () => {
  const n = 220_000
  const events: CourierEvent[] = [
    { t: 0, type: 'run.start', runId: 'long', scenarioFile: 'long.yaml', seed: 1 } as CourierEvent,
    { t: 0, type: 'scenario.start' } as CourierEvent
  ]
  for (let i = 1; i <= n; i++) {
    // the worst second is near the end, where a truncated or sampled maximum would miss it
    const worst = i === n - 7
    events.push({
      t: i * 1000,
      type: 'harness.lag',
      process: 'runner',
      p50: 1,
      p99: worst ? 40 : 5,
      max: worst ? 987.6 : 10 + (i % 7),
      cpu: worst ? 93.25 : 20,
      rssMb: worst ? 1234 : 300
    } as CourierEvent)
  }
  events.push({ t: (n + 1) * 1000, type: 'scenario.end' } as CourierEvent)
  const { harness } = analyzeRun(events, { lagLimitMs: 50 })
  assert.equal(harness.samples, n)
  assert.equal(harness.lagMaxMs, 987.6)
  assert.equal(harness.cpuMaxPercent, 93.25)
  assert.equal(harness.rssMaxMb, 1234)
  assert.equal(harness.saturated, false)
})

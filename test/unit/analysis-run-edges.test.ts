import { test } from 'node:test'
import assert from 'node:assert/strict'
import { analyzeRun } from '../../harness/analysis/index.js'

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

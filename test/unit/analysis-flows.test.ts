import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { CourierEvent } from '../../harness/interface/index.js'
import { analyzeFlows, flowMetrics, metricCatalogue } from '../../harness/analysis/index.js'
import { describeError } from '../../devices/appium/index.js'
import { flowName } from '../../harness/scenario/index.js'

// sign-in runs twice (passes, then fails a test); onboarding never ran (its device had failed);
// checkout started and the log ends before it did.
const events: CourierEvent[] = [
  { t: 1000, type: 'flow.start', device: 'phone', flow: 'sign-in', spec: 'flows/sign-in.spec.js', timeoutMs: 30000 },
  { t: 1400, type: 'flow.test', device: 'phone', flow: 'sign-in', title: 'signs in', passed: true, durationMs: 390 },
  {
    t: 1410,
    type: 'flow.end',
    device: 'phone',
    flow: 'sign-in',
    spec: 'flows/sign-in.spec.js',
    passed: true,
    tests: 1,
    passes: 1,
    failures: 0,
    durationMs: 410
  },
  {
    t: 2000,
    type: 'flow.end',
    device: 'tablet',
    flow: 'onboarding',
    spec: 'flows/onboarding.spec.js',
    passed: false,
    tests: 0,
    passes: 0,
    failures: 0,
    durationMs: null,
    error: 'device tablet was not running (it failed earlier)'
  },
  { t: 5000, type: 'flow.start', device: 'phone', flow: 'sign-in', spec: 'flows/sign-in.spec.js', timeoutMs: 30000 },
  {
    t: 5900,
    type: 'flow.test',
    device: 'phone',
    flow: 'sign-in',
    title: 'signs in',
    passed: false,
    durationMs: 880,
    error: 'wrong password (sign-in.spec.js:9:5)'
  },
  {
    t: 5920,
    type: 'flow.end',
    device: 'phone',
    flow: 'sign-in',
    spec: 'flows/sign-in.spec.js',
    passed: false,
    tests: 1,
    passes: 0,
    failures: 1,
    durationMs: 920
  },
  { t: 6000, type: 'flow.start', device: 'phone', flow: 'checkout', spec: 'flows/checkout.spec.js', timeoutMs: 30000 }
]

test('flow runs from events: in start order, a never-started flow without a duration, a cut-off flow marked unfinished', () => {
  const flows = analyzeFlows(events)
  assert.deepEqual(
    flows.map((f) => [f.name, f.device, f.passed, f.durationMs]),
    [
      ['sign-in', 'phone', true, 410],
      ['onboarding', 'tablet', false, null],
      ['sign-in', 'phone', false, 920],
      ['checkout', 'phone', false, null]
    ]
  )
  assert.deepEqual(flows[2].failedTests, [{ title: 'signs in', error: 'wrong password (sign-in.spec.js:9:5)' }])
  assert.equal(flows[1].error, 'device tablet was not running (it failed earlier)')
  assert.equal(flows[3].error, 'the flow did not finish before the run ended')
})

test('flow metrics: counts, the longest run per name, passed only when every run passed, null for a flow that never ran', () => {
  const metrics = flowMetrics(analyzeFlows(events), ['sign-in', 'onboarding', 'checkout', 'later'])
  assert.deepEqual(metrics['flows.run'], { value: 4, unit: 'count' })
  assert.deepEqual(metrics['flows.failed'], { value: 3, unit: 'count' })
  assert.deepEqual(metrics['flow.sign-in.duration'], { value: 920, unit: 'ms' })
  assert.deepEqual(metrics['flow.sign-in.passed'], { value: false, unit: 'boolean' })
  assert.deepEqual(metrics['flow.onboarding.duration'], { value: null, unit: 'ms' })
  assert.deepEqual(metrics['flow.later.passed'], { value: null, unit: 'boolean' })
  const catalogue = metricCatalogue({ devices: [], flows: ['sign-in'] })
  assert.equal(catalogue.get('flow.sign-in.duration'), 'ms')
  assert.equal(catalogue.get('flows.failed'), 'count')
  assert.equal(catalogue.get('flow.sign-out.duration'), undefined)
})

test('a flow is named after its spec file unless named', () => {
  assert.equal(flowName({ spec: 'flows/sign-in.spec.js' }), 'sign-in')
  assert.equal(flowName({ spec: 'qa\\onboarding.mjs' }), 'onboarding')
  assert.equal(flowName({ spec: 'flows/checkout.test.cjs' }), 'checkout')
  assert.equal(flowName({ spec: 'flows/sign-in.spec.js', name: 'login' }), 'login')
})

test('a flow error is its first line and the place in the spec, not a stack', () => {
  const error = new Error('element ("~Send") still not displayed after 1000ms\n\nmore detail')
  error.stack = `Error: element ("~Send") still not displayed after 1000ms\n    at async Context.<anonymous> (file:///tmp/q/open-chat.spec.js?flow=3:14:7)\n    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)`
  assert.equal(describeError(error, '/tmp/q/open-chat.spec.js'), 'element ("~Send") still not displayed after 1000ms (open-chat.spec.js:14:7)')
  assert.equal(describeError('plain', '/tmp/q/x.spec.js'), 'plain')
})

test('failed tests: at most 20 kept per run, in order, "failed" when the test gave no error; passed tests and tests of another device or flow are not kept', () => {
  const start = (device: string, flow: string, t: number): CourierEvent => ({
    t,
    type: 'flow.start',
    device,
    flow,
    spec: `flows/${flow}.spec.js`,
    timeoutMs: 30000
  })
  const failing = (device: string, flow: string, t: number, title: string, error?: string): CourierEvent => ({
    t,
    type: 'flow.test',
    device,
    flow,
    title,
    passed: false,
    durationMs: 1,
    ...(error == null ? {} : { error })
  })
  const end = (device: string, flow: string, t: number, error?: string): CourierEvent => ({
    t,
    type: 'flow.end',
    device,
    flow,
    spec: `flows/${flow}.spec.js`,
    passed: false,
    tests: 25,
    passes: 0,
    failures: 25,
    durationMs: 900,
    ...(error == null ? {} : { error })
  })
  const events: CourierEvent[] = [
    // a test of a flow that is not open (before its start) belongs to no run
    failing('phone', 'chat', 50, 'stray'),
    start('phone', 'chat', 100),
    start('tablet', 'chat', 100),
    start('phone', 'other', 100),
    { t: 110, type: 'flow.test', device: 'phone', flow: 'chat', title: 'passes', passed: true, durationMs: 1 },
    failing('tablet', 'chat', 120, "tablet's"),
    failing('phone', 'other', 130, "other flow's"),
    failing('phone', 'chat', 140, 'no error given'),
    ...Array.from({ length: 24 }, (_, i) => failing('phone', 'chat', 200 + i, `test ${i + 2}`, `error ${i + 2}`)),
    end('phone', 'chat', 1000, 'the spec threw'),
    // after its end the run is closed: a late test is nobody's
    failing('phone', 'chat', 1100, 'late')
  ]
  const [chat, tablet, other] = analyzeFlows(events)
  assert.equal(chat.failedTests.length, 20)
  assert.deepEqual(chat.failedTests[0], { title: 'no error given', error: 'failed' })
  assert.deepEqual(
    chat.failedTests.slice(1).map((f) => f.title),
    Array.from({ length: 19 }, (_, i) => `test ${i + 2}`)
  )
  assert.equal(chat.failedTests[19].error, 'error 20')
  assert.equal(chat.error, 'the spec threw')
  assert.deepEqual([chat.tests, chat.passes, chat.failures, chat.durationMs], [25, 0, 25, 900])
  assert.deepEqual(tablet.failedTests, [{ title: "tablet's", error: 'failed' }])
  assert.deepEqual(other.failedTests, [{ title: "other flow's", error: 'failed' }])
  // the two still open when the log ends were cut off
  assert.equal(tablet.error, 'the flow did not finish before the run ended')
  assert.equal(other.error, 'the flow did not finish before the run ended')
})

test('a flow that ended is closed: a later test is not its own and it is not marked cut off; no error key without an error; metrics name every flow that ran, passed when all its runs passed', () => {
  const flows = analyzeFlows([
    { t: 100, type: 'flow.start', device: 'phone', flow: 'chat', spec: 'flows/chat.spec.js', timeoutMs: 30000 },
    { t: 900, type: 'flow.end', device: 'phone', flow: 'chat', spec: 'flows/chat.spec.js', passed: true, tests: 1, passes: 1, failures: 0, durationMs: 800 },
    { t: 950, type: 'flow.test', device: 'phone', flow: 'chat', title: 'late', passed: false, durationMs: 1, error: 'late' },
    { t: 1000, type: 'flow.start', device: 'phone', flow: 'chat', spec: 'flows/chat.spec.js', timeoutMs: 30000 },
    { t: 1500, type: 'flow.end', device: 'phone', flow: 'chat', spec: 'flows/chat.spec.js', passed: true, tests: 1, passes: 1, failures: 0, durationMs: 500 }
  ])
  assert.equal(flows.length, 2)
  for (const run of flows) {
    assert.deepEqual(run.failedTests, [])
    assert.ok(!('error' in run), `an error key on a run that had none: ${JSON.stringify(run)}`)
  }
  // without names from the scenario, the flows that ran are still named, each passed when every run passed
  const metrics = flowMetrics(flows)
  assert.deepEqual(metrics['flow.chat.passed'], { value: true, unit: 'boolean' })
  assert.deepEqual(metrics['flow.chat.duration'], { value: 800, unit: 'ms' })
  assert.deepEqual(Object.keys(metrics).sort(), ['flow.chat.duration', 'flow.chat.passed', 'flows.failed', 'flows.run'])
})

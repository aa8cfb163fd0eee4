import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ExitCode, InvalidInputError, type InputProblem, type ThresholdResult } from '../../harness/interface/index.js'
import { parseScenario } from '../../harness/scenario/index.js'
import { decideVerdict, evaluateThresholds, exitCodeForVerdict, thresholdsFromConfig, validateExpectations } from '../../harness/gate/index.js'
import { formatThresholdValue } from '../../harness/interface/index.js'

const passed: ThresholdResult = {
  metric: 'delivery.loss',
  expression: '== 0',
  value: 0,
  unit: 'ratio',
  passed: true,
  message: 'delivery.loss = 0%, wanted == 0'
}
const failed: ThresholdResult = {
  metric: 'delivery.latency.p95',
  expression: '< 2s',
  value: 2400,
  unit: 'ms',
  passed: false,
  message: 'delivery.latency.p95 = 2.4 s, wanted < 2 s'
}

type VerdictInput = Parameters<typeof decideVerdict>[0]
const base: VerdictInput = { status: 'complete', thresholds: [passed], harnessSaturated: false }

test('a complete run whose thresholds all pass (or that has none) passes', () => {
  assert.deepEqual(decideVerdict(base), { verdict: 'pass', reasons: [] })
  assert.deepEqual(decideVerdict({ ...base, thresholds: [] }), { verdict: 'pass', reasons: [] })
  assert.deepEqual(decideVerdict({ ...base, devicesNotStarted: [] }), { verdict: 'pass', reasons: [] })
})

test("one failed threshold fails the run, and the reasons are the failed thresholds' messages", () => {
  const other = { ...failed, metric: 'delivery.loss', message: 'delivery.loss = 2%, wanted == 0' }
  assert.deepEqual(decideVerdict({ ...base, thresholds: [passed, failed, other] }), { verdict: 'fail', reasons: [failed.message, other.message] })
})

// The order, strongest first, and why: an interrupted run has partial figures, so nothing it
// measured decides anything; a run that failed as a whole failed; a saturated harness or a device
// that never started makes the figures untrustworthy (inconclusive), so a failed threshold cannot
// be blamed on the code under test; only then do thresholds decide.
test('verdict precedence: interrupted > run failed > saturated harness > device not started > failed threshold > pass', () => {
  const all: VerdictInput = {
    status: 'interrupted',
    thresholds: [failed],
    harnessSaturated: true,
    harnessReason: 'lag p99 120 ms over 50 ms',
    devicesNotStarted: ['bob']
  }
  assert.equal(decideVerdict(all).verdict, 'interrupted')
  assert.deepEqual(decideVerdict(all).reasons, ['the run was interrupted before it finished'])
  assert.deepEqual(decideVerdict({ ...all, status: 'failed' }), { verdict: 'fail', reasons: ['the run failed'] })
  assert.deepEqual(decideVerdict({ ...all, status: 'complete' }), { verdict: 'inconclusive', reasons: ['lag p99 120 ms over 50 ms'] })
  assert.deepEqual(decideVerdict({ ...all, status: 'complete', harnessReason: undefined }).reasons, ['the harness was saturated'])
  const notStarted = decideVerdict({ ...all, status: 'complete', harnessSaturated: false })
  assert.equal(notStarted.verdict, 'inconclusive')
  assert.deepEqual(notStarted.reasons, ['device(s) could not start: bob; the run went on without them'])
  assert.deepEqual(decideVerdict({ ...base, devicesNotStarted: ['bob', 'carol'] }).reasons, [
    'device(s) could not start: bob, carol; the run went on without them'
  ])
  assert.deepEqual(decideVerdict({ ...all, status: 'complete', harnessSaturated: false, devicesNotStarted: [] }), {
    verdict: 'fail',
    reasons: [failed.message]
  })
  assert.deepEqual(decideVerdict({ ...all, status: 'complete', harnessSaturated: false, devicesNotStarted: [], thresholds: [passed] }), {
    verdict: 'pass',
    reasons: []
  })
  // each level wins on its own too, with every threshold passing
  assert.equal(decideVerdict({ ...base, status: 'interrupted' }).verdict, 'interrupted')
  assert.equal(decideVerdict({ ...base, status: 'failed' }).verdict, 'fail')
  assert.equal(decideVerdict({ ...base, harnessSaturated: true }).verdict, 'inconclusive')
  assert.equal(decideVerdict({ ...base, devicesNotStarted: ['alice'] }).verdict, 'inconclusive')
})

test('exit codes per verdict are the documented ones: 0 pass, 1 fail, 3 inconclusive, 130 interrupted', () => {
  assert.deepEqual((['pass', 'fail', 'inconclusive', 'interrupted'] as const).map(exitCodeForVerdict), [0, 1, 3, 130])
  assert.deepEqual([ExitCode.pass, ExitCode.thresholdFailed, ExitCode.infrastructure, ExitCode.interrupted], [0, 1, 3, 130])
})

test('a failed threshold reaches the verdict through evaluation: the whole path from expect: to exit code', () => {
  const thresholds = thresholdsFromConfig(
    { 'delivery.latency.p95': '< 2s', 'delivery.loss': '== 0', 'energy.phone.radioActiveSeconds': '< 30s' },
    ['phone'],
    [],
    []
  )
  const run = (p95: number, activeSeconds: number): number => {
    const results = evaluateThresholds(thresholds, {
      'delivery.latency.p95': { value: p95, unit: 'ms' },
      'delivery.loss': { value: 0, unit: 'ratio' },
      'energy.phone.radioActiveSeconds': { value: activeSeconds, unit: 'seconds' }
    })
    return exitCodeForVerdict(decideVerdict({ ...base, thresholds: results }).verdict)
  }
  assert.equal(run(1999, 29), 0)
  assert.equal(run(2000, 29), 1)
  assert.equal(run(1999, 31), 1)
})

test('thresholdsFromConfig (courier report) keeps the thresholds it can read against the metric catalogue', () => {
  const thresholds = thresholdsFromConfig(
    { 'delivery.bob.latency.max': '< 15s', 'bytes.relay-1.up': '< 1MiB', 'flow.login.passed': true, 'energy.bob.mAh': '< 15' },
    ['bob'],
    ['relay-1'],
    ['login']
  )
  assert.deepEqual(
    thresholds.map((t) => [t.metric, t.comparator, t.target, t.unit]),
    [
      ['delivery.bob.latency.max', '<', 15_000, 'ms'],
      ['bytes.relay-1.up', '<', 1_048_576, 'bytes'],
      ['flow.login.passed', '==', true, 'boolean'],
      ['energy.bob.mAh', '<', 15, 'mAh']
    ]
  )
  // metrics of a device, node or flow the run did not have are not in the catalogue
  assert.deepEqual(thresholdsFromConfig({ 'delivery.carol.loss': '== 0' }, ['bob'], [], []), [])
  assert.deepEqual(thresholdsFromConfig({ 'bytes.relay-1.up': '< 1MiB', 'flow.login.passed': true }, ['bob'], [], []), [])
  // nor is a threshold that does not parse (validation refused it before the run)
  assert.deepEqual(
    thresholdsFromConfig({ 'delivery.loss': 'soon', 'delivery.lost': '== 0' }, ['bob'], [], []).map((t) => t.metric),
    ['delivery.lost']
  )
})

const SCENARIO = (expect: string): string => `name: t
duration: 10s
network: { relays: 3, stores: 2 }
devices:
  alice: { driver: simulated }
expect:
${expect}`

function problemsOf(text: string): InputProblem[] {
  try {
    validateExpectations(parseScenario(text, 'scenario.yaml'))
  } catch (error) {
    assert.ok(error instanceof InvalidInputError, `expected InvalidInputError, got ${String(error)}`)
    return error.problems
  }
  assert.fail('the thresholds were accepted')
}

test("validateExpectations: every threshold of a scenario parsed in its metric's unit", () => {
  const thresholds = validateExpectations(
    parseScenario(
      SCENARIO(
        [
          '  delivery.latency.p95: "< 2s"',
          '  delivery.loss: 0',
          '  bytes.alice.down.perMessage: "< 2KiB"',
          '  energy.alice.radioActiveSeconds: "<= 1m"',
          '  store.inSync: true',
          '  bytes.relay-3.up: "< 1MiB"'
        ].join('\n') + '\n'
      ),
      'scenario.yaml'
    )
  )
  assert.deepEqual(
    thresholds.map((t) => [t.metric, t.comparator, t.target]),
    [
      ['delivery.latency.p95', '<', 2000],
      ['delivery.loss', '==', 0],
      ['bytes.alice.down.perMessage', '<', 2048],
      ['energy.alice.radioActiveSeconds', '<=', 60],
      ['store.inSync', '==', true],
      ['bytes.relay-3.up', '<', 1_048_576]
    ]
  )
})

test('validateExpectations: each bad threshold is one problem at its own line, with what was expected and found', () => {
  const problems = problemsOf(
    SCENARIO(['  delivery.latency.p95: "2s"', '  delivery.loss: "< 2kB"', '  store.inSync: "yes"', '  delivery.latncy.p99: "< 1s"'].join('\n') + '\n')
  )
  assert.deepEqual(
    problems.map((p) => [p.path, p.location.line, p.message]),
    [
      ['expect.delivery.latency.p95', 7, 'invalid threshold'],
      ['expect.delivery.loss', 8, 'invalid threshold'],
      ['expect.store.inSync', 9, 'invalid threshold'],
      ['expect.delivery.latncy.p99', 10, 'unknown metric "delivery.latncy.p99"']
    ]
  )
  assert.equal(problems[0].found, '"2s"')
  assert.match(problems[0].expected ?? '', /a comparison such as "< 2s"/)
  assert.equal(problems[1].expected, 'a percentage such as "< 1%"')
  assert.equal(problems[2].expected, 'true or false')
  assert.match(problems[3].hint ?? '', /did you mean "delivery.latency.p99"/)
  assert.equal(problems[3].expected, 'a metric courier measures (see README: Metrics)')
  // nothing close: the hint lists the families of metrics instead
  const [far] = problemsOf(SCENARIO('  zzzzzz: "< 1"\n'))
  assert.equal(
    far.hint,
    'metrics start with: delivery, messages, store, devices, timeline, harness, bytes, energy, history, partition, filter, metadata, peerExchange, sync, sent, crowd, push, capture, flows, leaks, destinations, censorship'
  )
  assert.equal(problems[0].location.column, 25, 'points at the value, not the key')
  assert.equal(problems[3].location.column, 3, 'an unknown metric points at the key')
})

test('formatThresholdValue: each unit shown the way thresholds are written', () => {
  assert.deepEqual(
    [
      formatThresholdValue(812, 'ms'),
      formatThresholdValue(2400, 'ms'),
      formatThresholdValue(30, 'seconds'),
      formatThresholdValue(0.5, 'seconds'),
      formatThresholdValue(0.0125, 'ratio'),
      formatThresholdValue(999, 'bytes'),
      formatThresholdValue(2048, 'bytes'),
      formatThresholdValue(1_500_000, 'bytes/h'),
      formatThresholdValue(3, 'count'),
      formatThresholdValue(1.23456, 'joules'),
      formatThresholdValue(15, 'mAh'),
      formatThresholdValue(0.5, 'mAh/h'),
      formatThresholdValue(true, 'boolean')
    ],
    ['812 ms', '2.4 s', '30 s', '500 ms', '1.25%', '999 B', '2.05 kB', '1.5 MB/h', '3', '1.235 joules', '15 mAh', '0.5 mAh/h', 'true']
  )
})

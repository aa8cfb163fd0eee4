import { test } from 'node:test'
import assert from 'node:assert/strict'
import { InvalidInputError } from '../../harness/interface/index.js'
import { validateRegressions } from '../../harness/gate/index.js'
import { parseScenario } from '../../harness/scenario/index.js'

const scenario = (regress: string): string => `name: r
duration: 2s
network: { relays: 1, stores: 1 }
devices:
  alice: { driver: simulated }
regress:
${regress}
`

test('regress: names and globs that match the metric catalogue give tolerances', () => {
  const tolerances = validateRegressions(parseScenario(scenario('  delivery.latency.p95: 10%\n  bytes.*.perMessage: 5%'), 'r.yaml'))
  assert.deepEqual(tolerances, [
    { pattern: 'delivery.latency.p95', ratio: 0.1 },
    { pattern: 'bytes.*.perMessage', ratio: 0.05 }
  ])
})

test('a regress: typo or a glob matching nothing fails with file:line, the field and a hint', () => {
  try {
    validateRegressions(parseScenario(scenario('  delivery.latncy.p95: 10%\n  energy.*.bogus: 5%\n  delivery.loss: fast'), 'r.yaml'))
    assert.fail('should have thrown')
  } catch (error) {
    assert.ok(error instanceof InvalidInputError)
    assert.equal(error.problems.length, 3)
    assert.match(error.message, /r\.yaml:7:3: regress\.delivery\.latncy\.p95: unknown metric/)
    assert.match(error.message, /hint: +did you mean "?delivery\.latency\.p95/)
    assert.match(error.message, /regress\.energy\.\*\.bogus: "energy\.\*\.bogus" matches no metric/)
    assert.match(error.message, /r\.yaml:9:\d+: regress\.delivery\.loss: invalid tolerance/)
  }
})

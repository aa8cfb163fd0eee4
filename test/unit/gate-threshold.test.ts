import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { MetricUnit } from '../../harness/interface/index.js'
import { compare, evaluateThresholds, parseThreshold, type Comparator, type Threshold } from '../../harness/gate/index.js'

// Every expected figure below is worked by hand from the unit definitions in the README
// (kB = 1000, KiB = 1024, 1% = 0.01, a `seconds` metric compared in seconds), not taken from the
// code under test.

function parsed(unit: MetricUnit, raw: string | number | boolean): Threshold {
  const result = parseThreshold('m', unit, raw)
  assert.ok(result.ok, `${JSON.stringify(raw)} on a ${unit} metric was refused: ${result.ok ? '' : result.expected}`)
  return result.threshold
}

/** Whether a metric measured at `value` passes the threshold `raw`: the whole path the gate takes. */
function passes(unit: MetricUnit, raw: string | number | boolean, value: number | boolean | null): boolean {
  const [result] = evaluateThresholds([parsed(unit, raw)], { m: { value, unit } })
  return result.passed
}

function refused(unit: MetricUnit, raw: string | number | boolean): { expected: string; found: string } {
  const result = parseThreshold('m', unit, raw)
  assert.ok(!result.ok, `${JSON.stringify(raw)} on a ${unit} metric was accepted`)
  return result
}

// Each comparator's truth at just below, at, and just above its target.
const TRUTH: Record<Comparator, [below: boolean, at: boolean, above: boolean]> = {
  '<': [true, false, false],
  '<=': [true, true, false],
  '>': [false, false, true],
  '>=': [false, true, true],
  '==': [false, true, false],
  '!=': [true, false, true]
}
const COMPARATORS = Object.keys(TRUTH) as Comparator[]

test('compare: every comparator just below, at and just above its target', () => {
  for (const op of COMPARATORS) {
    const [below, at, above] = TRUTH[op]
    assert.equal(compare(99.999, op, 100), below, `99.999 ${op} 100`)
    assert.equal(compare(100, op, 100), at, `100 ${op} 100`)
    assert.equal(compare(100.001, op, 100), above, `100.001 ${op} 100`)
  }
})

test('every comparator through parse and evaluation, at the boundary of a count', () => {
  for (const op of COMPARATORS) {
    const [below, at, above] = TRUTH[op]
    assert.deepEqual([passes('count', `${op} 5`, 4), passes('count', `${op} 5`, 5), passes('count', `${op} 5`, 6)], [below, at, above], op)
    assert.equal(parsed('count', `${op} 5`).comparator, op)
  }
})

test('operators are read whole: "<=" is not "<" followed by "= 5", with or without spaces', () => {
  assert.equal(parsed('count', '<=5').comparator, '<=')
  assert.equal(parsed('count', '  >=   5  ').comparator, '>=')
  assert.equal(parsed('count', '!= 0').target, 0)
  // a bare number in YAML means equality
  const bare = parsed('count', 3)
  assert.deepEqual([bare.comparator, bare.target], ['==', 3])
})

test('ms: durations in any unit become milliseconds; a bare number is milliseconds', () => {
  assert.equal(parsed('ms', '< 2s').target, 2000)
  assert.equal(parsed('ms', '< 500ms').target, 500)
  assert.equal(parsed('ms', '< 1.5s').target, 1500)
  assert.equal(parsed('ms', '< 2m').target, 120_000)
  assert.equal(parsed('ms', '< 1m30s').target, 90_000)
  assert.equal(parsed('ms', '< 1h').target, 3_600_000)
  assert.equal(parsed('ms', '< 250').target, 250)
  // at the boundary: 1999 ms passes "< 2s", 2000 ms does not, 2001 ms passes "> 2s"
  assert.deepEqual(
    [passes('ms', '< 2s', 1999), passes('ms', '< 2s', 2000), passes('ms', '<= 2s', 2000), passes('ms', '> 2s', 2001), passes('ms', '> 2s', 2000)],
    [true, false, true, true, false]
  )
})

test('seconds: "30s" on a seconds-valued metric is 30, not 30000; "500ms" is 0.5', () => {
  assert.equal(parsed('seconds', '< 30s').target, 30)
  assert.equal(parsed('seconds', '< 500ms').target, 0.5)
  assert.equal(parsed('seconds', '< 2m').target, 120)
  assert.equal(parsed('seconds', '< 30').target, 30, 'a bare number is already seconds')
  // a radio active for 31 s fails "< 30s"; 29.9 s passes; 30 s fails "<" and passes "<="
  assert.deepEqual(
    [passes('seconds', '< 30s', 29.9), passes('seconds', '< 30s', 30), passes('seconds', '<= 30s', 30), passes('seconds', '< 30s', 31)],
    [true, false, true, false]
  )
  assert.equal(passes('seconds', '> 500ms', 0.6), true)
  assert.equal(passes('seconds', '> 500ms', 0.4), false)
})

test('ratio: "1%" is 0.01, a bare fraction is itself, beyond 100% is refused', () => {
  assert.equal(parsed('ratio', '< 1%').target, 0.01)
  assert.equal(parsed('ratio', '< 0.5%').target, 0.005)
  assert.equal(parsed('ratio', '< 0.02').target, 0.02)
  assert.equal(parsed('ratio', '<= 100%').target, 1)
  assert.equal(parsed('ratio', 0).target, 0)
  assert.deepEqual(
    [passes('ratio', '< 1%', 0.0099), passes('ratio', '< 1%', 0.01), passes('ratio', '<= 1%', 0.01), passes('ratio', '< 1%', 0.0101)],
    [true, false, true, false]
  )
  assert.deepEqual([passes('ratio', '== 0', 0), passes('ratio', '== 0', 0.000001)], [true, false])
  assert.match(refused('ratio', '< 150%').expected, /percentage/)
  assert.match(refused('ratio', '< 2').expected, /percentage/)
  assert.match(refused('ratio', '< 2s').expected, /percentage/)
})

test('count: plain numbers only', () => {
  assert.equal(parsed('count', '< 5').target, 5)
  assert.equal(parsed('count', '<= 2.5').target, 2.5)
  assert.match(refused('count', '< 5kB').expected, /number/)
  assert.match(refused('count', '< five').expected, /number/)
  assert.equal(parsed('count', '<= 2.55').target, 2.55)
  // a number is the whole text, not digits somewhere in it
  for (const text of ['< v5', '< 5v', '< 5.', '< .5.5', '< 1.2.3']) assert.match(refused('count', text).expected, /number/, text)
})

test('bytes: B, kB, MB, GB are powers of 1000; KiB, MiB, GiB powers of 1024; case does not matter', () => {
  const cases: Array<[string, number]> = [
    ['300B', 300],
    ['2kB', 2000],
    ['2KiB', 2048],
    ['1.5MB', 1_500_000],
    ['1MiB', 1_048_576],
    ['2MiB', 2_097_152],
    ['1GB', 1_000_000_000],
    ['1GiB', 1_073_741_824],
    ['4kb', 4000],
    ['4 KiB', 4096],
    ['1000', 1000]
  ]
  for (const [text, bytes] of cases) assert.equal(parsed('bytes', `< ${text}`).target, bytes, text)
  // one byte either side of 1 MiB
  assert.deepEqual([passes('bytes', '< 1MiB', 1_048_575), passes('bytes', '< 1MiB', 1_048_576), passes('bytes', '<= 1MiB', 1_048_576)], [true, false, true])
  // 1 000 001 bytes is more than 1 MB but less than 1 MiB
  assert.deepEqual([passes('bytes', '< 1MB', 1_000_001), passes('bytes', '< 1MiB', 1_000_001)], [false, true])
  assert.deepEqual([passes('bytes', '> 1GiB', 1_073_741_825), passes('bytes', '> 1GiB', 1_000_000_001)], [true, false])
  assert.deepEqual([passes('bytes', '< 2kB', 1999), passes('bytes', '< 2kB', 2000), passes('bytes', '< 2KiB', 2000)], [true, false, true])
  assert.match(refused('bytes', '< 2s').expected, /size/)
  assert.match(refused('bytes', '< 2kg').expected, /size/)
})

test('bytes/h: a size with or without "/h", the same binary and decimal prefixes', () => {
  assert.equal(parsed('bytes/h', '< 10MB/h').target, 10_000_000)
  assert.equal(parsed('bytes/h', '< 10MB').target, 10_000_000)
  assert.equal(parsed('bytes/h', '< 1MiB/h').target, 1_048_576)
  assert.deepEqual([passes('bytes/h', '< 10MB/h', 9_999_999), passes('bytes/h', '< 10MB/h', 10_000_000)], [true, false])
  assert.match(refused('bytes/h', '< 10/h').expected, /size per hour/)
  assert.match(refused('bytes/h', '< 10/hMB').expected, /size per hour/, '"/h" only at the end')
})

test('joules, mAh and mAh/h: a number, optionally followed by its own unit', () => {
  assert.equal(parsed('joules', '< 10').target, 10)
  assert.equal(parsed('joules', '< 10 J').target, 10)
  assert.equal(parsed('mAh', '< 15').target, 15)
  assert.equal(parsed('mAh', '< 15mAh').target, 15)
  assert.equal(parsed('mAh/h', '< 5').target, 5)
  assert.equal(parsed('mAh/h', '< 5 mAh/h').target, 5)
  assert.equal(parsed('mAh', '< 2.55 mAh').target, 2.55)
  assert.equal(parsed('joules', '< 0.25J').target, 0.25)
  for (const text of ['< x15 mAh', '< 15x mAh', '< mAh', '< 1.5.5 mAh']) assert.match(refused('mAh', text).expected, /mAh/, text)
  assert.deepEqual([passes('mAh', '< 15', 14.999), passes('mAh', '< 15', 15), passes('mAh', '<= 15 mAh', 15)], [true, false, true])
  assert.deepEqual([passes('joules', '> 0.5', 0.5001), passes('joules', '> 0.5', 0.5)], [true, false])
  assert.deepEqual([passes('mAh/h', '< 5', 4.99), passes('mAh/h', '< 5', 5.01)], [true, false])
  // another quantity's unit is a mistake, not a number
  assert.match(refused('mAh', '< 15 J').expected, /mAh/)
  assert.match(refused('joules', '< 10 mAh').expected, /joules/)
  assert.match(refused('mAh', '< 15 mAh/h').expected, /mAh/)
  assert.match(refused('mAh/h', '< 5 mAh').expected, /mAh per hour/)
})

test('boolean: only true or false; the measured value must equal it', () => {
  assert.deepEqual(
    [passes('boolean', true, true), passes('boolean', true, false), passes('boolean', false, false), passes('boolean', false, true)],
    [true, false, true, false]
  )
  assert.equal(refused('boolean', 'true').expected, 'true or false')
  assert.equal(refused('boolean', '== true').found, '"== true"')
  assert.equal(refused('boolean', 1).found, '1')
})

test('a metric without a value fails every kind of threshold, "!=" and "false" included', () => {
  const cases: Array<[MetricUnit, string | number | boolean]> = [
    ['ms', '< 2s'],
    ['seconds', '< 30s'],
    ['ratio', '< 1%'],
    ['count', '== 0'],
    ['count', '!= 0'],
    ['count', '>= 0'],
    ['bytes', '< 1GiB'],
    ['bytes/h', '< 10MB/h'],
    ['joules', '< 10'],
    ['mAh', '< 15'],
    ['mAh/h', '< 5'],
    ['boolean', true],
    ['boolean', false]
  ]
  for (const [unit, raw] of cases) {
    assert.equal(passes(unit, raw, null), false, `${unit} ${String(raw)} with value null`)
    const [absent] = evaluateThresholds([parsed(unit, raw)], {})
    assert.equal(absent.passed, false, `${unit} ${String(raw)} with the metric absent`)
    assert.equal(absent.value, null)
    assert.match(absent.message, /no value \(nothing was measured\)/)
    // NaN is what 0/0 gives: it is not a measurement either
    if (unit !== 'boolean') assert.equal(passes(unit, raw, Number.NaN), false, `${unit} ${String(raw)} with NaN`)
  }
})

test('a boolean measured against a number threshold, or a number against a boolean one, never passes', () => {
  assert.equal(evaluateThresholds([parsed('count', '!= 0')], { m: { value: true, unit: 'count' } })[0].passed, false)
  assert.equal(evaluateThresholds([parsed('boolean', true)], { m: { value: 1, unit: 'boolean' } })[0].passed, false)
})

test("the result names the metric, the measured value and the wanted one in the metric's unit", () => {
  const one = (unit: MetricUnit, raw: string | number | boolean, value: number | boolean | null) =>
    evaluateThresholds([{ ...parsed(unit, raw), metric: 'x' }], value === null ? {} : { x: { value, unit } })[0]
  const latency = one('ms', '< 2s', 812)
  assert.deepEqual(latency, { metric: 'x', expression: '< 2s', value: 812, unit: 'ms', passed: true, message: 'x = 812 ms, wanted < 2 s' })
  assert.equal(one('ratio', '< 1%', 0.025).message, 'x = 2.5%, wanted < 1%')
  assert.equal(one('bytes', '< 2kB', 2500).message, 'x = 2.5 kB, wanted < 2 kB')
  assert.equal(one('bytes/h', '< 10MB/h', 2500).message, 'x = 2.5 kB/h, wanted < 10 MB/h')
  assert.equal(one('seconds', '< 30s', 31.5).message, 'x = 31.5 s, wanted < 30 s')
  assert.equal(one('mAh', '< 15', 3.25).message, 'x = 3.25 mAh, wanted < 15 mAh')
  assert.equal(one('count', '== 0', 3).message, 'x = 3, wanted == 0')
  assert.equal(one('count', '== 0', null).message, 'x = no value (nothing was measured), wanted == 0')
  assert.equal(one('boolean', true, false).message, 'x = false, wanted true')
})

test("threshold parse errors say what was expected and what was found, with an example in the metric's unit", () => {
  const noOperator = refused('ms', '2s')
  assert.equal(noOperator.found, '"2s"')
  assert.match(noOperator.expected, /a comparison such as "< 2s" \(operators < <= > >= == !=\)/)
  assert.match(refused('ms', '=< 2s').expected, /operators/)
  assert.match(refused('ms', '<> 2s').expected, /duration such as "< 2s"|operators/)
  assert.match(refused('ms', '').expected, /a comparison/)
  assert.match(refused('ms', '<').expected, /a comparison/)
  const wrongUnit = refused('ms', '< 2kB')
  assert.equal(wrongUnit.expected, 'a duration such as "< 2s"')
  assert.equal(wrongUnit.found, '"< 2kB"')
  assert.equal(refused('seconds', '>= 3 apples').expected, 'a duration such as ">= 30s"')
  assert.equal(refused('bytes', '< 2 s').expected, 'a size such as "< 2kB"')
  assert.equal(refused('ratio', '< 2%x').expected, 'a percentage such as "< 1%"')
  assert.equal(refused('count', '== 1s').expected, 'a number such as "== 0"')
  assert.equal(refused('mAh', '< lots').expected, 'a number of mAh such as "< 15"')
  // a boolean on a numeric metric is not silently "== true"
  assert.match(refused('count', true).expected, /a comparison/)
})

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { formatScenarioBytes, formatScenarioDuration } from '../../harness/interface/index.js'
import { parseBandwidth, parseDuration, parseRate, parseRatio, parseSize } from '../../harness/scenario/index.js'

// The edges of the unit parsers and formatters, where Stryker's mutants survived the first
// run (README: Mutation score): trimming, case, non-string input, unknown units, the exact
// message of each refusal, and the switch points of the formatters.

test('each parser trims, ignores case where units are letters, and refuses a non-string with its own message', () => {
  assert.deepEqual(parseDuration(' 30s '), { ok: true, value: 30_000 })
  assert.deepEqual(parseSize(' 2kB '), { ok: true, value: 2000 })
  assert.deepEqual(parseRate(' 30/MIN '), { ok: true, value: 0.5 })
  assert.deepEqual(parseRatio(' 1% '), { ok: true, value: 0.01 })
  assert.deepEqual(parseBandwidth(' 10MBIT '), { ok: true, value: 10_000_000 })
  assert.deepEqual(parseSize(42), { ok: false, expected: 'a size such as 300B, 2kB, 1.5MB or 4KiB' })
  assert.deepEqual(parseRate(42), { ok: false, expected: 'a rate such as 30/min, 2/s or 100/h' })
  assert.deepEqual(parseRatio(true), { ok: false, expected: 'a percentage such as 1% or 0.5%, or a ratio from 0 to 1' })
  assert.deepEqual(parseBandwidth(10), { ok: false, expected: 'a bandwidth such as 512kbit, 10mbit or 1gbit' })
})

test('unknown units and shapes are refused with the same message', () => {
  assert.deepEqual(parseSize('2 kg'), { ok: false, expected: 'a size such as 300B, 2kB, 1.5MB or 4KiB' })
  assert.deepEqual(parseSize('kB'), { ok: false, expected: 'a size such as 300B, 2kB, 1.5MB or 4KiB' })
  assert.deepEqual(parseRate('30/week'), { ok: false, expected: 'a rate such as 30/min, 2/s or 100/h' })
  assert.deepEqual(parseRate('30 min'), { ok: false, expected: 'a rate such as 30/min, 2/s or 100/h' })
  assert.deepEqual(parseBandwidth('10parsec'), { ok: false, expected: 'a bandwidth such as 512kbit, 10mbit or 1gbit' })
  assert.deepEqual(parseBandwidth('fast'), { ok: false, expected: 'a bandwidth such as 512kbit, 10mbit or 1gbit' })
  assert.equal(parseRatio('0.5abc').ok, false)
  // what Number() would read but a person does not write as a ratio
  for (const text of ['', '1e-2', '0x1', '.5.', 'Infinity']) assert.equal(parseRatio(text).ok, false, JSON.stringify(text))
  assert.equal(parseRatio('abc').ok, false)
})

test('rates per minute are per 60 seconds, whichever spelling', () => {
  assert.deepEqual(
    [parseRate('30/m'), parseRate('30/min'), parseRate('7200/h'), parseRate('2/sec')].map((p) => (p.ok ? p.value : null)),
    [0.5, 0.5, 2, 2]
  )
})

test('a ratio given as a number: 0 and 1 are the inclusive bounds', () => {
  assert.deepEqual(
    [parseRatio(0), parseRatio(1), parseRatio(0.25)],
    [
      { ok: true, value: 0 },
      { ok: true, value: 1 },
      { ok: true, value: 0.25 }
    ]
  )
  assert.equal(parseRatio(-0.01).ok, false)
  assert.equal(parseRatio(1.01).ok, false)
  assert.deepEqual(
    [parseRatio('0'), parseRatio('1'), parseRatio('100%'), parseRatio('0%')].map((p) => (p.ok ? p.value : null)),
    [0, 1, 1, 0]
  )
})

test('formatScenarioDuration switches from ms to s at 1000 ms and from s to min at 2 min', () => {
  assert.deepEqual([999, 1000, 1500, 119_000, 120_000, 150_000, 3_600_000].map(formatScenarioDuration), [
    '999 ms',
    '1 s',
    '1.5 s',
    '119 s',
    '2 min',
    '2.5 min',
    '60 min'
  ])
})

test('formatScenarioBytes switches at 1000, 10^6 and 10^9; two decimals below 10, one above, no trailing zeros', () => {
  assert.deepEqual(
    [999, 1000, 1001, 1234, 12_345, 999_000, 1_000_000, 2_500_000, 999_000_000, 1_000_000_000, 2_500_000_000, 12_340_000_000].map(formatScenarioBytes),
    ['999 B', '1 kB', '1 kB', '1.23 kB', '12.3 kB', '999 kB', '1 MB', '2.5 MB', '999 MB', '1 GB', '2.5 GB', '12.3 GB']
  )
})

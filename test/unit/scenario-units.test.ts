import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parseBandwidth, parseDuration, parseRate, parseRatio, parseSize } from '../../harness/scenario/index.js'

const value = (parsed: { ok: boolean; value?: number }): number | undefined => (parsed.ok ? parsed.value : undefined)

test('durations are parsed to milliseconds, compound forms included', () => {
  assert.equal(value(parseDuration('500ms')), 500)
  assert.equal(value(parseDuration('30s')), 30_000)
  assert.equal(value(parseDuration('2m')), 120_000)
  assert.equal(value(parseDuration('1h')), 3_600_000)
  assert.equal(value(parseDuration('1m30s')), 90_000)
  assert.equal(value(parseDuration('1.5s')), 1500)
})

test('durations without a unit or with junk are refused with what was expected', () => {
  for (const bad of ['30', '30 parsecs', 's', '', '1m30', 30]) {
    const parsed = parseDuration(bad)
    assert.equal(parsed.ok, false, `accepted ${String(bad)}`)
    if (!parsed.ok) assert.match(parsed.expected, /30s/)
  }
})

test('sizes follow SI for kB and IEC for KiB', () => {
  assert.equal(value(parseSize('300B')), 300)
  assert.equal(value(parseSize('2kB')), 2000)
  assert.equal(value(parseSize('4KiB')), 4096)
  assert.equal(value(parseSize('1.5MB')), 1_500_000)
  assert.equal(parseSize('2 kilos').ok, false)
})

test('rates are events per second', () => {
  assert.equal(value(parseRate('30/min')), 0.5)
  assert.equal(value(parseRate('2/s')), 2)
  assert.equal(value(parseRate('360/h')), 0.1)
  assert.equal(parseRate('30 per minute').ok, false)
})

test('ratios come from percentages or plain numbers in [0, 1]', () => {
  assert.equal(value(parseRatio('1%')), 0.01)
  assert.equal(value(parseRatio('0.5%')), 0.005)
  assert.equal(value(parseRatio(0.2)), 0.2)
  assert.equal(parseRatio('150%').ok, false)
  assert.equal(parseRatio(2).ok, false)
})

test('bandwidths are bits per second', () => {
  assert.equal(value(parseBandwidth('10mbit')), 10_000_000)
  assert.equal(value(parseBandwidth('512kbit')), 512_000)
  assert.equal(parseBandwidth('10 MB/s').ok, false)
})

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Column, StringIds } from '../../harness/interface/index.js'
import { hashOf } from '../../harness/interface/columns.js'

// StringIds finds a name by its 32-bit table hash and then compares the stored bytes. Two names of
// a run share a hash about once in four billion pairs, so only names made to collide reach that
// comparison. These pairs were found by search (a birthday search over random names; for a name
// that begins with another, a meet-in-the-middle walk of FNV-1a back to the shorter name's state),
// for each way a name is stored: packed hex, Latin-1 and UTF-16. Found by mutation testing (npm run
// mutation, scope analysis-rest): before them, a comparison that always said "equal" survived.
const COLLIDING = {
  // 64-hex names that differ only in the low nibble of some bytes, and only in the high nibble
  hexLow: ['700ef8176b5dcc3afb61ffb5c2b1fada4af2be4c939b787a7770787c7379777f', '700ef8176b5dcc3afb61ffb5c2b1fada4af2be4c939b75787a7474737774707b'],
  hexHigh: ['700ef8176b5dcc3afb61ffb5c2b1fada4af2be4c939b77c71737876727b76717', '700ef8176b5dcc3afb61ffb5c2b1fada4af2be4c939b87776777277737c7a7e7'],
  // the second begins with the first
  hexPrefix: ['700ef8176b5dcc3afb61ffb5c2b1fada4af2be4c939babababababababababab', '700ef8176b5dcc3afb61ffb5c2b1fada4af2be4c939bababababababababababb55bb9a020'],
  latin1: ['msg-dgqhucvd', 'msg-ojucbymi'],
  latin1Prefix: ['msg-1', 'msg-1jqmnikv'],
  utf16: ['msg-\u4e2d\ua2ae\u6cc4\u13c9', 'msg-\u4e2d\u5928\u8c86\u16d9'],
  utf16Prefix: ['msg-\u4e2d-1', 'msg-\u4e2d-1\u8285\uf2f3']
} as const

for (const [kind, [first, second]] of Object.entries(COLLIDING)) {
  test(`StringIds: two names with one table hash keep their own ids and names (${kind})`, () => {
    assert.equal(hashOf(first), hashOf(second), 'the pair collides (if hashOf changed, search new pairs)')
    assert.notEqual(first, second)
    for (const [a, b] of [
      [first, second],
      [second, first]
    ]) {
      const ids = new StringIds()
      assert.equal(ids.id(a), 0)
      assert.equal(ids.get(b), undefined, 'not found before it is interned')
      assert.equal(ids.has(b), false)
      assert.equal(ids.id(b), 1)
      assert.deepEqual([ids.get(a), ids.get(b), ids.id(a), ids.id(b)], [0, 1, 0, 1])
      assert.deepEqual([ids.name(0), ids.name(1)], [a, b])
      assert.equal(ids.size, 2)
    }
  })
}

test('StringIds packs a hex name into half its length; other names take a byte or two a character (plus a kind byte each)', () => {
  const cases: Array<[string, number]> = [
    ['ab'.repeat(32), 1 + 32], // a message hash
    ['00ff', 1 + 2], // the digits at both ends of the nibble table
    ['09af', 1 + 2],
    ['', 1 + 0], // empty: nothing to pack
    ['abc', 1 + 3], // odd length: not packed
    ['AB', 1 + 2], // upper case would not come back as it was given
    ['0g', 1 + 2],
    ['a\u0080', 1 + 2], // a Latin-1 character above ASCII ends the hex run
    ['caf\u00ff', 1 + 4], // the last Latin-1 character
    ['caf\u0100', 1 + 8], // the first beyond it: UTF-16
    ['m\u4e2d', 1 + 4],
    // longer than the pool's first 4 KiB: room for all of it must be made before it is written
    ['\u4e2d'.repeat(5000), 1 + 10_000]
  ]
  for (const [name, bytes] of cases) {
    const ids = new StringIds()
    ids.id(name)
    assert.equal(ids.poolBytes, bytes, JSON.stringify(name))
    assert.equal(ids.name(0), name)
  }
  const all = new StringIds()
  for (const [name] of cases) all.id(name)
  assert.equal(
    all.poolBytes,
    cases.reduce((n, [, bytes]) => n + bytes, 0)
  )
  for (const [i, [name]] of cases.entries()) assert.equal(all.name(i), name)
})

test('a column set below its end keeps its length', () => {
  const column = new Column()
  column.set(5, 1)
  column.set(2, 2)
  assert.equal(column.length, 6)
  assert.deepEqual([...column.toFloat64Array()], [Number.NaN, Number.NaN, 2, Number.NaN, Number.NaN, 1])
})

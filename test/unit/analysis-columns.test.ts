import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Interner } from '../../harness/analysis/fold.js'
import { Column, IntColumn, StringIds } from '../../harness/interface/index.js'

// The folds' per-message state: StringIds must give the ids Interner gives, in the same order, and
// give every name back as it came (a msgId is copied into results verbatim).

test('StringIds: the same ids as Interner, and every name back unchanged (hex, upper-case hex, odd length, Latin-1, UTF-16, empty)', () => {
  const names = [
    'ab'.repeat(32),
    'AB'.repeat(32),
    '0x' + 'cd'.repeat(32),
    'abc',
    'm1',
    '',
    'caf\u00e9',
    'msg-\u{1F600}-\u4e2d',
    'ab'.repeat(32),
    'm1',
    'f'.repeat(10_000),
    'x'.repeat(9_000)
  ]
  for (let i = 0; i < 5000; i++) names.push((i * 2654435761).toString(16).padStart(64, '0'), `m${i}`)
  const ids = new StringIds()
  const reference = new Interner()
  for (const name of names) assert.equal(ids.id(name), reference.id(name), name)
  assert.equal(ids.size, reference.size)
  for (let i = 0; i < reference.size; i++) assert.equal(ids.name(i), reference.names[i])
  for (const name of names) {
    assert.equal(ids.get(name), reference.get(name))
    assert.equal(ids.has(name), true)
  }
  for (const absent of ['AB'.repeat(31) + 'ab', 'ab'.repeat(31), 'm5000', 'caf\u00e8', 'f'.repeat(9_999)]) {
    assert.equal(ids.get(absent), undefined, absent)
    assert.equal(ids.has(absent), false)
  }
})

test('chunked columns: empty where nothing was set, across chunk boundaries and far beyond the last set', () => {
  const t = new Column()
  const n = new IntColumn()
  const counts = new IntColumn(0)
  for (const i of [0, 32_767, 32_768, 100_000, 1_000_000]) {
    t.set(i, i / 3)
    n.set(i, i % 7)
    counts.set(i, 1)
  }
  for (const i of [0, 32_767, 32_768, 100_000, 1_000_000]) {
    assert.equal(t.get(i), i / 3)
    assert.equal(n.get(i), i % 7)
  }
  for (const i of [1, 32_766, 32_769, 99_999, 200_000, 999_999, 5_000_000]) {
    assert.ok(Number.isNaN(t.get(i)))
    assert.equal(n.get(i), -1)
    assert.equal(counts.get(i), 0)
  }
  assert.equal(t.length, 1_000_001)
  const list = new IntColumn()
  for (let i = 0; i < 70_000; i++) list.push(i * 2)
  assert.equal(list.length, 70_000)
  assert.equal(list.get(69_999), 139_998)
})

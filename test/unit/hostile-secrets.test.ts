import { test } from 'node:test'
import assert from 'node:assert/strict'
import { maskSecrets, secretForms } from '../../harness/interface/index.js'

// A secret must be masked in every form it travels in, not only as written.

test('a user and key are masked plain, percent-encoded, JSON-escaped and as the base64 of a Basic header', () => {
  const user = 'ci.user+grid@example.com'
  const key = 'k3y/with "quotes" & spaces'
  const forms = secretForms([user, key], [[user, key]])
  const basic = Buffer.from(`${user}:${key}`).toString('base64')
  const text = [
    `user ${user} key ${key}`,
    `https://hub/wd?user=${encodeURIComponent(user)}&key=${encodeURIComponent(key)}`,
    `form user=${encodeURIComponent(key).replace(/%20/g, '+')}`,
    JSON.stringify({ header: `Authorization: Basic ${basic}`, key }),
    `unpadded ${basic.replace(/=+$/, '')} url-safe ${Buffer.from(`${user}:${key}`).toString('base64url')}`
  ].join('\n')
  const masked = maskSecrets(text, forms)
  for (const form of [user, key, encodeURIComponent(user), encodeURIComponent(key), basic, JSON.stringify(key).slice(1, -1)]) {
    assert.ok(!masked.includes(form), `${form} survived:\n${masked}`)
  }
  assert.match(masked, /Authorization: Basic \*\*\*/)
  assert.match(masked, /user=\*\*\*&key=\*\*\*/)
})

test('empty and very short values are not treated as secrets (they would mask ordinary text)', () => {
  assert.deepEqual(secretForms(['', 'ab']), [])
  assert.equal(maskSecrets('abc', secretForms(['', 'ab'])), 'abc')
})

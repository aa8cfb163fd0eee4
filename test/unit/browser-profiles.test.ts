import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { mkdir, utimes } from 'node:fs/promises'
import { join } from 'node:path'
import { PROFILE_PREFIX, removeStaleProfiles } from '../../devices/browser/index.js'
import { tempDir } from '../helpers/cli.js'

test('a Chromium profile a killed run left behind is removed at the next start; a fresh one and other folders stay', async () => {
  const dir = await tempDir()
  const stale = join(dir, `${PROFILE_PREFIX}web-old`)
  const fresh = join(dir, `${PROFILE_PREFIX}web-new`)
  const other = join(dir, 'not-courier')
  for (const path of [stale, fresh, other]) await mkdir(path)
  const longAgo = new Date(Date.now() - 5 * 60_000)
  await utimes(stale, longAgo, longAgo)
  await utimes(other, longAgo, longAgo)
  assert.deepEqual(await removeStaleProfiles(dir), [stale])
  assert.equal(existsSync(stale), false)
  assert.equal(existsSync(fresh), true, 'a profile younger than a minute may belong to a browser still starting')
  assert.equal(existsSync(other), true)
})

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { EventLog } from '../../harness/runner/index.js'
import { tempDir } from '../helpers/cli.js'

test('an event a device learned of late carries the time it happened; a time in the future is clamped to now', async () => {
  let now = 1000
  const path = join(await tempDir(), 'events.ndjson')
  const log = new EventLog(path, { now: () => now })
  log.emit('device.online', { device: 'web' }, 940.5)
  log.emit('device.offline', { device: 'web' }, 1200)
  now = 1500
  log.emit('device.online', { device: 'web' })
  log.close()
  const lines = (await readFile(path, 'utf8'))
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { t: number })
  assert.deepEqual(
    lines.map((e) => e.t),
    [940.5, 1000, 1500]
  )
})

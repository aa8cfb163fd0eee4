import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { EventLog, readEventLog } from '../../harness/runner/index.js'
import { tempDir } from '../helpers/cli.js'

test('an event another process reported keeps the time it happened, and the log reads back in time order', async () => {
  let now = 100
  const path = join(await tempDir(), 'events.ndjson')
  const log = new EventLog(path, { now: () => now })
  log.emit('device.online', { device: 'a' })
  now = 200
  // a push the child saw at 150 arrives after the runner's event at 200
  log.emit('device.offline', { device: 'a' })
  log.emit('msg.rendered', { device: 'a', hash: 'h', msgId: 'm' }, 150)
  log.close()
  const events = await readEventLog(path)
  assert.deepEqual(
    events.map((e) => [e.t, e.type]),
    [
      [100, 'device.online'],
      [150, 'msg.rendered'],
      [200, 'device.offline']
    ]
  )
})

import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { Startable } from '../../harness/interface/index.js'
import { RunParts } from '../../harness/runner/parts.js'

function recorder(): { log: string[]; part: (name: string, behaviour?: { startFails?: boolean; stopFails?: boolean; onStart?: () => void }) => Startable } {
  const log: string[] = []
  return {
    log,
    part: (name, behaviour = {}) => ({
      name,
      start: async () => {
        log.push(`start ${name}`)
        behaviour.onStart?.()
        if (behaviour.startFails === true) throw new Error(`${name} could not start`)
      },
      stop: async () => {
        log.push(`stop ${name}`)
        if (behaviour.stopFails === true) throw new Error(`${name} could not stop`)
      }
    })
  }
}

test('parts start in order and stop in reverse', async () => {
  const { log, part } = recorder()
  const parts = new RunParts(() => assert.fail('no stop fails'))
  await parts.startInOrder([part('capture'), part('fleet'), part('devices')], new AbortController().signal)
  await parts.stopInReverse()
  assert.deepEqual(log, ['start capture', 'start fleet', 'start devices', 'stop devices', 'stop fleet', 'stop capture'])
})

test('a part whose start failed halfway is stopped; the parts after it never start', async () => {
  const { log, part } = recorder()
  const parts = new RunParts(() => assert.fail('no stop fails'))
  await assert.rejects(
    parts.startInOrder([part('capture'), part('fleet', { startFails: true }), part('devices')], new AbortController().signal),
    /fleet could not start/
  )
  await parts.stopInReverse()
  assert.deepEqual(log, ['start capture', 'start fleet', 'stop fleet', 'stop capture'])
})

test('a stop that throws is reported and the parts before it still stop; a second stop stops nothing', async () => {
  const { log, part } = recorder()
  const failures: string[] = []
  const parts = new RunParts((name, error) => failures.push(`${name}: ${(error as Error).message}`))
  await parts.startInOrder([part('capture'), part('fleet', { stopFails: true }), part('devices')], new AbortController().signal)
  await parts.stopInReverse()
  await parts.stopInReverse()
  assert.deepEqual(log, ['start capture', 'start fleet', 'start devices', 'stop devices', 'stop fleet', 'stop capture'])
  assert.deepEqual(failures, ['fleet: fleet could not stop'])
})

test('an abort during a start stops the parts begun and starts no more', async () => {
  const { log, part } = recorder()
  const controller = new AbortController()
  const parts = new RunParts(() => assert.fail('no stop fails'))
  await assert.rejects(
    parts.startInOrder([part('capture'), part('fleet', { onStart: () => controller.abort(new Error('Ctrl-C')) }), part('devices')], controller.signal),
    /Ctrl-C/
  )
  await parts.stopInReverse()
  assert.deepEqual(log, ['start capture', 'start fleet', 'stop fleet', 'stop capture'])
})

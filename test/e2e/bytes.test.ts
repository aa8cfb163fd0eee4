import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Results } from '../../harness/interface/index.js'
import { tcpdumpAvailability } from '../../harness/capture/index.js'
import { runCourier, tempDir, writeScenario } from '../helpers/cli.js'
import { inNightlySuite, nightlyTest, test } from '../helpers/suite.js'

const scenario = (capture: string, expect = '', rate = '3/s'): string => `name: bytes
seed: 5
duration: 5s
grace: 2s
capture: ${capture}
network: { relays: 3, stores: 1 }
crowd: { topic: lobby, users: 100, rate: ${rate}, size: 600B }
devices:
  alice: {}
  bob: {}
timeline:
  - { at: 1s, offline: { device: bob, for: 2s } }
# byte figures, not milliseconds: other test files run beside this one, and the busy crowd at
# 40/s has shown an event-loop delay p99 of 560 ms beside two of them; no byte depends on it
harness: { maxLagP99: 2s }
${expect === '' ? '' : `expect:\n${expect}\n`}`

test("with tcpdump and socket accounting in one run, every connection's socket bytes equal the capture's payload exactly", async (t) => {
  const availability = await tcpdumpAvailability()
  if (!availability.usable) {
    // npm test installs tcpdump as root; only a non-root developer may lack it
    if (process.getuid?.() === 0) assert.fail(`tcpdump is not usable as root: ${availability.reason ?? ''}`)
    t.skip(`tcpdump not usable here: ${availability.reason ?? ''}`)
    return
  }
  const dir = await tempDir()
  const file = await writeScenario(dir, 'bytes.yaml', scenario('tcpdump', '  bytes.alice.down.perMessage: "< 100kB"\n  capture.check.mismatches: "== 0"'))
  const out = join(dir, 'run')
  const result = await runCourier(['run', file, '--out', out, '--no-progress'])
  assert.equal(result.code, 0, result.stderr + result.stdout)
  assert.ok(existsSync(join(out, 'capture.pcap')))
  const results = JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as Results
  const bytes = results.bytes
  assert.equal(bytes?.backend, 'tcpdump')
  const check = bytes?.tcpdump?.check
  assert.ok(check != null && check.directions >= 10, `directions ${check?.directions}`)
  assert.deepEqual(check.mismatches, [])
  assert.equal(bytes?.tcpdump?.dropped, 0)
  const alice = bytes?.owners.alice
  assert.ok((alice?.byProtocol.relay?.down ?? 0) > 0, 'relay traffic is attributed')
  assert.ok((alice?.perMessage.down ?? 0) > 600, 'a 600 B message costs more than 600 B on the wire')
  assert.ok((bytes?.owners.bob?.storePerRequest ?? 0) > 0, 'bob fetched history after coming back')
  assert.ok(results.thresholds.every((r) => r.passed))
  // courier report recomputes the same byte figures from the artifacts
  const again = await runCourier(['report', out])
  assert.equal(again.code, 0, again.stderr)
  const recomputed = JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as Results
  assert.deepEqual(recomputed.bytes, results.bytes)
  assert.ok(captureArgv(await readFile(join(out, 'events.ndjson'), 'utf8')).includes('--immediate-mode'), 'a quiet crowd is captured packet by packet')
})

function captureArgv(events: string): string[] {
  const start = events
    .split('\n')
    .filter((line) => line.includes('"capture.start"'))
    .map((line) => JSON.parse(line) as { argv?: string[] })[0]
  return start?.argv ?? []
}

// started with the file, beside the run above: both mostly wait on scenario time
const busyRun = (async () => {
  if (inNightlySuite || !(await tcpdumpAvailability()).usable) return undefined
  const dir = await tempDir()
  const file = await writeScenario(dir, 'busy.yaml', scenario('tcpdump', '  capture.check.mismatches: "== 0"', '40/s'))
  const out = join(dir, 'run')
  return { out, result: await runCourier(['run', file, '--out', out, '--no-progress']) }
})()

test('a busy crowd is captured in blocks, not packet by packet, and the capture still holds every byte the sockets counted', async (t) => {
  const busy = await busyRun
  if (busy == null) {
    t.skip('tcpdump not usable here')
    return
  }
  const { out, result } = busy
  assert.equal(result.code, 0, result.stderr + result.stdout)
  assert.ok(!captureArgv(await readFile(join(out, 'events.ndjson'), 'utf8')).includes('--immediate-mode'))
  const bytes = (JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as Results).bytes
  // the stop waited out libpcap's block timeout: the closing packets of every connection are in
  // the file, so each direction's payload equals what its socket counted
  assert.ok((bytes?.tcpdump?.check?.directions ?? 0) >= 10)
  assert.deepEqual(bytes?.tcpdump?.check?.mismatches, [])
  assert.equal(bytes?.tcpdump?.dropped, 0)
})

test('capture: off records no bytes; capture: socket counts without a pcap', async () => {
  const dir = await tempDir()
  const [off, socket] = await Promise.all([
    runCourier(['run', await writeScenario(dir, 'off.yaml', scenario('off')), '--out', join(dir, 'off'), '--no-progress']),
    runCourier(['run', await writeScenario(dir, 'socket.yaml', scenario('socket')), '--out', join(dir, 'socket'), '--no-progress'])
  ])
  assert.equal(off.code, 0, off.stderr)
  const offResults = JSON.parse(await readFile(join(dir, 'off', 'results.json'), 'utf8')) as Results
  assert.equal(offResults.bytes, undefined)
  assert.doesNotMatch(await readFile(join(dir, 'off', 'events.ndjson'), 'utf8'), /bytes\.sample/)
  assert.equal(socket.code, 0, socket.stderr)
  const socketResults = JSON.parse(await readFile(join(dir, 'socket', 'results.json'), 'utf8')) as Results
  assert.equal(socketResults.bytes?.backend, 'socket')
  assert.ok((socketResults.bytes?.owners.alice?.down ?? 0) > 0)
  assert.equal(existsSync(join(dir, 'socket', 'capture.pcap')), false)
})

nightlyTest("the shipped bandwidth baseline passes, and the history fetch's bytes land on the store protocol of the device that fetched", async () => {
  const out = join(await tempDir(), 'run')
  const result = await runCourier(['run', 'scenarios/bandwidth-baseline.yaml', '--out', out, '--no-progress'])
  assert.equal(result.code, 0, result.stderr + result.stdout)
  const results = JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as Results
  const owners = results.bytes?.owners ?? {}
  // carol missed ten 400 B messages and fetched them: at least their payloads came down the store protocol
  assert.ok((owners.carol?.byProtocol.store?.down ?? 0) >= 10 * 400, `carol store down ${owners.carol?.byProtocol.store?.down}`)
  // alice fetched no history: her store bytes are her sent-message checks, hashes of her own five
  // messages, far less than the messages themselves
  assert.equal(results.reliability?.sentChecks.alice?.confirmed, 5)
  assert.ok((owners.alice?.byProtocol.store?.down ?? 0) < 5 * 400, `alice store down ${owners.alice?.byProtocol.store?.down}`)
  assert.ok((owners['store-1']?.byProtocol.store?.up ?? 0) >= 10 * 400, 'the store node sent them')
  assert.ok((owners.alice?.backgroundPerHour ?? 0) > 0, 'an idle messenger still costs bytes')
})

test('a byte threshold on a device that does not exist is refused before anything starts', async () => {
  const dir = await tempDir()
  const result = await runCourier(['validate', await writeScenario(dir, 'bad.yaml', scenario('socket', '  bytes.carol.down.perMessage: "< 2kB"'))])
  assert.equal(result.code, 2)
  assert.match(result.stderr, /unknown metric "bytes\.carol\.down\.perMessage"/)
})

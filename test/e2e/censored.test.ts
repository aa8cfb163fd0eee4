import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { CourierEvent, Results } from '../../harness/interface/index.js'
import { pool, runCourier, tempDir } from '../helpers/cli.js'
import { freeBasePort } from '../helpers/ports.js'
import { nightlyTest, test } from '../helpers/suite.js'

// The shipped censorship scenario and its broken twin, side by side: the same block of alice's
// bootstrap list; only the reference client's peer-exchange fallback differs.
test('censored.yaml passes through peer exchange; its broken variant fails on the figures that name the problem', async () => {
  const runs: Record<string, { code: number | null; stdout: string; results: Results }> = {}
  await pool(['scenarios/censored.yaml', 'scenarios/problems/censored-no-fallback.yaml'], 2, async (file) => {
    const out = join(await tempDir(), 'run')
    const run = await runCourier(['run', file, '--out', out, '--no-progress'])
    runs[file] = { code: run.code, stdout: run.stdout + run.stderr, results: JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as Results }
  })
  const healthy = runs['scenarios/censored.yaml']
  assert.equal(healthy.code, 0, healthy.stdout)
  const [block] = healthy.results.censorship ?? []
  assert.equal(block.device, 'alice')
  assert.equal(block.nodes.length, 2, 'the bootstrap list: two relays')
  assert.equal(block.source, 'peer-exchange')
  assert.ok(block.reachedVia != null && !block.nodes.includes(block.reachedVia))
  assert.ok(block.reachedMs != null && block.reachedMs > 0)
  assert.ok(block.peerExchange.learned >= 3, JSON.stringify(block.peerExchange))
  assert.ok(block.bytes > 0, 'getting around the block cost bytes')
  assert.ok((block.joules ?? 0) > 0 && (block.joules ?? 0) <= (healthy.results.energy?.alice.totalJoules ?? 0), `and energy: ${block.joules} J`)
  assert.equal(healthy.results.metrics['censorship.alice.joules']?.value, block.joules)
  assert.match(healthy.stdout, /censorship: alice blocked from relay-\d, relay-\d at .* for good: reached the network after/)

  const broken = runs['scenarios/problems/censored-no-fallback.yaml']
  assert.equal(broken.code, 1, broken.stdout)
  assert.deepEqual(
    broken.results.thresholds
      .filter((t) => !t.passed)
      .map((t) => t.metric)
      .sort(),
    ['censorship.alice.reachedMs', 'censorship.unreached', 'delivery.alice.lost']
  )
  const [stuck] = broken.results.censorship ?? []
  assert.equal(stuck.reachedMs, null)
  assert.equal(stuck.peerExchange.answers, 0)
  assert.match(broken.stdout, /never reached the network by other means/)
})

// The same block written the way a censor writes it: by port on any address, and by address and
// port. Stable ports (network.ports) make alice's bootstrap relays' ports known before the run;
// her seeded bootstrap list is relay-5 and relay-3 (checked from the run's own event first).
nightlyTest('a block by port and by address:port refuses the device exactly those addresses; it falls back the same way', async () => {
  const base = await freeBasePort()
  const scenario = (await readFile('scenarios/censored.yaml', 'utf8'))
    .replace('network: { relays: 5, stores: 0, degree: 2 }', `network: { relays: 5, stores: 0, degree: 2, ports: ${base} }`)
    .replace('block: { device: alice, nodes: bootstrap }', `block: { device: alice, addresses: [":${base + 8}", "127.0.0.1:${base + 4}"] }`)
  assert.match(scenario, /addresses/)
  const dir = await tempDir()
  await writeFile(join(dir, 'by-port.yaml'), scenario)
  const out = join(dir, 'run')
  const run = await runCourier(['run', join(dir, 'by-port.yaml'), '--out', out, '--no-progress'])
  assert.ok(run.code === 0 || run.code === 1, `the run did not happen: exit ${run.code}\n${run.stdout}${run.stderr}`)
  const events = (await readFile(join(out, 'events.ndjson'), 'utf8'))
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as CourierEvent)
  const bootstrap = events.find((e) => e.type === 'device.bootstrap' && e.device === 'alice')
  assert.deepEqual(
    bootstrap?.type === 'device.bootstrap' ? bootstrap.nodes : null,
    ['relay-5', 'relay-3'],
    'the seeded bootstrap list changed: update the ports here'
  )
  assert.equal(run.code, 0, run.stdout + run.stderr)
  const results = JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as Results
  const [block] = results.censorship ?? []
  assert.deepEqual(block.nodes.slice().sort(), ['relay-3', 'relay-5'], 'the nodes behind those addresses')
  assert.equal(block.source, 'peer-exchange')
  assert.ok(block.reachedMs != null)
})

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { appendFile, readdir, readFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import type { Results } from '../../harness/interface/index.js'
import { runCourier, tempDir, writeScenario } from '../helpers/cli.js'

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = []
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) out.push(...(await filesUnder(path)))
    else out.push(path)
  }
  return out
}

// One short run, reused: clean first (no false positives from courier's own hashes, peer ids and
// ENRs, and the configured secret in no artifact), then a secret planted into a device log and
// the report recomputed with --redact.
test('a clean run reports no leaks and holds no configured secret; a planted one fails leaks.count and --redact masks it', async () => {
  const dir = await tempDir()
  const secret = `tok-${randomBytes(12).toString('hex')}`
  const scenario = await writeScenario(
    dir,
    'leaks.yaml',
    `name: leaks
seed: 5
duration: 3s
grace: 1s
network: { relays: 3, stores: 1 }
crowd: { topic: lobby, users: 20, rate: 4/s }
devices:
  alice: { driver: simulated }
  bob: { driver: simulated, mode: light }
timeline:
  - { at: 500ms, send: { from: alice, count: 3, every: 200ms } }
  - { at: 1s, send: { from: bob, count: 2, every: 200ms } }
leaks:
  secrets: [COURIER_TEST_TOKEN]
  patterns: ["tok-[0-9a-f]{24}"]
harness: { maxLagP99: 400ms }
expect:
  leaks.count: "== 0"
`
  )
  const out = join(dir, 'run')
  const run = await runCourier(['run', scenario, '--out', out, '--no-progress'], { env: { COURIER_TEST_TOKEN: secret } })
  assert.equal(run.code, 0, run.stdout + run.stderr)
  assert.match(run.stdout, /leaks: none found \(\d+ files, [\d,]+ packets scanned/)
  const clean = JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as Results
  assert.equal(clean.leaks?.count, 0, JSON.stringify(clean.leaks?.findings.slice(0, 3)))
  assert.equal(clean.metrics['leaks.count']?.value, 0)
  assert.deepEqual(clean.leaks?.configured, ['COURIER_TEST_TOKEN'])
  assert.ok((clean.leaks?.scanned.packets ?? 0) > 100, 'the capture was scanned')
  // hundreds of message hashes stood in the event log and none was taken for a key
  assert.ok((clean.leaks?.hexDismissed ?? 0) > 20)
  for (const file of await filesUnder(out)) assert.ok(!(await readFile(file, 'latin1')).includes(secret), `${file} holds the configured secret`)
  // nothing but the fleet was contacted
  assert.deepEqual(clean.destinations?.list, [])
  assert.equal(clean.metrics['destinations.thirdParty']?.value, 0)
  assert.match(run.stdout, /destinations: none outside the fleet/)

  // a device that logged the secret and a key: found, the threshold fails, --redact masks both
  const key = `5e${'a1'.repeat(31)}`
  await appendFile(join(out, 'device-log.txt'), `login ok token=${secret}\nprivate_key: ${key}\n`)
  const report = await runCourier(['report', out, '--redact'], { env: { COURIER_TEST_TOKEN: secret } })
  assert.equal(report.code, 1, report.stdout + report.stderr)
  assert.match(report.stdout, /FAIL\s+leaks\.count/)
  assert.match(report.stdout, /leaks: 2 secrets found \(1 configured-secret, 1 private-key\).*masked in the files/)
  const leaky = JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as Results
  assert.deepEqual(
    leaky.leaks?.findings.map((f) => [f.kind, f.file, f.line]),
    [
      ['configured-secret', 'device-log.txt', 1],
      ['private-key', 'device-log.txt', 2]
    ]
  )
  assert.equal(leaky.leaks?.redacted, true)
  // the report's data (not just its script, which every report carries) holds the redacted findings
  const html = await readFile(join(out, 'report.html'), 'utf8')
  assert.match(html, /"leaks":\{"clean":false,"summary":"2 secrets found/)
  assert.match(html, /private_key: \[private-key\]/)
  for (const file of await filesUnder(out)) {
    const text = await readFile(file, 'latin1')
    assert.ok(!text.includes(secret) && !text.includes(key), `${file} still holds a planted secret`)
  }
})

test('a device that posts telemetry to a server on another loopback address is reported as a third-party destination, with its bytes and times', async () => {
  const posts: string[] = []
  const server = createServer((req, res) => {
    let body = ''
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString()
    })
    req.on('end', () => {
      posts.push(body)
      res.end('ok')
    })
  })
  server.listen(0, '127.0.0.2')
  await once(server, 'listening')
  const port = (server.address() as AddressInfo).port
  try {
    const dir = await tempDir()
    const scenario = await writeScenario(
      dir,
      'telemetry.yaml',
      `name: telemetry
seed: 6
duration: 3s
grace: 1s
network: { relays: 2, stores: 0 }
devices:
  alice: { driver: simulated, telemetry: "http://127.0.0.2:${port}/v1/report" }
  bob: { driver: simulated }
timeline:
  - { at: 500ms, send: { from: bob, topic: chat, count: 2, every: 300ms } }
harness: { maxLagP99: 400ms }
expect:
  destinations.thirdParty: "== 0"
`
    )
    const out = join(dir, 'run')
    const run = await runCourier(['run', scenario, '--out', out, '--no-progress'])
    assert.equal(run.code, 1, run.stdout + run.stderr)
    assert.match(run.stdout, /FAIL\s+destinations\.thirdParty\s+1\b/)
    assert.match(run.stdout, new RegExp(`destinations: 1 outside the fleet, 1 third-party[\\s\\S]*tcp 127\\.0\\.0\\.2:${port}`))
    const results = JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as Results
    const [d, ...rest] = results.destinations?.list ?? []
    assert.deepEqual(rest, [], 'only the telemetry server')
    assert.equal(`${d.protocol} ${d.ip}:${d.port}`, `tcp 127.0.0.2:${port}`)
    assert.ok(posts.length >= 2, `${posts.length} posts`)
    assert.equal(JSON.parse(posts[0]).device, 'alice')
    // one connection per post, each with its request up and its answer down; the last may have
    // been cut by the device's stop before the server read it whole
    assert.ok(d.connections === posts.length || d.connections === posts.length + 1, `${d.connections} connections, ${posts.length} posts`)
    assert.ok(d.bytesUp >= posts.join('').length && d.bytesDown > 0, JSON.stringify(d))
    assert.ok(d.firstMs > 0 && d.lastMs >= d.firstMs && d.lastMs <= results.timing.runMs, JSON.stringify(d))
    assert.equal(d.allowedBy, undefined)
    assert.match(
      await readFile(join(out, 'report.html'), 'utf8'),
      new RegExp(`"destinations":\\{"summary":"1 endpoint outside the fleet[^}]*"remote":"tcp 127\\.0\\.0\\.2:${port}"`)
    )
  } finally {
    server.close()
  }
})

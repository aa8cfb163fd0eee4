import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parseDocument } from 'yaml'
import type { Results } from '../../harness/interface/index.js'
import { REPO_ROOT, runCourier, tempDir } from '../helpers/cli.js'

// The nightly scenarios run for minutes each, so they live here, run by `npm run test:nightly`
// and never by `npm test`. One at a time: each carries a crowd of thousands on two cores.
const NIGHTLY = join(REPO_ROOT, 'scenarios', 'nightly')
const RUN_TIMEOUT_MS = 12 * 60_000

async function run(file: string): Promise<{ code: number | null; results: Results; output: string }> {
  const out = join(await tempDir(), 'run')
  const result = await runCourier(['run', file, '--out', out, '--no-progress'], { timeoutMs: RUN_TIMEOUT_MS })
  const results = JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as Results
  return { code: result.code, results, output: result.stdout + result.stderr }
}

for (const name of (await readdir(NIGHTLY)).filter((f) => f.endsWith('.yaml')).sort()) {
  test(`nightly ${name} passes its thresholds`, async () => {
    const { code, results, output } = await run(join(NIGHTLY, name))
    assert.equal(code, 0, output)
    assert.ok(results.thresholds.every((t) => t.passed))
  })
}

test("prague-crowded-topic with history checks that download everything again fails on the phone's duplicate bytes", async () => {
  const doc = parseDocument(await readFile(join(NIGHTLY, 'prague-crowded-topic.yaml'), 'utf8'))
  doc.setIn(['devices', 'phone', 'missingCheck'], 'full')
  const file = join(await tempDir(), 'prague-full-checks.yaml')
  await writeFile(file, doc.toString())
  const { code, results, output } = await run(file)
  assert.equal(code, 1, output)
  assert.deepEqual(
    results.thresholds.filter((t) => !t.passed).map((t) => t.metric),
    ['bytes.phone.duplicates.store']
  )
})

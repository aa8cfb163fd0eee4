import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Results } from '../../harness/interface/index.js'
import { tcpdumpAvailability } from '../../harness/capture/index.js'
import { runCourier, tempDir } from '../helpers/cli.js'

test("an Appium phone's radio is priced from its own packets in the capture, beside what the phone reports, and a disagreement is flagged", async (t) => {
  if (!(await tcpdumpAvailability()).usable) {
    if (process.getuid?.() === 0) assert.fail('tcpdump is not usable as root')
    t.skip('tcpdump not usable here')
    return
  }
  const out = join(await tempDir(), 'run')
  const result = await runCourier(['run', 'scenarios/appium-ci.yaml', '--out', out, '--no-progress'])
  assert.equal(result.code, 0, result.stderr + result.stdout)
  const results = JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as Results
  const phone = results.energy?.phone
  assert.equal(phone?.timelineSource, 'tcpdump')
  assert.ok((phone?.packets ?? 0) > 50, `packets ${phone?.packets}`)
  assert.ok(
    Object.keys(phone?.byLabel ?? {}).some((label) => /^(relay|store)-\d$/.test(label)),
    'attributed to the fleet nodes it talked to'
  )
  assert.equal(phone?.measured?.source, 'dumpsys batterystats')
  const d = phone?.disagreement
  assert.ok(d?.mAh != null && phone?.measured?.mAh != null)
  // the flag follows the figures, whichever way this run's numbers fall
  const expectedFlag = [d.mAh, d.radioActiveSeconds].some((r) => r != null && r > d.limit)
  assert.equal(d.flagged, expectedFlag)
  // the store auditor's own traffic is never counted as the phone's, nor as a fleet owner's bytes
  assert.equal(results.bytes?.owners['store-auditor'], undefined)
})

// The crafted run directories under fixtures/runs/, generated from synthesizeRun so their events
// and results follow harness/interface exactly. Regenerate after changing the generator:
//   node --input-type=module -e "import('./dist/test/helpers/reports/fixture-runs.js').then((m) => m.writeFixtureRuns('fixtures/runs'))"
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { synthesizeRun, type SyntheticRunOptions } from '../synthetic-run.js'

/** A name that is also markup: a report that parses run strings as HTML would run it. */
export const HOSTILE = '<img src=x onerror=alert(1)>'

export const FIXTURE_RUNS: Record<string, SyntheticRunOptions> = {
  // faults, loss, late store deliveries, a crashed device: two thresholds fail
  'small-fail': { crashDevice: 'bob', crowdRate: 0.8, forceLost: { 'alice-0003': ['alice-2'] } },
  // every string a run controls is hostile markup
  'hostile-names': {
    name: '"><svg onload=alert(3)>',
    scenarioFile: 'scenarios/<b>x</b>.yaml',
    devices: [HOSTILE, 'alice', '</script><script>alert(2)</script>'],
    topic: '<iframe src=javascript:alert(4)>',
    crowdRate: 0.3,
    deviceMessages: 4,
    crashDevice: HOSTILE
  }
}

/** Writes events.ndjson and results.json of every fixture run under `dir`. */
export async function writeFixtureRuns(dir: string): Promise<void> {
  for (const [name, options] of Object.entries(FIXTURE_RUNS)) {
    const run = synthesizeRun(options)
    await mkdir(join(dir, name), { recursive: true })
    await writeFile(join(dir, name, 'events.ndjson'), run.events.map((e) => JSON.stringify(e)).join('\n') + '\n')
    await writeFile(join(dir, name, 'results.json'), JSON.stringify(run.results, null, 2) + '\n')
  }
}

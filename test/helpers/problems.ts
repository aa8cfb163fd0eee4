// The seed problem scenarios and what each must show: shared by npm test (test/e2e/problems.test.ts)
// and the nightly suite (test/nightly/problems.test.ts).
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Results } from '../../harness/interface/index.js'
import { runConclusive, tempDir } from './cli.js'

// Every seed problem ships as a scenario whose thresholds detect it. Each must fail on exactly the
// threshold that names its problem (the broken variant); dead-store is the healthy twin of
// store-hangs and must pass.
export interface ProblemCase {
  file: string
  exit: number
  failed: string[]
  check: (r: Results) => void
  /**
   * Run only in the nightly suite: a near twin of a fault scenario's broken variant that npm test
   * already runs (test/e2e/fault-scenarios-*.test.ts switches the same behaviour off in the healthy
   * scenario), or dead-store, the healthy twin of store-hangs (store-failover's healthy run in npm
   * test fails over from a dead store too).
   */
  nightly?: true
}

export const problemCases: ProblemCase[] = [
  {
    file: 'history-differs',
    nightly: true,
    exit: 1,
    failed: ['delivery.alice-phone.lost', 'history.consistent'],
    check: (r) => {
      const alice = r.reliability?.history.accounts.alice
      assert.equal(alice?.consistent, false)
      assert.ok(
        alice?.differences.every((d) => d.missingOn.includes('alice-phone')),
        'the phone is the device missing messages'
      )
    }
  },
  {
    file: 'store-out-of-sync',
    nightly: true,
    exit: 1,
    failed: ['store.inSync'],
    check: (r) => {
      assert.ok((r.reliability?.audit.stores['store-2']?.missing ?? 0) > 0, 'store-2 missed its window')
      assert.equal(r.reliability?.audit.stores['store-2']?.reachable, true)
    }
  },
  {
    file: 'partition-unnoticed',
    nightly: true,
    exit: 1,
    failed: ['partition.crossLost'],
    check: (r) => {
      assert.ok((r.reliability?.partitions[0]?.cross.lost ?? 0) > 0)
    }
  },
  {
    file: 'false-up-to-date',
    nightly: true,
    exit: 1,
    failed: ['delivery.bob.lost', 'sync.falseUpToDate'],
    check: (r) => {
      assert.equal(r.reliability?.upToDate.examples[0]?.device, 'bob')
    }
  },
  {
    file: 'slow-history',
    exit: 1,
    failed: ['store.stages.total.p95'],
    check: (r) => {
      const stages = r.reliability?.stages
      // the time is in the store's answer (dial done, first page late), not in the transfer
      assert.ok((stages?.firstPageMs.p95 ?? 0) >= 2900, `first page ${stages?.firstPageMs.p95}`)
      assert.ok((stages?.dialMs.p95 ?? Infinity) < 1000)
    }
  },
  {
    file: 'store-hangs',
    exit: 1,
    failed: ['store.failover.max'],
    check: (r) => {
      assert.ok((r.metrics['store.failover.max'].value as number) >= 15_900, 'waited out the 8 s timeout twice before switching')
    }
  },
  {
    file: 'phantom-push',
    exit: 1,
    failed: ['push.phantom'],
    check: (r) => {
      const push = r.reliability?.push
      assert.ok(push != null && push.phantom > 0 && push.phantom < push.received, 'pushes during the outage are phantom, the later ones are not')
      assert.ok(push.examples.every((e) => e.device === 'bob'))
    }
  },
  {
    file: 'dead-store',
    nightly: true,
    exit: 0,
    failed: [],
    check: (r) => {
      assert.ok(
        r.reliability?.failover.some((f) => f.store === 'store-1' && f.via === 'store-2'),
        'failed over to store-2'
      )
    }
  },
  {
    // a healthy run, like the nightly Prague scenario; npm test's bytes and light-mode runs show a crowd's cost too
    file: 'crowded-topic',
    nightly: true,
    exit: 0,
    failed: [],
    check: (r) => {
      const phone = r.bytes?.owners.phone
      assert.ok((phone?.projected.perDay ?? 0) > 1e8, 'a crowded topic costs a phone hundreds of MB a day')
      assert.ok((r.energy?.phone.radioActiveSeconds ?? 0) > 15, 'and keeps its radio awake')
    }
  }
]

export async function runProblemCase(c: ProblemCase): Promise<void> {
  const { result, out } = await runConclusive(`scenarios/problems/${c.file}.yaml`, await tempDir())
  assert.equal(result.code, c.exit, `${c.file}: exit ${result.code}\n${result.stdout}\n${result.stderr}`)
  const results = JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as Results
  assert.deepEqual(
    results.thresholds
      .filter((t) => !t.passed)
      .map((t) => t.metric)
      .sort(),
    c.failed,
    c.file
  )
  assert.equal(results.leaks?.count, 0, `${c.file}: ${JSON.stringify(results.leaks?.findings.slice(0, 3))}`)
  c.check(results)
}

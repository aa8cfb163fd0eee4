// The shipped fault scenarios, healthy and with one behaviour broken: shared by the two end-to-end
// files that run them (test/e2e/fault-scenarios-store.test.ts and fault-scenarios-network.test.ts),
// split so that npm test runs them side by side.
import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parseDocument } from 'yaml'
import type { Results } from '../../harness/interface/index.js'
import { REPO_ROOT, runConclusive, tempDir } from './cli.js'

/**
 * Every shipped fault scenario passes with the reference client, and a broken variant of it (one
 * behaviour of the client or the fleet switched off) fails on the threshold that names what broke:
 * a scenario whose check cannot fail would prove nothing.
 */
export interface FaultCase {
  scenario: string
  /** Field path -> value written over the shipped scenario; absent for the healthy run. */
  broken?: Record<string, unknown>
  /** Thresholds that must fail (the broken variant) or nothing (healthy). */
  failed: string[]
  check?: (r: Results) => void
  /**
   * Run only by the nightly suite (test/nightly/fault-scenarios.test.ts), so npm test stays short:
   * the healthy twin of a broken variant npm test runs, or a second broken variant of a scenario
   * whose other broken variant npm test runs.
   */
  nightly?: true
}

export const faultCases: FaultCase[] = [
  {
    scenario: 'store-failover',
    failed: [],
    check: (r) => {
      assert.ok(
        r.reliability?.failover.some((f) => f.device === 'alice' && f.store === 'store-1' && f.via === 'store-2'),
        'alice failed over from the dead store'
      )
      assert.ok(
        r.reliability?.storeChoice.switches.some((s) => s.device === 'alice' && s.from === 'store-1' && s.failures === 2),
        'after 2 failed requests'
      )
      assert.ok(
        r.reliability?.storeChoice.selected.some((s) => s.device === 'bob' && Object.keys(s.rttMs).length === 2),
        'bob pinged both stores to pick one'
      )
    }
  },
  {
    scenario: 'store-failover',
    // bob keeps to store-2: bob picks a store by ping, and when he picked store-1 his own failover
    // under a loaded harness took longer than store.failover.max allows, failing a second threshold
    broken: { 'devices.alice.switchAfter': 'never', 'devices.bob.store': 'store-2' },
    failed: ['store.failover.unrecovered'],
    check: (r) => {
      assert.ok(
        r.reliability?.failover.some((f) => f.device === 'alice' && f.ms == null),
        'alice never recovered'
      )
    }
  },
  {
    scenario: 'network-partition',
    failed: [],
    check: (r) => {
      assert.ok((r.reliability?.sentChecks.alice?.resent ?? 0) >= 3, 'alice resent what the store never got')
      assert.equal(r.reliability?.partitions[0]?.cross.lost, 0)
    }
  },
  {
    scenario: 'network-partition',
    broken: { 'devices.alice.confirmSent': false },
    failed: ['delivery.loss', 'partition.crossLost', 'partition.healToDelivery.max'],
    check: (r) => {
      assert.ok((r.reliability?.partitions[0]?.cross.lost ?? 0) >= 3, "alice's messages from inside the partition never reach bob")
    }
  },
  {
    nightly: true,
    scenario: 'network-partition',
    broken: { 'devices.alice.missingCheck': 'full', 'devices.bob.missingCheck': 'full' },
    failed: ['delivery.duplicates.store'],
    check: (r) => {
      assert.ok((r.bytes?.owners.bob?.duplicateBytes.store ?? 0) > 10_000, 'bob downloads what he had again, and its bytes show')
    }
  },
  {
    nightly: true,
    scenario: 'multi-device-history',
    failed: [],
    check: (r) => {
      assert.ok(
        r.reliability?.storeSync.byStore['store-1'] != null && r.reliability.storeSync.byStore['store-1'] > 0,
        'store-1 repaired its missed window from store-2'
      )
      assert.equal(r.reliability?.history.checkpoints[0]?.name, 'after-catch-up')
    }
  },
  {
    scenario: 'multi-device-history',
    broken: { 'network.storeSync': 'off' },
    failed: ['delivery.alice-phone.lost', 'history.checkpoints.inconsistent', 'history.consistent'],
    check: (r) => {
      assert.ok(r.reliability?.history.accounts.alice?.differences.every((d) => d.missingOn.includes('alice-phone')))
    }
  },
  {
    nightly: true,
    scenario: 'store-desync',
    failed: [],
    check: (r) => {
      assert.ok((r.reliability?.storeSync.byStore['store-2'] ?? 0) > 0, 'store-2 fetched its missed window')
    }
  },
  {
    scenario: 'store-desync',
    broken: { 'network.storeSync': 'off' },
    failed: ['store.inSync', 'store.missing'],
    check: (r) => {
      assert.ok((r.reliability?.audit.stores['store-2']?.missing ?? 0) > 0)
    }
  },
  {
    nightly: true,
    scenario: 'phantom-push',
    failed: [],
    check: (r) => {
      assert.ok((r.reliability?.push.received ?? 0) >= 4, 'pushes arrived while bob was away')
    }
  },
  // the broken twin of phantom-push is scenarios/problems/phantom-push.yaml (test/e2e/problems.test.ts)
  {
    nightly: true,
    scenario: 'up-to-date',
    failed: [],
    check: (r) => {
      assert.ok((r.reliability?.upToDate.claims ?? 0) > 0, 'bob did say up to date, once it was true')
    }
  },
  {
    scenario: 'up-to-date',
    broken: { 'devices.bob.upToDate': 'optimistic' },
    failed: ['sync.falseUpToDate'],
    check: (r) => {
      assert.ok(r.reliability?.upToDate.examples.every((e) => e.device === 'bob'))
    }
  },
  // the healthy offline-catchup run is in test/e2e/run.test.ts
  {
    nightly: true,
    scenario: 'offline-catchup',
    broken: { 'devices.bob.switchAfter': 'never' },
    failed: ['delivery.bob.lost', 'delivery.loss', 'store.failover.unrecovered']
  }
]

async function scenarioFile(c: FaultCase, dir: string): Promise<string> {
  const shipped = join(REPO_ROOT, 'scenarios', `${c.scenario}.yaml`)
  if (c.broken == null) return shipped
  const doc = parseDocument(await readFile(shipped, 'utf8'))
  for (const [path, value] of Object.entries(c.broken)) doc.setIn(path.split('.'), value)
  const file = join(dir, `${c.scenario}-broken.yaml`)
  await writeFile(file, doc.toString())
  return file
}

export async function runFaultCase(c: FaultCase): Promise<void> {
  const label = `${c.scenario}${c.broken == null ? '' : ` with ${JSON.stringify(c.broken)}`}`
  const dir = await tempDir()
  const { result, out } = await runConclusive(await scenarioFile(c, dir), dir)
  assert.equal(result.code, c.failed.length === 0 ? 0 : 1, `${label}: exit ${result.code}\n${result.stdout}\n${result.stderr}`)
  const results = JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as Results
  assert.deepEqual(
    results.thresholds
      .filter((t) => !t.passed)
      .map((t) => t.metric)
      .sort(),
    c.failed,
    label
  )
  // every shipped scenario's run is scanned for secrets: the reference client leaks none
  assert.equal(results.leaks?.count, 0, `${label}: ${JSON.stringify(results.leaks?.findings.slice(0, 3))}`)
  c.check?.(results)
}

/** The two halves npm test runs side by side; a case in neither is an error, not a silent skip. */
const GROUPS = {
  store: ['store-failover', 'multi-device-history', 'store-desync', 'offline-catchup'],
  network: ['network-partition', 'phantom-push', 'up-to-date']
}

export function faultCasesOf(group: keyof typeof GROUPS): FaultCase[] {
  const orphans = faultCases.filter((c) => !Object.values(GROUPS).some((names) => names.includes(c.scenario)))
  assert.deepEqual(
    orphans.map((c) => c.scenario),
    [],
    'fault cases in no group of test/helpers/fault-scenarios.ts'
  )
  return faultCases.filter((c) => GROUPS[group].includes(c.scenario) && c.nightly !== true)
}

/** The fault cases only the nightly suite runs. */
export const nightlyFaultCases = (): FaultCase[] => faultCases.filter((c) => c.nightly === true)

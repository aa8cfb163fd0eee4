// A hand-written Results with round numbers, so tests can state the text a reader must see
// (`2.81 s`, `1.5 %`) without recomputing it with the code under test.
import { RESULTS_SCHEMA_VERSION, type DeviceDelivery, type Results } from '../../../harness/interface/index.js'

function device(over: Partial<DeviceDelivery> = {}): DeviceDelivery {
  return {
    expected: 200,
    delivered: 197,
    lost: 3,
    lossRate: 0.015,
    latency: { count: 197, p50: 84, p90: 400, p95: 2810, p99: 5000, max: 7300, mean: 300 },
    renderLatency: { count: 197, p50: 100, p90: 420, p95: 2830, p99: 5020, max: 7320, mean: 320 },
    duplicates: { total: 5, rate: 5 / 197, byPath: { relay: 4, store: 1 } },
    firstByPath: { relay: 180, store: 17 },
    failed: false,
    lostMessages: ['alice-0003', 'crowd-000017', 'crowd-000018'],
    ...over
  }
}

/** A failed run: one latency threshold and the loss threshold fail, two pass; bob crashed. */
export function craftedResults(over: Partial<Results> = {}): Results {
  return {
    schemaVersion: RESULTS_SCHEMA_VERSION,
    runId: '20250101-120000-abcd',
    scenario: { name: 'prague-crowded-topic', file: 'scenarios/prague crowded.yaml', seed: 42, durationMs: 600_000, resolved: {} },
    tool: { courier: '0.1.0' },
    status: 'complete',
    verdict: 'fail',
    verdictReasons: ['threshold failed: delivery.latency.p95 = 2.81 s, wanted < 2s', 'threshold failed: delivery.loss = 1.5 %, wanted == 0'],
    timing: { runMs: 642_500, scenarioStartMs: 12_000, scenarioEndMs: 612_000 },
    metrics: {
      'delivery.latency.p95': { value: 2810, unit: 'ms' },
      'delivery.loss': { value: 0.015, unit: 'ratio' },
      'delivery.duplicates.rate': { value: 0.004, unit: 'ratio' },
      'bytes.alice.down.perMessage': { value: 1840, unit: 'bytes' },
      'energy.alice.mAh': { value: 12.5, unit: 'mAh' }
    },
    delivery: {
      overall: device({ expected: 400, delivered: 394, lost: 6, lossRate: 0.015 }),
      devices: {
        alice: device(),
        bob: device({ expected: 200, delivered: 197, lost: 3, failed: true, duplicates: { total: 0, rate: 0, byPath: {} } })
      },
      messages: { sent: 1220, byDevices: 20, byCrowd: 1200 }
    },
    store: {
      queries: 12,
      failed: 1,
      latency: { count: 11, p50: 210, p90: 600, p95: 640, p99: 700, max: 710, mean: 260 },
      byStore: { 'store-1': { queries: 5, failed: 1, messages: 40, bytes: 20_000 }, 'store-2': { queries: 7, failed: 0, messages: 90, bytes: 41_000 } }
    },
    harness: { lagP99Ms: 12, lagMaxMs: 40, cpuMaxPercent: 85, rssMaxMb: 310, lagLimitMs: 200, saturated: false, samples: 1200 },
    thresholds: [
      {
        metric: 'delivery.duplicates.rate',
        expression: '< 1%',
        value: 0.004,
        unit: 'ratio',
        passed: true,
        message: 'delivery.duplicates.rate = 0.4 %, wanted < 1%'
      },
      { metric: 'delivery.latency.p95', expression: '< 2s', value: 2810, unit: 'ms', passed: false, message: 'delivery.latency.p95 = 2.81 s, wanted < 2s' },
      {
        metric: 'bytes.alice.down.perMessage',
        expression: '< 2kB',
        value: 1840,
        unit: 'bytes',
        passed: true,
        message: 'bytes.alice.down.perMessage = 1.84 kB, wanted < 2kB'
      },
      { metric: 'delivery.loss', expression: '== 0', value: 0.015, unit: 'ratio', passed: false, message: 'delivery.loss = 1.5 %, wanted == 0' }
    ],
    errors: [{ t: 301_000, component: 'device:bob', error: 'driver session lost: socket hang up' }],
    ...over
  }
}

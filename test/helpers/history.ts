import type { HistoryRun } from '../../harness/history/index.js'

/** A recorded run built by hand; tests override what they look at. */
export function historyRun(overrides: Partial<HistoryRun> = {}): HistoryRun {
  return {
    runId: 'run-a',
    set: '/runs/a',
    startedAt: '2026-12-01T02:00:00.000Z',
    scenario: { name: 'pair', hash: 'h'.repeat(64) },
    seed: 5,
    build: {
      key: 'app:abc',
      label: 'im.example 1.2.3 (123)',
      appSha256: 'abc',
      appId: 'im.example',
      appVersion: '1.2.3',
      courierVersion: '0.1.0',
      courierCommit: 'deadbeef'
    },
    verdict: 'pass',
    status: 'complete',
    dir: '/runs/a',
    tolerances: [{ pattern: 'delivery.latency.*', ratio: 0.1 }],
    metrics: {
      'delivery.latency.p95': { value: 120.5, unit: 'ms' },
      'delivery.loss': { value: 0, unit: 'ratio' },
      'store.inSync': { value: true, unit: 'boolean' },
      'delivery.latency.max': { value: null, unit: 'ms' }
    },
    latencies: { overall: [10.1234567, 20, 30], devices: { bob: [10.1234567] }, render: [], renderDevices: {} },
    ...overrides
  }
}

import type { MetricUnit } from '../interface/index.js'

/** What a scenario's thresholds may name, known before the run so typos fail in validation. */
export interface CatalogueInput {
  devices: string[]
}

const LATENCY_STATS = ['p50', 'p90', 'p95', 'p99', 'max', 'mean'] as const

function deliveryMetrics (prefix: string): Array<[string, MetricUnit]> {
  return [
    ...LATENCY_STATS.map((s): [string, MetricUnit] => [`${prefix}.latency.${s}`, 'ms']),
    ...LATENCY_STATS.map((s): [string, MetricUnit] => [`${prefix}.renderLatency.${s}`, 'ms']),
    [`${prefix}.loss`, 'ratio'],
    [`${prefix}.lost`, 'count'],
    [`${prefix}.expected`, 'count'],
    [`${prefix}.delivered`, 'count'],
    [`${prefix}.duplicates.rate`, 'ratio'],
    [`${prefix}.duplicates.count`, 'count'],
    [`${prefix}.duplicates.relay`, 'count'],
    [`${prefix}.duplicates.store`, 'count']
  ]
}

export function metricCatalogue (input: CatalogueInput): Map<string, MetricUnit> {
  const entries: Array<[string, MetricUnit]> = [
    ...deliveryMetrics('delivery'),
    ...input.devices.flatMap((device) => deliveryMetrics(`delivery.${device}`)),
    ['messages.sent', 'count'],
    ['store.queries', 'count'],
    ['store.failed', 'count'],
    ['store.latency.p50', 'ms'],
    ['store.latency.p95', 'ms'],
    ['store.latency.max', 'ms'],
    ['devices.failed', 'count'],
    ['harness.lag.p99', 'ms'],
    ['harness.lag.max', 'ms']
  ]
  return new Map(entries)
}

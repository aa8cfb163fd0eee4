import type { MetricUnit } from '../interface/index.js'

/** What a scenario's thresholds may name, known before the run so typos fail in validation. */
export interface CatalogueInput {
  devices: string[]
  /** Fleet node names (relay-1, store-1, crowd-1...), for byte figures per node. */
  nodes?: string[]
  /** Flow names the timeline runs (`flow: { spec, name? }`). */
  flows?: string[]
}

function byteMetrics(owner: string): Array<[string, MetricUnit]> {
  return [
    [`bytes.${owner}.up`, 'bytes'],
    [`bytes.${owner}.down`, 'bytes'],
    [`bytes.${owner}.total`, 'bytes'],
    [`bytes.${owner}.down.perMessage`, 'bytes'],
    [`bytes.${owner}.total.perMessage`, 'bytes'],
    [`bytes.${owner}.duplicates.relay`, 'bytes'],
    [`bytes.${owner}.duplicates.store`, 'bytes'],
    [`bytes.${owner}.duplicates.filter`, 'bytes'],
    [`bytes.${owner}.background.perHour`, 'bytes/h'],
    [`bytes.${owner}.store.perRequest`, 'bytes'],
    [`bytes.${owner}.projected.perHour`, 'bytes/h'],
    [`bytes.${owner}.projected.perDay`, 'bytes']
  ]
}

const LATENCY_STATS = ['p50', 'p90', 'p95', 'p99', 'max', 'mean'] as const

function deliveryMetrics(prefix: string): Array<[string, MetricUnit]> {
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
    [`${prefix}.duplicates.store`, 'count'],
    [`${prefix}.duplicates.filter`, 'count']
  ]
}

export function metricCatalogue(input: CatalogueInput): Map<string, MetricUnit> {
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
    ['timeline.dropped', 'count'],
    ['harness.lag.p99', 'ms'],
    ['harness.lag.max', 'ms'],
    ...[...input.devices, ...(input.nodes ?? [])].flatMap(byteMetrics),
    ...input.devices.flatMap(
      (device): Array<[string, MetricUnit]> => [
        [`energy.${device}.joules`, 'joules'],
        [`energy.${device}.mAh`, 'mAh'],
        [`energy.${device}.mAhPerHour`, 'mAh/h'],
        [`energy.${device}.joulesPerMessage`, 'joules'],
        [`energy.${device}.radioActiveSeconds`, 'seconds'],
        [`energy.${device}.tailShare`, 'ratio'],
        [`energy.${device}.promotions`, 'count']
      ]
    ),
    ['store.inSync', 'boolean'],
    ['store.missing', 'count'],
    ['history.consistent', 'boolean'],
    ['history.differences', 'count'],
    ['partition.crossLost', 'count'],
    ['partition.healToDelivery.max', 'ms'],
    ['store.failover.max', 'ms'],
    ['store.failover.unrecovered', 'count'],
    ['filter.failover.max', 'ms'],
    ['filter.failover.unrecovered', 'count'],
    ['filter.notice.max', 'ms'],
    ['metadata.mismatches', 'count'],
    ['peerExchange.requests', 'count'],
    ['sync.falseUpToDate', 'count'],
    ['history.checkpoints.inconsistent', 'count'],
    ['sent.resent', 'count'],
    ['sent.unconfirmed', 'count'],
    ['store.switches', 'count'],
    ['store.sync.fetched', 'count'],
    ...input.devices.flatMap(
      (device): Array<[string, MetricUnit]> => [
        [`crowd.${device}.messagesPerHour`, 'count'],
        [`crowd.${device}.messageBytesPerHour`, 'bytes/h'],
        [`crowd.${device}.previewBytesPerHour`, 'bytes/h']
      ]
    ),
    ['push.received', 'count'],
    ['push.phantom', 'count'],
    ['push.renderDelay.p95', 'ms'],
    ...['total', 'dial', 'firstPage', 'transfer', 'render'].map((stage): [string, MetricUnit] => [`store.stages.${stage}.p95`, 'ms']),
    ['capture.check.mismatches', 'count'],
    ['capture.dropped', 'count'],
    ['flows.run', 'count'],
    ['flows.failed', 'count'],
    ...(input.flows ?? []).flatMap(
      (flow): Array<[string, MetricUnit]> => [
        [`flow.${flow}.duration`, 'ms'],
        [`flow.${flow}.passed`, 'boolean']
      ]
    ),
    // secrets found in the run's artifacts (harness/leaks), set by the runner after the scan
    ['leaks.count', 'count'],
    // remote endpoints outside the fleet that no destinations.allow entry names (from the capture)
    ['destinations.thirdParty', 'count'],
    // timeline blocks (censorship): the ones never got around, and per device how long and how many bytes it took
    ['censorship.unreached', 'count'],
    ...input.devices.flatMap(
      (device): Array<[string, MetricUnit]> => [
        [`censorship.${device}.reachedMs`, 'ms'],
        [`censorship.${device}.bytes`, 'bytes'],
        [`censorship.${device}.joules`, 'joules']
      ]
    )
  ]
  return new Map(entries)
}

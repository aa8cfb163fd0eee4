import type { CensorshipResult, CourierEvent, MetricValue } from '../../../harness/interface/index.js'

/**
 * Each `block` of the timeline: whether and when the device reached the network again by a node
 * it was not blocked from (its first relay connection after the block started, to a node outside
 * the blocked set; at once when it had connected to one before, which it is taken to keep), through what it learned (its bootstrap list or peer exchange), and the bytes
 * its connections moved from the block to that moment (or to the end of the block or run when it
 * never got there): what getting around the censor cost.
 */
export function analyzeCensorship(events: readonly CourierEvent[]): CensorshipResult[] {
  const results: CensorshipResult[] = []
  const endT = events.at(-1)?.t ?? 0
  for (const start of events) {
    if (start.type !== 'block.start') continue
    const end = events.find((e) => e.type === 'block.end' && e.t >= start.t && e.device === start.device)
    const until = end?.t ?? endT
    const blocked = new Set(start.nodes)
    // a relay outside the block it was already connected to is a way in it kept: reached at once
    const kept = events.findLast(
      (e): e is Extract<CourierEvent, { type: 'device.relay' }> =>
        e.type === 'device.relay' && e.device === start.device && e.t < start.t && !blocked.has(e.node)
    )
    const found = events.find(
      (e): e is Extract<CourierEvent, { type: 'device.relay' }> =>
        e.type === 'device.relay' && e.device === start.device && e.t >= start.t && e.t <= until && !blocked.has(e.node)
    )
    const reached = kept == null ? found : { ...kept, t: start.t }
    const windowEnd = reached?.t ?? until
    let bytes = 0
    for (const e of events) if (e.type === 'bytes.chunk' && e.owner === start.device && e.t >= start.t && e.t <= windowEnd) bytes += e.bytes
    const exchanges = events.filter((e) => e.type === 'device.peerExchange' && e.device === start.device && e.t <= windowEnd)
    results.push({
      device: start.device,
      atMs: start.t,
      nodes: start.nodes,
      ...(end == null ? {} : { liftedMs: end.t }),
      reachedMs: reached == null ? null : round(reached.t - start.t),
      ...(reached == null ? {} : { reachedVia: reached.node, source: reached.source }),
      bytes,
      peerExchange: { answers: exchanges.length, learned: exchanges.reduce((sum, e) => sum + (e.type === 'device.peerExchange' ? e.learned : 0), 0) }
    })
  }
  return results
}

/** `censorship.unreached` (blocks the device never got around), per device the slowest way round and the bytes it took. */
export function censorshipMetrics(results: readonly CensorshipResult[], devices: readonly string[]): Record<string, MetricValue> {
  const metrics: Record<string, MetricValue> = { 'censorship.unreached': { value: results.filter((r) => r.reachedMs == null).length, unit: 'count' } }
  for (const device of devices) {
    const mine = results.filter((r) => r.device === device)
    if (mine.length === 0) continue
    const reached = mine.map((r) => r.reachedMs)
    metrics[`censorship.${device}.reachedMs`] = { value: reached.includes(null) ? null : Math.max(...(reached as number[])), unit: 'ms' }
    metrics[`censorship.${device}.bytes`] = { value: mine.reduce((sum, r) => sum + r.bytes, 0), unit: 'bytes' }
  }
  return metrics
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10
}

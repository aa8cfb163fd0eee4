import type { CensorshipResult, CourierEvent, EventOf, MetricValue } from '../interface/index.js'
import type { Fold } from './fold.js'

/**
 * Each `block` of the timeline: whether and when the device reached the network again by a node
 * it was not blocked from (its first relay connection after the block started, to a node outside
 * the blocked set; at once when it had connected to one before, which it is taken to keep), through what it learned (its bootstrap list or peer exchange), and the bytes
 * its connections moved from the block to that moment (or to the end of the block or run when it
 * never got there): what getting around the censor cost.
 */
export function analyzeCensorship(events: readonly CourierEvent[]): CensorshipResult[] {
  const fold = new CensorshipFold()
  for (const event of events) fold.add(event)
  return fold.finish()
}

/**
 * analyzeCensorship as a fold: it keeps the few events about blocks, relays and peer exchange, and
 * of the byte chunks only each owner's times and sizes.
 */
export class CensorshipFold implements Fold<CensorshipResult[]> {
  private readonly starts: Array<EventOf<'block.start'>> = []
  private readonly ends: Array<EventOf<'block.end'>> = []
  private readonly relays: Array<EventOf<'device.relay'>> = []
  private readonly exchanges: Array<EventOf<'device.peerExchange'>> = []
  private readonly chunks = new Map<string, { t: number[]; bytes: number[] }>()
  private endT = 0

  add(event: CourierEvent): void {
    this.endT = event.t
    if (event.type === 'block.start') this.starts.push(event)
    else if (event.type === 'block.end') this.ends.push(event)
    else if (event.type === 'device.relay') this.relays.push(event)
    else if (event.type === 'device.peerExchange') this.exchanges.push(event)
    else if (event.type === 'bytes.chunk') {
      let c = this.chunks.get(event.owner)
      if (c == null) this.chunks.set(event.owner, (c = { t: [], bytes: [] }))
      c.t.push(event.t)
      c.bytes.push(event.bytes)
    }
  }

  finish(): CensorshipResult[] {
    const results: CensorshipResult[] = []
    for (const start of this.starts) {
      const end = this.ends.find((e) => e.t >= start.t && e.device === start.device)
      const until = end?.t ?? this.endT
      const blocked = new Set(start.nodes)
      // a relay outside the block it was already connected to is a way in it kept: reached at once
      const kept = this.relays.findLast((e) => e.device === start.device && e.t < start.t && !blocked.has(e.node))
      const found = this.relays.find((e) => e.device === start.device && e.t >= start.t && e.t <= until && !blocked.has(e.node))
      const reached = kept == null ? found : { ...kept, t: start.t }
      const windowEnd = reached?.t ?? until
      let bytes = 0
      const chunks = this.chunks.get(start.device)
      if (chunks != null) for (let i = 0; i < chunks.t.length; i++) if (chunks.t[i] >= start.t && chunks.t[i] <= windowEnd) bytes += chunks.bytes[i]
      const exchanges = this.exchanges.filter((e) => e.device === start.device && e.t <= windowEnd)
      results.push({
        device: start.device,
        atMs: start.t,
        nodes: start.nodes,
        ...(end == null ? {} : { liftedMs: end.t }),
        reachedMs: reached == null ? null : round(reached.t - start.t),
        ...(reached == null ? {} : { reachedVia: reached.node, source: reached.source }),
        bytes,
        peerExchange: { answers: exchanges.length, learned: exchanges.reduce((sum, e) => sum + e.learned, 0) }
      })
    }
    return results
  }
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

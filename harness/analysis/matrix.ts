// The delivery matrix (who got whose messages, on time, late, lost, duplicated) and the latency
// beyond which a first arrival counts as late. Pure: from the events and the run's thresholds.
import type { CourierEvent, DeliveryMatrix, LateAfter, MatrixCell } from '../interface/index.js'
import { Column, getOr, IntColumn, Interner, StringIds, type Fold } from './fold.js'

/** Every sender that is not a device, counted as one. */
const CROWD = 'crowd'

/** A latency threshold as the gate parsed it: comparator and target in the metric's unit. */
export interface LatencyThreshold {
  metric: string
  expression: string
  comparator: string
  target: number | boolean
  unit: string
}

/**
 * A first arrival later than this after the send is late: the tightest upper bound (`<` or `<=`)
 * among the run's `delivery.latency.*` thresholds, else 2 s.
 */
export function lateAfter(thresholds: readonly LatencyThreshold[]): LateAfter {
  let best: { ms: number; t: LatencyThreshold } | null = null
  for (const t of thresholds) {
    if (!/^delivery\.latency\./.test(t.metric)) continue
    if (t.comparator !== '<' && t.comparator !== '<=') continue
    if (typeof t.target !== 'number' || !Number.isFinite(t.target)) continue
    const ms = t.unit === 'ms' ? t.target : t.unit === 'seconds' ? t.target * 1000 : null
    if (ms == null) continue
    if (best == null || ms < best.ms) best = { ms, t }
  }
  if (best != null) return { ms: best.ms, source: `threshold ${best.t.metric} ${best.t.expression}` }
  return { ms: 2000, source: 'default; no delivery.latency threshold' }
}

/**
 * Delivered / expected for each sender and receiving device. A device expects a message it did not
 * send, on a topic it subscribed to (any topic when it subscribed to none), sent before the device
 * failed. A sender is a device, `crowd` (crowd users and the crowd gateways), or the node that
 * published. Senders: devices first, then the crowd, then nodes, each by name; receivers: every
 * device (`devices` and those the events name), by name.
 */
export function deliveryMatrix(events: Iterable<CourierEvent>, late: LateAfter, devices: Iterable<string> = []): DeliveryMatrix {
  const fold = new MatrixFold(new StringIds())
  for (const e of events) fold.add(e)
  return fold.finish({ late, devices })
}

/**
 * deliveryMatrix as a fold, keyed by message hash: per message its send (time, topic, sender), per
 * device its first arrival (the earliest) and how many times it arrived, in typed columns.
 */
export class MatrixFold implements Fold<DeliveryMatrix, { late: LateAfter; devices?: Iterable<string> }> {
  private readonly deviceSet = new Set<string>()
  private readonly subscriptions = new Map<string, Set<string>>()
  private readonly failedAt = new Map<string, number>()
  private readonly nodeRole = new Map<string, string>()
  private readonly topics = new Interner()
  private readonly senders = new Interner()
  private readonly sentT = new Column()
  private readonly topic = new IntColumn()
  private readonly sender = new IntColumn()
  /** Per device and message: the earliest arrival, and how many arrived (0: none). */
  private readonly arrivals = new Map<string, { t: Column; n: IntColumn }>()

  /** `hashes` may be shared with other folds of the same run. */
  constructor(private readonly hashes: StringIds) {}

  add(e: CourierEvent): void {
    switch (e.type) {
      case 'device.up':
        this.deviceSet.add(e.device)
        break
      case 'device.subscribe':
        this.deviceSet.add(e.device)
        getOr(this.subscriptions, e.device, () => new Set()).add(e.topic)
        break
      case 'device.failed':
        if (!this.failedAt.has(e.device)) this.failedAt.set(e.device, e.t)
        break
      case 'node.up':
      case 'node.down':
        this.nodeRole.set(e.node, e.role)
        break
      case 'msg.sent': {
        const i = this.hashes.id(e.hash)
        this.sentT.set(i, e.t)
        this.topic.set(i, this.topics.id(e.topic))
        this.sender.set(i, this.senders.id(e.device ?? (e.user != null || this.nodeRole.get(e.node ?? '') === 'crowd' ? CROWD : (e.node ?? 'unknown'))))
        break
      }
      case 'msg.received': {
        this.deviceSet.add(e.device)
        const i = this.hashes.id(e.hash)
        const a = getOr(this.arrivals, e.device, () => ({ t: new Column(), n: new IntColumn(0) }))
        const n = a.n.get(i)
        if (n === 0) {
          a.t.set(i, e.t)
          a.n.set(i, 1)
        } else {
          a.n.set(i, n + 1)
          if (e.t < a.t.get(i)) a.t.set(i, e.t)
        }
        break
      }
    }
  }

  finish({ late, devices = [] }: { late: LateAfter; devices?: Iterable<string> }): DeliveryMatrix {
    const deviceSet = new Set<string>([...devices, ...this.deviceSet])
    const { subscriptions, failedAt } = this
    const receivers = [...deviceSet].sort((a, b) => a.localeCompare(b))
    const cells = new Map<string, Map<string, MatrixCell>>()
    for (let i = 0; i < this.hashes.size; i++) {
      const sentT = this.sentT.get(i)
      if (Number.isNaN(sentT)) continue
      const sender = this.senders.names[this.sender.get(i)]
      const topic = this.topics.names[this.topic.get(i)]
      for (const device of receivers) {
        if (sender === device) continue
        const subs = subscriptions.get(device)
        if (subs != null && !subs.has(topic)) continue
        const failed = failedAt.get(device)
        if (failed != null && sentT >= failed) continue
        let row = cells.get(sender)
        if (row == null) cells.set(sender, (row = new Map()))
        let c = row.get(device)
        if (c == null) row.set(device, (c = { expected: 0, onTime: 0, late: 0, lost: 0, duplicates: 0 }))
        c.expected++
        const a = this.arrivals.get(device)
        const n = a?.n.get(i) ?? 0
        if (n === 0) c.lost++
        else {
          if (a!.t.get(i) - sentT > late.ms) c.late++
          else c.onTime++
          c.duplicates += n - 1
        }
      }
    }
    const rank = (s: string): number => (deviceSet.has(s) ? 0 : s === CROWD ? 1 : 2)
    const senders = [...cells.keys()].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b))
    return {
      lateAfterMs: late.ms,
      lateSource: late.source,
      senders,
      receivers,
      cells: senders.map((s) => receivers.map((d) => cells.get(s)?.get(d) ?? null))
    }
  }
}

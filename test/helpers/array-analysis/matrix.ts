// The delivery matrix (who got whose messages, on time, late, lost, duplicated) and the latency
// beyond which a first arrival counts as late. Pure: from the events and the run's thresholds.
import type { CourierEvent, DeliveryMatrix, LateAfter, MatrixCell } from '../../../harness/interface/index.js'

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

interface Message {
  topic: string
  sender: string
  sentT: number | null
  /** Per device: its first arrival's time and how many times it arrived. */
  arrivals: Map<string, { t: number; n: number }>
}

/**
 * Delivered / expected for each sender and receiving device. A device expects a message it did not
 * send, on a topic it subscribed to (any topic when it subscribed to none), sent before the device
 * failed. A sender is a device, `crowd` (crowd users and the crowd gateways), or the node that
 * published. Senders: devices first, then the crowd, then nodes, each by name; receivers: every
 * device (`devices` and those the events name), by name.
 */
export function deliveryMatrix(events: Iterable<CourierEvent>, late: LateAfter, devices: Iterable<string> = []): DeliveryMatrix {
  const deviceSet = new Set<string>(devices)
  const subscriptions = new Map<string, Set<string>>()
  const failedAt = new Map<string, number>()
  const nodeRole = new Map<string, string>()
  const messages = new Map<string, Message>()
  const message = (hash: string): Message => {
    let m = messages.get(hash)
    if (m == null) messages.set(hash, (m = { topic: '', sender: 'unknown', sentT: null, arrivals: new Map() }))
    return m
  }
  for (const e of events) {
    switch (e.type) {
      case 'device.up':
        deviceSet.add(e.device)
        break
      case 'device.subscribe': {
        deviceSet.add(e.device)
        let set = subscriptions.get(e.device)
        if (set == null) subscriptions.set(e.device, (set = new Set()))
        set.add(e.topic)
        break
      }
      case 'device.failed':
        if (!failedAt.has(e.device)) failedAt.set(e.device, e.t)
        break
      case 'node.up':
      case 'node.down':
        nodeRole.set(e.node, e.role)
        break
      case 'msg.sent': {
        const m = message(e.hash)
        m.sentT = e.t
        m.topic = e.topic
        m.sender = e.device ?? (e.user != null || nodeRole.get(e.node ?? '') === 'crowd' ? CROWD : (e.node ?? 'unknown'))
        break
      }
      case 'msg.received': {
        deviceSet.add(e.device)
        const a = message(e.hash).arrivals.get(e.device)
        if (a == null) message(e.hash).arrivals.set(e.device, { t: e.t, n: 1 })
        else {
          a.n++
          if (e.t < a.t) a.t = e.t
        }
        break
      }
    }
  }
  const receivers = [...deviceSet].sort((a, b) => a.localeCompare(b))
  const cells = new Map<string, Map<string, MatrixCell>>()
  for (const m of messages.values()) {
    const sentT = m.sentT
    if (sentT == null) continue
    for (const device of receivers) {
      if (m.sender === device) continue
      const subs = subscriptions.get(device)
      if (subs != null && !subs.has(m.topic)) continue
      const failed = failedAt.get(device)
      if (failed != null && sentT >= failed) continue
      let row = cells.get(m.sender)
      if (row == null) cells.set(m.sender, (row = new Map()))
      let c = row.get(device)
      if (c == null) row.set(device, (c = { expected: 0, onTime: 0, late: 0, lost: 0, duplicates: 0 }))
      c.expected++
      const a = m.arrivals.get(device)
      if (a == null) c.lost++
      else {
        if (a.t - sentT > late.ms) c.late++
        else c.onTime++
        c.duplicates += a.n - 1
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

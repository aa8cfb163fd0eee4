import type { CourierEvent } from '../interface/index.js'
import { Column, getOr, IntColumn, Interner, StringIds } from './fold.js'

/**
 * Every msg.sent of the run, in log order, one row each: what delivery and reliability read of a
 * send, as columns of ids (a row is ~36 bytes; an object with its strings was ~200).
 */
export class SentRows {
  length = 0
  readonly t = new Column()
  /** An index of `MessageLedger.msgIds`. */
  readonly msg = new IntColumn()
  /** An index of `MessageLedger.hashes`. */
  readonly hash = new IntColumn()
  /** Topic, device and node are indices of `names`; device and node -1 when the event has none. */
  readonly topic = new IntColumn()
  readonly device = new IntColumn()
  readonly node = new IntColumn()

  constructor(private readonly names: Interner) {}

  topicOf(k: number): string {
    return this.names.names[this.topic.get(k)]!
  }

  deviceOf(k: number): string | undefined {
    const d = this.device.get(k)
    return d < 0 ? undefined : this.names.names[d]
  }

  nodeOf(k: number): string | undefined {
    const n = this.node.get(k)
    return n < 0 ? undefined : this.names.names[n]
  }
}

/** One device's receptions and renders, by message (an index of `MessageLedger.msgIds`). */
export interface DeviceLedger {
  /** Time of the first msg.received in log order; NaN when none. */
  firstT: Column
  /** Its path, an index of `MessageLedger.paths`. */
  firstVia: IntColumn
  /** Time of the first msg.rendered; NaN when none. */
  shownT: Column
  /** Message indices in the order they were first rendered. */
  shownOrder: IntColumn
  receptions: number
  /** Receptions after the first, by path. */
  duplicates: Record<string, number>
}

/**
 * The per-message state delivery and reliability share, keyed by courier's msgId: every send, and
 * per device the first arrival and first render of each message. A run of a million messages on
 * a few devices holds a few typed-array columns rather than a map entry per (device, message).
 */
export class MessageLedger {
  readonly msgIds = new StringIds()
  /** Message hashes, for the figures keyed by the 14/WAKU2-MESSAGE hash (matrix, store holding). */
  readonly hashes = new StringIds()
  readonly paths = new Interner()
  /** Topics and senders (devices, nodes) of sends. */
  readonly names = new Interner()
  readonly sent = new SentRows(this.names)
  readonly devices = new Map<string, DeviceLedger>()

  add(event: CourierEvent): void {
    if (event.type === 'msg.sent') {
      const k = this.sent.length++
      const s = this.sent
      s.msg.set(k, this.msgIds.id(event.msgId))
      s.t.set(k, event.t)
      s.hash.set(k, this.hashes.id(event.hash))
      s.topic.set(k, this.names.id(event.topic))
      s.device.set(k, event.device == null ? -1 : this.names.id(event.device))
      s.node.set(k, event.node == null ? -1 : this.names.id(event.node))
    } else if (event.type === 'msg.received') {
      const d = this.device(event.device)
      d.receptions++
      const i = this.msgIds.id(event.msgId)
      if (Number.isNaN(d.firstT.get(i))) {
        d.firstT.set(i, event.t)
        d.firstVia.set(i, this.paths.id(event.via))
      } else d.duplicates[event.via] = (d.duplicates[event.via] ?? 0) + 1
    } else if (event.type === 'msg.rendered') {
      const d = this.device(event.device)
      const i = this.msgIds.id(event.msgId)
      if (Number.isNaN(d.shownT.get(i))) {
        d.shownT.set(i, event.t)
        d.shownOrder.push(i)
      }
    }
  }

  /**
   * Each message's send, as delivery counts them: the row of its last msg.sent, in the order
   * messages were first sent.
   */
  sends(): Int32Array {
    const position = new Int32Array(this.msgIds.size).fill(-1)
    const rows = new Int32Array(this.sent.length)
    let n = 0
    for (let k = 0; k < this.sent.length; k++) {
      const i = this.sent.msg.get(k)
      if (position[i]! < 0) position[i] = n++
      rows[position[i]!] = k
    }
    return rows.subarray(0, n)
  }

  /** When `device` first got message `i` (an index of msgIds); NaN when it did not. */
  firstArrivalOf(device: string, i: number): number {
    return this.devices.get(device)?.firstT.get(i) ?? Number.NaN
  }

  /** When `device` first showed `msgId`, if it did. */
  firstShown(device: string, msgId: string): number | undefined {
    const i = this.msgIds.get(msgId)
    if (i == null) return undefined
    const t = this.devices.get(device)?.shownT.get(i) ?? Number.NaN
    return Number.isNaN(t) ? undefined : t
  }

  /** Each device's rendered messages (indices of msgIds), in first-render order; `upTo` cuts each list at that many. */
  renderedSets(upTo?: ReadonlyMap<string, number>): Map<string, Set<number>> {
    const out = new Map<string, Set<number>>()
    for (const [device, d] of this.devices) {
      if (d.shownOrder.length === 0) continue
      const n = upTo == null ? d.shownOrder.length : (upTo.get(device) ?? 0)
      if (n === 0 && upTo != null) continue
      const ids = new Set<number>()
      for (let k = 0; k < Math.min(n, d.shownOrder.length); k++) ids.add(d.shownOrder.get(k))
      out.set(device, ids)
    }
    return out
  }

  private device(name: string): DeviceLedger {
    return getOr(this.devices, name, () => ({
      firstT: new Column(),
      firstVia: new IntColumn(),
      shownT: new Column(),
      shownOrder: new IntColumn(),
      receptions: 0,
      duplicates: {}
    }))
  }
}

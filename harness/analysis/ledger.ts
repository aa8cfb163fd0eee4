import type { CourierEvent } from '../interface/index.js'
import { Column, getOr, Interner } from './fold.js'

/** What delivery and reliability keep of a `msg.sent`. */
export interface SentMessage {
  t: number
  msgId: string
  hash: string
  topic: string
  device?: string
  node?: string
}

/** One device's receptions and renders, by message (an index of `MessageLedger.msgIds`). */
export interface DeviceLedger {
  /** Time of the first msg.received in log order; NaN when none. */
  firstT: Column
  /** Its path, an index of `MessageLedger.paths`. */
  firstVia: Column
  /** Time of the first msg.rendered; NaN when none. */
  shownT: Column
  /** Message indices in the order they were first rendered. */
  shownOrder: number[]
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
  readonly msgIds = new Interner()
  /** Message hashes, for the figures keyed by the 14/WAKU2-MESSAGE hash (matrix, store holding). */
  readonly hashes = new Interner()
  readonly paths = new Interner()
  readonly sent: SentMessage[] = []
  readonly devices = new Map<string, DeviceLedger>()

  /** One string object per topic and sender: each parsed line brings its own copy, and a send is kept for the whole run. */
  private readonly shared = new Map<string, string>()
  private share(s: string): string {
    const known = this.shared.get(s)
    if (known != null) return known
    this.shared.set(s, s)
    return s
  }

  add(event: CourierEvent): void {
    if (event.type === 'msg.sent') {
      this.msgIds.id(event.msgId)
      const m: SentMessage = { t: event.t, msgId: event.msgId, hash: event.hash, topic: this.share(event.topic) }
      if (event.device != null) m.device = this.share(event.device)
      if (event.node != null) m.node = this.share(event.node)
      this.sent.push(m)
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

  /** When `device` first got `msgId`, if it did. */
  firstArrival(device: string, msgId: string): number | undefined {
    const i = this.msgIds.get(msgId)
    if (i == null) return undefined
    const t = this.devices.get(device)?.firstT.get(i) ?? Number.NaN
    return Number.isNaN(t) ? undefined : t
  }

  /** When `device` first showed `msgId`, if it did. */
  firstShown(device: string, msgId: string): number | undefined {
    const i = this.msgIds.get(msgId)
    if (i == null) return undefined
    const t = this.devices.get(device)?.shownT.get(i) ?? Number.NaN
    return Number.isNaN(t) ? undefined : t
  }

  /** Each device's rendered messages, in first-render order; `upTo` cuts each list at that many. */
  renderedSets(upTo?: ReadonlyMap<string, number>): Map<string, Set<string>> {
    const out = new Map<string, Set<string>>()
    for (const [device, d] of this.devices) {
      if (d.shownOrder.length === 0) continue
      const n = upTo == null ? d.shownOrder.length : (upTo.get(device) ?? 0)
      if (n === 0 && upTo != null) continue
      out.set(device, new Set(d.shownOrder.slice(0, n).map((i) => this.msgIds.names[i])))
    }
    return out
  }

  private device(name: string): DeviceLedger {
    return getOr(this.devices, name, () => ({
      firstT: new Column(),
      firstVia: new Column(),
      shownT: new Column(),
      shownOrder: [],
      receptions: 0,
      duplicates: {}
    }))
  }
}

import type { RadioPacket } from '../interface/index.js'
import { IDLE_LABEL, UNLABELLED, type EnergyKind, type StateSpan } from './report-types.js'

// Shared machinery of every engine: a time-sorted, columnar view of the packets (typed arrays,
// because the engines must price a million packets in well under a second), an accumulator of
// time and energy per state and kind, and the attribution of joules to packet labels.

/** Packets sorted by time (stable), in columns. */
export interface PacketView {
  n: number
  time: Float64Array
  bytes: Float64Array
  /** 1 = uplink, 0 = downlink. */
  up: Uint8Array
  /** Index into labels. */
  labelId: Int32Array
  labels: string[]
}

export function packetView(packets: readonly RadioPacket[], sortByTime: boolean): PacketView {
  const n = packets.length
  let order: number[] | null = null
  if (sortByTime) {
    for (let i = 1; i < n; i++) {
      if (packets[i].time < packets[i - 1].time) {
        order = Array.from({ length: n }, (_, k) => k)
        // Array.prototype.sort is stable, so equal times keep their order of record.
        order.sort((a, b) => packets[a].time - packets[b].time)
        break
      }
    }
  }
  const time = new Float64Array(n)
  const bytes = new Float64Array(n)
  const up = new Uint8Array(n)
  const labelId = new Int32Array(n)
  const labels: string[] = []
  const ids = new Map<string, number>()
  for (let i = 0; i < n; i++) {
    const p = packets[order == null ? i : order[i]]
    time[i] = p.time
    bytes[i] = p.bytes
    up[i] = p.direction === 'up' ? 1 : 0
    const label = p.label ?? UNLABELLED
    let id = ids.get(label)
    if (id === undefined) {
      id = labels.length
      labels.push(label)
      ids.set(label, id)
    }
    labelId[i] = id
  }
  return { n, time, bytes, up, labelId, labels }
}

export const KINDS: readonly EnergyKind[] = ['promotion', 'active', 'tail', 'idle']
export const PROMOTION = 0
export const ACTIVE = 1
export const TAIL = 2
export const IDLE = 3

/** Sums time and energy per state and kind, keeps the (merged) timeline and the joules per label. */
export class Accumulator {
  readonly kindSeconds = new Float64Array(4)
  readonly kindJoules = new Float64Array(4)
  readonly states = new Map<string, { seconds: number; joules: number }>()
  readonly timeline: StateSpan[] | null
  readonly labelJoules: Float64Array
  idleJoules = 0
  promotions = 0
  start = Infinity
  end = -Infinity

  constructor(
    readonly view: PacketView,
    keepTimeline: boolean
  ) {
    this.timeline = keepTimeline ? [] : null
    this.labelJoules = new Float64Array(view.labels.length)
  }

  /** Records a span; attribution is separate (see attribute / ActiveAttributor). */
  add(state: string, kind: number, start: number, end: number, joules: number): void {
    if (!(end > start)) return
    const seconds = end - start
    this.kindSeconds[kind] += seconds
    this.kindJoules[kind] += joules
    let s = this.states.get(state)
    if (s === undefined) {
      s = { seconds: 0, joules: 0 }
      this.states.set(state, s)
    }
    s.seconds += seconds
    s.joules += joules
    if (start < this.start) this.start = start
    if (end > this.end) this.end = end
    if (this.timeline != null) {
      const last = this.timeline[this.timeline.length - 1]
      if (last !== undefined && last.state === state && last.kind === KINDS[kind] && Math.abs(last.end - start) < 1e-12) {
        last.end = end
        last.joules += joules
      } else {
        this.timeline.push({ state, kind: KINDS[kind], start, end, joules })
      }
    }
  }

  /** Gives joules to the label of packet i (or to idle when i < 0). */
  attribute(packet: number, joules: number): void {
    if (packet < 0) this.idleJoules += joules
    else this.labelJoules[this.view.labelId[packet]] += joules
  }

  byLabel(): Record<string, number> {
    const out: Record<string, number> = {}
    const labels = this.view.labels
    for (let i = 0; i < labels.length; i++) out[labels[i]] = (out[labels[i]] ?? 0) + this.labelJoules[i]
    if (this.idleJoules > 0 || Object.keys(out).length === 0) out[IDLE_LABEL] = (out[IDLE_LABEL] ?? 0) + this.idleJoules
    return out
  }
}

/**
 * Active energy priced in fixed windows aligned on the first packet: the power of a window depends
 * on the bytes sent and received in it (Huang's alpha/beta model), and the window's active energy
 * is shared among its packets by bytes. A window with active time but no packet (possible only
 * when the inactivity timer exceeds the window) goes to the packet before the gap.
 */
export class ActiveAttributor {
  private readonly k: Float64Array
  private readonly first: Int32Array
  private readonly upBytes: Float64Array
  private readonly downBytes: Float64Array
  private readonly joules: Float64Array
  private readonly count: number
  private cursor = 0
  private readonly t0: number

  constructor(
    private readonly view: PacketView,
    private readonly window: number
  ) {
    const n = view.n
    this.t0 = n > 0 ? view.time[0] : 0
    const k = new Float64Array(n + 1)
    const first = new Int32Array(n + 1)
    const upBytes = new Float64Array(n + 1)
    const downBytes = new Float64Array(n + 1)
    let c = -1
    for (let i = 0; i < n; i++) {
      const wk = Math.floor((view.time[i] - this.t0) / window)
      if (c < 0 || k[c] !== wk) {
        c++
        k[c] = wk
        first[c] = i
      }
      if (view.up[i] === 1) upBytes[c] += view.bytes[i]
      else downBytes[c] += view.bytes[i]
    }
    this.count = c + 1
    first[this.count] = n
    this.k = k
    this.first = first
    this.upBytes = upBytes
    this.downBytes = downBytes
    this.joules = new Float64Array(this.count)
  }

  private find(wk: number): number {
    if (this.cursor > 0 && this.k[this.cursor - 1] >= wk) this.cursor = 0
    while (this.cursor < this.count && this.k[this.cursor] < wk) this.cursor++
    return this.cursor < this.count && this.k[this.cursor] === wk ? this.cursor : -1
  }

  /**
   * Prices active time [a, b] at base + upSlope * upBytes/s + downSlope * downBytes/s of each window
   * it crosses, books it for attribution and returns the joules.
   */
  add(acc: Accumulator, a: number, b: number, fallbackPacket: number, base: number, upSlope: number, downSlope: number): number {
    if (!(b > a)) return 0
    const w = this.window
    let total = 0
    let k = Math.floor((a - this.t0) / w)
    let pieceStart = a
    while (pieceStart < b) {
      const boundary = this.t0 + (k + 1) * w
      const pieceEnd = boundary < b ? boundary : b
      if (pieceEnd > pieceStart) {
        const c = this.find(k)
        let watts = base
        if (c >= 0) watts += (upSlope * this.upBytes[c] + downSlope * this.downBytes[c]) / w
        const j = watts * (pieceEnd - pieceStart)
        total += j
        if (c >= 0) this.joules[c] += j
        else acc.attribute(fallbackPacket, j)
        pieceStart = pieceEnd
      }
      k++
    }
    return total
  }

  /** Shares each window's active energy among its packets by bytes. */
  finish(acc: Accumulator): void {
    const view = this.view
    for (let c = 0; c < this.count; c++) {
      const j = this.joules[c]
      if (j === 0) continue
      const from = this.first[c]
      const to = this.first[c + 1]
      const total = this.upBytes[c] + this.downBytes[c]
      for (let i = from; i < to; i++) {
        acc.attribute(i, total > 0 ? (j * view.bytes[i]) / total : j / (to - from))
      }
    }
  }
}

/** Average power of a base level with periodic on-pulses (DRX, paging, beacons). */
export function dutyCycleWatts(baseWatts: number, pulse?: { cycleSeconds: number; onSeconds: number; onWatts: number }): number {
  if (pulse == null) return baseWatts
  return baseWatts + ((pulse.onWatts - baseWatts) * pulse.onSeconds) / pulse.cycleSeconds
}

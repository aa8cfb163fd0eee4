import type { TailModelProfile } from './profile-schema.js'
import { type Accumulator, ActiveAttributor, ACTIVE, IDLE, PROMOTION, TAIL, dutyCycleWatts, type PacketView } from './pricing-core.js'

// The inactivity-timer model of Huang et al. (MobiSys 2012), generalised to any list of tail phases:
// LTE (continuous reception, short DRX, long DRX), 3G in Huang's form (DCH tail, FACH tail), and
// simple WiFi (active, tail, power save).
//
// Conventions (documented in README.md of this folder):
// - The radio is idle before the first packet, so the first packet pays a promotion.
// - A promotion occupies [t - promotion, t] before the packet that needs it: packet times are what
//   a capture saw on the wire, after the radio came up. When the gap before it is shorter than
//   tail + promotion, the promotion cuts the end of the tail; it never starts before the previous
//   packet.
// - A gap up to inactivitySeconds is active transfer time, priced per window as
//   beta + alphaUp * Mbps_up + alphaDown * Mbps_down (throughput of the window). Longer gaps lay
//   the tail phases in order from the packet, each cut short by the next packet; a gap longer than
//   the whole tail ends in idle and the next packet pays a promotion.
// - DRX on-durations and idle paging are priced as duty-cycle averages.

interface Phase {
  state: string
  seconds: number
  watts: number
}

export function tailPhases(profile: TailModelProfile): { phases: Phase[]; total: number } {
  const known = profile.tail.reduce((s, p) => s + (p.seconds ?? 0), 0)
  const phases = profile.tail.map((p) => ({
    state: p.state,
    seconds: p.seconds ?? Math.max(0, (profile.tailSeconds ?? known) - known),
    watts: dutyCycleWatts(p.watts, p.pulse)
  }))
  return { phases, total: profile.tailSeconds ?? known }
}

export function tailModelIdle(profile: TailModelProfile): { state: string; watts: number } {
  return { state: profile.idle.state, watts: dutyCycleWatts(profile.idle.watts, profile.idle.pulse) }
}

export function priceTailModel(view: PacketView, profile: TailModelProfile, acc: Accumulator): void {
  const n = view.n
  if (n === 0) return
  const time = view.time
  const { phases, total: tailTotal } = tailPhases(profile)
  const idle = tailModelIdle(profile)
  const promoSeconds = profile.promotion?.seconds ?? 0
  const promoWatts = profile.promotion?.watts ?? 0
  const promoState = profile.promotion?.state ?? 'promotion'
  const active = profile.active
  // W/Mbps times bytes per second: 8 bits per byte, 1e6 bits per Mbit.
  const upSlope = (active.alphaUpWattsPerMbps * 8) / 1e6
  const downSlope = (active.alphaDownWattsPerMbps * 8) / 1e6
  const attributor = new ActiveAttributor(view, active.windowSeconds)

  const promote = (packet: number, start: number, end: number): void => {
    acc.promotions++
    const j = promoWatts * (end - start)
    acc.add(promoState, PROMOTION, start, end, j)
    acc.attribute(packet, j)
  }

  promote(0, time[0] - promoSeconds, time[0])
  for (let i = 0; i < n; i++) {
    const t = time[i]
    const last = i === n - 1
    const next = last ? Infinity : time[i + 1]
    const gap = next - t
    if (gap <= active.inactivitySeconds) {
      const j = attributor.add(acc, t, next, i, active.betaWatts, upSlope, downSlope)
      acc.add(active.state, ACTIVE, t, next, j)
      continue
    }
    const goesIdle = gap > tailTotal
    const promoStart = goesIdle && !last ? Math.max(next - promoSeconds, t) : next
    let cursor = t
    for (let p = 0; p < phases.length && cursor < promoStart; p++) {
      const phase = phases[p]
      const end = Math.min(cursor + phase.seconds, promoStart)
      if (end > cursor) {
        const j = phase.watts * (end - cursor)
        acc.add(phase.state, TAIL, cursor, end, j)
        acc.attribute(i, j)
        cursor = end
      }
    }
    if (goesIdle && !last) {
      if (promoStart > cursor) {
        const j = idle.watts * (promoStart - cursor)
        acc.add(idle.state, IDLE, cursor, promoStart, j)
        acc.attribute(-1, j)
      }
      promote(i + 1, promoStart, next)
    }
  }
  attributor.finish(acc)
}

import type { EnergyBox3gProfile, EnergyBoxWifiProfile } from './profile-schema.js'
import { Accumulator, ActiveAttributor, ACTIVE, IDLE, PROMOTION, TAIL, type PacketView } from './pricing-core.js'
import { EB3G, EBWIFI, runEnergyBox3g, runEnergyBoxWifi, type EnergyBoxRun } from './energybox.js'

// Turns an EnergyBox point list into priced spans. Kinds: the lowest state is idle; time in a
// higher state is a tail when the radio demotes before the next packet, active otherwise.
// Promotion costs (Video Optimizer's 3G numbers; EnergyBox has none) are laid before the packet
// that promoted, cutting the end of what was there, never reaching back past the previous packet.

interface StateInfo { name: string, watts: number, rank: number }

/** The power and the name of each 3G state of a profile. */
export function energyBox3gStates (profile: EnergyBox3gProfile): Map<number, StateInfo> {
  return new Map([
    [EB3G.idle, { name: 'idle', watts: profile.power.idleWatts, rank: 0 }],
    [EB3G.fach, { name: 'fach', watts: profile.power.fachWatts, rank: 1 }],
    [EB3G.dch, { name: 'dch', watts: profile.power.dchWatts, rank: 2 }]
  ])
}

/** The power and the name of each WiFi state of a profile. */
export function energyBoxWifiStates (profile: EnergyBoxWifiProfile): Map<number, StateInfo> {
  return new Map([
    [EBWIFI.psm, { name: 'psm', watts: profile.power.psmWatts, rank: 0 }],
    [EBWIFI.cam, { name: 'cam', watts: profile.power.camWatts, rank: 1 }],
    [EBWIFI.camh, { name: 'camh', watts: profile.power.camhWatts, rank: 1 }]
  ])
}

interface PromotionCost { start: number, end: number, watts: number, packet: number }

export function priceEnergyBox3g (view: PacketView, profile: EnergyBox3gProfile, acc: Accumulator): void {
  const run = runEnergyBox3g(view, profile)
  const costs: PromotionCost[] = []
  const promo = profile.promotion
  for (const p of run.promotions) {
    const cost = p.from === EB3G.idle
      ? (p.to === EB3G.dch ? promo?.idleToDch : promo?.idleToFach)
      : promo?.fachToDch
    if (cost == null || cost.seconds <= 0) continue
    const floor = p.packet > 0 ? view.time[p.packet - 1] : -Infinity
    costs.push({ start: Math.max(p.time - cost.seconds, floor), end: p.time, watts: cost.watts, packet: p.packet })
  }
  priceRun(view, run, energyBox3gStates(profile), costs, profile.attributionWindowSeconds, acc)
}

export function priceEnergyBoxWifi (view: PacketView, profile: EnergyBoxWifiProfile, acc: Accumulator): void {
  const run = runEnergyBoxWifi(view, profile)
  priceRun(view, run, energyBoxWifiStates(profile), [], profile.attributionWindowSeconds, acc)
}

function priceRun (
  view: PacketView, run: EnergyBoxRun, info: Map<number, StateInfo>, costs: PromotionCost[], window: number, acc: Accumulator
): void {
  const n = view.n
  if (n === 0) return
  acc.promotions += run.promotions.length
  const { states, times } = run
  const m = states.length
  // Spans between consecutive points, made monotone: upstream's CAMH fallback point can land a
  // millisecond after the next point, which would otherwise be negative time.
  const spanState: number[] = []
  const spanStart: number[] = []
  const spanEnd: number[] = []
  let cursor = times[0]
  for (let i = 0; i + 1 < m; i++) {
    const a = Math.max(times[i], cursor)
    const b = Math.max(times[i + 1], a)
    cursor = b
    if (b > a) {
      spanState.push(states[i])
      spanStart.push(a)
      spanEnd.push(b)
    }
  }

  // Which gap between packets each span belongs to, and which gaps see a demotion (those are tails).
  const eps = 5e-7
  const spanGap = new Int32Array(spanState.length)
  const tailGap = new Uint8Array(n)
  let g = 0
  let prevRank = -1
  let prevGap = -1
  for (let s = 0; s < spanState.length; s++) {
    while (g + 1 < n && view.time[g + 1] <= spanStart[s] + eps) g++
    spanGap[s] = g
    const rank = info.get(spanState[s])?.rank ?? 0
    if (g === prevGap && rank < prevRank) tailGap[g] = 1
    prevRank = rank
    prevGap = g
  }

  const attributor = new ActiveAttributor(view, window)
  let c = 0
  const emitPromotion = (cost: PromotionCost): void => {
    const j = cost.watts * (cost.end - cost.start)
    acc.add('promotion', PROMOTION, cost.start, cost.end, j)
    acc.attribute(cost.packet, j)
  }
  for (let s = 0; s < spanState.length; s++) {
    while (c < costs.length && costs[c].end <= spanStart[s] + eps) emitPromotion(costs[c++])
    const a = spanStart[s]
    // A promotion ends at a point time, so a span it overlaps ends inside it: keep what comes before.
    const b = c < costs.length && costs[c].start < spanEnd[s] ? Math.max(a, costs[c].start) : spanEnd[s]
    if (!(b > a)) continue
    const st = info.get(spanState[s])
    const name = st?.name ?? String(spanState[s])
    const watts = st?.watts ?? 0
    if ((st?.rank ?? 0) === 0) {
      const j = watts * (b - a)
      acc.add(name, IDLE, a, b, j)
      acc.attribute(-1, j)
    } else if (tailGap[spanGap[s]] === 1 || spanGap[s] === n - 1) {
      const j = watts * (b - a)
      acc.add(name, TAIL, a, b, j)
      acc.attribute(spanGap[s], j)
    } else {
      const j = attributor.add(acc, a, b, spanGap[s], watts, 0, 0)
      acc.add(name, ACTIVE, a, b, j)
    }
  }
  while (c < costs.length) emitPromotion(costs[c++])
  attributor.finish(acc)
}

import type { EnergyBox3gProfile, EnergyBoxWifiProfile } from './profile-schema.js'
import { type Accumulator, ActiveAttributor, ACTIVE, IDLE, PROMOTION, TAIL, type PacketView } from './pricing-core.js'
import { EB3G, EBWIFI, runEnergyBox3g, runEnergyBoxWifi, type EnergyBoxRun } from './energybox.js'

// Turns an EnergyBox point list into priced spans. Kinds: the lowest state is idle; time in a
// higher state is a tail when the radio demotes before the next packet, active otherwise.
// Promotion costs (Video Optimizer's 3G numbers; EnergyBox has none) are laid before the packet
// that promoted, cutting the end of what was there, never reaching back past the previous packet.

interface StateInfo {
  name: string
  watts: number
  rank: number
}

/** The power and the name of each 3G state of a profile. */
export function energyBox3gStates(profile: EnergyBox3gProfile): Map<number, StateInfo> {
  return new Map([
    [EB3G.idle, { name: 'idle', watts: profile.power.idleWatts, rank: 0 }],
    [EB3G.fach, { name: 'fach', watts: profile.power.fachWatts, rank: 1 }],
    [EB3G.dch, { name: 'dch', watts: profile.power.dchWatts, rank: 2 }]
  ])
}

/** The power and the name of each WiFi state of a profile. */
export function energyBoxWifiStates(profile: EnergyBoxWifiProfile): Map<number, StateInfo> {
  return new Map([
    [EBWIFI.psm, { name: 'psm', watts: profile.power.psmWatts, rank: 0 }],
    [EBWIFI.cam, { name: 'cam', watts: profile.power.camWatts, rank: 1 }],
    [EBWIFI.camh, { name: 'camh', watts: profile.power.camhWatts, rank: 1 }]
  ])
}

/** Promotion costs in columns, sorted by time. */
interface PromotionCosts {
  count: number
  start: Float64Array
  end: Float64Array
  watts: Float64Array
  packet: Int32Array
}

export function priceEnergyBox3g(view: PacketView, profile: EnergyBox3gProfile, acc: Accumulator): void {
  const run = runEnergyBox3g(view, profile)
  const m = run.promotions
  const costs: PromotionCosts = { count: 0, start: new Float64Array(m), end: new Float64Array(m), watts: new Float64Array(m), packet: new Int32Array(m) }
  const promo = profile.promotion
  for (let i = 0; i < m; i++) {
    const packet = run.promoPacket[i]
    const cost = run.promoFrom[i] === EB3G.idle ? (run.promoTo[i] === EB3G.dch ? promo?.idleToDch : promo?.idleToFach) : promo?.fachToDch
    if (cost == null || cost.seconds <= 0) continue
    const floor = packet > 0 ? view.time[packet - 1] : -Infinity
    const c = costs.count++
    costs.start[c] = Math.max(run.promoTime[i] - cost.seconds, floor)
    costs.end[c] = run.promoTime[i]
    costs.watts[c] = cost.watts
    costs.packet[c] = packet
  }
  priceRun(view, run, energyBox3gStates(profile), costs, profile.attributionWindowSeconds, acc)
}

const NO_COSTS: PromotionCosts = { count: 0, start: new Float64Array(0), end: new Float64Array(0), watts: new Float64Array(0), packet: new Int32Array(0) }

export function priceEnergyBoxWifi(view: PacketView, profile: EnergyBoxWifiProfile, acc: Accumulator): void {
  const run = runEnergyBoxWifi(view, profile)
  priceRun(view, run, energyBoxWifiStates(profile), NO_COSTS, profile.attributionWindowSeconds, acc)
}

function priceRun(view: PacketView, run: EnergyBoxRun, info: Map<number, StateInfo>, costs: PromotionCosts, window: number, acc: Accumulator): void {
  const n = view.n
  if (n === 0) return
  acc.promotions += run.promotions
  const names: string[] = []
  const watts = new Float64Array(8)
  const rank = new Int8Array(8)
  for (let code = 0; code < 8; code++) {
    const st = info.get(code)
    names.push(st?.name ?? String(code))
    watts[code] = st?.watts ?? 0
    rank[code] = st?.rank ?? 0
  }
  const { states, times } = run
  const m = run.length
  const eps = 5e-7
  // Spans run between consecutive points, made monotone: upstream's CAMH fallback point can land a
  // millisecond after the next point, which would otherwise be negative time. Two passes over the
  // points: the first finds the gaps between packets that see a demotion (their time is tail),
  // the second prices.
  const tailGap = new Uint8Array(n)
  tailGap[n - 1] = 1
  {
    let cursor = times[0]
    let g = 0
    let prevRank = -1
    let prevGap = -1
    for (let i = 0; i + 1 < m; i++) {
      const a = times[i] > cursor ? times[i] : cursor
      const b = times[i + 1] > a ? times[i + 1] : a
      cursor = b
      if (!(b > a)) continue
      while (g + 1 < n && view.time[g + 1] <= a + eps) g++
      const r = rank[states[i]]
      if (g === prevGap && r < prevRank) tailGap[g] = 1
      prevRank = r
      prevGap = g
    }
  }

  const attributor = new ActiveAttributor(view, window)
  let c = 0
  const emitPromotion = (k: number): void => {
    const j = costs.watts[k] * (costs.end[k] - costs.start[k])
    acc.add('promotion', PROMOTION, costs.start[k], costs.end[k], j)
    acc.attribute(costs.packet[k], j)
  }
  let cursor = times[0]
  let g = 0
  for (let i = 0; i + 1 < m; i++) {
    const a = times[i] > cursor ? times[i] : cursor
    const spanEnd = times[i + 1] > a ? times[i + 1] : a
    cursor = spanEnd
    if (!(spanEnd > a)) continue
    while (g + 1 < n && view.time[g + 1] <= a + eps) g++
    while (c < costs.count && costs.end[c] <= a + eps) emitPromotion(c++)
    // A promotion ends at a point time, so a span it overlaps ends inside it: keep what comes before.
    const b = c < costs.count && costs.start[c] < spanEnd ? Math.max(a, costs.start[c]) : spanEnd
    if (!(b > a)) continue
    const code = states[i]
    if (rank[code] === 0) {
      const j = watts[code] * (b - a)
      acc.add(names[code], IDLE, a, b, j)
      acc.attribute(-1, j)
    } else if (tailGap[g] === 1) {
      const j = watts[code] * (b - a)
      acc.add(names[code], TAIL, a, b, j)
      acc.attribute(g, j)
    } else {
      const j = attributor.add(acc, a, b, g, watts[code], 0, 0)
      acc.add(names[code], ACTIVE, a, b, j)
    }
  }
  while (c < costs.count) emitPromotion(c++)
  attributor.finish(acc)
}

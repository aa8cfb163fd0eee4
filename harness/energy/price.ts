import type { RadioPacket } from '../interface/index.js'
import type { RadioProfile } from './profile-schema.js'
import { Accumulator, IDLE, KINDS, packetView } from './pricing-core.js'
import { priceTailModel, tailModelIdle } from './tail-model.js'
import { energyBox3gStates, energyBoxWifiStates, priceEnergyBox3g, priceEnergyBoxWifi } from './energybox-pricing.js'
import { EB3G, EBWIFI } from './energybox.js'
import type { EnergyKind, EnergyReport, RadioComparison, RadioComparisonRow, TimeAndEnergy } from './report-types.js'

/** Nominal Li-ion cell voltage used to express joules as mAh. */
export const NOMINAL_VOLTAGE = 3.85

/** Options of priceTimeline. */
export interface PriceOptions {
  /** Messages the timeline carried, for joulesPerMessage. */
  messages?: number
  /**
   * Length of the observation in seconds. When longer than the covered interval (first promotion
   * to end of the last tail), the rest is priced as idle after the last tail. Tails running past
   * the observation are kept: the radio really stays up after the last packet.
   */
  durationSeconds?: number
  /** Keep the state timeline in the report (default true). */
  timeline?: boolean
  /** Battery voltage for mAh (default 3.85 V). */
  voltage?: number
}

function idleOf(profile: RadioProfile): { state: string; watts: number } {
  switch (profile.model) {
    case 'tail':
      return tailModelIdle(profile)
    case 'energybox-3g': {
      const s = energyBox3gStates(profile).get(EB3G.idle)!
      return { state: s.name, watts: s.watts }
    }
    case 'energybox-wifi': {
      const s = energyBoxWifiStates(profile).get(EBWIFI.psm)!
      return { state: s.name, watts: s.watts }
    }
  }
}

/** Prices one device's packet timeline on one radio profile. Packets are sorted by time first (stable). */
export function priceTimeline(packets: readonly RadioPacket[], profile: RadioProfile, options: PriceOptions = {}): EnergyReport {
  const view = packetView(packets, true)
  const acc = new Accumulator(view, options.timeline ?? true)
  switch (profile.model) {
    case 'tail':
      priceTailModel(view, profile, acc)
      break
    case 'energybox-3g':
      priceEnergyBox3g(view, profile, acc)
      break
    case 'energybox-wifi':
      priceEnergyBoxWifi(view, profile, acc)
      break
  }
  const notes: string[] = []
  if (!profile.verified) notes.push(`profile ${profile.name} is not verified against its primary source (${profile.source})`)

  let start = acc.start
  let end = acc.end
  if (view.n === 0) {
    start = 0
    end = 0
    notes.push('no packets: the radio never left idle')
  }
  const covered = end - start
  let duration = covered
  if (options.durationSeconds != null) {
    if (options.durationSeconds > covered) {
      const idle = idleOf(profile)
      const padEnd = start + options.durationSeconds
      const j = idle.watts * (padEnd - end)
      acc.add(idle.state, IDLE, end, padEnd, j)
      acc.attribute(-1, j)
      end = padEnd
      duration = options.durationSeconds
    } else if (options.durationSeconds < covered) {
      notes.push(
        `the radio stays up ${(covered - options.durationSeconds).toFixed(3)} s past the ${options.durationSeconds} s observation (tail after the last packet); that energy is included`
      )
    }
  }

  let bytesUp = 0
  let bytesDown = 0
  for (let i = 0; i < view.n; i++) {
    if (view.up[i] === 1) bytesUp += view.bytes[i]
    else bytesDown += view.bytes[i]
  }
  const byKind = {} as Record<EnergyKind, TimeAndEnergy>
  let total = 0
  KINDS.forEach((kind, i) => {
    byKind[kind] = { seconds: acc.kindSeconds[i], joules: acc.kindJoules[i] }
    total += acc.kindJoules[i]
  })
  const states: Record<string, TimeAndEnergy> = {}
  for (const [name, s] of acc.states) states[name] = { seconds: s.seconds, joules: s.joules }
  const voltage = options.voltage ?? NOMINAL_VOLTAGE
  // 1 mAh at V volts is 3.6 * V joules.
  const mAh = total / (3.6 * voltage)
  const messages = options.messages ?? null
  return {
    profile: { name: profile.name, model: profile.model, source: profile.source, verified: profile.verified },
    voltage,
    packets: view.n,
    bytesUp,
    bytesDown,
    messages,
    start,
    end,
    durationSeconds: duration,
    totalJoules: total,
    averageWatts: duration > 0 ? total / duration : null,
    joulesPerKB: bytesUp + bytesDown > 0 ? total / ((bytesUp + bytesDown) / 1000) : null,
    joulesPerMessage: messages != null && messages > 0 ? total / messages : null,
    mAh,
    mAhPerHour: duration > 0 ? mAh / (duration / 3600) : null,
    radioActiveSeconds: byKind.promotion.seconds + byKind.active.seconds + byKind.tail.seconds,
    promotions: acc.promotions,
    tailShare: total > 0 ? byKind.tail.joules / total : 0,
    promotionShare: total > 0 ? byKind.promotion.joules / total : 0,
    byKind,
    states,
    timeline: acc.timeline ?? [],
    byLabel: acc.byLabel(),
    notes
  }
}

/** "What if this device had been on another radio": the same timeline priced on each profile. */
export function compareRadios(packets: readonly RadioPacket[], profiles: readonly RadioProfile[], options: PriceOptions = {}): RadioComparison {
  const reports: Record<string, EnergyReport> = {}
  const rows: RadioComparisonRow[] = []
  for (const profile of profiles) {
    const report = priceTimeline(packets, profile, options)
    reports[profile.name] = report
    rows.push({
      profile: profile.name,
      verified: profile.verified,
      totalJoules: report.totalJoules,
      mAh: report.mAh,
      mAhPerHour: report.mAhPerHour,
      averageWatts: report.averageWatts,
      tailShare: report.tailShare,
      promotionShare: report.promotionShare,
      radioActiveSeconds: report.radioActiveSeconds,
      promotions: report.promotions
    })
  }
  rows.sort((a, b) => a.totalJoules - b.totalJoules)
  return { rows, reports }
}

import type { RadioPacket } from '../interface/index.js'
import type { EnergyBox3gProfile, EnergyBoxWifiProfile, RadioProfile } from './profile-schema.js'
import { packetView } from './pricing-core.js'
import { runEnergyBox3g, runEnergyBoxWifi, type EnergyBoxPoint, type EnergyBoxRun, type EnergyBoxWifiQuirks } from './energybox.js'
import { energyBox3gStates, energyBoxWifiStates } from './energybox-pricing.js'

/** Options of the EnergyBox trace functions. */
export interface EnergyBoxTraceOptions {
  /** Sort packets by time first. Upstream does not (file order), and its oracles depend on that. */
  sortByTime?: boolean
}

function points(run: EnergyBoxRun): EnergyBoxPoint[] {
  const out: EnergyBoxPoint[] = new Array(run.length)
  for (let i = 0; i < run.length; i++) out[i] = { state: run.states[i], time: run.times[i] }
  return out
}

function expectModel<M extends RadioProfile['model']>(profile: RadioProfile, model: M): asserts profile is Extract<RadioProfile, { model: M }> {
  if (profile.model !== model) throw new TypeError(`profile ${profile.name} is a ${profile.model} profile, not ${model}`)
}

/** EnergyBox's 3G state trace (IDLE 0, FACH 1, DCH 3) of packets in the order given, as upstream prints it. */
export function energyBoxStates3g(
  packets: readonly RadioPacket[],
  profile: EnergyBox3gProfile | RadioProfile,
  options: EnergyBoxTraceOptions = {}
): EnergyBoxPoint[] {
  expectModel(profile, 'energybox-3g')
  return points(runEnergyBox3g(packetView(packets, options.sortByTime ?? false), profile))
}

/** EnergyBox's WiFi state trace (PSM 0, CAM 2, CAMH 3) of packets in the order given, as upstream prints it. */
export function energyBoxStatesWifi(
  packets: readonly RadioPacket[],
  profile: EnergyBoxWifiProfile | RadioProfile,
  options: EnergyBoxTraceOptions & EnergyBoxWifiQuirks = {}
): EnergyBoxPoint[] {
  expectModel(profile, 'energybox-wifi')
  return points(runEnergyBoxWifi(packetView(packets, options.sortByTime ?? false), profile, options))
}

/**
 * Energy of a trace the way upstream sums it: each point's state power times the time to the next
 * point, negative steps included (they occur when the file is not time-ordered).
 */
export function energyBoxTraceEnergy(trace: readonly EnergyBoxPoint[], profile: RadioProfile): number {
  const info = profile.model === 'energybox-3g' ? energyBox3gStates(profile) : profile.model === 'energybox-wifi' ? energyBoxWifiStates(profile) : null
  if (info == null) throw new TypeError(`profile ${profile.name} is not an EnergyBox profile`)
  let joules = 0
  for (let i = 0; i + 1 < trace.length; i++) joules += (trace[i + 1].time - trace[i].time) * (info.get(trace[i].state)?.watts ?? 0)
  return joules
}

/** A number as Java's Double.toString prints it (upstream's CSV format). */
export function javaDouble(x: number): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'NaN' : x > 0 ? 'Infinity' : '-Infinity'
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0'
  const abs = Math.abs(x)
  if (abs >= 1e-3 && abs < 1e7) {
    const s = String(x)
    return s.includes('.') ? s : `${s}.0`
  }
  const [mantissa, exponent] = x.toExponential().split('e')
  return `${mantissa.includes('.') ? mantissa : `${mantissa}.0`}E${Number(exponent)}`
}

/** Upstream's CSV: one `state,time` line per point, no header. */
export function formatEnergyBoxCsv(trace: readonly EnergyBoxPoint[]): string {
  return trace.map((p) => `${p.state},${javaDouble(p.time)}\n`).join('')
}

/** Reads upstream's CSV (as in fixtures/pcap/energybox/oracle). */
export function parseEnergyBoxCsv(text: string): EnergyBoxPoint[] {
  const out: EnergyBoxPoint[] = []
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '') continue
    const [state, time] = line.split(',')
    out.push({ state: Number(state), time: Number(time) })
  }
  return out
}

import type { RadioModel } from './profile-schema.js'

/** What a stretch of radio time is spent on; tails and promotions are the overhead of bursts. */
export type EnergyKind = 'promotion' | 'active' | 'tail' | 'idle'

/** One step of the state timeline, in packet time (seconds). */
export interface StateSpan {
  state: string
  kind: EnergyKind
  start: number
  end: number
  joules: number
}

export interface TimeAndEnergy {
  seconds: number
  joules: number
}

/** Energy of one device's packet timeline on one radio profile. JSON-serialisable. */
export interface EnergyReport {
  profile: { name: string; model: RadioModel; source: string; verified: boolean }
  /** Nominal battery voltage used to turn joules into mAh. */
  voltage: number
  packets: number
  bytesUp: number
  bytesDown: number
  messages: number | null
  /** Covered interval in packet time: from the first promotion to the end of the last tail (or longer, see durationSeconds). */
  start: number
  end: number
  durationSeconds: number
  totalJoules: number
  averageWatts: number | null
  /** Joules per 1000 bytes (both directions). */
  joulesPerKB: number | null
  joulesPerMessage: number | null
  mAh: number
  mAhPerHour: number | null
  /** Time not idle (promotion + active + tail): comparable with Android's "mobile radio active". */
  radioActiveSeconds: number
  promotions: number
  /** Fraction of totalJoules spent in tails (0..1). */
  tailShare: number
  /** Fraction of totalJoules spent in promotions (0..1). */
  promotionShare: number
  byKind: Record<EnergyKind, TimeAndEnergy>
  states: Record<string, TimeAndEnergy>
  /** Consecutive spans of the same state and kind are merged. Empty when the caller opted out. */
  timeline: StateSpan[]
  /** Joules by packet label; sums to totalJoules. Idle time is under IDLE_LABEL, packets without a label under UNLABELLED. */
  byLabel: Record<string, number>
  notes: string[]
}

export const IDLE_LABEL = '(idle)'
export const UNLABELLED = '(unlabelled)'

/** One profile's figures in a what-if comparison. */
export interface RadioComparisonRow {
  profile: string
  verified: boolean
  totalJoules: number
  mAh: number
  mAhPerHour: number | null
  averageWatts: number | null
  tailShare: number
  promotionShare: number
  radioActiveSeconds: number
  promotions: number
}

/** The same timeline priced on several profiles; rows sorted cheapest first. */
export interface RadioComparison {
  rows: RadioComparisonRow[]
  reports: Record<string, EnergyReport>
}

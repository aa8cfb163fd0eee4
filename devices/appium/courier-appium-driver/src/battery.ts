/**
 * The courier test app's battery: a stand-in, not a measurement. Its only job is to give the
 * harness's battery path (`mobile: batteryInfo`, `dumpsys batterystats`) numbers that move with
 * the run's real traffic: the radio counts as active from each socket read or write until
 * TAIL_MS after the last one (an LTE-like inactivity timer), and active time costs
 * RADIO_ACTIVE_MA. Real figures come from a real phone's batterystats.
 */
import { formatAndroidBytes, formatAndroidDuration } from '../../../../harness/interface/index.js'

export const TAIL_MS = 5000
export const RADIO_ACTIVE_MA = 250
export const CAPACITY_MAH = 4000
/** The app's Android uid: `u0a123` in batterystats, `userId=10123` in `dumpsys package`. */
export const APP_UID = 10123

export class BatteryModel {
  private activeMs = 0
  private activeUntil = -Infinity
  private activeFrom = 0
  bytesRx = 0
  bytesTx = 0
  packetsRx = 0
  packetsTx = 0
  private activations = 0
  private resetAt: number

  constructor(private readonly now: () => number) {
    this.resetAt = now()
  }

  /** One socket read (down) or write (up) of the app. */
  traffic(direction: 'up' | 'down', bytes: number): void {
    const t = this.now()
    if (t > this.activeUntil) {
      this.closeWindow()
      this.activeFrom = t
      this.activations++
    }
    this.activeUntil = t + TAIL_MS
    if (direction === 'up') {
      this.bytesTx += bytes
      this.packetsTx++
    } else {
      this.bytesRx += bytes
      this.packetsRx++
    }
  }

  private closeWindow(): void {
    if (this.activeUntil === -Infinity) return
    this.activeMs += Math.max(0, this.activeUntil - this.activeFrom)
    this.activeUntil = -Infinity
  }

  radioActiveMs(): number {
    const t = this.now()
    const open = this.activeUntil === -Infinity ? 0 : Math.max(0, Math.min(t, this.activeUntil) - this.activeFrom)
    return this.activeMs + open
  }

  mAh(): number {
    return (this.radioActiveMs() / 3_600_000) * RADIO_ACTIVE_MA
  }

  /** 0..1, as `mobile: batteryInfo` reports it; starts full. */
  level(): number {
    return Math.max(0, 1 - this.mAh() / CAPACITY_MAH)
  }

  reset(): void {
    this.activeMs = 0
    this.activeUntil = -Infinity
    this.bytesRx = this.bytesTx = this.packetsRx = this.packetsTx = this.activations = 0
    this.resetAt = this.now()
  }

  /** The lines of `dumpsys batterystats <pkg>` that courier reads, in Android's text format. */
  dumpsys(pkg: string): string {
    const label = uidLabel(APP_UID)
    const since = this.now() - this.resetAt
    const active = this.radioActiveMs()
    const share = since > 0 ? ((100 * active) / since).toFixed(1) : '0.0'
    const mAh = this.mAh()
    return [
      'Battery History (0% used, 0 used of 4096KB, 1 strings using 0):',
      '',
      'Per-PID Stats:',
      '',
      'Statistics since last charge:',
      `  System starts: 0, currently on battery: true`,
      `  Time on battery: ${formatAndroidDuration(since)} (100.0%) realtime, ${formatAndroidDuration(since)} (100.0%) uptime`,
      '',
      '  Estimated power use (mAh):',
      `    Capacity: ${CAPACITY_MAH}, Computed drain: ${mAh.toFixed(3)}, actual drain: 0`,
      `    Uid ${label}: ${mAh.toFixed(3)} ( radio=${mAh.toFixed(3)} )`,
      '',
      `  ${label}:`,
      `    Mobile network: ${formatAndroidBytes(this.bytesRx)} received, ${formatAndroidBytes(this.bytesTx)} sent (packets ${this.packetsRx} received, ${this.packetsTx} sent)`,
      `    Mobile radio active: ${formatAndroidDuration(active)} (${share}%) ${this.activations}x @ 0 mspp`,
      `    Apk ${pkg}:`,
      '      (nothing executed)',
      ''
    ].join('\n')
  }
}

export function uidLabel(uid: number): string {
  return `u0a${uid - 10000}`
}

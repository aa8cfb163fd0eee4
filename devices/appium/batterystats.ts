/** What courier reads from `dumpsys batterystats <pkg>` for one app (Android's text format). */
export interface AppBatteryStats {
  /** Estimated power use of the app's uid since the last reset, mAh. */
  mAh?: number
  /** Time the mobile radio was active on the app's behalf, ms. */
  radioActiveMs?: number
  bytesRx?: number
  bytesTx?: number
}

/** `userId=10123` in `dumpsys package <pkg>` -> the uid, or undefined. */
export function parsePackageUid(dumpsysPackage: string): number | undefined {
  const match = /\buserId=(\d+)/.exec(dumpsysPackage)
  return match == null ? undefined : Number(match[1])
}

/** `versionName=2.29.0` and `versionCode=2024051501 minSdk=...` from `dumpsys package <pkg>`. */
export function parsePackageVersion(dumpsysPackage: string): { version: string | null; build: string | null } {
  return { version: /\bversionName=(\S+)/.exec(dumpsysPackage)?.[1] ?? null, build: /\bversionCode=(\d+)/.exec(dumpsysPackage)?.[1] ?? null }
}

/** Android prints app uids as u<user>a<appId - 10000>: 10123 -> u0a123. */
export function uidLabel(uid: number): string {
  const user = Math.floor(uid / 100_000)
  const app = uid % 100_000
  return app >= 10_000 ? `u${user}a${app - 10_000}` : String(app)
}

/**
 * Reads the app's lines out of a batterystats dump: `Uid u0a123: 1.23 ( ... )` under "Estimated
 * power use (mAh)" (written `UID u0a123: 1.23 ...` since Android 12), and in the `u0a123:` section
 * `Mobile network: 1.20MB received, 300KB sent (...)` and `Mobile radio active: 1m 2s 300ms (...)`.
 * A figure that is not there is left undefined, never guessed.
 */
export function parseBatterystats(text: string, uid: number): AppBatteryStats {
  const label = uidLabel(uid)
  const out: AppBatteryStats = {}
  const escaped = label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  const power = new RegExp(`^\\s*(?:Uid|UID) ${escaped}: ([0-9.]+)`, 'm').exec(text)
  if (power != null) out.mAh = Number(power[1])
  const section = sectionOf(text, label)
  if (section != null) {
    const network = /Mobile network: ([0-9.]+\s*[KMG]?B) received, ([0-9.]+\s*[KMG]?B) sent/.exec(section)
    if (network != null) {
      out.bytesRx = parseBytes(network[1])
      out.bytesTx = parseBytes(network[2])
    }
    const radio = /Mobile radio active: ((?:\d+(?:ms|d|h|m|s)\s*)+)/.exec(section)
    if (radio != null) out.radioActiveMs = parseDuration(radio[1])
  }
  return out
}

/** The lines of the uid's own section: from `  u0a123:` to the next line at the same indentation. */
function sectionOf(text: string, label: string): string | undefined {
  const lines = text.split('\n')
  const start = lines.findIndex((line) => line.trim() === `${label}:`)
  if (start < 0) return undefined
  const indent = lines[start].length - lines[start].trimStart().length
  const body: string[] = []
  for (const line of lines.slice(start + 1)) {
    const lineIndent = line.length - line.trimStart().length
    if (line.trim() !== '' && lineIndent <= indent) break
    body.push(line)
  }
  return body.join('\n')
}

/** `12.34KB` -> bytes (batterystats uses powers of 1024). */
export function parseBytes(text: string): number {
  const match = /^([0-9.]+)\s*([KMG]?)B$/.exec(text.trim())
  if (match == null) return NaN
  const scale = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 }[match[2] as '' | 'K' | 'M' | 'G']
  return Math.round(Number(match[1]) * scale)
}

/** `1h 2m 3s 4ms` -> ms. */
export function parseDuration(text: string): number {
  let ms = 0
  for (const [, n, unit] of text.matchAll(/(\d+)(ms|d|h|m|s)/g)) {
    ms += Number(n) * { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000, ms: 1 }[unit as 'd' | 'h' | 'm' | 's' | 'ms']
  }
  return ms
}

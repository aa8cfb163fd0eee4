// Every number courier writes as text for a person, in one module. Three readings, each kept
// byte for byte because reports, results.json's threshold messages and recorded runs pin them:
// - the reports' (console, JUnit, Markdown, HTML, comparisons): significant digits, `812 ms`,
//   `2.35 s`, `4m 05s`, `1.2 kB`, `3.5 %` (`sig`, `formatMs`, `formatBytes`, `formatCount`,
//   `formatRatio`, `formatValue`);
// - a scenario's own notation, as thresholds are written and as the gate's messages quote them:
//   `2 s`, `1.5 min`, `2 kB`, `5%` (`formatScenarioDuration`, `formatScenarioBytes`,
//   `formatThresholdValue`);
// - Android's batterystats dump, which courier's Appium driver writes and devices/appium parses:
//   `1h 2m 3s 4ms`, `1.50KB` (`formatAndroidDuration`, `formatAndroidBytes`);
// - `courier pcap`'s summary, whole bytes with a rounded size beside: `12.3 kB (12345 B)`
//   (`formatPcapBytes`).
// report.html's page script formats in the browser with its own small copies (it cannot import).
import type { MetricUnit } from './results.js'

// ---- the reports' reading

/** A number with at most `digits` significant digits, trailing zeros trimmed. */
export function sig(value: number, digits = 3): string {
  if (!Number.isFinite(value)) return String(value)
  if (value === 0) return '0'
  const abs = Math.abs(value)
  // integers this large read better whole than as 1.23e+6
  if (abs >= 10 ** digits) return Math.round(value).toLocaleString('en-US')
  return String(Number(value.toPrecision(digits)))
}

/** Milliseconds as a person reads them: `812 ms`, `2.35 s`, `4m 05s`. */
export function formatMs(ms: number | null | undefined): string {
  if (ms == null || !Number.isFinite(ms)) return 'n/a'
  const abs = Math.abs(ms)
  if (abs < 1000) return `${sig(ms, abs < 10 ? 2 : 3)} ms`
  if (abs < 60_000) return `${sig(ms / 1000, 3)} s`
  const totalSeconds = Math.round(ms / 1000)
  const hours = Math.floor(totalSeconds / 3600)
  const minutes = Math.floor((totalSeconds % 3600) / 60)
  const seconds = totalSeconds % 60
  if (hours > 0) return `${hours}h ${String(minutes).padStart(2, '0')}m ${String(seconds).padStart(2, '0')}s`
  return `${minutes}m ${String(seconds).padStart(2, '0')}s`
}

/** Bytes in SI units (kB = 1000 B), as DESIGN.md and scenarios write them. */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes == null || !Number.isFinite(bytes)) return 'n/a'
  const abs = Math.abs(bytes)
  if (abs < 1000) return `${sig(bytes, 3)} B`
  if (abs < 1e6) return `${sig(bytes / 1e3, 3)} kB`
  if (abs < 1e9) return `${sig(bytes / 1e6, 3)} MB`
  return `${sig(bytes / 1e9, 3)} GB`
}

export function formatCount(count: number | null | undefined): string {
  if (count == null || !Number.isFinite(count)) return 'n/a'
  return Number.isInteger(count) ? count.toLocaleString('en-US') : sig(count, 3)
}

/** A ratio (0..1) as a percentage. */
export function formatRatio(ratio: number | null | undefined): string {
  if (ratio == null || !Number.isFinite(ratio)) return 'n/a'
  return `${sig(ratio * 100, 3)} %`
}

/** A measured value in its metric unit. */
export function formatValue(value: number | boolean | null | undefined, unit: MetricUnit | string): string {
  if (value == null) return 'n/a'
  if (typeof value === 'boolean') return value ? 'true' : 'false'
  switch (unit) {
    case 'ms':
      return formatMs(value)
    case 'seconds':
      return formatMs(value * 1000)
    case 'ratio':
      return formatRatio(value)
    case 'count':
      return formatCount(value)
    case 'bytes':
      return formatBytes(value)
    case 'bytes/h':
      return `${formatBytes(value)}/h`
    case 'boolean':
      return value !== 0 ? 'true' : 'false'
    case 'joules':
      return `${sig(value, 3)} J`
    case 'mAh':
      return `${sig(value, 3)} mAh`
    case 'mAh/h':
      return `${sig(value, 3)} mAh/h`
    default:
      return `${sig(value, 3)} ${unit}`.trim()
  }
}

// ---- a scenario's notation (thresholds and the gate's messages)

/** `812 ms`, `2.5 s` below two minutes, then `3.5 min`: two decimals below 10, one above, no trailing zeros. */
export function formatScenarioDuration(ms: number): string {
  if (ms < 1000) return `${roundScenario(ms)} ms`
  if (ms < 120_000) return `${roundScenario(ms / 1000)} s`
  return `${roundScenario(ms / 60_000)} min`
}

/** `512 B`, `1.5 kB`, `12.3 MB`: SI, two decimals below 10, one above, no trailing zeros. */
export function formatScenarioBytes(bytes: number): string {
  if (bytes < 1000) return `${roundScenario(bytes)} B`
  if (bytes < 1e6) return `${roundScenario(bytes / 1e3)} kB`
  if (bytes < 1e9) return `${roundScenario(bytes / 1e6)} MB`
  return `${roundScenario(bytes / 1e9)} GB`
}

function roundScenario(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(value < 10 ? 2 : 1).replace(/\.?0+$/, '')
}

/** A value in a threshold message (`delivery.latency.p95 = 812 ms, wanted < 2 s`), in the scenario's notation. */
export function formatThresholdValue(value: number | boolean, unit: string): string {
  if (typeof value === 'boolean') return String(value)
  switch (unit) {
    case 'ms':
      return formatScenarioDuration(value)
    case 'seconds':
      return formatScenarioDuration(value * 1000)
    case 'ratio':
      return `${+(value * 100).toFixed(3)}%`
    case 'bytes':
      return formatScenarioBytes(value)
    case 'bytes/h':
      return `${formatScenarioBytes(value)}/h`
    default:
      return `${+value.toFixed(3)}${unit === 'count' ? '' : ` ${unit}`}`
  }
}

// ---- Android's batterystats dump

/** Android's TimeUtils style: `1h 2m 3s 4ms`, zero parts left out. */
export function formatAndroidDuration(ms: number): string {
  let rest = Math.round(ms)
  const parts: string[] = []
  for (const [unit, size] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000]
  ] as const) {
    const n = Math.floor(rest / size)
    if (n > 0) parts.push(`${n}${unit}`)
    rest -= n * size
  }
  if (rest > 0 || parts.length === 0) parts.push(`${rest}ms`)
  return parts.join(' ')
}

/** Android's formatBytes in batterystats: B below 1 KB, then KB, MB, GB with two decimals. */
export function formatAndroidBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes}B`
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(2)}KB`
  if (bytes < 1024 * 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(2)}MB`
  return `${(bytes / 1024 / 1024 / 1024).toFixed(2)}GB`
}

// ---- `courier pcap`

/** Exact below 10,000 B; above, a rounded SI size with the exact count beside: `12.3 kB (12345 B)`. */
export function formatPcapBytes(n: number): string {
  if (n < 10_000) return `${n} B`
  const units = ['kB', 'MB', 'GB', 'TB']
  let v = n
  let u = -1
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000
    u++
  }
  return `${v.toFixed(v < 100 ? 1 : 0)} ${units[u]} (${n} B)`
}

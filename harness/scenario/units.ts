/**
 * Units in scenarios are strings a person writes (`30s`, `2kB`, `30/min`, `1%`, `10mbit`). Each
 * parser returns a number in one base unit or a message saying what was expected.
 */
export type Parsed = { ok: true; value: number } | { ok: false; expected: string }

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, sec: 1000, m: 60_000, min: 60_000, h: 3_600_000 }
const SIZE_UNITS: Record<string, number> = { b: 1, kb: 1000, mb: 1_000_000, gb: 1_000_000_000, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3 }
const RATE_UNITS: Record<string, number> = { s: 1, sec: 1, min: 1 / 60, m: 1 / 60, h: 1 / 3600 }
const BANDWIDTH_UNITS: Record<string, number> = { bit: 1, kbit: 1e3, mbit: 1e6, gbit: 1e9, bps: 1, kbps: 1e3, mbps: 1e6, gbps: 1e9 }

const NUMBER = '(\\d+(?:\\.\\d+)?|\\.\\d+)'

/** Milliseconds. Compound forms like `1m30s` are accepted. */
export function parseDuration(input: unknown): Parsed {
  const expected = 'a duration such as 500ms, 30s, 2m, 1h or 1m30s'
  if (typeof input !== 'string') return { ok: false, expected }
  const text = input.trim().toLowerCase()
  const part = new RegExp(`${NUMBER}\\s*(ms|sec|min|s|m|h)`, 'gy')
  let total = 0
  let consumed = 0
  let match: RegExpExecArray | null
  while ((match = part.exec(text)) != null) {
    total += Number(match[1]) * DURATION_UNITS[match[2]]
    consumed = part.lastIndex
  }
  if (consumed === 0 || consumed !== text.length) return { ok: false, expected }
  return { ok: true, value: total }
}

/** Bytes. `kB` is 1000 bytes and `KiB` 1024, as in SI and IEC. */
export function parseSize(input: unknown): Parsed {
  const expected = 'a size such as 300B, 2kB, 1.5MB or 4KiB'
  if (typeof input !== 'string') return { ok: false, expected }
  const match = new RegExp(`^${NUMBER}\\s*([a-z]+)$`, 'i').exec(input.trim())
  if (match == null) return { ok: false, expected }
  const factor = SIZE_UNITS[match[2].toLowerCase()]
  if (factor == null) return { ok: false, expected }
  return { ok: true, value: Math.round(Number(match[1]) * factor) }
}

/** Events per second, from `30/min`, `2/s`, `100/h`. */
export function parseRate(input: unknown): Parsed {
  const expected = 'a rate such as 30/min, 2/s or 100/h'
  if (typeof input !== 'string') return { ok: false, expected }
  const match = new RegExp(`^${NUMBER}\\s*/\\s*([a-z]+)$`, 'i').exec(input.trim())
  if (match == null) return { ok: false, expected }
  const factor = RATE_UNITS[match[2].toLowerCase()]
  if (factor == null) return { ok: false, expected }
  return { ok: true, value: Number(match[1]) * factor }
}

/** A ratio in [0, 1] from `1%` or `0.01`. */
export function parseRatio(input: unknown): Parsed {
  const expected = 'a percentage such as 1% or 0.5%, or a ratio from 0 to 1'
  if (typeof input === 'number') return input >= 0 && input <= 1 ? { ok: true, value: input } : { ok: false, expected }
  if (typeof input !== 'string') return { ok: false, expected }
  const text = input.trim()
  const percent = new RegExp(`^${NUMBER}\\s*%$`).exec(text)
  const value = percent != null ? Number(percent[1]) / 100 : new RegExp(`^${NUMBER}$`).test(text) ? Number(text) : NaN
  if (!(value >= 0 && value <= 1)) return { ok: false, expected }
  return { ok: true, value }
}

/** Bits per second from `10mbit`, `512kbit`. */
export function parseBandwidth(input: unknown): Parsed {
  const expected = 'a bandwidth such as 512kbit, 10mbit or 1gbit'
  if (typeof input !== 'string') return { ok: false, expected }
  const match = new RegExp(`^${NUMBER}\\s*([a-z]+)$`, 'i').exec(input.trim())
  if (match == null) return { ok: false, expected }
  const factor = BANDWIDTH_UNITS[match[2].toLowerCase()]
  if (factor == null) return { ok: false, expected }
  return { ok: true, value: Number(match[1]) * factor }
}

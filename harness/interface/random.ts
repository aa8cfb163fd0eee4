// Seeded randomness, one module for every consumer (scenario plans, link shaping, the compare
// bootstrap, test generators). Own code rather than a package: a few small, well-known functions.
//
// Two generator families, each kept because the seeded outcomes that tests and recorded runs pin
// were drawn from it:
// - sfc32 streams by label (`seededRandom(seed, label)`): scenario plans (crowd schedule, fleet
//   choices, device randomness). Every consumer derives its own stream from (seed, label) so adding
//   a device does not shift the crowd's schedule; same seed, same run plan.
// - mulberry32 (`mulberry32(seed)`, `streamRandom(seed, connection, direction)` with splitmix32 to
//   derive stream seeds): link jitter and loss, where a connection draws per packet and the
//   sha256 of a label per stream would cost more than the draws; also the compare bootstrap.
import { createHash } from 'node:crypto'

/** A generator of uniform numbers in [0, 1). */
export type Random = () => number

/** sfc32: small, fast, well-distributed; Math.random cannot be seeded. */
function sfc32(a: number, b: number, c: number, d: number): Random {
  return () => {
    a |= 0
    b |= 0
    c |= 0
    d |= 0
    const t = (((a + b) | 0) + d) | 0
    d = (d + 1) | 0
    a = b ^ (b >>> 9)
    b = (c + (c << 3)) | 0
    c = (c << 21) | (c >>> 11)
    c = (c + t) | 0
    return (t >>> 0) / 4294967296
  }
}

/** The stream of one consumer: sfc32 seeded from sha256(`seed/label`). */
export function seededRandom(seed: number, label: string): Random {
  const digest = createHash('sha256').update(`${seed}/${label}`).digest()
  const random = sfc32(digest.readUInt32LE(0), digest.readUInt32LE(4), digest.readUInt32LE(8), digest.readUInt32LE(12))
  for (let i = 0; i < 12; i++) random()
  return random
}

/** mulberry32: fast, 32-bit state, good enough for delay and loss decisions (not for crypto). */
export function mulberry32(seed: number): Random {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function splitmix32(x: number): number {
  x = (x + 0x9e3779b9) >>> 0
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b) >>> 0
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35) >>> 0
  return (x ^ (x >>> 16)) >>> 0
}

/**
 * The generator for one direction of one connection. Each (connection, direction) gets its own
 * stream so that one connection's traffic never shifts another's decisions.
 */
export function streamRandom(seed: number, connection: number, direction: 'up' | 'down'): Random {
  let s = splitmix32(seed >>> 0)
  s = splitmix32(s ^ (connection >>> 0))
  s = splitmix32(s ^ (direction === 'up' ? 0x75 : 0x64))
  return mulberry32(s)
}

export function pick<T>(random: Random, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]
}

/** Fisher-Yates on a copy. */
export function shuffle<T>(random: Random, items: readonly T[]): T[] {
  const out = items.slice()
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    ;[out[i], out[j]] = [out[j], out[i]]
  }
  return out
}

/** Standard normal by Box-Muller. */
export function normal(random: Random): number {
  const u = 1 - random()
  const v = random()
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v)
}

/** Exponential inter-arrival time for a Poisson process of `ratePerSecond`, in ms. */
export function exponentialMs(random: Random, ratePerSecond: number): number {
  return (-Math.log(1 - random()) / ratePerSecond) * 1000
}

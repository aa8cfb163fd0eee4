// Seeded randomness, one module for every consumer (scenario plans, link shaping, the compare
// bootstrap, test generators). Own code rather than a package: a few small, well-known functions.
//
// One generator family: sfc32 streams by label (`seededRandom(seed, label)`). Every consumer
// derives its own stream from (seed, label) so adding a device does not shift the crowd's
// schedule, and one link connection's traffic never shifts another's; same seed, same run.
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

/**
 * The generator for one direction of one connection of a shaped link: its own stream by label, so
 * that one connection's traffic never shifts another's decisions.
 */
export function streamRandom(seed: number, connection: number, direction: 'up' | 'down'): Random {
  return seededRandom(seed, `link/${connection >>> 0}/${direction}`)
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

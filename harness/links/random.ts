// Seeded randomness for jitter and loss. Own code rather than a package: two small, well-known
// functions (splitmix32 to derive stream seeds, mulberry32 to draw) and nothing else is needed.

/** A generator of uniform numbers in [0, 1). */
export type Random = () => number

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

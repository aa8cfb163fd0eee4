import type { CourierEvent } from '../interface/index.js'

/**
 * One analysis as an accumulator: `add` sees every event once, in time order, and keeps only
 * what its figures need; `finish` turns that into the figures. A whole run is one pass of all of
 * them (run.ts), from an array or from events.ndjson read as a stream.
 */
export interface Fold<R, O = void> {
  add(event: CourierEvent): void
  finish(options: O): R
}

/** Names to small numbers, for the few names of a run (devices, topics, paths). Per-message keys go to StringIds. */
export class Interner {
  private readonly ids = new Map<string, number>()
  readonly names: string[] = []
  id(name: string): number {
    let id = this.ids.get(name)
    if (id === undefined) {
      id = this.names.length
      this.ids.set(name, id)
      this.names.push(name)
    }
    return id
  }
  get(name: string): number | undefined {
    return this.ids.get(name)
  }
  get size(): number {
    return this.names.length
  }
}

type Typed = Float64Array | Int32Array
const CHUNK_BITS = 15
const CHUNK = 1 << CHUNK_BITS
const CHUNK_MASK = CHUNK - 1

/**
 * A column of numbers indexed by an interned id, in chunks of 32 Ki slots. Growing never copies
 * (a doubled array holds old and new at once, and up to half of it unused), and a column is at
 * most one chunk bigger than its highest id. Typed arrays live outside the JS heap, where the
 * garbage collector never has to walk them: a run of ten million events keeps its per-message
 * state here rather than in objects and maps.
 */
class Chunked<A extends Typed> {
  private readonly chunks: Array<A | undefined> = []
  /** One more than the highest index set. */
  length = 0

  constructor(
    private readonly make: (n: number) => A,
    private readonly empty: number
  ) {}

  get(i: number): number {
    const chunk = this.chunks[i >>> CHUNK_BITS]
    return chunk === undefined ? this.empty : chunk[i & CHUNK_MASK]!
  }

  set(i: number, value: number): void {
    const k = i >>> CHUNK_BITS
    let chunk = this.chunks[k]
    if (chunk === undefined) {
      while (this.chunks.length < k) this.chunks.push(undefined)
      chunk = this.make(CHUNK)
      if (this.empty !== 0) chunk.fill(this.empty)
      this.chunks[k] = chunk
    }
    chunk[i & CHUNK_MASK] = value
    if (i >= this.length) this.length = i + 1
  }

  push(value: number): void {
    this.set(this.length, value)
  }
}

/** Float64 numbers (times, sizes) by id; NaN where nothing was set. */
export class Column extends Chunked<Float64Array> {
  constructor() {
    super((n) => new Float64Array(n), Number.NaN)
  }
}

/** Small integers (interned ids, counts) by id; `empty` (default -1) where nothing was set. */
export class IntColumn extends Chunked<Int32Array> {
  constructor(empty = -1) {
    super((n) => new Int32Array(n), empty)
  }
}

const HEX_DIGITS = '0123456789abcdef'
const HEX_CODES = Array.from(HEX_DIGITS, (c) => c.charCodeAt(0))
/** Char code -> nibble for 0-9 a-f, else -1 (upper case is not packed: the name must come back as it was given). */
const NIBBLE = new Int8Array(128).fill(-1)
for (let i = 0; i < 16; i++) NIBBLE[HEX_CODES[i]!] = i

// how a name's bytes are stored, in the byte before them
const LATIN1 = 0
const HEX = 1
const UTF16 = 2

/**
 * Interner for the keys a run has one of per message (message hashes, msgIds): the same ids, in
 * the same order, as Interner, but the names are kept as bytes in one pool (a 64-hex hash as its
 * 32 bytes) and found by an open-addressing table of ids, instead of a JS string and a map entry
 * each. At a million messages that is ~60 bytes a key rather than ~150, and nothing the garbage
 * collector has to mark.
 */
export class StringIds {
  private pool = new Uint8Array(1 << 12)
  private used = 0
  private readonly start = new Column()
  private readonly code = new IntColumn(0)
  private table = new Int32Array(1 << 10)
  private count = 0

  get size(): number {
    return this.count
  }

  /** The id of `name`, given one when it has none yet. */
  id(name: string): number {
    const h = hashOf(name)
    const mask = this.table.length - 1
    let slot = h & mask
    for (let at = this.table[slot]!; at !== 0; at = this.table[slot]!) {
      if (this.code.get(at - 1) === h && this.equals(at - 1, name)) return at - 1
      slot = (slot + 1) & mask
    }
    const id = this.count++
    this.table[slot] = id + 1
    this.code.set(id, h)
    this.start.set(id, this.used)
    this.store(name)
    // at most half full, so that a miss ends soon
    if (this.count * 2 > this.table.length) this.rehash()
    return id
  }

  get(name: string): number | undefined {
    const h = hashOf(name)
    const mask = this.table.length - 1
    let slot = h & mask
    for (let at = this.table[slot]!; at !== 0; at = this.table[slot]!) {
      if (this.code.get(at - 1) === h && this.equals(at - 1, name)) return at - 1
      slot = (slot + 1) & mask
    }
    return undefined
  }

  has(name: string): boolean {
    return this.get(name) !== undefined
  }

  /** The name of `id`, as a fresh string. */
  name(id: number): string {
    const from = this.start.get(id) + 1
    const to = this.end(id)
    const pool = this.pool
    let out = ''
    switch (pool[from - 1]) {
      case HEX:
        for (let k = from; k < to; k++) out += HEX_DIGITS[pool[k]! >> 4]! + HEX_DIGITS[pool[k]! & 15]!
        return out
      case UTF16:
        for (let k = from; k < to; k += 2) out += String.fromCharCode(pool[k]! | (pool[k + 1]! << 8))
        return out
      default:
        for (let k = from; k < to; k += 4096) out += String.fromCharCode(...pool.subarray(k, Math.min(to, k + 4096)))
        return out
    }
  }

  private end(id: number): number {
    return id + 1 < this.count ? this.start.get(id + 1) : this.used
  }

  private equals(id: number, name: string): boolean {
    const from = this.start.get(id) + 1
    const to = this.end(id)
    const pool = this.pool
    switch (pool[from - 1]) {
      case HEX:
        if ((to - from) * 2 !== name.length) return false
        for (let k = from, j = 0; k < to; k++, j += 2)
          if (HEX_CODES[pool[k]! >> 4] !== name.charCodeAt(j) || HEX_CODES[pool[k]! & 15] !== name.charCodeAt(j + 1)) return false
        return true
      case UTF16:
        if ((to - from) / 2 !== name.length) return false
        for (let k = from, j = 0; k < to; k += 2, j++) if ((pool[k]! | (pool[k + 1]! << 8)) !== name.charCodeAt(j)) return false
        return true
      default:
        if (to - from !== name.length) return false
        for (let k = from, j = 0; k < to; k++, j++) if (pool[k] !== name.charCodeAt(j)) return false
        return true
    }
  }

  private store(name: string): void {
    const n = name.length
    let hex = n > 0 && n % 2 === 0
    let latin1 = true
    for (let j = 0; j < n; j++) {
      const c = name.charCodeAt(j)
      if (c > 0xff) {
        latin1 = false
        hex = false
        break
      }
      if (hex && (c >= 128 || NIBBLE[c]! < 0)) hex = false
    }
    const kind = hex ? HEX : latin1 ? LATIN1 : UTF16
    const bytes = kind === HEX ? n / 2 : kind === LATIN1 ? n : n * 2
    this.reserve(1 + bytes)
    const pool = this.pool
    let at = this.used
    pool[at++] = kind
    if (kind === HEX) for (let j = 0; j < n; j += 2) pool[at++] = (NIBBLE[name.charCodeAt(j)]! << 4) | NIBBLE[name.charCodeAt(j + 1)]!
    else if (kind === LATIN1) for (let j = 0; j < n; j++) pool[at++] = name.charCodeAt(j)
    else
      for (let j = 0; j < n; j++) {
        const c = name.charCodeAt(j)
        pool[at++] = c & 0xff
        pool[at++] = c >> 8
      }
    this.used = at
  }

  /** Grows the pool by half (not doubling: at ten million events the pool is tens of MB, copied while both are alive). */
  private reserve(bytes: number): void {
    if (this.used + bytes <= this.pool.length) return
    const grown = new Uint8Array(Math.max(this.used + bytes, Math.ceil(this.pool.length * 1.5)))
    grown.set(this.pool.subarray(0, this.used))
    this.pool = grown
  }

  private rehash(): void {
    const table = new Int32Array(this.table.length * 2)
    const mask = table.length - 1
    for (let id = 0; id < this.count; id++) {
      let slot = this.code.get(id) & mask
      while (table[slot] !== 0) slot = (slot + 1) & mask
      table[slot] = id + 1
    }
    this.table = table
  }
}

/** FNV-1a over the UTF-16 code units. */
function hashOf(s: string): number {
  let h = 0x811c9dc5
  for (let j = 0; j < s.length; j++) h = Math.imul(h ^ s.charCodeAt(j), 0x01000193)
  return h
}

export function getOr<K, V>(map: Map<K, V>, key: K, create: () => V): V {
  let value = map.get(key)
  if (value === undefined) {
    value = create()
    map.set(key, value)
  }
  return value
}

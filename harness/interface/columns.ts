// Compact storage for per-message state: numbers in typed-array chunks and strings interned into
// a byte pool. In the interface module because analysis, the runner's energy pricing, the secrets
// scan and the report's data builder all keep per-message state in them, and the interface is
// what every one of those may import.

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

  /** The first `length` values, copied. */
  toFloat64Array(): Float64Array {
    const out = new Float64Array(this.length)
    for (let i = 0; i < out.length; i++) out[i] = this.get(i)
    return out
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
  /** Where each name's bytes start in the pool (its kind byte); a name ends where the next starts. */
  private starts = new Uint32Array(1 << 10)
  private count = 0
  /** Open addressing, at most three quarters full: id + 1 per slot (0: free), and the name's hash beside it. */
  private slots = new Int32Array(1 << 10)
  private codes = new Int32Array(1 << 10)

  get size(): number {
    return this.count
  }

  /** Bytes the names take in the pool: what the packing saves is measurable, and tested. */
  get poolBytes(): number {
    return this.used
  }

  /** The id of `name`, given one when it has none yet. */
  id(name: string): number {
    const h = hashOf(name)
    const slot = this.find(name, h)
    const at = this.slots[slot]!
    if (at !== 0) return at - 1
    const id = this.count++
    this.slots[slot] = id + 1
    this.codes[slot] = h
    if (id >= this.starts.length) {
      const grown = new Uint32Array(Math.ceil(this.starts.length * 1.5))
      grown.set(this.starts)
      this.starts = grown
    }
    this.starts[id] = this.used
    this.store(name)
    // three quarters full at most: misses stay short with a finalized hash, and at a million names
    // the table is 2 Mi slots rather than 4 Mi (16 MB less for each interner)
    if (this.count * 4 > this.slots.length * 3) this.rehash()
    return id
  }

  get(name: string): number | undefined {
    const at = this.slots[this.find(name, hashOf(name))]!
    return at === 0 ? undefined : at - 1
  }

  has(name: string): boolean {
    return this.slots[this.find(name, hashOf(name))] !== 0
  }

  /** The slot that holds `name`, or the free one where it would go. */
  private find(name: string, h: number): number {
    const slots = this.slots
    const codes = this.codes
    const mask = slots.length - 1
    let slot = h & mask
    for (let at = slots[slot]!; at !== 0; at = slots[slot]!) {
      if (codes[slot] === h && this.equals(at - 1, name)) return slot
      slot = (slot + 1) & mask
    }
    return slot
  }

  /** The name of `id`, as a fresh string. */
  name(id: number): string {
    const from = this.starts[id]! + 1
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
    return id + 1 < this.count ? this.starts[id + 1]! : this.used
  }

  private equals(id: number, name: string): boolean {
    const from = this.starts[id]! + 1
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
    const slots = new Int32Array(this.slots.length * 2)
    const codes = new Int32Array(slots.length)
    const mask = slots.length - 1
    for (let old = 0; old < this.slots.length; old++) {
      const at = this.slots[old]!
      if (at === 0) continue
      const h = this.codes[old]!
      let slot = h & mask
      while (slots[slot] !== 0) slot = (slot + 1) & mask
      slots[slot] = at
      codes[slot] = h
    }
    this.slots = slots
    this.codes = codes
  }
}

/**
 * FNV-1a over the UTF-16 code units, then murmur3's finalizer: FNV's low bits (the table's slot)
 * depend only on the chars' low bits, and hashes that differ in a few hex digits piled up in runs
 * of slots. Exported (not from the index) for the tests that intern names whose hashes collide.
 */
export function hashOf(s: string): number {
  let h = 0x811c9dc5
  for (let j = 0; j < s.length; j++) h = Math.imul(h ^ s.charCodeAt(j), 0x01000193)
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  return h ^ (h >>> 16)
}

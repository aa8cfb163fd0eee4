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

export { Column, IntColumn, StringIds } from '../interface/index.js'

export function getOr<K, V>(map: Map<K, V>, key: K, create: () => V): V {
  let value = map.get(key)
  if (value === undefined) {
    value = create()
    map.set(key, value)
  }
  return value
}

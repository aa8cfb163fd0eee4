import { getHeapStatistics, setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'

/** Growth of the heap since the last full collection that is always allowed, whatever the live size. */
const MIN_GROWTH = 64 * 1024 * 1024
/** Events between two looks at the heap (a look costs about a microsecond). */
const LOOK_EVERY = 8192

let collect: (() => void) | undefined

/**
 * V8's full collection. `--expose-gc` set at run time exposes `gc` in contexts created after it,
 * so one is created for it; node's own heap settings, and any the user passed, are left alone.
 */
function fullCollection(): () => void {
  if (collect == null) {
    const own = (globalThis as { gc?: () => void }).gc
    if (own != null) collect = own
    else {
      setFlagsFromString('--expose-gc')
      collect = runInNewContext('gc') as () => void
    }
  }
  return collect
}

/**
 * Keeps a pass over a long event log near the heap it really holds. Every event of the log is
 * parsed into objects that wait in the reorder window long enough to reach V8's old generation,
 * where they die; V8 lets that garbage pile up to several times the live heap before it collects
 * (a 10 M-event log: ~300 MB of heap for ~60 MB live, a third of `courier report`'s peak RSS).
 * A full collection whenever the heap has doubled (grown by at least 64 MB) since the last one
 * bounds it to about twice the live heap, for a few dozen collections of tens of ms each on ten
 * million events. A heap flag would do it too, but courier would have to start itself again to
 * pass one, and a cap low enough to matter would crash a run whose live heap is big.
 */
export class HeapBound {
  private seen = 0

  /** Called once per event. */
  tick(): void {
    if (++this.seen % LOOK_EVERY !== 0) return
    const used = getHeapStatistics().used_heap_size
    if (used < live + Math.max(MIN_GROWTH, live)) return
    fullCollection()()
    live = getHeapStatistics().used_heap_size
  }
}

/**
 * The heap after the last full collection, shared by every pass: a pass that starts among the
 * previous one's garbage must not take that garbage for live.
 */
let live = getHeapStatistics().used_heap_size

import { closeSync, openSync, writeSync } from 'node:fs'
import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { createInterface } from 'node:readline'
import type { Clock, CourierEvent, EventData, EventSink, EventType } from '../interface/index.js'
import { InvalidInputError, notARegularFile } from '../interface/index.js'
import { HeapBound } from './heap-bound.js'

const FLUSH_EVERY_MS = 100
const FLUSH_AT_BYTES = 256 * 1024

/**
 * RUN_DIR/events.ndjson, appended while the run goes. Lines are buffered for at most 100 ms and
 * written synchronously, so a crash loses at most that much and a normal exit nothing.
 */
export class EventLog implements EventSink {
  private readonly fd: number
  private buffer: string[] = []
  private bufferedBytes = 0
  private readonly timer: NodeJS.Timeout
  private closed = false
  readonly counts = new Map<EventType, number>()
  /** Listeners see each event as it is emitted (progress line, live counters). */
  private readonly listeners: Array<(event: CourierEvent) => void> = []

  constructor(
    readonly path: string,
    private readonly clock: Clock
  ) {
    this.fd = openSync(path, 'a')
    this.timer = setInterval(() => {
      this.flush()
    }, FLUSH_EVERY_MS)
    this.timer.unref()
  }

  emit<K extends EventType>(type: K, data: EventData<K>, at?: number): void {
    if (this.closed) return
    const now = this.clock.now()
    const t = at != null && Number.isFinite(at) ? Math.min(at, now) : now
    const event = { t: Math.round(t * 1000) / 1000, type, ...data } as unknown as CourierEvent
    const line = JSON.stringify(event) + '\n'
    this.buffer.push(line)
    this.bufferedBytes += line.length
    this.counts.set(type, (this.counts.get(type) ?? 0) + 1)
    for (const listener of this.listeners) listener(event)
    if (this.bufferedBytes >= FLUSH_AT_BYTES) this.flush()
  }

  onEvent(listener: (event: CourierEvent) => void): void {
    this.listeners.push(listener)
  }

  flush(): void {
    if (this.buffer.length === 0) return
    const text = this.buffer.join('')
    this.buffer = []
    this.bufferedBytes = 0
    writeSync(this.fd, text)
  }

  close(): void {
    if (this.closed) return
    this.flush()
    this.closed = true
    clearInterval(this.timer)
    closeSync(this.fd)
  }
}

/** Reads an event log back; a torn last line (the run was killed mid-write) is skipped, not fatal. */
export async function readEventLog(path: string): Promise<CourierEvent[]> {
  const events: CourierEvent[] = []
  let sorted = true
  await forEachLoggedEvent(path, (event) => {
    if (events.length > 0 && event.t < events[events.length - 1].t) sorted = false
    events.push(event)
  })
  // events another process reported carry the time they happened, so they may be written a
  // little after later ones; analysis reads the log in time order (a stable sort keeps ties as written)
  if (!sorted) events.sort((a, b) => a.t - b.t)
  return events
}

/**
 * How far behind the latest time already written an event may be and still be put in its place by
 * `streamEventLog`. A js-waku or browser device reports an event after it happened (an IPC or
 * DevTools round trip, a page busy under load: milliseconds, at worst about a second), with its
 * own time (`EventSink.emit`'s `at`); ten seconds is that with a wide margin, and holds ten seconds
 * of events, not the run.
 */
export const REORDER_WINDOW_MS = 10_000

export interface StreamedLog {
  events: number
  /** How far (ms) the latest event seen was ahead of an event when it came; 0 for a log in order. */
  lateness: number
  /** An event came later than the window allowed, so the order handed out was not time order. */
  outOfOrder: boolean
}

/**
 * Reads an event log as `readEventLog` does, handing out each event in time order (ties as
 * written) without holding the log: an event waits in a reorder buffer until the log has moved
 * `windowMs` past it. An event later than that is handed out late and `outOfOrder` says so, with
 * the lateness a second read needs as its window: `analyzeEventLog` reads again then, rather than
 * give figures that differ from the whole log sorted.
 */
export async function streamEventLog(path: string, onEvent: (event: CourierEvent) => void, windowMs = REORDER_WINDOW_MS): Promise<StreamedLog> {
  // a buffer sorted by (t, arrival); almost every event goes at its end
  const buffer: CourierEvent[] = []
  let head = 0
  let maxT = -Infinity
  let lastOutT = -Infinity
  let lateness = 0
  let outOfOrder = false
  let count = 0
  const heap = new HeapBound()
  const release = (event: CourierEvent): void => {
    lastOutT = event.t
    onEvent(event)
  }
  await forEachLoggedEvent(path, (event) => {
    count++
    heap.tick()
    if (maxT - event.t > lateness) lateness = maxT - event.t
    if (event.t > maxT) maxT = event.t
    if (event.t < lastOutT) {
      // its place has been handed out already
      outOfOrder = true
      release(event)
      return
    }
    let i = buffer.length
    while (i > head && buffer[i - 1].t > event.t) i--
    buffer.splice(i, 0, event)
    while (head < buffer.length && buffer[head].t <= maxT - windowMs) release(buffer[head++])
    if (head > 4096 && head * 2 > buffer.length) {
      buffer.splice(0, head)
      head = 0
    }
  })
  while (head < buffer.length) release(buffer[head++])
  return { events: count, lateness, outOfOrder }
}

/** Each whole line of an event log, parsed; a bad line before the last is a located InvalidInputError. */
async function forEachLoggedEvent(path: string, onEvent: (event: CourierEvent) => void): Promise<void> {
  // a FIFO or a device in place of the log would hang the read or never end
  const kind = await stat(path).then(notARegularFile, () => undefined)
  if (kind != null)
    throw new InvalidInputError([
      { location: { file: path }, path: '', message: `is ${kind}, not an event log`, hint: 'pass a run directory written by `courier run`' }
    ])
  const lines = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity })
  let lineNumber = 0
  let pendingError: { line: number; text: string } | undefined
  try {
    for await (const line of lines) {
      lineNumber++
      if (line.trim() === '') continue
      if (pendingError != null) {
        throw new InvalidInputError([
          {
            location: { file: path, line: pendingError.line },
            path: '',
            message: 'not a JSON event line',
            found: pendingError.text.slice(0, 80),
            hint: 'is this a courier events.ndjson file?'
          }
        ])
      }
      let event: CourierEvent
      try {
        event = JSON.parse(line) as CourierEvent
        if (typeof event.t !== 'number' || typeof event.type !== 'string') throw new Error('no t or type')
      } catch {
        pendingError = { line: lineNumber, text: line }
        continue
      }
      try {
        onEvent(event)
      } catch (error) {
        throw new ConsumerError(error)
      }
    }
  } catch (error) {
    // what the consumer threw is its own (a bug in an analysis), not a fault of the file
    if (error instanceof ConsumerError) throw error.error
    if (error instanceof InvalidInputError) throw error
    const code = (error as NodeJS.ErrnoException).code
    throw new InvalidInputError([
      {
        location: { file: path },
        path: '',
        message: code === 'ENOENT' ? 'file not found' : `cannot read (${code ?? String(error)})`,
        hint: 'pass a run directory written by `courier run`'
      }
    ])
  }
}

class ConsumerError {
  constructor(readonly error: unknown) {}
}

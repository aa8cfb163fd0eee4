import { RunFold, type AnalysisOptions, type RunAnalysis } from '../analysis/index.js'
import type { CourierEvent } from '../interface/index.js'
import { REORDER_WINDOW_MS, streamEventLog, type StreamedLog } from './event-log.js'

/** Something that takes a run's events one by one, in time order. */
export interface EventConsumer {
  add(event: CourierEvent): void
}

/**
 * One pass over events.ndjson in time order, into consumers made fresh for it. When an event came
 * later than the reorder window, the consumers saw it out of place: the log is read again with a
 * window as wide as the lateness measured, so what they compute is what the whole log sorted gives.
 */
export async function passEventLog<C extends EventConsumer>(
  path: string,
  make: () => C,
  windowMs = REORDER_WINDOW_MS
): Promise<{ consumer: C; log: StreamedLog }> {
  let consumer = make()
  let log = await streamEventLog(path, (event) => consumer.add(event), windowMs)
  if (log.outOfOrder) {
    consumer = make()
    log = await streamEventLog(path, (event) => consumer.add(event), log.lateness)
  }
  return { consumer, log }
}

/** analyzeRun of events.ndjson, read as a stream: the same figures, without the log in memory. */
export async function analyzeEventLog(path: string, options: AnalysisOptions, windowMs = REORDER_WINDOW_MS): Promise<RunAnalysis> {
  const { consumer } = await passEventLog(path, () => new RunFold(), windowMs)
  return consumer.finish(options)
}

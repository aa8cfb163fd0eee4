import { RunFold, type AnalysisOptions, type LatencySamples, type RunAnalysis } from '../analysis/index.js'
import type { CourierEvent, EventOf } from '../interface/index.js'
import { knowledgeCollector, type Knowledge } from '../leaks/index.js'
import { REORDER_WINDOW_MS, streamEventLog, type StreamedLog } from './event-log.js'
import { ReceptionTimes } from './energy.js'

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

/**
 * Events whose only readers are the folds (and the secrets scan's knowledge, gathered in the same
 * pass): they are the bulk of a big log and are not kept. A msg.received is kept only as a number,
 * its time in its device's relay or filter list (ReceptionTimes), which energy pricing reads to
 * tell relay and filter traffic apart; a send by the crowd or a node is not kept at all (energy
 * pricing and the messages a device handled read devices' sends only).
 */
const FOLDED_ONLY = new Set<string>(['msg.rendered', 'msg.relayed', 'msg.stored', 'bytes.sample', 'harness.lag', 'filter.push', 'msg.confirmed'])

/**
 * One pass over a run's log for results: the analysis folds, what the events name for the secrets
 * scan, and the events everything else reads (run.start, devices, nodes, connections, sends, chunks
 * for energy): the log less its bulk.
 */
export class RunLogPass implements EventConsumer {
  readonly analysis = new RunFold()
  private readonly knowledgeOf = knowledgeCollector(this.analysis.messageHashes)
  readonly kept: CourierEvent[] = []
  readonly receptions = new ReceptionTimes()

  add(event: CourierEvent): void {
    this.analysis.add(event)
    this.knowledgeOf.add(event)
    if (FOLDED_ONLY.has(event.type)) return
    if (event.type === 'msg.received') this.receptions.add(event)
    else if (event.type !== 'msg.sent' || event.device != null) this.kept.push(event)
  }

  knowledge(): Knowledge {
    return this.knowledgeOf.finish()
  }
}

/** events.ndjson read once for results (see RunLogPass). */
export async function readRunLog(path: string, windowMs = REORDER_WINDOW_MS): Promise<RunLogPass> {
  return (await passEventLog(path, () => new RunLogPass(), windowMs)).consumer
}

/**
 * Passes over events.ndjson for readers that need the log more than once (report.html reads it
 * twice): each pass reads the file again rather than holding it.
 */
export type LogPasses = <C extends EventConsumer>(make: () => C) => Promise<C>

export function logPasses(path: string): LogPasses {
  return async (make) => (await passEventLog(path, make)).consumer
}

/** What the reports and the history read of a finished run's log, beside results, without the log in memory. */
export interface RunLog {
  start: EventOf<'run.start'> | undefined
  /** Delivery latency samples, as `courier compare` reads them (the history row keeps them); only when asked for (a sample per arrival). */
  latencies?: LatencySamples
  /** events.ndjson read again, pass by pass (report.html). */
  passes: LogPasses
}

/** The RunLog of a pass whose folds have seen the whole log. */
export function runLogOf(path: string, pass: RunLogPass, withLatencies = true): RunLog {
  const start = pass.kept.find((e): e is EventOf<'run.start'> => e.type === 'run.start')
  // taken now, so that the folds need not outlive results
  return { start, ...(withLatencies ? { latencies: pass.analysis.latencySamples() } : {}), passes: logPasses(path) }
}

/** What `courier compare` reads of a run's log: its run.start and the delivery latency samples, in one pass. */
export async function latencySamplesOfLog(path: string): Promise<{ start: EventOf<'run.start'> | undefined; latencies: LatencySamples }> {
  let start: EventOf<'run.start'> | undefined
  const { consumer } = await passEventLog(path, () => {
    const fold = new RunFold()
    return {
      fold,
      add(event: CourierEvent): void {
        if (event.type === 'run.start') start ??= event
        fold.add(event)
      }
    }
  })
  return { start, latencies: consumer.fold.latencySamples() }
}

import { join } from 'node:path'
import { redactRun, scanRun } from '../leaks/index.js'
import type { CourierEvent, LeakResults } from '../interface/index.js'
import type { Knowledge } from '../leaks/index.js'
import { readRunLog, type RunLogPass } from './stream-analysis.js'
import { completeConfig } from './results.js'
import { readEventLog } from './event-log.js'

/** A secret the run was configured with: the environment variable's name and its value (never written anywhere). */
export interface ConfiguredSecret {
  name: string
  value: string
}

export interface LeakScanOptions {
  secrets?: readonly ConfiguredSecret[]
  /** Overwrite the findings in the artifacts (`--redact`). */
  redact?: boolean
  signal?: AbortSignal
}

/**
 * The secrets scan of a finished run, with the scenario's `leaks:` block from run.start. With
 * `redact` the findings are masked in the files and the event log is read again, so that results
 * and reports are built from the masked artifacts, not from the secrets still in memory.
 */
export async function scanRunLeaks(
  runDir: string,
  events: CourierEvent[],
  options: LeakScanOptions = {}
): Promise<{ leaks: LeakResults; events: CourierEvent[] }> {
  const { leaks, redacted } = await scanAndRedact(runDir, events, undefined, options)
  return { leaks, events: redacted ? await readEventLog(join(runDir, 'events.ndjson')) : events }
}

/** scanRunLeaks for a log read as a stream: after masking, the log is passed again, not loaded. */
export async function scanRunLogLeaks(runDir: string, pass: RunLogPass, options: LeakScanOptions = {}): Promise<{ leaks: LeakResults; pass: RunLogPass }> {
  const { leaks, redacted } = await scanAndRedact(runDir, pass.kept, pass.knowledge(), options)
  return { leaks, pass: redacted ? await readRunLog(join(runDir, 'events.ndjson')) : pass }
}

async function scanAndRedact(
  runDir: string,
  events: readonly CourierEvent[],
  knowledge: Knowledge | undefined,
  options: LeakScanOptions
): Promise<{ leaks: LeakResults; redacted: boolean }> {
  const start = events.find((e) => e.type === 'run.start')
  const { config } = completeConfig(start?.type === 'run.start' ? start.scenario : undefined, events)
  const patterns = (config.leaks?.patterns ?? []).map((regex, i) => ({ name: `leaks.patterns[${i}] /${regex}/`, regex }))
  const scan = await scanRun({ runDir, patterns, allow: config.leaks?.allow ?? [], secrets: options.secrets, events, knowledge, signal: options.signal })
  if (options.redact !== true || scan.all.length === 0) return { leaks: scan.results, redacted: false }
  await redactRun(runDir, scan.all)
  return { leaks: { ...scan.results, redacted: true }, redacted: true }
}

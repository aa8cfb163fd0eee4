import { existsSync } from 'node:fs'
import { readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { analyzeRun, type CapturedConversations, type RunFold } from '../analysis/index.js'
import { analyzePcapFile } from '../capture/index.js'
import { decideVerdict, evaluateThresholds, thresholdsFromConfig, type Threshold } from '../gate/index.js'
import {
  InvalidInputError,
  RESULTS_SCHEMA_VERSION,
  type CourierEvent,
  type DestinationResults,
  type LeakResults,
  type MetricUnit,
  type Results,
  userKeyed
} from '../interface/index.js'
import { deviceRadioTimelines, phoneMeasurements, priceDevices, priceWindow } from './energy.js'
import { flowNames, type ScenarioConfig } from '../scenario/index.js'
import { scanRunLogLeaks, type LeakScanOptions } from './leaks.js'
import { readRunLog, runLogOf, type RunLog } from './stream-analysis.js'
import { loadDestinations } from './destinations.js'

export interface BuildResultsInput {
  /** The run's events; with `analysis`, those its folds have already seen may be left out (RunLogPass.kept). */
  events: readonly CourierEvent[]
  /** The analysis folds, fed the whole log in a pass of their own (readRunLog); else the events are analysed here. */
  analysis?: RunFold
  thresholds?: Threshold[]
  /** The run's tcpdump capture, analysed (see loadCapture). */
  capture?: CapturedConversations
  /** Each device's radio timeline (see deviceRadioTimelines), priced on its radio. */
  radioTimelines?: Awaited<ReturnType<typeof deviceRadioTimelines>>
  /** The secrets scan of the run's artifacts (scanRunLeaks). */
  leaks?: LeakResults
  /** Remote endpoints outside the fleet, from the capture (loadDestinations). */
  destinations?: DestinationResults
}

/** results.json from the event log: the runner and `courier report` both come through here. */
export function buildResults({ events, analysis: folded, thresholds, capture, radioTimelines, leaks, destinations }: BuildResultsInput): Results {
  const start = events.find((e): e is Extract<CourierEvent, { type: 'run.start' }> => e.type === 'run.start')
  if (start == null)
    throw new InvalidInputError([
      { location: { file: 'events.ndjson', line: 1 }, path: '', message: 'the event log has no run.start event', hint: 'is this a courier run directory?' }
    ])
  const { config, gaps } = completeConfig(start.scenario, events)
  const end = events.findLast((e): e is Extract<CourierEvent, { type: 'run.end' }> => e.type === 'run.end')
  // a log without run.end was cut short: the process died or was killed before it could finish
  const status = end?.status ?? 'interrupted'
  // device names are the user's: a map without a prototype, so `constructor` is a device like any other
  const accounts = Object.assign(userKeyed<string>(), Object.fromEntries(Object.entries(config.devices).map(([device, d]) => [device, d.account ?? device])))
  // results written before flows existed have no timeline entries of that kind: no names
  const flows = flowNames({ timeline: config.timeline ?? [] })
  const nodes = [...range(config.network.relays, 'relay'), ...range(config.network.stores, 'store'), ...range(config.crowd?.gateways ?? 0, 'crowd')]
  const applied = thresholds ?? thresholdsFromConfig(config.expect, Object.keys(config.devices), nodes, flows)
  const analysisOptions = { lagLimitMs: config.harness.maxLagP99, capture, accounts, pushBoundMs: config.push?.bound, flows, thresholds: applied }
  const analysis = folded != null ? folded.finish(analysisOptions) : analyzeRun(events, analysisOptions)
  const energyFailed: string[] = []
  const energy =
    radioTimelines == null || config.capture === 'off'
      ? undefined
      : guardEnergy(energyFailed, () =>
          priceDevices(
            config,
            start.scenarioFile,
            radioTimelines,
            messagesHandled(events, analysis),
            (config.duration + config.grace) / 1000,
            phoneMeasurements(events)
          )
        )
  for (const [device, e] of Object.entries(energy ?? {})) {
    const put = (name: string, value: number | null, unit: MetricUnit): void => {
      analysis.metrics[`energy.${device}.${name}`] = { value, unit }
    }
    put('joules', e.totalJoules, 'joules')
    put('mAh', e.mAh, 'mAh')
    put('mAhPerHour', e.mAhPerHour, 'mAh/h')
    put('joulesPerMessage', e.joulesPerMessage, 'joules')
    put('radioActiveSeconds', e.radioActiveSeconds, 'seconds')
    put('tailShare', e.tailShare, 'ratio')
    put('promotions', e.promotions, 'count')
  }
  if (leaks != null) analysis.metrics['leaks.count'] = { value: leaks.count, unit: 'count' }
  // without a packet capture nobody saw where devices went: no value, not zero
  analysis.metrics['destinations.thirdParty'] = { value: destinations?.thirdParty ?? null, unit: 'count' }
  // what getting around a block cost in radio energy: the device's packets from the block to the way round
  for (const block of analysis.censorship ?? []) {
    if (energy == null || radioTimelines == null) break
    const until = block.reachedMs != null ? block.atMs + block.reachedMs : (block.liftedMs ?? analysis.timing.runMs)
    block.joules =
      guardEnergy(energyFailed, () =>
        priceWindow(config, start.scenarioFile, block.device, radioTimelines.get(block.device), block.atMs, until, start.wallClockMs ?? 0)
      ) ?? null
  }
  for (const device of new Set((analysis.censorship ?? []).map((b) => b.device))) {
    const joules = (analysis.censorship ?? []).filter((b) => b.device === device).map((b) => b.joules)
    if (joules.every((j) => typeof j === 'number'))
      analysis.metrics[`censorship.${device}.joules`] = { value: (joules as number[]).reduce((a, b) => a + b, 0), unit: 'joules' }
  }
  const thresholdResults = evaluateThresholds(applied, analysis.metrics)
  // with worker processes, every saturated one is named (worst first), its own p99 beside it
  const saturatedProcesses = Object.entries(analysis.harness.processes ?? {})
    .filter(([, health]) => health.saturated)
    .sort((a, b) => b[1].lagP99Ms - a[1].lagP99Ms)
    .map(([name, health]) => `${name} ${health.lagP99Ms} ms`)
  const harnessReason = analysis.harness.saturated
    ? `harness saturated${saturatedProcesses.length === 0 ? '' : ` (${saturatedProcesses.join(', ')})`}: event-loop delay p99 ${analysis.harness.lagP99Ms ?? '?'} ms > limit ${analysis.harness.lagLimitMs} ms; latency figures would include courier's own delay`
    : undefined
  const scenarioStart = events.find((e) => e.type === 'scenario.start')?.t ?? Infinity
  const devicesNotStarted = events.flatMap((e) => (e.type === 'device.failed' && e.t < scenarioStart ? [e.device] : []))
  const timelineDropped = events.flatMap((e) =>
    e.type === 'timeline.dropped' ? [`timeline[${e.index}]: ${e.count} ${e.action} action(s) did not happen: ${e.reason}`] : []
  )
  const { failedSections, ...figures } = analysis
  const incomplete = [...timelineDropped, ...failedSections, ...energyFailed]
  const { verdict, reasons } = decideVerdict({
    status,
    thresholds: thresholdResults,
    harnessSaturated: analysis.harness.saturated,
    harnessReason,
    devicesNotStarted,
    incomplete
  })
  gaps.push(...failedSections, ...energyFailed)
  return {
    schemaVersion: RESULTS_SCHEMA_VERSION,
    runId: start.runId,
    scenario: { name: config.name, file: start.scenarioFile, seed: start.seed, durationMs: config.duration, resolved: config },
    tool: start.tool,
    ...(start.build == null ? {} : { build: start.build }),
    ...clientsOf(events),
    status,
    verdict,
    verdictReasons: end?.reason != null && status !== 'complete' ? [end.reason, ...reasons] : reasons,
    ...figures,
    energy,
    thresholds: thresholdResults,
    ...(gaps.length > 0 ? { gaps } : {}),
    ...(leaks == null ? {} : { leaks }),
    ...(destinations == null ? {} : { destinations })
  }
}

function guardEnergy<T>(failed: string[], price: () => T): T | undefined {
  try {
    return price()
  } catch (error) {
    failed.push(`energy: pricing failed (${error instanceof Error ? error.message : String(error)}); its figures are left out`)
    return undefined
  }
}

/**
 * The resolved scenario of run.start, with what is missing filled from the events and the
 * schema's defaults, and said in `gaps`. Logs written by other tools (the synthetic fixtures) or
 * by older courier versions carry only part of it; a report of what is there beats no report.
 */
export function completeConfig(recorded: unknown, events: readonly CourierEvent[]): { config: ScenarioConfig; gaps: string[] } {
  const given = (recorded != null && typeof recorded === 'object' ? recorded : {}) as Partial<ScenarioConfig>
  const gaps: string[] = []
  const missing = (field: string, instead: string): void => {
    gaps.push(`run.start has no scenario.${field}: ${instead}`)
  }
  const seen = (type: 'device.up' | 'node.up'): CourierEvent[] => events.filter((e) => e.type === type)
  let devices = given.devices
  if (devices == null || typeof devices !== 'object') {
    missing('devices', 'devices taken from device.up events, each its own account, default radio')
    devices = Object.fromEntries(
      [...new Set(seen('device.up').map((e) => (e as Extract<CourierEvent, { type: 'device.up' }>).device))].map((name) => [name, { driver: 'simulated' }])
    ) as unknown as ScenarioConfig['devices']
  }
  const roles = seen('node.up').map((e) => (e as Extract<CourierEvent, { type: 'node.up' }>).role)
  const network =
    given.network ??
    (() => {
      missing('network', 'node counts taken from node.up events')
      return { relays: roles.filter((r) => r === 'relay').length, stores: roles.filter((r) => r === 'store').length } as ScenarioConfig['network']
    })()
  const scenarioStart = events.find((e) => e.type === 'scenario.start')?.t
  const scenarioEnd = events.find((e) => e.type === 'scenario.end')?.t
  const duration =
    typeof given.duration === 'number'
      ? given.duration
      : (() => {
          missing('duration', 'taken from scenario.start to scenario.end')
          return scenarioStart != null && scenarioEnd != null ? scenarioEnd - scenarioStart : 0
        })()
  if (given.expect == null) missing('expect', 'no thresholds to evaluate')
  if (given.harness?.maxLagP99 == null) missing('harness.maxLagP99', 'the default limit, 50 ms')
  const capture = events.find((e) => e.type === 'capture.start')
  const config = {
    ...given,
    name: typeof given.name === 'string' ? given.name : 'unknown',
    seed: typeof given.seed === 'number' ? given.seed : 0,
    duration,
    grace: typeof given.grace === 'number' ? given.grace : 0,
    network,
    crowd: given.crowd ?? (roles.includes('crowd') ? ({ gateways: roles.filter((r) => r === 'crowd').length } as ScenarioConfig['crowd']) : undefined),
    devices,
    timeline: Array.isArray(given.timeline) ? given.timeline : [],
    expect: given.expect ?? {},
    harness: { maxLagP99: given.harness?.maxLagP99 ?? 50 },
    capture: given.capture ?? (capture?.type === 'capture.start' ? capture.backend : 'socket')
  } as ScenarioConfig
  return { config, gaps }
}

/** Recomputes a run's results from its artifacts alone: events.ndjson, and capture.pcap when present. */
export async function recomputeResults(runDir: string, options: { allowDamagedCapture?: boolean } & LeakScanOptions = {}): Promise<Results> {
  return (await recomputeRun(runDir, options)).results
}

/** recomputeResults, with what the reports and the history read of the log (RunLog). */
export async function recomputeRun(
  runDir: string,
  options: { allowDamagedCapture?: boolean; latencySamples?: boolean } & LeakScanOptions = {}
): Promise<{ results: Results; log: RunLog }> {
  const dir = await stat(runDir).catch(() => undefined)
  if (dir == null || !dir.isDirectory()) {
    throw new InvalidInputError([
      {
        location: { file: runDir },
        path: '',
        message: dir == null ? 'no such run directory' : 'not a directory',
        expected: 'a run directory written by `courier run` (it holds events.ndjson)'
      }
    ])
  }
  // read as a stream: the folds see every event, and only the log less its bulk is kept
  let pass = await readRunLog(join(runDir, 'events.ndjson'))
  const gaps: string[] = []
  let leaks: LeakResults | undefined
  try {
    ;({ leaks, pass } = await scanRunLogLeaks(runDir, pass, options))
  } catch (error) {
    gaps.push(`the secrets scan failed (${error instanceof Error ? error.message.split('\n')[0] : String(error)}); leaks.count is left out`)
  }
  const events = pass.kept
  let capture: CapturedConversations | undefined
  let radioTimelines: Awaited<ReturnType<typeof deviceRadioTimelines>> | undefined
  let destinations: DestinationResults | undefined
  try {
    capture = await loadCapture(runDir, events)
    destinations = await loadDestinations(runDir, events)
    radioTimelines = await deviceRadioTimelines(events, capturePath(runDir, events), pass.receptions)
  } catch (error) {
    if (options.allowDamagedCapture !== true) {
      if (!(error instanceof InvalidInputError)) throw error
      throw new InvalidInputError(
        error.problems.map((p) => ({ ...p, hint: p.hint ?? "courier report --allow-truncated reports the run without the capture's figures" }))
      )
    }
    gaps.push(
      `the capture could not be read (${error instanceof Error ? error.message.split('\n')[0] : String(error)}); its figures (capture bytes, radio energy) are left out`
    )
  }
  const results = buildResults({ events, analysis: pass.analysis, capture, radioTimelines, leaks, destinations })
  if (gaps.length > 0) {
    results.gaps = [...(results.gaps ?? []), ...gaps]
    if (results.verdict === 'pass') {
      results.verdict = 'inconclusive'
      results.verdictReasons = [...gaps]
    }
  }
  return { results, log: runLogOf(join(runDir, 'events.ndjson'), pass, options.latencySamples !== false) }
}

/** The run's pcap file, when tcpdump wrote one. */
export function capturePath(runDir: string, events: readonly CourierEvent[]): string | undefined {
  const start = events.find((e) => e.type === 'capture.start')
  if (start?.type !== 'capture.start' || start.backend !== 'tcpdump' || start.file == null) return undefined
  const file = join(runDir, start.file)
  return existsSync(file) ? file : undefined
}

/** Analyses RUN_DIR/capture.pcap when the run's tcpdump wrote one. */
export async function loadCapture(runDir: string, events: readonly CourierEvent[]): Promise<CapturedConversations | undefined> {
  const start = events.find((e) => e.type === 'capture.start')
  const stop = events.find((e) => e.type === 'capture.stop')
  if (start?.backend !== 'tcpdump' || start.file == null) return undefined
  const file = join(runDir, start.file)
  if (!existsSync(file)) return undefined
  // a capture cut short by a crash still has every whole packet before the tear
  const { analysis } = await analyzePcapFile(file, { allowTruncated: true })
  return {
    file: start.file,
    packets: analysis.totals.packets,
    dropped: stop?.type === 'capture.stop' ? (stop.dropped ?? null) : null,
    wireBytes: analysis.totals.wireBytes,
    payloadBytes: analysis.totals.payloadBytes,
    retransmittedBytes: analysis.totals.retransmittedBytes,
    conversations: analysis.conversations
  }
}

/** Messages a device's radio carried: the ones it sent and the ones delivered to it. */
function messagesHandled(events: readonly CourierEvent[], analysis: { delivery: Results['delivery'] }): Record<string, number> {
  const counts = userKeyed<number>()
  for (const [device, d] of Object.entries(analysis.delivery.devices)) counts[device] = d.delivered
  for (const event of events) if (event.type === 'msg.sent' && event.device != null) counts[event.device] = (counts[event.device] ?? 0) + 1
  return counts
}

function range(count: number, prefix: string): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}-${i + 1}`)
}

export async function readResults(runDir: string): Promise<Results> {
  return JSON.parse(await readFile(join(runDir, 'results.json'), 'utf8')) as Results
}

/** The last `device.client` of each device: what it reported running. */
function clientsOf(events: readonly CourierEvent[]): { clients?: Results['clients'] } {
  const clients = userKeyed<NonNullable<Results['clients']>[string]>()
  for (const e of events) {
    if (e.type !== 'device.client') continue
    const { t: _t, type: _type, device, ...identity } = e
    clients[device] = identity
  }
  return Object.keys(clients).length > 0 ? { clients } : {}
}

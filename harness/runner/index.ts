export {
  runScenario,
  keepFleetUp,
  makeDirectory,
  type RunOptions,
  type RunOutcome,
  type FleetUpOptions,
  type FleetUpOutcome,
  type Progress,
  type CreateDevice
} from './run.js'
export { buildResults, completeConfig, recomputeResults, recomputeRun, readResults } from './results.js'
export { EventLog, readEventLog, streamEventLog, REORDER_WINDOW_MS, type StreamedLog } from './event-log.js'
export {
  analyzeEventLog,
  latencySamplesOfLog,
  logPasses,
  passEventLog,
  readRunLog,
  runLogOf,
  RunLogPass,
  type EventConsumer,
  type LogPasses,
  type RunLog
} from './stream-analysis.js'
export { startSelfMonitor } from '../worker/self-monitor.js'
export { resolveScenario, type ResolvedScenario, type ResolveOptions } from './prepare.js'
export { buildInfo, readAppIdentity } from './build-info.js'
export { DEFAULT_RADIO } from './energy.js'
export { NodeLinks, pairLink, planNodeLinks } from './node-links.js'
export { scanRunLeaks, type ConfiguredSecret, type LeakScanOptions } from './leaks.js'
export { allows as destinationAllowed, fleetHosts, loadDestinations } from './destinations.js'

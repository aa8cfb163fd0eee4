export { runScenario, type RunOptions, type RunOutcome, type Progress, type CreateDevice } from './run.js'
export { buildResults, recomputeResults, readResults } from './results.js'
export { EventLog, readEventLog } from './event-log.js'
export { startSelfMonitor } from './self-monitor.js'

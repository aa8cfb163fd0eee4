// The run history: every recorded run's figures in one SQLite file, and trends over it.
export { HistoryDb, checkHistoryFile, updateHistory, HISTORY_SCHEMA_VERSION, type HistoryRun, type HistoryBuild } from './store.js'
export { historyRunFrom, historyBuild, type HistoryLog } from './record.js'
export { trendOf, selectFigures, HEADLINE_FIGURES, type TrendOptions } from './trend.js'

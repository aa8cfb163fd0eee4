export { analyzeRun, type RunAnalysis, type AnalysisOptions } from './run.js'
export { analyzeDelivery } from './delivery.js'
export { metricCatalogue, type CatalogueInput } from './metric-catalogue.js'
export { summarize } from './stats.js'

export {
  compareRuns,
  summarizeRepeats,
  checkSameScenario,
  hashScenario,
  directionOf,
  toleranceFor,
  IncomparableRunsError,
  DEFAULT_ALPHA,
  DEFAULT_TOLERANCE,
  MIN_RUNS_FOR_BOOTSTRAP,
  MIN_TAIL_MESSAGES,
  NOISE_FLOOR,
  type RunSample,
  type Tolerance,
  type CompareOptions
} from './compare.js'
export { mannWhitney, bootstrapMeanDifference, normalCdf, spread, type MannWhitney } from './statistics.js'
export { globMatches } from '../interface/index.js'

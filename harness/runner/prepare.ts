import { validateExpectations, validateRegressions, type Threshold } from '../gate/index.js'
import { InvalidInputError, type InputProblem } from '../interface/index.js'
import { loadScenarioFile, type LoadedScenario } from '../scenario/index.js'
import { validateRadios } from './energy.js'
import { validateLinks } from './links.js'

export interface PreparedScenario {
  scenario: LoadedScenario
  thresholds: Threshold[]
}

/** Everything that can be checked before a run starts: the file, thresholds, radio profiles and link presets. */
export async function prepareScenario(file: string, options: { seed?: number } = {}): Promise<PreparedScenario> {
  const scenario = await loadScenarioFile(file)
  if (options.seed != null) scenario.config.seed = options.seed
  const problems: InputProblem[] = []
  let thresholds: Threshold[] = []
  for (const check of [
    () => {
      thresholds = validateExpectations(scenario)
    },
    () => {
      validateRegressions(scenario)
    },
    () => {
      validateRadios(scenario)
    },
    () => {
      validateLinks(scenario)
    }
  ]) {
    try {
      check()
    } catch (error) {
      if (!(error instanceof InvalidInputError)) throw error
      problems.push(...error.problems)
    }
  }
  if (problems.length > 0) throw new InvalidInputError(problems)
  return { scenario, thresholds }
}

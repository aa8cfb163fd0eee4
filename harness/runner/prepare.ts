import { validateExpectations, validateRegressions, type Threshold } from '../gate/index.js'
import { InvalidInputError, type InputProblem } from '../interface/index.js'
import { loadScenarioFile, withOverrides, type LoadedScenario, type ScenarioOverrides } from '../scenario/index.js'
import { validateRadios } from './energy.js'
import { validateLinks } from './links.js'

/** A scenario ready to run: overrides applied and frozen, thresholds parsed, device profiles loaded. */
export interface ResolvedScenario<Profile = unknown> {
  readonly scenario: LoadedScenario
  readonly thresholds: Threshold[]
  /** The devices' profiles by device name (appium devices), as the `devices` step loaded them. */
  readonly profiles: ReadonlyMap<string, Profile>
}

export interface ResolveOptions<Profile> {
  overrides?: ScenarioOverrides
  /** Loads and checks the devices' own files (devices/index.ts `prepareDevices`); the runner does not know the drivers. */
  devices?: (scenario: LoadedScenario) => Promise<ReadonlyMap<string, Profile>>
}

/**
 * The one step from a scenario file to what runs, shared by run, fleet up, validate and doctor:
 * the file, the command line's overrides, thresholds, regress tolerances, radio profiles, link
 * presets and the devices' profiles, every problem of the scenario itself reported at once.
 */
export async function resolveScenario<Profile = unknown>(file: string, options: ResolveOptions<Profile> = {}): Promise<ResolvedScenario<Profile>> {
  const scenario = withOverrides(await loadScenarioFile(file), options.overrides)
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
  const profiles = (await options.devices?.(scenario)) ?? new Map<string, Profile>()
  return Object.freeze({ scenario, thresholds, profiles })
}

import type { LoadedScenario } from './load.js'
import type { ScenarioConfig } from './schema.js'

/** What the command line may change in a scenario: `--seed` (and `--repeat`'s seeds) and `--fleet-host`. */
export interface ScenarioOverrides {
  seed?: number
  /** network.host */
  networkHost?: string
}

/**
 * The scenario as it will run: a copy of the loaded one with the command line's overrides, its
 * config frozen all the way down, so nothing after this step can change what the run records in
 * `run.start` and what the report says was run. The loaded scenario is left as the file said.
 */
export function withOverrides(scenario: LoadedScenario, overrides: ScenarioOverrides = {}): LoadedScenario {
  const config = structuredClone(scenario.config)
  if (overrides.seed != null) config.seed = overrides.seed
  if (overrides.networkHost != null) config.network.host = overrides.networkHost
  return Object.freeze({ ...scenario, config: deepFreeze(config) })
}

function deepFreeze(config: ScenarioConfig): ScenarioConfig {
  const visit = (value: unknown): void => {
    if (value == null || typeof value !== 'object' || Object.isFrozen(value)) return
    Object.freeze(value)
    for (const child of Object.values(value)) visit(child)
  }
  visit(config)
  return config
}

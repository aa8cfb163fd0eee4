import { resolve } from 'node:path'
import {
  InfrastructureError,
  InvalidInputError,
  type AbortOptions,
  type Device,
  type DeviceComponents,
  type DeviceFactory,
  type FlowRequest,
  type InputProblem,
  type OutgoingMessage
} from '../../harness/interface/index.js'
import { findUserFile, userFileCandidates, type AppiumDeviceConfig, type LoadedScenario } from '../../harness/scenario/index.js'
import { AppiumDevice, type AppiumDeviceInit } from './appium-device.js'
import { loadProfileFile, type DeviceProfile } from './profile.js'

export { AppiumDevice, type AppiumDeviceInit, type AppiumEndpoint } from './appium-device.js'
export { loadProfileFile, parseProfile, profileSchema, type DeviceProfile, type LoadedProfile } from './profile.js'
export {
  startAppiumServer,
  ensureCourierDriver,
  courierDriverInstalled,
  DEFAULT_APPIUM_HOME,
  COURIER_DRIVER_DIR,
  COURIER_ROOT,
  type AppiumServer,
  type AppiumServerInit
} from './server.js'
export {
  installedAppiumDrivers,
  appiumPackageVersion,
  which,
  runCommand,
  parseAdbDevices,
  probeAdb,
  parseXctraceDevices,
  probeXcrun,
  androidSdk,
  type InstalledDriver,
  type AdbDevice,
  type AdbProbe,
  type XcodeDevice,
  type XcrunProbe
} from './host-tools.js'
export { parseBatterystats, parsePackageUid, uidLabel, type AppBatteryStats } from './batterystats.js'
export { estimateClockOffset, toRunClock, type ClockEstimate } from './clock.js'
export { runFlowSpec, describeError, type FlowGlobals, type FlowInfo, type FlowRunResult, type FlowTestResult } from './flow-runner.js'
export { flowScreen, type FlowScreen, type WaitOptions } from './flow-screen.js'
export { renderFleetTemplate, templateProblems, FLEET_TEMPLATE_ROOTS } from './fleet-template.js'

/** `appiumDevice(init)(components)`: the driver factory, for a profile already loaded. */
export function appiumDevice(init: AppiumDeviceInit): DeviceFactory {
  return (components: DeviceComponents) => new AppiumDevice(init, components)
}

/**
 * Loads and validates every appium device's profile before anything starts, so a mistake in a
 * profile fails like a mistake in the scenario (exit 2, file, line, field). Profile paths are
 * relative to the scenario file, then to the current directory.
 */
export async function prepareAppiumDevices(
  scenario: LoadedScenario,
  options: { checkServers?: boolean; env?: NodeJS.ProcessEnv } = {}
): Promise<Map<string, DeviceProfile>> {
  const problems: InputProblem[] = []
  const profiles = new Map<string, DeviceProfile>()
  for (const [name, config] of Object.entries(scenario.config.devices)) {
    if (config.driver !== 'appium') continue
    const file = findUserFile(config.profile, scenario.file)
    if (file == null) {
      problems.push({
        location: scenario.locate(['devices', name, 'profile']),
        path: `devices.${name}.profile`,
        message: 'device profile not found',
        expected: 'a profile YAML file',
        found: config.profile,
        hint: `looked for ${userFileCandidates(config.profile, scenario.file).join(' and ')}; shipped profiles are in devices/profiles/`
      })
      continue
    }
    try {
      profiles.set(name, (await loadProfileFile(file)).profile)
    } catch (error) {
      if (!(error instanceof InvalidInputError)) throw error
      problems.push(...error.problems)
    }
    const url = config.server?.url ?? profiles.get(name)?.server?.url
    if (url != null && (new URL(url).username !== '' || new URL(url).password !== '')) {
      problems.push({
        location: config.server != null ? scenario.locate(['devices', name, 'server', 'url']) : { file },
        path: config.server != null ? `devices.${name}.server.url` : 'server.url',
        message: 'credentials in a URL end up in logs and reports',
        expected: 'a URL without user:key@',
        found: 'a URL with credentials',
        hint: 'name environment variables instead: server: { url: ..., user: COURIER_APPIUM_USER, key: COURIER_APPIUM_KEY }'
      })
    }
  }
  // a run needs its credentials: a missing one is the user's to fix, before the fleet starts
  // (`courier validate` checks files only, on machines that may hold no secrets)
  if (options.checkServers !== false) problems.push(...missingEnvironment(scenario, profiles, options.env ?? process.env))
  if (problems.length > 0) throw new InvalidInputError(problems)
  // `courier validate` starts nothing and asks no server
  if (options.checkServers !== false) await checkServers(scenario, profiles)
  return profiles
}

/** Environment variables an appium device's server credentials and sign-in steps name, that are unset or empty. */
function missingEnvironment(scenario: LoadedScenario, profiles: ReadonlyMap<string, DeviceProfile>, env: NodeJS.ProcessEnv): InputProblem[] {
  const problems: InputProblem[] = []
  for (const [name, config] of Object.entries(scenario.config.devices)) {
    if (config.driver !== 'appium') continue
    const profile = profiles.get(name)
    const inScenario = config.server != null
    const server = config.server ?? profile?.server
    const profileFile = findUserFile(config.profile, scenario.file) ?? config.profile
    for (const field of ['user', 'key'] as const) {
      const variable = server?.[field]
      if (variable == null || (env[variable] ?? '') !== '') continue
      problems.push({
        location: inScenario ? scenario.locate(['devices', name, 'server', field]) : { file: profileFile },
        path: inScenario ? `devices.${name}.server.${field}` : `server.${field}`,
        message: `the environment variable ${variable} (the ${field === 'user' ? 'user name' : 'access key'} for ${server?.url ?? 'the server'}) is not set`,
        expected: `${variable} set in the environment of courier run`,
        found: 'unset or empty',
        hint: `export ${variable}=... (in CI: a secret of the job)`
      })
    }
    for (const step of profile?.signIn ?? []) {
      if (!('env' in step) || env[step.env] != null) continue
      problems.push({
        location: { file: profileFile },
        path: 'signIn',
        message: `sign-in types the environment variable ${step.env}, which is not set`,
        expected: `${step.env} set in the environment of courier run`,
        found: 'unset or empty',
        hint: `export ${step.env}=...`
      })
    }
  }
  return problems
}

/** A given Appium server (grid, cloud) must answer before the fleet starts: exit 3 fast, not a run of failed devices. */
async function checkServers(scenario: LoadedScenario, profiles: ReadonlyMap<string, DeviceProfile>, timeoutMs = 5000): Promise<void> {
  const failures: string[] = []
  await Promise.all(
    Object.entries(scenario.config.devices).map(async ([name, config]) => {
      if (config.driver !== 'appium') return
      const server = config.server ?? profiles.get(name)?.server
      if (server == null) return
      const started = Date.now()
      try {
        const response = await fetch(new URL('status', server.url.endsWith('/') ? server.url : `${server.url}/`), { signal: AbortSignal.timeout(timeoutMs) })
        await response.body?.cancel()
      } catch (error) {
        const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name
        failures.push(
          `device ${name}: no Appium server answers at ${server.url} (${cause} after ${Date.now() - started} ms); check that the server is running and reachable from this machine, or leave server: out to let courier start one`
        )
      }
    })
  )
  if (failures.length > 0) throw new InfrastructureError(failures.join('\n'))
}

/** The device for a scenario entry; its profile is the one `prepareAppiumDevices` loaded, or is loaded at start. */
export function createAppiumDevice(name: string, config: AppiumDeviceConfig, topics: string[], components: DeviceComponents, profile?: DeviceProfile): Device {
  return new PreparedAppiumDevice(name, config, topics, components, profile)
}

class PreparedAppiumDevice implements Device {
  readonly driver = 'appium'
  private device?: AppiumDevice

  constructor(
    readonly name: string,
    private readonly config: AppiumDeviceConfig,
    private readonly topics: string[],
    private readonly components: DeviceComponents,
    private readonly profile?: DeviceProfile
  ) {}

  async start(options?: AbortOptions): Promise<void> {
    const profile = this.profile ?? (await loadProfileFile(resolve(this.config.profile))).profile
    this.device = new AppiumDevice(
      { name: this.name, topics: this.topics, profile, server: this.config.server, capabilities: this.config.capabilities },
      this.components
    )
    await this.device.start(options)
  }

  async stop(): Promise<void> {
    await this.device?.stop()
  }
  async send(message: OutgoingMessage, options?: AbortOptions): Promise<void> {
    await this.require().send(message, options)
  }
  async setOnline(online: boolean, options?: AbortOptions): Promise<void> {
    await this.require().setOnline(online, options)
  }
  async runFlow(flow: FlowRequest, options?: AbortOptions): Promise<void> {
    await this.require().runFlow(flow, options)
  }

  private require(): AppiumDevice {
    if (this.device == null) throw new Error(`appium device ${this.name} was not started`)
    return this.device
  }
}

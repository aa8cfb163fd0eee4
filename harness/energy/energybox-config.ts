import { basename } from 'node:path'
import { InvalidInputError, readUserTextFile, type InputProblem } from '../interface/index.js'
import { parseJavaProperties, type PropertyEntry } from './java-properties.js'
import { parseRadioProfile } from './profiles.js'
import type { RadioProfile } from './profile-schema.js'

// EnergyBox configuration files (Java properties with a TYPE line; times in ms, sizes in bytes,
// powers in W) turned into courier profiles (seconds). A network config (TYPE=3G or Wifi) is
// paired with a device config (Device3G or DeviceWifi).

/** The four kinds of EnergyBox config file. */
export type EnergyBoxConfigType = '3G' | 'Device3G' | 'Wifi' | 'DeviceWifi'

export interface EnergyBoxConfig {
  file: string
  type: EnergyBoxConfigType
  values: Map<string, PropertyEntry>
}

const TYPES: readonly EnergyBoxConfigType[] = ['3G', 'Device3G', 'Wifi', 'DeviceWifi']

/** Parses the text of one EnergyBox .config file. */
export function parseEnergyBoxConfig(text: string, file: string): EnergyBoxConfig {
  const values = parseJavaProperties(text)
  const type = values.get('TYPE')?.value.trim()
  if (type == null || !(TYPES as readonly string[]).includes(type)) {
    throw new InvalidInputError([
      {
        location: { file, line: values.get('TYPE')?.line },
        path: 'TYPE',
        message: 'not an EnergyBox config: the TYPE line is missing or unknown',
        expected: TYPES.join(', '),
        found: type ?? 'no TYPE line'
      }
    ])
  }
  return { file, type: type as EnergyBoxConfigType, values }
}

class Reader {
  readonly problems: InputProblem[] = []
  constructor(private readonly config: EnergyBoxConfig) {}

  number(key: string, unit: string): number {
    const entry = this.config.values.get(key)
    const value = entry == null ? NaN : Number(entry.value.trim())
    if (entry == null || entry.value.trim() === '' || !Number.isFinite(value) || value < 0) {
      this.problems.push({
        location: { file: this.config.file, line: entry?.line },
        path: key,
        message: entry == null ? `missing key ${key}` : `bad value for ${key}`,
        expected: `a non-negative number (${unit})`,
        found: entry == null ? 'nothing' : JSON.stringify(entry.value)
      })
      return 0
    }
    return value
  }
}

function expectType(config: EnergyBoxConfig, types: EnergyBoxConfigType[], role: string): void {
  if (!types.includes(config.type)) {
    throw new InvalidInputError([
      {
        location: { file: config.file, line: config.values.get('TYPE')?.line },
        path: 'TYPE',
        message: `expected the ${role} config here`,
        expected: types.join(' or '),
        found: config.type
      }
    ])
  }
}

const ms = (x: number): number => x / 1000

/** Builds a courier profile from an EnergyBox network config and device config. */
export function energyBoxProfileFromConfigs(network: EnergyBoxConfig, device: EnergyBoxConfig, name?: string): RadioProfile {
  expectType(network, ['3G', 'Wifi'], 'network (TYPE=3G or Wifi)')
  const net = new Reader(network)
  const dev = new Reader(device)
  const source = `EnergyBox config files ${basename(network.file)} + ${basename(device.file)}`
  let profile: unknown
  if (network.type === '3G') {
    expectType(device, ['Device3G'], 'device (TYPE=Device3G)')
    profile = {
      name: name ?? `energybox-3g-${basename(network.file).replace(/\.config$/, '')}`,
      model: 'energybox-3g',
      technology: '3g',
      source,
      verified: true,
      dchTailSeconds: ms(net.number('DCH_FACH_INACTIVITY_TIME', 'ms')),
      fachTailSeconds: ms(net.number('FACH_IDLE_INACTIVITY_TIME', 'ms')),
      idleToDchBytes: {
        upBytes: net.number('UPLINK_BUFFER_IDLE_TO_FACH_OR_DCH', 'bytes'),
        downBytes: net.number('DOWNLINK_BUFFER_IDLE_TO_FACH_OR_DCH', 'bytes')
      },
      fachToDchBytes: {
        upBytes: net.number('UPLINK_BUFFER_FACH_TO_DCH', 'bytes'),
        downBytes: net.number('DOWNLINK_BUFFER_FACH_TO_DCH', 'bytes')
      },
      uplinkDrainSecondsPerByte: ms(net.number('UPLINK_BUFFER_EMPTY_TIME', 'ms per byte')),
      downlinkDrainSeconds: ms(net.number('DOWNLINK_BUFFER_EMPTY_TIME', 'ms')),
      idleToDchDelaySeconds: ms(net.number('IDLE_TO_DCH_TRANSITION_TIME', 'ms')),
      power: {
        idleWatts: dev.number('POWER_IN_IDLE', 'W'),
        fachWatts: dev.number('POWER_IN_FACH', 'W'),
        dchWatts: dev.number('POWER_IN_DCH', 'W')
      }
    }
  } else {
    expectType(device, ['DeviceWifi'], 'device (TYPE=DeviceWifi)')
    profile = {
      name:
        name ??
        `energybox-wifi-${basename(network.file)
          .replace(/\.config$/, '')
          .replace(/^wifi_/, '')}`,
      model: 'energybox-wifi',
      technology: 'wifi',
      source,
      verified: true,
      camTailSeconds: ms(net.number('CAM_PSM_INACTIVITY_TIME', 'ms')),
      // Upstream's key is misspelt; accept the correct spelling too.
      windowSeconds: ms(network.values.has('CAM_TIME_WINDOW') ? net.number('CAM_TIME_WINDOW', 'ms') : net.number('CAM_TIME_WIMDOW', 'ms')),
      highThresholdBytes: net.number('WINDOW_DATA_RATE_THRESHOLD', 'bytes per window'),
      power: {
        psmWatts: dev.number('POWER_IN_PSM', 'W'),
        camWatts: dev.number('POWER_IN_CAM', 'W'),
        camhWatts: dev.number('POWER_IN_CAMH', 'W')
      }
    }
  }
  const problems = [...net.problems, ...dev.problems]
  if (problems.length > 0) throw new InvalidInputError(problems)
  return parseRadioProfile(profile, `${network.file} + ${device.file}`)
}

/** Reads an EnergyBox network config and device config from disk into a courier profile. */
export function loadEnergyBoxProfile(networkConfigPath: string, deviceConfigPath: string, options: { name?: string } = {}): RadioProfile {
  const read = (path: string): EnergyBoxConfig => {
    return parseEnergyBoxConfig(readUserTextFile(path, { kind: 'EnergyBox config' }), path)
  }
  return energyBoxProfileFromConfigs(read(networkConfigPath), read(deviceConfigPath), options.name)
}

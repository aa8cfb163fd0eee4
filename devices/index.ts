import type { CreateDevice, Device } from '../harness/interface/index.js'
import type { DeviceConfig } from '../harness/scenario/index.js'
import { createSimulated } from './simulated-driver.js'
import { createAppiumDevice, type DeviceProfile } from './appium/index.js'

export { prepareAppiumDevices as prepareDevices, type DeviceProfile } from './appium/index.js'

/**
 * Picks the driver a scenario's device names. New drivers are a new folder and one case here. The
 * browser and js-waku drivers are imported when a scenario has such a device: Playwright and
 * js-waku's modules cost every other run about a second of loading.
 */
export function deviceFactory(profiles: ReadonlyMap<string, DeviceProfile> = new Map()): CreateDevice<DeviceConfig> {
  return async (name, config, topics, components) => await createDeviceWith(profiles, name, config, topics, components)
}

/** Devices whose profiles are loaded when they start (no `prepareDevices` before). */
export const createDevice: CreateDevice<DeviceConfig> = deviceFactory()

async function createDeviceWith(
  profiles: ReadonlyMap<string, DeviceProfile>,
  ...[name, config, topics, components]: Parameters<CreateDevice<DeviceConfig>>
): Promise<Device> {
  switch (config.driver) {
    case 'simulated':
      return createSimulated(name, config, topics, components)
    case 'appium':
      return createAppiumDevice(name, config, topics, components, profiles.get(name))
    case 'browser':
      return (await import('./browser/index.js')).browserDevice({
        name,
        topics,
        peers: config.relays,
        syncMarginMs: config.syncMargin,
        dropEvery: config.dropEvery
      })(components)
    case 'js-waku':
      return (await import('./js-waku/index.js')).jsWakuDevice({
        name,
        topics,
        numPeers: config.relays,
        storeTimeoutMs: config.storeTimeout,
        syncIntervalMs: config.syncInterval
      })(components)
  }
}

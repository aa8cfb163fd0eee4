import type { CreateDevice } from '../harness/interface/index.js'
import type { DeviceConfig } from '../harness/scenario/index.js'
import { simulatedDevice } from './simulated/index.js'
import { createAppiumDevice } from './appium/index.js'

export { prepareAppiumDevices as prepareDevices } from './appium/index.js'

/**
 * Picks the driver a scenario's device names. New drivers are a new folder and one case here. The
 * browser and js-waku drivers are imported when a scenario has such a device: Playwright and
 * js-waku's modules cost every other run about a second of loading.
 */
export const createDevice: CreateDevice<DeviceConfig> = async (name, config, topics, components) => {
  switch (config.driver) {
    case 'simulated':
      return simulatedDevice({
        name,
        topics,
        relays: config.relays,
        syncIntervalMs: config.syncInterval,
        storeTimeoutMs: config.storeTimeout,
        preferredStore: config.store,
        switchAfter: config.switchAfter,
        upToDate: config.upToDate,
        confirmSent: config.confirmSent,
        wakeOnPush: config.wakeOnPush,
        missingCheck: config.missingCheck,
        mode: config.mode,
        preferredService: config.service,
        telemetryUrl: config.telemetry,
        bootstrap: config.bootstrap,
        peerExchange: config.peerExchange
      })(components)
    case 'appium':
      return createAppiumDevice(name, config, topics, components)
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

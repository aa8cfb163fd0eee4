import type { CreateDevice, Device, DeviceComponents } from '../harness/interface/index.js'
import type { DeviceConfig } from '../harness/scenario/index.js'
import { simulatedDevice } from './simulated/index.js'

type SimulatedConfig = Extract<DeviceConfig, { driver: 'simulated' }>

/**
 * A scenario's simulated device entry as courier's reference client: shared by devices/index.ts
 * and the worker process's entry (harness/worker/main.ts), so a device built in a worker is the
 * one courier's process would have built. Here rather than in devices/simulated, which knows
 * nothing of the scenario format.
 */
export function createSimulated(name: string, config: SimulatedConfig, topics: string[], components: DeviceComponents): Device {
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
}

/** What a worker process can host: simulated devices only (placement never sends it another driver). */
export const createSimulatedOnly: CreateDevice<DeviceConfig> = (name, config, topics, components) => {
  if (config.driver !== 'simulated') throw new Error(`a worker process hosts simulated devices only, not ${name} (${config.driver})`)
  return createSimulated(name, config, topics, components)
}

import type { DeviceComponents, DeviceFactory } from '../../harness/interface/index.js'
import { SimulatedDevice, type SimulatedDeviceInit } from './simulated-device.js'

export { SimulatedDevice, type SimulatedDeviceInit } from './simulated-device.js'

/** `simulatedDevice(init)(components)`: the driver factory the runner uses. */
export function simulatedDevice(init: SimulatedDeviceInit): DeviceFactory {
  return (components: DeviceComponents) => new SimulatedDevice(init, components)
}

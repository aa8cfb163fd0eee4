import type { DeviceComponents, DeviceFactory } from '../../harness/interface/index.js'
import { JsWakuDevice, type JsWakuDeviceInit } from './js-waku-device.js'

export { JsWakuDevice, type JsWakuDeviceInit } from './js-waku-device.js'
export { installedClient, jsWakuCheck, type JsWakuCheck } from './check.js'

/** `jsWakuDevice(init)(components)`: the driver factory the runner uses. */
export function jsWakuDevice(init: JsWakuDeviceInit): DeviceFactory {
  return (components: DeviceComponents) => new JsWakuDevice(init, components)
}

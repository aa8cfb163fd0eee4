// Appium imports this file. The driver is TypeScript, compiled with the rest of courier into dist/,
// and resolves @appium/base-driver and libp2p from courier's own node_modules; the polyfill must
// be evaluated before libp2p's modules (Node 20), hence the first import.
import '../../../dist/harness/polyfill.js'
export { CourierDriver } from '../../../dist/devices/appium/courier-appium-driver/src/driver.js'

export { BrowserDevice, browserDevice, websocketAddrs, type BrowserDeviceInit } from './browser-device.js'
export { CHROMIUM_ARGS, CHROMIUM_PATH, PAGE_DIR, PROFILE_PREFIX, probePageBundle, chromiumPids, removeStaleProfiles, type BrowserProbe } from './chromium.js'

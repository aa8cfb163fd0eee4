import { deflateSync, crc32 } from 'node:zlib'
import { BaseDriver, errors } from '@appium/base-driver'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { TestApp, type AppFleet, type TestAppOptions } from './test-app.js'
import { APP_PACKAGE, findByKey, findNodes, InvalidSelector, serialize, STRATEGIES, type Strategy, type UiNode } from './ui-tree.js'

const W3C_ELEMENT_KEY = 'element-6066-11e4-a52e-4f735466cecf'
const ELEMENT_PREFIX = 'courier-el:'

/** Android's BatteryManager status values that `mobile: batteryInfo` reports. */
const BATTERY_STATUS_DISCHARGING = 3

type Caps = Record<string, unknown>

/**
 * courier's own Appium driver (automationName `Courier`): the courier test app on a simulated
 * client that joins the run's real fleet. It answers the commands courier uses on a real Android
 * phone (UiAutomator2-style page source and locators, `mobile: setConnectivity`, `mobile: shell`
 * with batterystats, `mobile: batteryInfo`, `mobile: getDeviceTime`, logcat), so CI exercises the
 * whole path harness -> WebdriverIO -> Appium server -> driver -> fleet without a phone.
 */
// BaseDriver's generic capability typing is built for drivers with many fixed caps; ours are vendor
// caps read and checked by hand in createSession, hence the loose parameter.
export class CourierDriver extends BaseDriver<any> {
  private app?: TestApp

  static executeMethodMap = {
    'mobile: batteryInfo': { command: 'mobileBatteryInfo' },
    'mobile: shell': { command: 'mobileShell', params: { required: ['command'], optional: ['args', 'timeout', 'includeStderr'] } },
    'mobile: setConnectivity': { command: 'mobileSetConnectivity', params: { optional: ['wifi', 'data', 'airplaneMode'] } },
    'mobile: getConnectivity': { command: 'mobileGetConnectivity', params: { optional: ['services'] } },
    'mobile: getDeviceTime': { command: 'mobileGetDeviceTime', params: { optional: ['format'] } },
    'mobile: backgroundApp': { command: 'mobileBackgroundApp', params: { optional: ['seconds'] } },
    'mobile: activateApp': { command: 'mobileActivateApp', params: { required: ['appId'] } },
    'mobile: queryAppState': { command: 'mobileQueryAppState', params: { required: ['appId'] } }
  } as const

  constructor(opts: any = {}, shouldValidateCaps = true) {
    super(opts, shouldValidateCaps)
    this.locatorStrategies = [...STRATEGIES]
    this.desiredCapConstraints = {
      platformName: { presence: true, isString: true },
      automationName: { isString: true }
    }
    ;(this as unknown as { supportedLogTypes: unknown }).supportedLogTypes = {
      logcat: { description: "the courier test app's log (device clock timestamps)", getter: (driver: CourierDriver) => driver.requireApp().takeLogs() }
    }
  }

  override async createSession(...args: any[]): Promise<any> {
    const result = await (super.createSession as (...a: any[]) => Promise<[string, Caps]>)(...args)
    const caps = result[1]
    let options: TestAppOptions
    try {
      options = appOptions(caps, (error) => {
        void this.crash(error)
      })
    } catch (error) {
      await super.deleteSession()
      throw new errors.SessionNotCreatedError((error as Error).message)
    }
    this.app = new TestApp(options)
    this.app.launch()
    return result
  }

  override async deleteSession(sessionId?: string | null): Promise<void> {
    const app = this.app
    this.app = undefined
    await app?.stop().catch((error: unknown) => {
      this.log.warn(`stopping the test app: ${String(error)}`)
    })
    await super.deleteSession(sessionId)
  }

  private async crash(error: Error): Promise<void> {
    this.log.warn(error.message)
    await this.startUnexpectedShutdown(new errors.NoSuchDriverError(error.message))
  }

  private requireApp(): TestApp {
    if (this.app == null) throw new errors.NoSuchDriverError('no session')
    return this.app
  }

  private nodeFor(elementId: string): UiNode {
    const key = elementId.startsWith(ELEMENT_PREFIX) ? elementId.slice(ELEMENT_PREFIX.length) : ''
    const found = findByKey(this.requireApp().tree(), key)
    if (found == null) throw new errors.StaleElementReferenceError(`element ${elementId} is no longer on screen`)
    return found
  }

  override async findElOrEls(strategy: string, selector: string, mult: boolean, context?: string): Promise<any> {
    const app = this.requireApp()
    const find = (): UiNode[] => {
      const root = context == null ? app.tree() : this.nodeFor(context)
      try {
        return findNodes(root, strategy as Strategy, selector)
      } catch (error) {
        if (error instanceof InvalidSelector) throw new errors.InvalidSelectorError(error.message)
        throw error
      }
    }
    let found = find()
    if (found.length === 0 && !mult) {
      await (this as unknown as { implicitWaitForCondition: (fn: () => Promise<boolean>) => Promise<void> })
        .implicitWaitForCondition(async () => {
          found = find()
          return found.length > 0
        })
        .catch(() => {})
      if (found.length === 0) throw new errors.NoSuchElementError(`no element for ${strategy} ${JSON.stringify(selector)}`)
    }
    const wrap = (n: UiNode): Record<string, string> => ({ [W3C_ELEMENT_KEY]: ELEMENT_PREFIX + n.key, ELEMENT: ELEMENT_PREFIX + n.key })
    return mult ? found.map(wrap) : wrap(found[0])
  }

  async click(elementId: string): Promise<void> {
    const n = this.nodeFor(elementId)
    await this.requireApp().tap(n.key)
  }

  async setValue(value: string | string[], elementId: string): Promise<void> {
    const n = this.nodeFor(elementId)
    this.requireApp().type(n.key, Array.isArray(value) ? value.join('') : value)
  }

  async clear(elementId: string): Promise<void> {
    this.requireApp().clear(this.nodeFor(elementId).key)
  }

  async getText(elementId: string): Promise<string> {
    return this.requireApp().textOf(this.nodeFor(elementId))
  }

  async getAttribute(name: string, elementId: string): Promise<string | null> {
    const n = this.nodeFor(elementId)
    if (name === 'text') return this.requireApp().textOf(n)
    if (name === 'class' || name === 'className') return n.cls
    return n.attrs[name] ?? null
  }

  async elementDisplayed(elementId: string): Promise<boolean> {
    return this.nodeFor(elementId).attrs.displayed === 'true'
  }

  async elementEnabled(elementId: string): Promise<boolean> {
    return this.nodeFor(elementId).attrs.enabled === 'true'
  }

  override async getPageSource(): Promise<string> {
    return serialize(this.requireApp().tree())
  }

  async getScreenshot(): Promise<string> {
    this.requireApp()
    return SCREENSHOT_PNG
  }

  async execute(script: string, args: unknown[]): Promise<unknown> {
    if (script.startsWith('mobile:'))
      return await (this as unknown as { executeMethod: (s: string, a: unknown[]) => Promise<unknown> }).executeMethod(
        script.replace(/^mobile:\s*/, 'mobile: '),
        args
      )
    throw new errors.NotImplementedError('the courier test app runs no scripts; use the mobile: extension commands')
  }

  async mobileBatteryInfo(): Promise<{ level: number; state: number }> {
    return { level: this.requireApp().battery.level(), state: BATTERY_STATUS_DISCHARGING }
  }

  /** The subset of adb shell courier needs, behind the same insecure feature as UiAutomator2. */
  async mobileShell(command: string, args: string[] = []): Promise<string> {
    this.assertFeatureEnabled('adb_shell')
    const app = this.requireApp()
    const line = [command, ...args].join(' ').trim()
    if (line === 'dumpsys batterystats --reset') {
      app.battery.reset()
      return 'Battery stats reset.\n'
    }
    if (line.startsWith('dumpsys batterystats')) return app.battery.dumpsys(APP_PACKAGE)
    if (line === `dumpsys package ${APP_PACKAGE}`) return app.packageInfo()
    if (line === 'date +%s%N') return `${BigInt(app.wallNow()) * 1_000_000n}\n`
    throw new errors.InvalidArgumentError(`the courier test app's shell does not run ${JSON.stringify(line)}`)
  }

  async mobileSetConnectivity(wifi?: boolean, data?: boolean, airplaneMode?: boolean): Promise<void> {
    const app = this.requireApp()
    const off = airplaneMode === true || (wifi === false && data === false)
    const on = airplaneMode === false || wifi === true || data === true
    if (off) await app.setOnline(false)
    else if (on) await app.setOnline(true)
  }

  async mobileGetConnectivity(): Promise<{ wifi: boolean; data: boolean; airplaneMode: boolean }> {
    const online = this.requireApp().isOnline
    return { wifi: online, data: online, airplaneMode: !online }
  }

  /** `format: 'x'` is epoch milliseconds (moment's token), anything else an ISO 8601 string with milliseconds. */
  async mobileGetDeviceTime(format?: string): Promise<string> {
    const now = this.requireApp().wallNow()
    return format === 'x' ? String(now) : new Date(now).toISOString()
  }

  async mobileBackgroundApp(seconds = -1): Promise<void> {
    const app = this.requireApp()
    app.foreground = false
    if (seconds >= 0)
      setTimeout(() => {
        app.foreground = true
      }, seconds * 1000).unref()
  }

  async mobileActivateApp(appId: string): Promise<void> {
    if (appId !== APP_PACKAGE) throw new errors.InvalidArgumentError(`no app ${appId} on this device`)
    this.requireApp().foreground = true
  }

  async mobileQueryAppState(appId: string): Promise<number> {
    if (appId !== APP_PACKAGE) return 0
    return this.requireApp().foreground ? 4 : 3
  }
}

function appOptions(caps: Caps, onCrash: (error: Error) => void): TestAppOptions {
  const device = caps['courier:device']
  if (typeof device !== 'string' || device === '') throw new Error('capability courier:device (the scenario device name) is required')
  const rawFleet = caps['courier:fleet']
  let fleet: TestAppOptions['fleet']
  // without courier:fleet the app starts on the fleet saved in its data, or none (its settings screen sets one)
  if (rawFleet != null) {
    let given: { relays?: unknown; stores?: unknown; pubsubTopic?: unknown }
    try {
      given = typeof rawFleet === 'string' ? (JSON.parse(rawFleet) as typeof given) : (rawFleet as typeof given)
    } catch {
      throw new Error('capability courier:fleet is not JSON')
    }
    if (!Array.isArray(given.relays) || given.relays.length === 0 || typeof given.pubsubTopic !== 'string') {
      throw new Error('capability courier:fleet needs { relays: [multiaddr...], stores: [{name, addr}], pubsubTopic }')
    }
    fleet = {
      relays: given.relays as string[],
      stores: Array.isArray(given.stores) ? (given.stores as AppFleet['stores']) : [],
      pubsubTopic: given.pubsubTopic
    }
  }
  const dataDir = caps['courier:dataDir']
  if (dataDir != null && (typeof dataDir !== 'string' || dataDir === '')) throw new Error('capability courier:dataDir must be a folder path')
  const deviceName =
    typeof caps.deviceName === 'string' ? caps.deviceName : typeof caps['appium:deviceName'] === 'string' ? (caps['appium:deviceName'] as string) : device
  const topics = caps['courier:topics']
  const number = (name: string, fallback: number): number => {
    const value = caps[name]
    if (value == null) return fallback
    if (typeof value !== 'number' || !Number.isFinite(value)) throw new Error(`capability ${name} must be a number`)
    return value
  }
  return {
    device,
    fleet,
    // a phone's app data outlives a session only with noReset, as UiAutomator2 clears it otherwise
    dataDir: typeof dataDir === 'string' ? dataDir : join(tmpdir(), 'courier-testapp', deviceName.replace(/[^A-Za-z0-9_-]+/g, '-')),
    keepData: caps.noReset === true || caps['appium:noReset'] === true,
    topics: Array.isArray(topics) && topics.every((t) => typeof t === 'string') && topics.length > 0 ? topics : ['default'],
    launchMs: number('courier:launchMs', 300),
    signIn: caps['courier:signIn'] === true,
    clockSkewMs: number('courier:clockSkewMs', 0),
    dieAfterMs: caps['courier:dieAfterMs'] == null ? undefined : number('courier:dieAfterMs', 0),
    onCrash
  }
}

/** A small grey PNG: the test app has no pixels, but failure artifacts must be real image files. */
const SCREENSHOT_PNG = (() => {
  const width = 36
  const height = 64
  const chunk = (type: string, data: Buffer): Buffer => {
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data])
    const out = Buffer.alloc(12 + data.length)
    out.writeUInt32BE(data.length, 0)
    body.copy(out, 4)
    out.writeUInt32BE(crc32(body) >>> 0, 8 + data.length)
    return out
  }
  const header = Buffer.alloc(13)
  header.writeUInt32BE(width, 0)
  header.writeUInt32BE(height, 4)
  header[8] = 8 // bit depth
  header[9] = 0 // greyscale
  const rows = Buffer.alloc((width + 1) * height, 0xc8)
  for (let y = 0; y < height; y++) rows[y * (width + 1)] = 0 // filter byte per row
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(rows)),
    chunk('IEND', Buffer.alloc(0))
  ]).toString('base64')
})()

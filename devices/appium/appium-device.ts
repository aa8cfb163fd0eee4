import { appendFile, mkdir, writeFile } from 'node:fs/promises'
import { dirname, join, relative } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import {
  InfrastructureError,
  maskSecrets,
  secretForms,
  type AbortOptions,
  type Device,
  type DeviceComponents,
  type FlowRequest,
  type OutgoingMessage
} from '../../harness/interface/index.js'
import { parseBatterystats, parsePackageUid, parsePackageVersion } from './batterystats.js'
import { estimateClockOffset, toRunClock } from './clock.js'
import { runFlowSpec } from './flow-runner.js'
import { flowScreen } from './flow-screen.js'
import { renderFleetTemplate } from './fleet-template.js'
import type { DeviceProfile } from './profile.js'
import { startAppiumServer, type AppiumServer } from './server.js'

/** Where an Appium server is and how to log in to it: credentials by environment variable name only. */
export interface AppiumEndpoint {
  url: string
  /** Environment variable holding the user name. */
  user?: string
  /** Environment variable holding the access key. */
  key?: string
}

export interface AppiumDeviceInit {
  name: string
  topics: string[]
  profile: DeviceProfile
  /** An existing server, grid or cloud; default: courier starts its own Appium server. */
  server?: AppiumEndpoint
  /** Merged over the profile's capabilities. */
  capabilities?: Record<string, unknown>
  /** Failure artifacts, device logs and the server log go here; default: beside the run's events.ndjson. */
  artifactsDir?: string
  /** Appium home for a server courier starts (tests use their own). */
  appiumHome?: string
  /** Environment to read credentials from (default process.env). */
  env?: NodeJS.ProcessEnv
}

type Browser = WebdriverIO.Browser

const PLATFORM = {
  android: { platformName: 'Android', automationName: 'UiAutomator2', driver: 'uiautomator2', appIdCap: 'appium:appPackage', logType: 'logcat' },
  ios: { platformName: 'iOS', automationName: 'XCUITest', driver: 'xcuitest', appIdCap: 'appium:bundleId', logType: 'syslog' },
  courier: { platformName: 'Courier', automationName: 'Courier', driver: 'courier', appIdCap: 'appium:appPackage', logType: 'logcat' }
} as const

const CLOCK_SAMPLES = 5
const LOG_EVERY_MS = 1000
const SNAPSHOT_EVERY_MS = 10_000
const ARTIFACT_TIMEOUT_MS = 5000

/**
 * A phone (or the courier test app in CI) driven through Appium with WebdriverIO. What it sees is
 * what the app renders: a message counts as received when it appears in the message list, found by
 * polling at the profile's `poll` resolution. Everything is reported as events; a session that dies
 * marks the device failed (with its last screenshot, page source and log in the run directory) and
 * the run goes on.
 */
export class AppiumDevice implements Device {
  readonly name: string
  readonly driver = 'appium'
  private browser?: Browser
  private server?: AppiumServer
  private readonly platform: (typeof PLATFORM)[keyof typeof PLATFORM]
  private readonly topic: string
  private readonly sentHere = new Set<string>()
  private readonly seenElements = new Map<string, string | null>()
  private readonly rendered = new Set<string>()
  private readonly idPattern: RegExp
  private online = false
  private started = false
  private stopped = false
  private failed = false
  private stopping?: Promise<void>
  private pollTimer?: Promise<void>
  private readonly loopAbort = new AbortController()
  private uiLock: Promise<unknown> = Promise.resolve()
  /** Settles when no flow runs on this device; flows queue behind each other. */
  private flowIdle: Promise<unknown> = Promise.resolve()
  private clockOffsetMs = 0
  private readonly runStartWallMs: number
  private appUid?: number
  private lastSnapshot?: { screenshot?: string; pageSource?: string }
  private readonly secrets: string[] = []
  /** A grid's user and key: together they are also the base64 of an Authorization: Basic header. */
  private readonly credentialPairs: Array<[string, string]> = []
  private readonly artifactsDir: string

  constructor(
    private readonly init: AppiumDeviceInit,
    private readonly components: DeviceComponents
  ) {
    this.name = init.name
    this.platform = PLATFORM[init.profile.platform]
    this.topic = init.topics[0] ?? 'default'
    this.idPattern = new RegExp(init.profile.screen.messageId)
    this.runStartWallMs = Date.now() - components.clock.now()
    const eventsPath = (components.events as { path?: unknown }).path
    // the Device contract has no run directory; the run's event log lives in it
    this.artifactsDir = init.artifactsDir ?? join(typeof eventsPath === 'string' ? dirname(eventsPath) : '.', 'devices', init.name)
  }

  async start(options: AbortOptions = {}): Promise<void> {
    if (this.started) return
    this.started = true
    const { profile } = this.init
    const timeout = AbortSignal.timeout(profile.timeouts.start)
    const signal = options.signal == null ? timeout : AbortSignal.any([options.signal, timeout])
    let launchedAt = 0
    try {
      await mkdir(this.artifactsDir, { recursive: true })
      const fleet = this.components.fleet
      this.components.log.info(
        `courier: fleet for ${this.name} (the app's custom fleet settings): relays ${fleet.relays.join(' ')}${fleet.stores.length > 0 ? `; store nodes ${fleet.stores.map((s) => s.addr).join(' ')}` : ''}; pubsub topic ${fleet.pubsubTopic}`
      )
      const endpoint = await this.endpoint(signal)
      // the session launches the app: time to usable counts from the session request
      launchedAt = this.components.clock.now()
      this.browser = await this.openSession(endpoint, signal)
      this.components.events.emit('device.up', { device: this.name, driver: this.driver })
      for (const topic of this.init.topics) this.components.events.emit('device.subscribe', { device: this.name, topic })
      await this.runSteps(profile.signIn, signal)
      await this.waitFor(profile.screen.usable, signal)
      this.components.events.emit('device.usable', { device: this.name, launchMs: round(this.components.clock.now() - launchedAt), pollMs: profile.poll })
      if (profile.fleet != null) {
        await this.enterFleet(profile.fleet, signal)
        await this.waitFor(profile.screen.usable, signal)
      }
      await this.measureClock('start', signal)
      await this.batteryStart(signal)
      await this.openChat(signal)
      this.online = true
      this.components.events.emit('device.online', { device: this.name })
      await this.snapshot()
      this.pollTimer = this.pollLoop()
    } catch (error) {
      const reason =
        timeout.aborted && options.signal?.aborted !== true
          ? new InfrastructureError(
              `appium device ${this.name}: not usable within ${profile.timeouts.start / 1000} s (timeouts.start in ${profile.name}); ${this.scrub(errorText(error))}`
            )
          : error instanceof InfrastructureError
            ? error
            : new InfrastructureError(`appium device ${this.name}: ${this.scrub(errorText(error))}`, { cause: error })
      if (this.browser != null) await this.saveArtifacts('start-failed')
      await this.teardown()
      throw reason
    }
  }

  private async endpoint(signal: AbortSignal): Promise<AppiumEndpoint> {
    const given = this.init.server ?? this.init.profile.server
    if (given != null) {
      if (!(await reachable(given.url, signal))) {
        throw new InfrastructureError(
          `appium device ${this.name}: no Appium server answers at ${given.url}/status (is it running, and reachable from here? or leave server: out to let courier start one)`
        )
      }
      return given
    }
    // every secret this device will use is known before the server starts, so its log never holds one
    const env = this.init.env ?? process.env
    const secretNames = this.init.profile.signIn.flatMap((step) => ('env' in step ? [step.env] : []))
    for (const name of secretNames) {
      const value = env[name]
      if (value != null && value !== '') this.secrets.push(value)
    }
    const allowInsecure = this.init.profile.battery.batterystats ? [`${this.platform.driver}:adb_shell`] : []
    this.server = await startAppiumServer({
      drivers: [this.platform.driver],
      allowInsecure,
      home: this.init.appiumHome,
      startTimeoutMs: Math.min(30_000, this.init.profile.timeouts.start),
      logFile: join(this.artifactsDir, 'appium-server.log'),
      redact: this.secrets,
      signal
    })
    this.components.events.emit('device.artifact', {
      device: this.name,
      kind: 'serverLog',
      file: this.relativePath(join(this.artifactsDir, 'appium-server.log')),
      reason: 'server started by courier'
    })
    return { url: this.server.url }
  }

  private capabilities(): Record<string, unknown> {
    const { profile } = this.init
    const caps: Record<string, unknown> = {
      platformName: this.platform.platformName,
      'appium:automationName': this.platform.automationName,
      [this.platform.appIdCap]: profile.app.id,
      'appium:newCommandTimeout': Math.ceil(Math.max(60_000, profile.timeouts.start) / 1000),
      ...(profile.app.path != null ? { 'appium:app': profile.app.path } : {}),
      ...profile.capabilities,
      ...this.init.capabilities
    }
    if (profile.platform === 'courier') {
      const fleet = this.components.fleet
      caps['courier:device'] = this.name
      caps['courier:topics'] = this.init.topics
      // with `fleet:` steps the test app learns the fleet through its settings screen, as a phone would
      if (profile.fleet == null) caps['courier:fleet'] = JSON.stringify({ relays: fleet.relays, stores: fleet.stores, pubsubTopic: fleet.pubsubTopic })
    }
    return caps
  }

  private async openSession(endpoint: AppiumEndpoint, signal: AbortSignal): Promise<Browser> {
    const url = new URL(endpoint.url)
    const env = this.init.env ?? process.env
    const credential = (name: string | undefined, what: string): string | undefined => {
      if (name == null) return undefined
      const value = env[name]
      if (value == null || value === '')
        throw new InfrastructureError(`appium device ${this.name}: the environment variable ${name} (the ${what} for ${url.host}) is not set`)
      this.secrets.push(value)
      return value
    }
    const user = credential(endpoint.user, 'user name')
    const key = credential(endpoint.key, 'access key')
    if (user != null && key != null) this.credentialPairs.push([user, key])
    const { remote } = await import('webdriverio')
    const options = {
      protocol: url.protocol.replace(':', ''),
      hostname: url.hostname,
      port: Number(url.port || (url.protocol === 'https:' ? 443 : 80)),
      path: url.pathname === '' ? '/' : url.pathname,
      capabilities: this.capabilities() as WebdriverIO.Capabilities,
      user,
      key,
      // WebdriverIO's default retries and waits hide a dead phone behind minutes of retrying
      logLevel: 'silent' as const,
      connectionRetryCount: 0,
      connectionRetryTimeout: this.init.profile.timeouts.start,
      waitforTimeout: 1000,
      waitforInterval: 100
    }
    const browser = await abortable(remote(options), signal)
    await browser.setTimeout({ implicit: 0 }).catch(() => {})
    return browser
  }

  /** Sign-in and fleet steps; `fill` (fleet steps) fills fleet templates into texts and selectors, and fields are cleared before typing. */
  private async runSteps(steps: DeviceProfile['signIn'], signal: AbortSignal, fill?: (text: string) => string): Promise<void> {
    const render = fill ?? ((text: string) => text)
    const env = this.init.env ?? process.env
    for (const step of steps) {
      if ('tap' in step) {
        await (await this.waitFor(render(step.tap), signal)).click()
      } else if ('waitFor' in step) {
        await this.waitFor(render(step.waitFor), signal)
      } else {
        let text: string
        if ('env' in step) {
          const value = env[step.env]
          if (value == null) throw new InfrastructureError(`${this.name}: a step needs the environment variable ${step.env}, which is not set`)
          this.secrets.push(value)
          text = value
        } else {
          text = render(step.text)
        }
        const field = await this.waitFor(render(step.type), signal)
        // a settings field may hold the previous fleet's address, and typing appends
        if (fill != null) await abortable(field.clearValue(), signal)
        await field.setValue(text)
      }
    }
  }

  /**
   * The profile's `fleet:` section: reads the fleet the app is on, and only when it is not the
   * run's, enters the run's through the app's settings, then checks that the app now shows it.
   */
  private async enterFleet(spec: NonNullable<DeviceProfile['fleet']>, signal: AbortSignal): Promise<void> {
    const file = this.components.fleet.file
    if (file == null) throw new InfrastructureError(`appium device ${this.name}: the profile has fleet: steps but the runner gave no fleet file`)
    let render: (text: string) => string
    let wanted: string
    try {
      render = (text) => renderFleetTemplate(text, file)
      wanted = render(spec.expect)
      // every template of the steps resolves before the first tap: no half-entered fleet
      for (const step of [...spec.open, ...spec.steps, ...spec.close]) for (const [key, value] of Object.entries(step)) if (key !== 'env') render(value)
    } catch (error) {
      throw new InfrastructureError(`appium device ${this.name}: fleet: in ${this.init.profile.name}: ${errorText(error)}`)
    }
    await this.runSteps(spec.open, signal, render)
    const current = await this.textOf(render(spec.current), signal)
    if (current.includes(wanted)) {
      this.components.events.emit('device.fleet', { device: this.name, action: 'kept', current, wanted })
    } else {
      const startedAt = this.components.clock.now()
      await this.runSteps(spec.steps, signal, render)
      const after = await this.fleetShown(spec, render, wanted, signal)
      if (!after.includes(wanted)) {
        throw new InfrastructureError(
          `appium device ${this.name}: after its fleet: steps the app shows "${this.scrub(after)}" as its fleet, not "${wanted}" (check fleet.current and fleet.steps in ${this.init.profile.name})`
        )
      }
      this.components.events.emit('device.fleet', {
        device: this.name,
        action: 'set',
        current,
        wanted,
        after,
        steps: spec.steps.length,
        ms: round(this.components.clock.now() - startedAt)
      })
    }
    await this.runSteps(spec.close, signal, render)
  }

  /** The fleet the app shows after the steps, waiting up to one command timeout for it to change; reopened if the steps left its screen. */
  private async fleetShown(spec: NonNullable<DeviceProfile['fleet']>, render: (text: string) => string, wanted: string, signal: AbortSignal): Promise<string> {
    const selector = render(spec.current)
    const deadline = Date.now() + this.init.profile.timeouts.command
    let reopened = false
    while (true) {
      const shown = await this.displayed(selector, signal)
      if (shown == null && !reopened) {
        reopened = true
        await this.runSteps(spec.open, signal, render)
        continue
      }
      const text = shown == null ? '' : await abortable(shown.getText(), signal)
      if (text.includes(wanted) || Date.now() > deadline) return text
      await sleep(Math.min(100, this.init.profile.poll), undefined, { signal })
    }
  }

  private async textOf(selector: string, signal: AbortSignal): Promise<string> {
    return await abortable((await this.waitFor(selector, signal)).getText(), signal)
  }

  private async displayed(selector: string, signal: AbortSignal): Promise<WebdriverIO.Element | undefined> {
    for (const element of await abortable(this.requireBrowser().$$(selector).getElements(), signal)) {
      if (await element.isDisplayed().catch(() => false)) return element
    }
    return undefined
  }

  /** Polls for a displayed element (the implicit wait is off, so this is the only wait). */
  private async waitFor(selector: string, signal: AbortSignal): Promise<WebdriverIO.Element> {
    const browser = this.requireBrowser()
    while (true) {
      signal.throwIfAborted()
      const found = await abortable(browser.$$(selector).getElements(), signal)
      for (const element of found) {
        if (await element.isDisplayed().catch(() => false)) return element
      }
      await sleep(Math.min(100, this.init.profile.poll), undefined, { signal })
    }
  }

  private async openChat(signal: AbortSignal): Promise<void> {
    const opener = this.init.profile.screen.chatOpener.replaceAll('{topic}', this.topic)
    await (await this.waitFor(opener, signal)).click()
    await this.waitFor(this.init.profile.screen.messageInput, signal)
  }

  async send(message: OutgoingMessage, options: AbortOptions = {}): Promise<void> {
    if (this.failed || this.stopped) return
    if (message.topic !== this.topic) throw new Error(`appium device ${this.name} follows topic "${this.topic}" only, not "${message.topic}"`)
    const tag = `[courier:${message.msgId}]`
    let text = message.text == null ? tag : `${tag} ${message.text}`
    // the typed text is the message: pad it to the size the scenario asked for
    if (Buffer.byteLength(text) < message.bytes) text += ' ' + '.'.repeat(Math.min(8192, message.bytes) - Buffer.byteLength(text) - 1)
    // typing into the same input as a running flow would mix both texts
    await this.flowIdle
    const signal = this.commandSignal(options.signal)
    await this.withUi(async () => {
      const screen = this.init.profile.screen
      const input = await this.waitFor(screen.messageInput, signal)
      await abortable(input.setValue(text), signal)
      this.sentHere.add(message.msgId)
      this.components.events.emit('msg.sent', { msgId: message.msgId, hash: '', topic: message.topic, bytes: Buffer.byteLength(text), device: this.name })
      await abortable((await this.waitFor(screen.sendButton, signal)).click(), signal)
    })
  }

  async setOnline(online: boolean, options: AbortOptions = {}): Promise<void> {
    if (this.failed || this.stopped || online === this.online) return
    await this.flowIdle
    const signal = this.commandSignal(options.signal)
    await this.withUi(async () => {
      const browser = this.requireBrowser()
      if (this.init.profile.platform === 'ios') {
        // iOS has no airplane-mode switch for tests: a condition inducer with 100% loss (Xcode 11.4+)
        if (online) await abortable(browser.execute('mobile: disableConditionInducer', {}), signal)
        else
          await abortable(
            browser.execute('mobile: enableConditionInducer', { conditionID: 'SlowNetworkCondition', profileID: 'SlowNetwork100PctLoss' }),
            signal
          )
      } else {
        await abortable(browser.execute('mobile: setConnectivity', { wifi: online, data: online }), signal)
      }
    })
    this.online = online
    this.components.events.emit(online ? 'device.online' : 'device.offline', { device: this.name })
    const upToDate = this.init.profile.screen.upToDate
    if (online && upToDate != null) {
      this.components.events.emit('device.status', { device: this.name, status: 'syncing' })
      const wait = AbortSignal.any([signal, AbortSignal.timeout(this.init.profile.timeouts.upToDate)])
      try {
        await this.withUi(async () => await this.waitFor(upToDate, wait))
        this.components.events.emit('device.status', { device: this.name, status: 'upToDate' })
      } catch (error) {
        if (options.signal?.aborted === true) throw error
        this.components.log.warn(`${this.name}: no up-to-date indicator within ${this.init.profile.timeouts.upToDate / 1000} s after the network came back`)
      }
    }
  }

  /**
   * Runs a QA flow against this session. The render loop keeps reading the message list meanwhile
   * (render times stay true); courier's own sends and network toggles wait until the flow ends.
   * Afterwards the app is brought back to the device's chat if the flow left it elsewhere.
   */
  async runFlow(request: FlowRequest, options: AbortOptions = {}): Promise<void> {
    const previous = this.flowIdle
    let release = (): void => {}
    const idle = new Promise<void>((resolve) => {
      release = resolve
    })
    this.flowIdle = previous.then(async () => await idle)
    await previous
    try {
      // a flow still queued when the run or its traffic phase ends does not start
      options.signal?.throwIfAborted()
      await this.runFlowNow(request, options)
    } finally {
      release()
    }
  }

  private async runFlowNow(request: FlowRequest, options: AbortOptions): Promise<void> {
    const browser = this.browser
    if (browser == null || this.failed || this.stopped) throw new Error(`appium device ${this.name} has no session (it failed or stopped)`)
    const { events } = this.components
    const base = { device: this.name, flow: request.name, spec: request.spec }
    const deadline = new AbortController()
    const deadlineAt = Date.now() + request.timeoutMs
    const signal = options.signal == null ? deadline.signal : AbortSignal.any([options.signal, deadline.signal])
    const screen = flowScreen({ browser, profile: this.init.profile, topic: this.topic, signal, deadline: deadlineAt })
    events.emit('flow.start', { ...base, timeoutMs: request.timeoutMs })
    const outcome = await runFlowSpec({
      file: request.file,
      timeoutMs: request.timeoutMs,
      signal: options.signal,
      deadline,
      scrub: (text) => this.scrub(text),
      onTest: (test) => {
        events.emit('flow.test', { device: this.name, flow: request.name, ...test })
      },
      globals: {
        driver: browser,
        browser,
        $: browser.$.bind(browser),
        $$: browser.$$.bind(browser),
        screen,
        flow: {
          name: request.name,
          device: this.name,
          spec: request.spec,
          topic: this.topic,
          topics: this.init.topics,
          platform: this.init.profile.platform,
          profile: this.init.profile.name,
          timeoutMs: request.timeoutMs,
          deadline: deadlineAt
        }
      }
    })
    const passed = outcome.error == null && outcome.failures === 0 && outcome.tests > 0
    events.emit('flow.end', {
      ...base,
      passed,
      tests: outcome.tests,
      passes: outcome.passes,
      failures: outcome.failures,
      durationMs: outcome.durationMs,
      ...(outcome.error == null ? {} : { error: outcome.error })
    })
    if (options.signal?.aborted === true) return
    if (!passed) {
      this.components.log.warn(`flow ${request.name} on ${this.name} failed: ${outcome.error ?? `${outcome.failures} of ${outcome.tests} test(s) failed`}`)
      await this.saveArtifacts(`flow-${request.name}`)
    }
    await this.backToChat()
  }

  /** Courier's sends type into the chat's input: a flow that ended on another screen is undone. */
  private async backToChat(): Promise<void> {
    if (this.failed || this.stopped || this.browser == null) return
    const signal = this.commandSignal()
    try {
      await this.withUi(async () => {
        const input = await abortable(this.requireBrowser().$$(this.init.profile.screen.messageInput).getElements(), signal)
        for (const element of input) if (await element.isDisplayed().catch(() => false)) return
        await this.openChat(signal)
      })
    } catch (error) {
      this.components.log.warn(
        `${this.name}: after a flow the app is not on the chat of ${this.topic} and courier could not open it: ${this.scrub(errorText(error))}`
      )
    }
  }

  /** Backgrounds the app (`seconds` < 0: until `foreground()`). */
  async background(seconds = -1, options: AbortOptions = {}): Promise<void> {
    if (this.failed || this.stopped) return
    await this.withUi(async () => {
      await abortable(this.requireBrowser().execute('mobile: backgroundApp', { seconds }), this.commandSignal(options.signal))
    })
    this.components.events.emit('device.app', { device: this.name, state: 'background' })
  }

  async foreground(options: AbortOptions = {}): Promise<void> {
    if (this.failed || this.stopped) return
    await this.withUi(async () => {
      await abortable(
        this.requireBrowser().execute('mobile: activateApp', { appId: this.init.profile.app.id, bundleId: this.init.profile.app.id }),
        this.commandSignal(options.signal)
      )
    })
    this.components.events.emit('device.app', { device: this.name, state: 'foreground' })
  }

  async stop(): Promise<void> {
    this.stopping ??= this.stopOnce()
    await this.stopping
  }

  private async stopOnce(): Promise<void> {
    this.loopAbort.abort()
    await this.pollTimer?.catch(() => {})
    if (this.browser != null && !this.failed) {
      const signal = AbortSignal.timeout(this.init.profile.timeouts.command * 2)
      try {
        await this.collectLogs()
        await this.measureClock('end', signal)
        await this.batteryEnd(signal)
      } catch (error) {
        this.components.log.warn(`${this.name}: end-of-run readings failed: ${this.scrub(errorText(error))}`)
      }
    }
    const wasStarted = this.browser != null
    this.stopped = true
    await this.teardown()
    if (wasStarted && !this.failed) this.components.events.emit('device.down', { device: this.name })
  }

  private async teardown(): Promise<void> {
    const browser = this.browser
    this.browser = undefined
    if (browser != null) {
      await abortable(browser.deleteSession(), AbortSignal.timeout(this.init.profile.timeouts.command)).catch(() => {})
    }
    await this.server?.stop()
    this.server = undefined
  }

  /** The render loop: reads the message list every `poll` ms; collects device logs every second. */
  private async pollLoop(): Promise<void> {
    const signal = this.loopAbort.signal
    let lastLogs = 0
    let lastSnapshot = Date.now()
    while (!signal.aborted) {
      try {
        await this.withUi(async () => {
          await this.readMessages(signal)
        })
        if (Date.now() - lastLogs >= LOG_EVERY_MS) {
          lastLogs = Date.now()
          await this.collectLogs()
        }
        if (Date.now() - lastSnapshot >= SNAPSHOT_EVERY_MS) {
          lastSnapshot = Date.now()
          await this.snapshot()
        }
      } catch (error) {
        if (signal.aborted) return
        await this.fail(error)
        return
      }
      await sleep(this.init.profile.poll, undefined, { signal }).catch(() => {})
    }
  }

  private async readMessages(signal: AbortSignal): Promise<void> {
    const screen = this.init.profile.screen
    const items = await abortable(this.requireBrowser().$$(screen.messageItem).getElements(), this.commandSignal(signal))
    for (const item of items) {
      if (this.seenElements.has(item.elementId)) continue
      const textElement = await item.$(screen.messageText).getElement()
      const text = await abortable(textElement.getText(), this.commandSignal(signal)).catch(() => null)
      this.seenElements.set(item.elementId, text)
      const msgId = text == null ? undefined : this.idPattern.exec(text)?.[1]
      if (msgId == null || this.rendered.has(msgId)) continue
      this.rendered.add(msgId)
      // a UI shows what arrived, not how: the path is not observable from here
      if (!this.sentHere.has(msgId))
        this.components.events.emit('msg.received', { device: this.name, hash: '', msgId, via: 'relay', bytes: 0, duplicate: false })
      this.components.events.emit('msg.rendered', { device: this.name, hash: '', msgId })
    }
  }

  private async collectLogs(): Promise<void> {
    const browser = this.browser
    if (browser == null) return
    const entries = (await browser.getLogs(this.platform.logType).catch(() => [])) as Array<{ timestamp?: number; level?: string; message?: string }>
    if (entries.length === 0) return
    const file = join(this.artifactsDir, `${this.platform.logType}.ndjson`)
    const lines = entries.map(
      (entry) =>
        JSON.stringify({
          t: typeof entry.timestamp === 'number' ? toRunClock(entry.timestamp, this.clockOffsetMs, this.runStartWallMs) : null,
          deviceTs: entry.timestamp ?? null,
          level: entry.level ?? null,
          message: this.scrub(String(entry.message ?? ''))
        }) + '\n'
    )
    const first = !this.loggedArtifacts.has(file)
    await appendFile(file, lines.join(''))
    if (first) {
      this.loggedArtifacts.add(file)
      this.components.events.emit('device.artifact', {
        device: this.name,
        kind: 'log',
        file: this.relativePath(file),
        reason: 'device log, times on the run clock (corrected by the clock offset)'
      })
    }
  }

  private readonly loggedArtifacts = new Set<string>()

  private async measureClock(phase: 'start' | 'end', signal: AbortSignal): Promise<void> {
    const browser = this.requireBrowser()
    const shell = this.init.profile.battery.batterystats && this.init.profile.platform !== 'ios'
    const read = shell
      ? async () => Number(BigInt(String(await abortable(browser.execute('mobile: shell', { command: 'date', args: ['+%s%N'] }), signal)).trim()) / 1_000_000n)
      : async () => deviceTimeMs(await abortable(browser.execute('mobile: getDeviceTime', { format: 'x' }), signal))
    const estimate = await estimateClockOffset(read, { samples: CLOCK_SAMPLES, signal })
    if (phase === 'start') this.clockOffsetMs = estimate.offsetMs
    // Android's getDeviceTime comes from `date` with whole seconds; the courier app and `date +%s%N` give ms
    const resolutionMs = shell || this.init.profile.platform === 'courier' ? 1 : 1000
    this.components.events.emit('device.clock', {
      device: this.name,
      phase,
      ...estimate,
      resolutionMs,
      source: shell ? 'mobile: shell date +%s%N' : 'mobile: getDeviceTime'
    })
  }

  private async batteryStart(signal: AbortSignal): Promise<void> {
    const browser = this.requireBrowser()
    const info = await this.batteryInfo(signal)
    const appId = this.init.profile.app.id
    if (this.init.profile.battery.batterystats && this.init.profile.platform !== 'ios') {
      const packageDump = String(await abortable(browser.execute('mobile: shell', { command: 'dumpsys', args: ['package', appId] }), signal))
      this.appUid = parsePackageUid(packageDump)
      this.components.events.emit('device.client', {
        device: this.name,
        name: appId,
        ...parsePackageVersion(packageDump),
        source: 'dumpsys package (the installed app)'
      })
      await abortable(browser.execute('mobile: shell', { command: 'dumpsys', args: ['batterystats', '--reset'] }), signal)
    } else if (this.init.profile.platform === 'ios') {
      // XCUITest lists installed user apps with their Info.plist versions; a driver without it leaves the version unknown
      const apps = (await abortable(browser.execute('mobile: listApps', { applicationType: 'User' }), signal).catch(() => null)) as Record<
        string,
        { CFBundleShortVersionString?: string; CFBundleVersion?: string }
      > | null
      const app = apps?.[appId]
      this.components.events.emit('device.client', {
        device: this.name,
        name: appId,
        version: app?.CFBundleShortVersionString ?? null,
        build: app?.CFBundleVersion ?? null,
        source: app != null ? 'mobile: listApps (the installed app)' : 'mobile: listApps did not list the app'
      })
    } else {
      this.components.events.emit('device.client', {
        device: this.name,
        name: appId,
        version: null,
        source: 'the installed version is read with dumpsys package, which needs battery.batterystats (adb_shell)'
      })
    }
    this.components.events.emit('device.battery', { device: this.name, phase: 'start', ...info, source: 'mobile: batteryInfo' })
  }

  private async batteryEnd(signal: AbortSignal): Promise<void> {
    const info = await this.batteryInfo(signal)
    if (this.appUid != null) {
      const dump = String(
        await abortable(this.requireBrowser().execute('mobile: shell', { command: 'dumpsys', args: ['batterystats', this.init.profile.app.id] }), signal)
      )
      await writeFile(join(this.artifactsDir, 'batterystats.txt'), dump)
      const stats = parseBatterystats(dump, this.appUid)
      this.components.events.emit('device.battery', { device: this.name, phase: 'end', ...info, ...stats, source: 'dumpsys batterystats' })
    } else {
      this.components.events.emit('device.battery', { device: this.name, phase: 'end', ...info, source: 'mobile: batteryInfo' })
    }
  }

  private async batteryInfo(signal: AbortSignal): Promise<{ level?: number; state?: string }> {
    try {
      const info = (await abortable(this.requireBrowser().execute('mobile: batteryInfo', {}), signal)) as { level?: number; state?: number | string }
      return { level: typeof info.level === 'number' ? info.level : undefined, state: info.state == null ? undefined : String(info.state) }
    } catch {
      return {}
    }
  }

  /** The session died or the app stopped answering: save what can be saved, report, let the run go on. */
  private async fail(error: unknown): Promise<void> {
    if (this.failed || this.stopped) return
    this.failed = true
    this.components.log.warn(`appium device ${this.name} failed: ${this.scrub(errorText(error))}`)
    await this.saveArtifacts('failed')
    this.components.events.emit('device.failed', { device: this.name, error: this.scrub(errorText(error)) })
    await this.teardown()
  }

  private async snapshot(): Promise<void> {
    const browser = this.browser
    if (browser == null) return
    const screenshot = await browser.takeScreenshot().catch(() => undefined)
    const pageSource = await browser.getPageSource().catch(() => undefined)
    this.lastSnapshot = { screenshot, pageSource }
  }

  /** A screenshot and the page source now if the session still answers, else the last ones taken; and the device log so far. */
  private async saveArtifacts(reason: string): Promise<void> {
    const browser = this.browser
    const signal = AbortSignal.timeout(ARTIFACT_TIMEOUT_MS)
    const fresh = async <T>(get: (() => Promise<T>) | undefined): Promise<T | undefined> => {
      if (get == null) return undefined
      try {
        return await abortable(get(), signal)
      } catch {
        return undefined
      }
    }
    const screenshot = await fresh(browser == null ? undefined : async () => await browser.takeScreenshot())
    const pageSource = await fresh(browser == null ? undefined : async () => await browser.getPageSource())
    await fresh(async () => {
      await this.collectLogs()
    })
    const write = async (
      kind: 'screenshot' | 'pageSource',
      data: string | undefined,
      fallback: string | undefined,
      name: string,
      encoding: BufferEncoding
    ): Promise<void> => {
      const content = data ?? fallback
      if (content == null) return
      const file = join(this.artifactsDir, `${reason}-${name}`)
      await writeFile(file, encoding === 'base64' ? Buffer.from(content, 'base64') : this.scrub(content))
      this.components.events.emit('device.artifact', {
        device: this.name,
        kind,
        file: this.relativePath(file),
        reason: data != null ? reason : `${reason} (the session no longer answered: the last one taken before)`
      })
    }
    try {
      await mkdir(this.artifactsDir, { recursive: true })
      await write('screenshot', screenshot, this.lastSnapshot?.screenshot, 'screenshot.png', 'base64')
      await write('pageSource', pageSource, this.lastSnapshot?.pageSource, 'page-source.xml', 'utf8')
    } catch (error) {
      this.components.log.warn(`${this.name}: could not save failure artifacts: ${errorText(error)}`)
    }
  }

  private relativePath(file: string): string {
    const eventsPath = (this.components.events as { path?: unknown }).path
    return typeof eventsPath === 'string' ? relative(dirname(eventsPath), file) : file
  }

  private requireBrowser(): Browser {
    if (this.browser == null) throw new Error(`appium device ${this.name} has no session`)
    return this.browser
  }

  private commandSignal(signal?: AbortSignal): AbortSignal {
    const timeout = AbortSignal.timeout(this.init.profile.timeouts.command)
    return signal == null ? timeout : AbortSignal.any([signal, timeout])
  }

  /** UI actions run one at a time: a send must not interleave with a read of the list. */
  private async withUi<T>(action: () => Promise<T>): Promise<T> {
    const run = this.uiLock.then(action, action)
    this.uiLock = run.catch(() => {})
    return await run
  }

  /** Secrets (credentials, passwords typed at sign-in) never leave this object in a message. */
  private scrub(text: string): string {
    return maskSecrets(text, secretForms(this.secrets, this.credentialPairs))
  }
}

async function reachable(url: string, signal: AbortSignal): Promise<boolean> {
  try {
    const response = await fetch(new URL('status', url.endsWith('/') ? url : `${url}/`), { signal: AbortSignal.any([signal, AbortSignal.timeout(5000)]) })
    await response.body?.cancel()
    return true
  } catch {
    return false
  }
}

/** `mobile: getDeviceTime` answers epoch ms for format x, or an ISO-like date on drivers that ignore the format. */
function deviceTimeMs(value: unknown): number {
  const text = String(value).trim()
  if (/^\d{11,}$/.test(text)) return Number(text)
  return Date.parse(text)
}

async function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) throw signal.reason
  let onAbort: (() => void) | undefined
  const aborted = new Promise<never>((_resolve, reject) => {
    onAbort = () => {
      reject(signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason)))
    }
    signal.addEventListener('abort', onAbort, { once: true })
  })
  try {
    return await Promise.race([promise, aborted])
  } finally {
    if (onAbort != null) signal.removeEventListener('abort', onAbort)
  }
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

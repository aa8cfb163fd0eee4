import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import type { DeviceComponents, EventData, EventType, FleetDirectory } from '../../../../harness/interface/index.js'
import { contentTopicFor } from '../../../../harness/protocol/index.js'
import { SimulatedDevice } from '../../../simulated/index.js'
import { APP_UID, BatteryModel } from './battery.js'
import { APP_PACKAGE, node, rid, type UiNode } from './ui-tree.js'

/** The version the test app reports as installed (`dumpsys package`), as a real phone's package manager would. */
export const APP_VERSION_NAME = '1.4.2'
export const APP_VERSION_CODE = 142

/** A fleet the app joins: from capabilities, or entered on its settings screen. */
export interface AppFleet {
  relays: string[]
  stores: Array<{ name: string; addr: string }>
  pubsubTopic: string
}

/** What the harness hands the test app through capabilities (`courier:*`). */
export interface TestAppOptions {
  /** The scenario's device name: the app's identity on the fleet and its messages' sender. */
  device: string
  /** Given by capability (`courier:fleet`); absent: the fleet saved in the app's data, or none until one is entered in its settings. */
  fleet?: AppFleet
  /** The app's data (its saved fleet settings), as on a phone. */
  dataDir: string
  /** `appium:noReset`: keep the app's data from the last session; otherwise it is cleared at launch, as UiAutomator2 does. */
  keepData: boolean
  topics: string[]
  /** How long the app takes from launch to its first usable screen. */
  launchMs: number
  /** Show a sign-in screen (password field and button) after launch. */
  signIn: boolean
  /** The phone's clock runs this far ahead of the host's. */
  clockSkewMs: number
  /** The app crashes (the session ends) this long after launch: to test a session dying mid-run. */
  dieAfterMs?: number
  onCrash: (error: Error) => void
}

export interface LogEntry {
  timestamp: number
  level: 'INFO' | 'WARN'
  message: string
}

interface ShownMessage {
  key: string
  msgId: string
  text: string
  mine: boolean
}

/** What the settings screen saves. */
interface FleetSettings {
  boot: string[]
  store: string
  cluster: number
  shard: number
}

const FLEET_FIELDS = ['fleet_boot', 'fleet_store', 'fleet_cluster', 'fleet_shard'] as const
const TEXT_FIELDS = new Set<string>(['input', 'password', ...FLEET_FIELDS])
const SETTINGS_FILE = 'fleet-settings.json'

const MSG_TAG = /\[courier:([^\]\s]+)\]/
const LOG_LIMIT = 5000

/**
 * The courier test app: a messenger screen over courier's simulated client, which joins the run's
 * real fleet. Typing and tapping Send publish; messages arriving on the fleet are appended to the
 * list; network toggles take the client off the fleet and back (with store catch-up).
 */
export class TestApp {
  screen: 'launching' | 'signin' | 'home' | 'chat' | 'settings' = 'launching'
  foreground = true
  private status: 'offline' | 'syncing' | 'up to date' | 'no fleet' | 'connecting' = 'offline'
  private client?: SimulatedDevice
  private settings?: FleetSettings
  private settingsError = ''
  private readonly t0 = performance.now()
  private readonly messages: ShownMessage[] = []
  private readonly shown = new Set<string>()
  private readonly inputs = new Map<string, string>()
  private openTopic?: string
  private uiSeq = 0
  private readonly logs: LogEntry[] = []
  private logCursor = 0
  readonly battery: BatteryModel
  private online = false
  private stopped = false
  private readonly timers: NodeJS.Timeout[] = []
  private started?: Promise<void>

  constructor(readonly options: TestAppOptions) {
    this.battery = new BatteryModel(() => performance.now())
  }

  /** The messenger client on a fleet; the app has none until it knows a fleet. */
  private newClient(fleet: AppFleet): SimulatedDevice {
    const directory: FleetDirectory = { relays: fleet.relays, stores: fleet.stores, pubsubTopic: fleet.pubsubTopic, contentTopic: contentTopicFor }
    const components: DeviceComponents = {
      clock: { now: () => performance.now() - this.t0 },
      events: {
        emit: <K extends EventType>(type: K, data: EventData<K>) => {
          this.onClientEvent(type, data)
        }
      },
      log: {
        info: (m) => {
          this.log('INFO', m)
        },
        warn: (m) => {
          this.log('WARN', m)
        },
        debug: () => {}
      },
      fleet: directory,
      random: Math.random,
      byteAccounting: true
    }
    return new SimulatedDevice({ name: this.options.device, topics: this.options.topics, relays: Math.min(2, Math.max(1, fleet.relays.length)) }, components)
  }

  /** The phone's wall clock (skewed as the capabilities say). */
  wallNow(): number {
    return Date.now() + this.options.clockSkewMs
  }

  launch(): void {
    this.log('INFO', `launching ${APP_PACKAGE}`)
    const launched = Date.now()
    const usable = (): void => {
      const wait = Math.max(0, this.options.launchMs - (Date.now() - launched))
      this.timers.push(
        setTimeout(() => {
          if (this.stopped) return
          this.screen = this.options.signIn ? 'signin' : 'home'
          this.log('INFO', `usable: ${this.screen}`)
        }, wait)
      )
    }
    if (!this.options.keepData) rmSync(this.options.dataDir, { recursive: true, force: true })
    this.settings = this.loadSettings()
    const fleet = this.options.fleet ?? (this.settings == null ? undefined : fleetOf(this.settings))
    if (fleet == null) {
      this.status = 'no fleet'
      this.log('INFO', 'no fleet configured: enter one in Settings')
      usable()
    } else if (this.options.fleet == null) {
      // a saved fleet that is gone (another run's ports) leaves the app offline, not crashed: its settings can change it
      this.started = this.join(fleet).then(usable, (error: unknown) => {
        this.status = 'offline'
        this.log('WARN', `could not join the saved fleet: ${String(error)}`)
        usable()
      })
    } else {
      this.started = this.join(fleet).then(usable, (error: unknown) => {
        this.log('WARN', `could not join the fleet: ${String(error)}`)
        this.options.onCrash(new Error(`the courier test app could not join the fleet: ${String(error)}`))
      })
    }
    if (this.options.dieAfterMs != null) {
      this.timers.push(
        setTimeout(() => {
          this.log('WARN', 'FATAL EXCEPTION: crash requested by courier:dieAfterMs')
          this.options.onCrash(new Error('the courier test app crashed (courier:dieAfterMs)'))
        }, this.options.dieAfterMs)
      )
    }
  }

  /** Starts a client on the fleet (stopping the one on the previous fleet). */
  private async join(fleet: AppFleet): Promise<void> {
    const previous = this.client
    this.client = undefined
    await previous?.stop()
    this.status = 'connecting'
    const client = this.newClient(fleet)
    try {
      await client.start()
    } catch (error) {
      await client.stop().catch(() => {})
      this.online = false
      throw error
    }
    // the session may have ended while this joined (a Save tapped just before): leave no node running
    if (this.stopped) {
      await client.stop()
      return
    }
    this.client = client
    this.online = true
    this.status = 'up to date'
    this.log(
      'INFO',
      `joined the fleet through ${fleet.relays.join(', ')} (pubsub topic ${fleet.pubsubTopic}${fleet.stores.length > 0 ? `, store ${fleet.stores.map((s) => s.addr).join(', ')}` : ''})`
    )
  }

  async stop(): Promise<void> {
    if (this.stopped) return
    this.stopped = true
    for (const timer of this.timers) clearTimeout(timer)
    await this.started?.catch(() => {})
    await this.client?.stop()
  }

  private loadSettings(): FleetSettings | undefined {
    try {
      return JSON.parse(readFileSync(join(this.options.dataDir, SETTINGS_FILE), 'utf8')) as FleetSettings
    } catch {
      return undefined
    }
  }

  /** The settings screen's Save: checks the fields as an app would, keeps them in the app's data, joins that fleet. */
  private async saveFleet(): Promise<void> {
    const field = (key: string): string => (this.inputs.get(key) ?? '').trim()
    const boot = field('fleet_boot')
      .split(',')
      .map((addr) => addr.trim())
      .filter((addr) => addr !== '')
    const store = field('fleet_store')
    const cluster = Number(field('fleet_cluster'))
    const shard = Number(field('fleet_shard'))
    const bad = [
      boot.length === 0 || boot.some((addr) => !MULTIADDR_WITH_PEER.test(addr)) ? 'boot node: a multiaddr ending in /p2p/<peer id>' : '',
      store !== '' && !MULTIADDR_WITH_PEER.test(store) ? 'store node: a multiaddr ending in /p2p/<peer id>' : '',
      field('fleet_cluster') === '' || !Number.isInteger(cluster) || cluster < 0 ? 'cluster: a whole number' : '',
      field('fleet_shard') === '' || !Number.isInteger(shard) || shard < 0 ? 'shard: a whole number' : ''
    ].filter((problem) => problem !== '')
    if (bad.length > 0) {
      this.settingsError = `not saved: ${bad.join('; ')}`
      this.log('WARN', `fleet settings ${this.settingsError}`)
      return
    }
    this.settingsError = ''
    const settings: FleetSettings = { boot, store, cluster, shard }
    mkdirSync(this.options.dataDir, { recursive: true })
    writeFileSync(join(this.options.dataDir, SETTINGS_FILE), JSON.stringify(settings) + '\n')
    this.settings = settings
    for (const key of FLEET_FIELDS) this.inputs.delete(key)
    this.log('INFO', `fleet set: boot ${boot.join(', ')}; store ${store === '' ? 'none' : store}; cluster ${cluster}, shard ${shard}`)
    try {
      await this.join(fleetOf(settings))
    } catch (error) {
      this.status = 'offline'
      this.settingsError = `saved, but could not join: ${String(error)}`
      this.log('WARN', `could not join the fleet: ${String(error)}`)
    }
  }

  private onClientEvent<K extends EventType>(type: K, data: EventData<K>): void {
    if (type === 'bytes.chunk') {
      const chunk = data as EventData<'bytes.chunk'>
      this.battery.traffic(chunk.direction, chunk.bytes)
    } else if (type === 'msg.received') {
      const received = data as EventData<'msg.received'>
      this.log('INFO', `received ${received.msgId} via ${received.via}${received.duplicate ? ' (duplicate)' : ''}`)
    } else if (type === 'msg.rendered') {
      const rendered = data as EventData<'msg.rendered'>
      this.show(rendered.msgId, `[courier:${rendered.msgId}]`, false)
    } else if (type === 'device.status') {
      const status = (data as EventData<'device.status'>).status
      this.log('INFO', `status ${status}`)
    }
  }

  private show(msgId: string, text: string, mine: boolean): void {
    if (this.shown.has(msgId)) return
    this.shown.add(msgId)
    this.messages.push({ key: `message/${this.messages.length}`, msgId, text, mine })
    this.log('INFO', `rendered ${msgId}`)
  }

  private log(level: LogEntry['level'], message: string): void {
    this.logs.push({ timestamp: this.wallNow(), level, message: `courier-testapp: ${message}` })
    if (this.logs.length > LOG_LIMIT) {
      this.logs.splice(0, this.logs.length - LOG_LIMIT)
      this.logCursor = Math.max(0, this.logCursor - (this.logs.length - LOG_LIMIT))
    }
  }

  /** Log entries since the last call, as Appium's logcat log type returns them. */
  takeLogs(): LogEntry[] {
    const out = this.logs.slice(this.logCursor)
    this.logCursor = this.logs.length
    return out
  }

  /** The current screen. Background: the launcher, none of the app's nodes. */
  tree(): UiNode {
    const children: UiNode[] = []
    if (!this.foreground) {
      children.push(node('launcher', 'android.widget.FrameLayout', { 'resource-id': 'com.android.launcher:id/workspace', package: 'com.android.launcher' }))
    } else if (this.screen === 'launching') {
      children.push(node('splash', 'android.widget.TextView', { 'resource-id': rid('splash'), text: 'Loading…' }))
    } else if (this.screen === 'signin') {
      children.push(
        node('password', 'android.widget.EditText', {
          'resource-id': rid('password'),
          text: this.inputs.get('password') === undefined ? '' : '••••••',
          password: 'true'
        }),
        node('signin', 'android.widget.Button', { 'resource-id': rid('signin'), text: 'Sign in', 'content-desc': 'Sign in' })
      )
    } else {
      children.push(node('status', 'android.widget.TextView', { 'resource-id': rid('status'), text: this.status }))
      if (this.screen === 'home') {
        children.push(
          node(
            'chats',
            'android.widget.ListView',
            { 'resource-id': rid('chats') },
            this.options.topics.map((topic) =>
              node(`chat/${topic}`, 'android.widget.TextView', { 'resource-id': rid('chat'), text: topic, 'content-desc': `chat ${topic}` })
            )
          )
        )
        children.push(node('settings', 'android.widget.ImageButton', { 'resource-id': rid('settings'), 'content-desc': 'Settings' }))
      } else if (this.screen === 'settings') {
        const field = (key: string, hint: string): UiNode =>
          node(key, 'android.widget.EditText', { 'resource-id': rid(key), text: this.inputs.get(key) ?? '', hint })
        children.push(
          node('settings/back', 'android.widget.ImageButton', { 'resource-id': rid('back'), 'content-desc': 'Back' }),
          node('fleet_current', 'android.widget.TextView', {
            'resource-id': rid('fleet_current'),
            text: this.settings == null ? 'none' : this.settings.boot.join(', ')
          }),
          field('fleet_boot', 'boot node multiaddr'),
          field('fleet_store', 'store node multiaddr'),
          field('fleet_cluster', 'cluster id'),
          field('fleet_shard', 'shard'),
          node('fleet_save', 'android.widget.Button', { 'resource-id': rid('fleet_save'), text: 'Save fleet', 'content-desc': 'Save fleet' })
        )
        if (this.settingsError !== '')
          children.push(node('fleet_error', 'android.widget.TextView', { 'resource-id': rid('fleet_error'), text: this.settingsError }))
      } else {
        children.push(
          node('title', 'android.widget.TextView', { 'resource-id': rid('chat_title'), text: this.openTopic ?? '' }),
          node('back', 'android.widget.ImageButton', { 'resource-id': rid('back'), 'content-desc': 'Back' }),
          node(
            'messages',
            'android.widget.ListView',
            { 'resource-id': rid('messages') },
            this.messages.map((m) =>
              node(m.key, 'android.view.ViewGroup', { 'resource-id': rid('message'), 'content-desc': m.mine ? 'my message' : 'message' }, [
                node(`${m.key}/text`, 'android.widget.TextView', { 'resource-id': rid('message_text'), text: m.text })
              ])
            )
          ),
          node('input', 'android.widget.EditText', { 'resource-id': rid('input'), text: this.inputs.get('input') ?? '' }),
          node('send', 'android.widget.Button', { 'resource-id': rid('send'), text: 'Send', 'content-desc': 'Send' })
        )
      }
    }
    return node('root', 'hierarchy', { package: this.foreground ? APP_PACKAGE : 'com.android.launcher', rotation: '0' }, [
      node('window', 'android.widget.FrameLayout', { 'resource-id': 'android:id/content' }, children)
    ])
  }

  type(key: string, text: string): void {
    if (!TEXT_FIELDS.has(key)) throw new Error(`element ${key} does not take text`)
    this.inputs.set(key, (this.inputs.get(key) ?? '') + text)
  }

  clear(key: string): void {
    this.inputs.delete(key)
  }

  textOf(n: UiNode): string {
    // a password field never reveals what was typed, as on a phone
    if (n.key === 'input') return this.inputs.get('input') ?? ''
    return n.attrs.text ?? ''
  }

  async tap(key: string): Promise<void> {
    if (key === 'signin') {
      if ((this.inputs.get('password') ?? '') === '') throw new Error('sign-in refused: empty password')
      this.inputs.delete('password')
      this.screen = 'home'
      this.log('INFO', 'signed in')
    } else if (key.startsWith('chat/')) {
      this.openTopic = key.slice('chat/'.length)
      this.screen = 'chat'
    } else if (key === 'back' || key === 'settings/back') {
      this.screen = 'home'
    } else if (key === 'settings') {
      this.screen = 'settings'
    } else if (key === 'fleet_save') {
      await this.saveFleet()
    } else if (key === 'send') {
      await this.send()
    }
  }

  private async send(): Promise<void> {
    const text = this.inputs.get('input') ?? ''
    if (text === '' || this.openTopic == null) return
    this.inputs.delete('input')
    const msgId = MSG_TAG.exec(text)?.[1] ?? `${this.options.device}-ui-${++this.uiSeq}`
    this.show(msgId, text, true)
    this.log('INFO', `send ${msgId}`)
    if (this.client == null) {
      this.log('WARN', `not sent ${msgId}: no fleet`)
      return
    }
    await this.client.send({ msgId, topic: this.openTopic, bytes: Buffer.byteLength(text), text })
  }

  /** Airplane mode on or off: the client leaves the fleet, or rejoins and catches up from a store. */
  async setOnline(online: boolean): Promise<void> {
    if (online === this.online) return
    this.online = online
    if (!online) {
      this.status = 'offline'
      this.log('INFO', 'network off')
      await this.client?.setOnline(false)
      return
    }
    this.status = this.client == null ? 'no fleet' : 'syncing'
    this.log('INFO', 'network on')
    if (this.client == null) return
    await this.client.setOnline(true)
    if (this.online) this.status = 'up to date'
  }

  get isOnline(): boolean {
    return this.online
  }

  /** `dumpsys package` lines courier reads (the app's uid). */
  packageInfo(): string {
    return `Packages:\n  Package [${APP_PACKAGE}] (c0ffee):\n    userId=${APP_UID}\n    pkg=Package{c0ffee ${APP_PACKAGE}}\n    versionCode=${APP_VERSION_CODE} minSdk=24 targetSdk=34\n    versionName=${APP_VERSION_NAME}\n`
  }
}

const MULTIADDR_WITH_PEER = /^\/(ip4|ip6|dns4|dns6|dns)\/[^/]+\/tcp\/\d+(\/(ws|wss|tls\/ws))?\/p2p\/\w+$/

/** What the saved settings mean for the client: the boot nodes as relays, the store, the shard's pubsub topic. */
function fleetOf(settings: FleetSettings): AppFleet {
  return {
    relays: settings.boot,
    stores: settings.store === '' ? [] : [{ name: 'store', addr: settings.store }],
    pubsubTopic: `/waku/2/rs/${settings.cluster}/${settings.shard}`
  }
}

import { performance } from 'node:perf_hooks'
import type { DeviceComponents, EventData, EventType, FleetDirectory } from '../../../../harness/interface/index.js'
import { contentTopicFor } from '../../../../harness/protocol/index.js'
import { SimulatedDevice } from '../../../simulated/index.js'
import { APP_UID, BatteryModel } from './battery.js'
import { APP_PACKAGE, node, rid, type UiNode } from './ui-tree.js'

/** What the harness hands the test app through capabilities (`courier:*`). */
export interface TestAppOptions {
  /** The scenario's device name: the app's identity on the fleet and its messages' sender. */
  device: string
  relays: string[]
  stores: Array<{ name: string, addr: string }>
  pubsubTopic: string
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

export interface LogEntry { timestamp: number, level: 'INFO' | 'WARN', message: string }

interface ShownMessage { key: string, msgId: string, text: string, mine: boolean }

const MSG_TAG = /\[courier:([^\]\s]+)\]/
const LOG_LIMIT = 5000

/**
 * The courier test app: a messenger screen over courier's simulated client, which joins the run's
 * real fleet. Typing and tapping Send publish; messages arriving on the fleet are appended to the
 * list; network toggles take the client off the fleet and back (with store catch-up).
 */
export class TestApp {
  screen: 'launching' | 'signin' | 'home' | 'chat' = 'launching'
  foreground = true
  private status: 'offline' | 'syncing' | 'up to date' = 'offline'
  private readonly client: SimulatedDevice
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

  constructor (readonly options: TestAppOptions) {
    const t0 = performance.now()
    const fleet: FleetDirectory = { relays: options.relays, stores: options.stores, pubsubTopic: options.pubsubTopic, contentTopic: contentTopicFor }
    this.battery = new BatteryModel(() => performance.now())
    const components: DeviceComponents = {
      clock: { now: () => performance.now() - t0 },
      events: { emit: <K extends EventType>(type: K, data: EventData<K>) => { this.onClientEvent(type, data) } },
      log: { info: (m) => { this.log('INFO', m) }, warn: (m) => { this.log('WARN', m) }, debug: () => {} },
      fleet,
      random: Math.random,
      byteAccounting: true
    }
    this.client = new SimulatedDevice({ name: options.device, topics: options.topics, relays: Math.min(2, Math.max(1, options.relays.length)) }, components)
  }

  /** The phone's wall clock (skewed as the capabilities say). */
  wallNow (): number {
    return Date.now() + this.options.clockSkewMs
  }

  launch (): void {
    this.log('INFO', `launching ${APP_PACKAGE}`)
    const launched = Date.now()
    this.started = this.client.start().then(() => {
      this.online = true
      this.status = 'up to date'
      const wait = Math.max(0, this.options.launchMs - (Date.now() - launched))
      this.timers.push(setTimeout(() => {
        if (this.stopped) return
        this.screen = this.options.signIn ? 'signin' : 'home'
        this.log('INFO', `usable: ${this.screen}`)
      }, wait))
    }, (error: unknown) => {
      this.log('WARN', `could not join the fleet: ${String(error)}`)
      this.options.onCrash(new Error(`the courier test app could not join the fleet: ${String(error)}`))
    })
    if (this.options.dieAfterMs != null) {
      this.timers.push(setTimeout(() => {
        this.log('WARN', 'FATAL EXCEPTION: crash requested by courier:dieAfterMs')
        this.options.onCrash(new Error('the courier test app crashed (courier:dieAfterMs)'))
      }, this.options.dieAfterMs))
    }
  }

  async stop (): Promise<void> {
    if (this.stopped) return
    this.stopped = true
    for (const timer of this.timers) clearTimeout(timer)
    await this.started?.catch(() => {})
    await this.client.stop()
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

  private show (msgId: string, text: string, mine: boolean): void {
    if (this.shown.has(msgId)) return
    this.shown.add(msgId)
    this.messages.push({ key: `message/${this.messages.length}`, msgId, text, mine })
    this.log('INFO', `rendered ${msgId}`)
  }

  private log (level: LogEntry['level'], message: string): void {
    this.logs.push({ timestamp: this.wallNow(), level, message: `courier-testapp: ${message}` })
    if (this.logs.length > LOG_LIMIT) {
      this.logs.splice(0, this.logs.length - LOG_LIMIT)
      this.logCursor = Math.max(0, this.logCursor - (this.logs.length - LOG_LIMIT))
    }
  }

  /** Log entries since the last call, as Appium's logcat log type returns them. */
  takeLogs (): LogEntry[] {
    const out = this.logs.slice(this.logCursor)
    this.logCursor = this.logs.length
    return out
  }

  /** The current screen. Background: the launcher, none of the app's nodes. */
  tree (): UiNode {
    const children: UiNode[] = []
    if (!this.foreground) {
      children.push(node('launcher', 'android.widget.FrameLayout', { 'resource-id': 'com.android.launcher:id/workspace', package: 'com.android.launcher' }))
    } else if (this.screen === 'launching') {
      children.push(node('splash', 'android.widget.TextView', { 'resource-id': rid('splash'), text: 'Loading…' }))
    } else if (this.screen === 'signin') {
      children.push(
        node('password', 'android.widget.EditText', { 'resource-id': rid('password'), text: this.inputs.get('password') === undefined ? '' : '••••••', password: 'true' }),
        node('signin', 'android.widget.Button', { 'resource-id': rid('signin'), text: 'Sign in', 'content-desc': 'Sign in' })
      )
    } else {
      children.push(node('status', 'android.widget.TextView', { 'resource-id': rid('status'), text: this.status }))
      if (this.screen === 'home') {
        children.push(node('chats', 'android.widget.ListView', { 'resource-id': rid('chats') }, this.options.topics.map((topic) =>
          node(`chat/${topic}`, 'android.widget.TextView', { 'resource-id': rid('chat'), text: topic, 'content-desc': `chat ${topic}` }))))
      } else {
        children.push(
          node('title', 'android.widget.TextView', { 'resource-id': rid('chat_title'), text: this.openTopic ?? '' }),
          node('back', 'android.widget.ImageButton', { 'resource-id': rid('back'), 'content-desc': 'Back' }),
          node('messages', 'android.widget.ListView', { 'resource-id': rid('messages') }, this.messages.map((m) =>
            node(m.key, 'android.view.ViewGroup', { 'resource-id': rid('message'), 'content-desc': m.mine ? 'my message' : 'message' }, [
              node(`${m.key}/text`, 'android.widget.TextView', { 'resource-id': rid('message_text'), text: m.text })
            ]))),
          node('input', 'android.widget.EditText', { 'resource-id': rid('input'), text: this.inputs.get('input') ?? '' }),
          node('send', 'android.widget.Button', { 'resource-id': rid('send'), text: 'Send', 'content-desc': 'Send' })
        )
      }
    }
    return node('root', 'hierarchy', { package: this.foreground ? APP_PACKAGE : 'com.android.launcher', rotation: '0' }, [
      node('window', 'android.widget.FrameLayout', { 'resource-id': 'android:id/content' }, children)
    ])
  }

  type (key: string, text: string): void {
    if (key !== 'input' && key !== 'password') throw new Error(`element ${key} does not take text`)
    this.inputs.set(key, (this.inputs.get(key) ?? '') + text)
  }

  clear (key: string): void {
    this.inputs.delete(key)
  }

  textOf (n: UiNode): string {
    // a password field never reveals what was typed, as on a phone
    if (n.key === 'input') return this.inputs.get('input') ?? ''
    return n.attrs.text ?? ''
  }

  async tap (key: string): Promise<void> {
    if (key === 'signin') {
      if ((this.inputs.get('password') ?? '') === '') throw new Error('sign-in refused: empty password')
      this.inputs.delete('password')
      this.screen = 'home'
      this.log('INFO', 'signed in')
    } else if (key.startsWith('chat/')) {
      this.openTopic = key.slice('chat/'.length)
      this.screen = 'chat'
    } else if (key === 'back') {
      this.screen = 'home'
    } else if (key === 'send') {
      await this.send()
    }
  }

  private async send (): Promise<void> {
    const text = this.inputs.get('input') ?? ''
    if (text === '' || this.openTopic == null) return
    this.inputs.delete('input')
    const msgId = MSG_TAG.exec(text)?.[1] ?? `${this.options.device}-ui-${++this.uiSeq}`
    this.show(msgId, text, true)
    this.log('INFO', `send ${msgId}`)
    await this.client.send({ msgId, topic: this.openTopic, bytes: Buffer.byteLength(text), text })
  }

  /** Airplane mode on or off: the client leaves the fleet, or rejoins and catches up from a store. */
  async setOnline (online: boolean): Promise<void> {
    if (online === this.online) return
    this.online = online
    if (!online) {
      this.status = 'offline'
      this.log('INFO', 'network off')
      await this.client.setOnline(false)
      return
    }
    this.status = 'syncing'
    this.log('INFO', 'network on')
    await this.client.setOnline(true)
    if (this.online) this.status = 'up to date'
  }

  get isOnline (): boolean {
    return this.online
  }

  /** `dumpsys package` lines courier reads (the app's uid). */
  packageInfo (): string {
    return `Packages:\n  Package [${APP_PACKAGE}] (c0ffee):\n    userId=${APP_UID}\n    pkg=Package{c0ffee ${APP_PACKAGE}}\n`
  }
}

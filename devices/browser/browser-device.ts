import { existsSync } from 'node:fs'
import { appendFile, mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, relative } from 'node:path'
import { chromium, type BrowserContext, type CDPSession, type Page } from 'playwright-core'
import type { AbortOptions, Device, DeviceComponents, OutgoingMessage } from '../../harness/interface/index.js'
import { browserLocalPorts, CHROMIUM_ARGS, CHROMIUM_PATH, chromiumPids, PAGE_DIR, probePageBundle, PROFILE_PREFIX, removeStaleProfiles } from './chromium.js'
import { startPageServer, type PageServer } from './page-server.js'
import { installedClient } from '../js-waku/index.js'

export interface BrowserDeviceInit {
  name: string
  /** Scenario topics this device's user has joined. */
  topics: string[]
  /** Service nodes js-waku uses at once for FILTER and LIGHTPUSH (its numPeersToUse). */
  peers: number
  /** History asked for after being offline reaches this far before going offline (default 5 s). */
  syncMarginMs?: number
  /** Broken variant for tests: the page loses every n-th message that arrives (`?drop=n`). */
  dropEvery?: number
  /** Chromium to drive (default /usr/bin/chromium). */
  executablePath?: string
  /** Screenshots, console log and traces go here (default: RUN_DIR/devices/<name>). */
  artifactsDir?: string
  /** The page must be online within this (default 30 s). */
  startTimeoutMs?: number
}

/** One record the page wrote into its #log (or a message item that was painted), as its dataset. */
type PageRecord = Record<string, string | undefined>

const STATE_TIMEOUT_MS = 20_000
const BYTES_EVERY_MS = 1000
const CLOCK_SAMPLES = 7
/** Without cross-origin isolation Chromium coarsens performance.now() to 100 µs. */
const PAGE_CLOCK_RESOLUTION_MS = 0.1

interface Socket {
  connId: string
  remote: string
  up: number
  down: number
  sampledUp: number
  sampledDown: number
  open: boolean
}

/**
 * A web chat client (devices/browser/page: @waku/sdk as a light node) in Debian's Chromium, driven
 * through playwright-core like a user: courier types into the page and clicks send, and learns what
 * happened from the page's DOM, each record stamped with the page's own clock and mapped onto the
 * run clock by a measured offset. Bytes are the page's WebSocket frames as the DevTools protocol
 * reports them; offline is the browser's own network emulation. README: A web client in Chromium.
 */
export class BrowserDevice implements Device {
  readonly name: string
  readonly driver = 'browser'
  private context?: BrowserContext
  private page?: Page
  private cdp?: CDPSession
  private server?: PageServer
  private userDataDir?: string
  private readonly artifactsDir: string
  private readonly runStartWallMs: number
  /** Page clock (performance.timeOrigin + performance.now()) minus harness wall clock. */
  private offsetMs = 0
  private readonly contentTopics: Map<string, string>
  private readonly sockets = new Map<string, Socket>()
  /** Local ports already named in a conn.open. */
  private readonly knownPorts = new Set<number>()
  private bytesTimer?: NodeJS.Timeout
  private readonly consoleLines: string[] = []
  private readonly waiters: Array<{ match: (r: PageRecord) => boolean; resolve: (r: PageRecord) => void }> = []
  private readonly records: PageRecord[] = []
  private online = false
  private started = false
  private stopped = false
  private failed = false
  private stopping = false
  private artifactSeq = 0
  private tracing = false
  /** device.up was emitted. */
  private said = false
  /** Serialises UI actions: a send must not interleave its typing with another's. */
  private uiLock: Promise<unknown> = Promise.resolve()

  constructor(
    private readonly init: BrowserDeviceInit,
    private readonly components: DeviceComponents
  ) {
    this.name = init.name
    this.contentTopics = new Map(init.topics.map((topic) => [components.fleet.contentTopic(topic), topic]))
    this.runStartWallMs = Date.now() - components.clock.now()
    const eventsPath = (components.events as { path?: unknown }).path
    // the Device contract has no run directory; the run's event log lives in it
    this.artifactsDir = init.artifactsDir ?? join(typeof eventsPath === 'string' ? dirname(eventsPath) : tmpdir(), 'devices', init.name)
  }

  /** The browser's main process id while it runs (tests kill it to show a crash is survived). */
  async browserPid(): Promise<number | undefined> {
    return this.userDataDir == null ? undefined : (await chromiumPids(this.userDataDir)).main
  }

  async start(options: AbortOptions = {}): Promise<void> {
    if (this.started) return
    this.started = true
    const { fleet } = this.components
    const bundle = probePageBundle()
    if (!bundle.ok) throw new Error(`the web chat page is not built: ${bundle.detail} (${bundle.hint ?? ''})`)
    const ws = {
      relays: websocketAddrs(fleet.websocket?.relays ?? fleet.relays),
      stores: (fleet.websocket?.stores ?? fleet.stores).filter((store) => websocketAddrs([store.addr]).length > 0)
    }
    // stores too: js-waku finds its STORE peer among the peers it is connected to
    const bootstrap = [...ws.relays, ...ws.stores.map((store) => store.addr)]
    if (bootstrap.length === 0)
      throw new Error(`no fleet node listens on WebSocket (relays: ${fleet.relays.join(' ') || 'none'}); a browser can dial nothing else`)
    const shard = /^\/waku\/2\/rs\/(\d+)\/(\d+)$/.exec(fleet.pubsubTopic)
    if (shard == null)
      throw new Error(`the fleet's pubsub topic ${fleet.pubsubTopic} is not a static shard (/waku/2/rs/<cluster>/<shard>), which js-waku needs`)
    await mkdir(this.artifactsDir, { recursive: true })
    this.server = await startPageServer(PAGE_DIR, {
      device: this.name,
      bootstrap,
      stores: ws.stores,
      pubsubTopic: fleet.pubsubTopic,
      clusterId: Number(shard[1]),
      shardId: Number(shard[2]),
      contentTopics: [...this.contentTopics.keys()],
      peers: this.init.peers,
      syncMarginMs: this.init.syncMarginMs ?? 5000,
      dropEvery: this.init.dropEvery
    })
    await removeStaleProfiles()
    this.userDataDir = await mkdtemp(join(tmpdir(), `${PROFILE_PREFIX}${this.name}-`))
    const signal = AbortSignal.any([AbortSignal.timeout(this.init.startTimeoutMs ?? 30_000), ...(options.signal != null ? [options.signal] : [])])
    try {
      await this.launch(signal)
    } catch (error) {
      this.up()
      await this.keepArtifacts('start-failed')
      throw error
    }
  }

  /**
   * device.up once the page's libp2p peer id is known: the runner registers it, so fleet events
   * name this device and partitions cut it like any other.
   */
  private up(peerId?: string): void {
    if (this.said) return
    this.said = true
    this.components.events.emit('device.up', { device: this.name, driver: this.driver, ...(peerId != null ? { peerId } : {}) })
    for (const topic of this.init.topics) this.components.events.emit('device.subscribe', { device: this.name, topic })
  }

  private async launch(signal: AbortSignal): Promise<void> {
    const context = await chromium.launchPersistentContext(this.userDataDir as string, {
      executablePath: this.init.executablePath ?? CHROMIUM_PATH,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 480, height: 720 },
      // Playwright would otherwise kill Chromium on SIGINT itself; courier's teardown closes it
      handleSIGINT: false,
      handleSIGTERM: false,
      handleSIGHUP: false
    })
    this.context = context
    context.on('close', () => {
      if (!this.stopping) this.fail(new Error('the browser closed or crashed'))
    })
    // no screencast in the trace: it streams frames to this process all run long and showed as harness lag
    await context.tracing.start({ screenshots: false, snapshots: true, sources: false })
    await context.tracing.startChunk()
    this.tracing = true
    const page = context.pages()[0] ?? (await context.newPage())
    this.page = page
    page.on('console', (message) => {
      this.consoleLine(`${message.type()}: ${message.text()}`)
    })
    page.on('pageerror', (error) => {
      this.consoleLine(`pageerror: ${error.message}`)
      void this.keepArtifacts('page-error')
    })
    page.on('crash', () => {
      this.fail(new Error('the page crashed'))
    })
    await page.exposeFunction('courierRecord', (record: PageRecord) => {
      this.onRecord(record)
    })
    await page.addInitScript({ content: OBSERVE_DOM })
    this.cdp = await context.newCDPSession(page)
    this.watchSockets(this.cdp)
    await this.cdp.send('Network.enable')
    this.bytesTimer = setInterval(() => {
      this.sampleBytes()
    }, BYTES_EVERY_MS)
    await page.goto((this.server as PageServer).url + (this.init.dropEvery != null ? `?drop=${this.init.dropEvery}` : ''), { timeout: 10_000 })
    const identity = await this.waitFor((r) => r.kind === 'identity' || (r.kind === 'state' && r.state === 'failed'), signal)
    this.up(identity.peerId)
    // the page's js-waku is the @waku/sdk it was bundled from at build time; the browser says its own version
    const product = await this.cdp.send('Browser.getVersion').then(
      (v) => v.product,
      () => null
    )
    this.components.events.emit('device.client', {
      device: this.name,
      ...installedClient('@waku/sdk'),
      build: product,
      source: '@waku/sdk/package.json (the page bundle), Browser.getVersion'
    })
    await this.measureClock('start')
    const state = await this.waitFor((r) => r.kind === 'state' && (r.state === 'online' || r.state === 'failed'), signal)
    if (state.state === 'failed') throw new Error(`the page could not join the fleet: ${state.error ?? 'no reason given'}`)
    this.online = true
    this.components.events.emit('device.online', { device: this.name }, this.runTime(state.t))
  }

  async stop(): Promise<void> {
    if (this.stopped) return
    this.stopped = true
    this.stopping = true
    clearInterval(this.bytesTimer)
    const wasUp = this.context != null && !this.failed
    if (wasUp) {
      await this.measureClock('end').catch(() => {})
      this.sampleBytes()
    }
    for (const socket of this.sockets.values()) this.closeSocket(socket)
    if (this.tracing && !this.failed) {
      this.tracing = false
      await this.context?.tracing.stopChunk().catch(() => {})
    }
    await this.writeConsole().catch(() => {})
    await this.context?.close().catch(() => {})
    this.context = undefined
    await this.server?.close()
    await this.removeProfile()
    if (this.said && !this.failed) this.components.events.emit('device.down', { device: this.name })
  }

  async send(message: OutgoingMessage, options: AbortOptions = {}): Promise<void> {
    if (this.failed || this.stopped) return
    const contentTopic = this.components.fleet.contentTopic(message.topic)
    await this.withUi(async () => {
      const page = this.requirePage()
      const timeout = { timeout: 5000 }
      await page.selectOption('#topic', contentTopic, timeout)
      await page.fill('#msg-id', message.msgId, timeout)
      await page.fill('#msg-size', String(message.bytes), timeout)
      // typed key by key, as a user would; a long text is pasted (typing 4 kB would take seconds)
      const text = message.text ?? message.msgId
      if (text.length <= 64) await page.locator('#text').pressSequentially(text, timeout)
      else await page.fill('#text', text, timeout)
      await page.click('#send', timeout)
      await this.waitFor((r) => r.kind === 'sent' && r.msgId === message.msgId, options.signal)
    })
  }

  async setOnline(online: boolean, options: AbortOptions = {}): Promise<void> {
    if (this.failed || this.stopped || online === this.online) return
    const context = this.requireContext()
    const since = this.records.length
    await context.setOffline(!online)
    const state = await this.waitFor((r) => r.kind === 'state' && r.state === (online ? 'online' : 'offline'), options.signal, since)
    this.online = online
    if (!online) await this.cutSockets()
    this.components.events.emit(online ? 'device.online' : 'device.offline', { device: this.name }, this.runTime(state.t))
  }

  /**
   * Chromium's offline emulation fails new requests and stops frames on open WebSockets, but does
   * not close them (README: A web client in Chromium): libp2p would sit on dead connections until
   * its own timeouts. A phone-like "offline" therefore also closes them. The
   * page's WebSockets are libp2p's connections: closing them from inside the page is what a lost
   * network does to them, minus the timeout.
   */
  private async cutSockets(): Promise<void> {
    await sleep(200)
    if (![...this.sockets.values()].some((s) => s.open)) return
    await this.requirePage().evaluate(async () => {
      const chat = (globalThis as unknown as { courierChat?: { node: { libp2p: { getConnections: () => Array<{ abort: (e: Error) => void }> } } } }).courierChat
      for (const connection of chat?.node.libp2p.getConnections() ?? []) connection.abort(new Error('offline'))
    })
  }

  private onRecord(record: PageRecord): void {
    this.records.push(record)
    const { events } = this.components
    const device = this.name
    const at = this.runTime(record.t)
    switch (record.kind) {
      case 'sent':
        events.emit(
          'msg.sent',
          {
            msgId: record.msgId ?? '',
            hash: record.hash ?? '',
            topic: this.contentTopics.get(record.contentTopic ?? '') ?? record.contentTopic ?? '',
            bytes: Number(record.bytes),
            device,
            via: 'lightpush'
          },
          this.runTime(record.clicked)
        )
        break
      case 'arrival':
        events.emit(
          'msg.received',
          {
            device,
            hash: record.hash ?? '',
            msgId: record.msgId ?? '',
            via: record.via === 'store' ? 'store' : 'filter',
            bytes: Number(record.bytes),
            duplicate: record.duplicate === 'true'
          },
          at
        )
        break
      case 'rendered':
        events.emit('msg.rendered', { device, hash: record.hash ?? '', msgId: record.msgId ?? '' }, this.runTime(record.rendered))
        break
      case 'store.query':
        events.emit('device.status', { device, status: 'syncing' }, at)
        events.emit(
          'store.query',
          {
            device,
            store: record.store ?? '',
            requestId: record.requestId ?? '',
            topic: [...this.contentTopics.values()].join(','),
            timeStart: Number(record.timeStart)
          },
          at
        )
        break
      case 'store.response':
        // js-waku pages internally and does not say how many pages it took
        events.emit(
          'store.response',
          {
            device,
            store: record.store ?? '',
            requestId: record.requestId ?? '',
            status: Number(record.status),
            messages: Number(record.messages),
            bytes: Number(record.bytes),
            pages: 0,
            ...(record.error != null ? { error: record.error } : {})
          },
          at
        )
        // what the page would show: js-waku's query ended without an error, or with one
        events.emit('device.status', { device, status: record.status === '200' ? 'upToDate' : 'failed' }, at)
        break
      case 'pushed':
        if (record.ok !== 'true')
          events.emit(
            'lightpush.response',
            {
              device,
              node: 'js-waku',
              requestId: `${device}-${record.msgId ?? ''}`,
              hash: record.hash ?? '',
              status: 0,
              error: record.error ?? 'no service node took it'
            },
            at
          )
        break
      case 'error':
        events.emit('harness.error', { component: device, error: `page: ${record.error ?? ''}` })
        void this.keepArtifacts('page-error')
        break
    }
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      if (this.waiters[i].match(record)) this.waiters.splice(i, 1)[0].resolve(record)
    }
  }

  /** The first record (from index `from` on) that matches, now or when it comes. */
  private async waitFor(match: (r: PageRecord) => boolean, signal?: AbortSignal, from = 0): Promise<PageRecord> {
    const found = this.records.slice(from).find(match)
    if (found != null) return found
    const timeout = AbortSignal.timeout(STATE_TIMEOUT_MS)
    const combined = signal == null ? timeout : AbortSignal.any([signal, timeout])
    return await new Promise<PageRecord>((resolve, reject) => {
      const waiter = {
        match,
        resolve: (r: PageRecord) => {
          combined.removeEventListener('abort', onAbort)
          resolve(r)
        }
      }
      const onAbort = (): void => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1)
        reject(new Error(timeout.aborted ? `the page did not report it within ${STATE_TIMEOUT_MS / 1000} s` : 'aborted'))
      }
      combined.addEventListener('abort', onAbort, { once: true })
      this.waiters.push(waiter)
    })
  }

  /**
   * NTP-style: each sample brackets one reading of the page's clock between two harness readings;
   * the sample with the smallest round trip wins. Recorded as `device.clock`.
   */
  private async measureClock(phase: 'start' | 'end'): Promise<void> {
    const page = this.requirePage()
    let best: { offsetMs: number; rttMs: number } | undefined
    for (let i = 0; i < CLOCK_SAMPLES; i++) {
      const t0 = this.runStartWallMs + this.components.clock.now()
      const pageMs = await page.evaluate(() => performance.timeOrigin + performance.now())
      const t1 = this.runStartWallMs + this.components.clock.now()
      if (best == null || t1 - t0 < best.rttMs) best = { offsetMs: pageMs - (t0 + t1) / 2, rttMs: t1 - t0 }
    }
    if (best == null) return
    if (phase === 'start') {
      this.offsetMs = best.offsetMs
      const runOffset = best.offsetMs + this.runStartWallMs
      await page
        .evaluate((offset) => {
          const chat = (globalThis as unknown as { courierChat?: { runOffsetMs: number } }).courierChat
          if (chat != null) chat.runOffsetMs = offset
        }, runOffset)
        .catch(() => {})
    }
    const round = (v: number): number => Math.round(v * 1000) / 1000
    this.components.events.emit('device.clock', {
      device: this.name,
      phase,
      offsetMs: round(best.offsetMs),
      rttMs: round(best.rttMs),
      samples: CLOCK_SAMPLES,
      resolutionMs: PAGE_CLOCK_RESOLUTION_MS,
      source: 'page.evaluate: performance.timeOrigin + performance.now()'
    })
  }

  /** A page clock reading (ms) on the run clock. */
  private runTime(pageMs: string | undefined): number | undefined {
    const value = Number(pageMs)
    if (pageMs == null || !Number.isFinite(value)) return undefined
    return value - this.offsetMs - this.runStartWallMs
  }

  private watchSockets(cdp: CDPSession): void {
    const { events } = this.components
    cdp.on('Network.webSocketCreated', ({ requestId, url }) => {
      const socket: Socket = { connId: `${this.name}/ws/${requestId}`, remote: url, up: 0, down: 0, sampledUp: 0, sampledDown: 0, open: true }
      this.sockets.set(requestId, socket)
    })
    // once the handshake is through the TCP connection exists: conn.open names its local port
    cdp.on('Network.webSocketHandshakeResponseReceived', ({ requestId, response }) => {
      const socket = this.sockets.get(requestId)
      if (socket == null) return
      // the HTTP upgrade itself, as raw text when Chromium gives it
      socket.up += Buffer.byteLength(response.requestHeadersText ?? '')
      socket.down += Buffer.byteLength(response.headersText ?? '')
      void this.localAddrOf(socket.remote).then((localAddr) => {
        events.emit('conn.open', {
          owner: this.name,
          remote: this.nodeAt(socket.remote),
          localAddr,
          remoteAddr: socket.remote.replace(/^wss?:\/\//, '').replace(/\/.*$/, ''),
          connId: socket.connId
        })
      })
    })
    const frame =
      (direction: 'up' | 'down') =>
      ({ requestId, response }: { requestId: string; response: { opcode: number; payloadData: string } }) => {
        const socket = this.sockets.get(requestId)
        if (socket == null) return
        // binary frames (opcode 2) arrive base64-encoded, text frames as text; the frame's own header
        // is added (RFC 6455: 2 bytes, 2 or 8 more for longer payloads, a 4-byte mask from the browser)
        const payload = response.opcode === 2 ? base64Length(response.payloadData) : Buffer.byteLength(response.payloadData)
        const bytes = payload + 2 + (payload > 65535 ? 8 : payload > 125 ? 2 : 0) + (direction === 'up' ? 4 : 0)
        if (direction === 'up') socket.up += bytes
        else socket.down += bytes
        if (this.components.byteAccounting !== false) events.emit('bytes.chunk', { owner: this.name, connId: socket.connId, direction, bytes })
      }
    cdp.on('Network.webSocketFrameSent', frame('up'))
    cdp.on('Network.webSocketFrameReceived', frame('down'))
    cdp.on('Network.webSocketClosed', ({ requestId }) => {
      const socket = this.sockets.get(requestId)
      if (socket != null) this.closeSocket(socket)
    })
  }

  /** `127.0.0.1:<port>` of the browser's new connection to this WebSocket URL; empty when /proc does not tell. */
  private async localAddrOf(url: string): Promise<string> {
    const match = /^wss?:\/\/([^/:]+):(\d+)/.exec(url)
    if (match == null || this.userDataDir == null) return ''
    const ports = (await browserLocalPorts(this.userDataDir, Number(match[2])).catch(() => [])).filter((port) => !this.knownPorts.has(port))
    if (ports.length !== 1) return ''
    this.knownPorts.add(ports[0])
    return `${match[1]}:${ports[0]}`
  }

  private sampleBytes(): void {
    if (this.components.byteAccounting === false) return
    for (const socket of this.sockets.values()) {
      const up = socket.up - socket.sampledUp
      const down = socket.down - socket.sampledDown
      if (up === 0 && down === 0) continue
      socket.sampledUp = socket.up
      socket.sampledDown = socket.down
      this.components.events.emit('bytes.sample', { owner: this.name, connId: socket.connId, protocol: 'wire', up, down })
    }
  }

  private closeSocket(socket: Socket): void {
    if (!socket.open) return
    this.sampleBytes()
    socket.open = false
    this.components.events.emit('conn.close', { owner: this.name, connId: socket.connId, bytesUp: socket.up, bytesDown: socket.down })
  }

  private nodeAt(url: string): string {
    const port = /:(\d+)/.exec(url.replace(/^ws:\/\//, ''))?.[1]
    const ws = this.components.fleet.websocket
    const addr = [...(ws?.relays ?? []), ...(ws?.stores.map((s) => s.addr) ?? [])].find((a) => port != null && a.includes(`/tcp/${port}/ws`))
    const peerId = addr?.slice(addr.lastIndexOf('/p2p/') + 5)
    return (peerId != null ? this.components.fleet.peerName?.(peerId) : undefined) ?? url
  }

  /** The browser or its page died: the device has failed; the run goes on without it. */
  private fail(error: Error): void {
    if (this.failed || this.stopped) return
    this.failed = true
    this.online = false
    clearInterval(this.bytesTimer)
    for (const socket of this.sockets.values()) this.closeSocket(socket)
    this.components.events.emit('device.failed', { device: this.name, error: error.message })
    this.components.log.warn(`${this.name}: ${error.message}; the run goes on without it`)
    void this.writeConsole().catch(() => {})
    for (const waiter of this.waiters.splice(0)) waiter.resolve({ kind: 'state', state: 'failed', error: error.message })
  }

  /**
   * A screenshot, the trace so far and the console log, kept in the run directory on an error or a
   * failure. A browser that crashed can give neither screenshot nor trace: then only the console.
   */
  private async keepArtifacts(reason: string): Promise<void> {
    const n = ++this.artifactSeq
    if (n > 5) return
    const base = join(this.artifactsDir, `${reason}-${n}`)
    const { events } = this.components
    const note = (kind: 'screenshot' | 'log' | 'trace', file: string, why: string): void => {
      events.emit('device.artifact', { device: this.name, kind, file: this.relativePath(file), reason: why })
    }
    try {
      await mkdir(this.artifactsDir, { recursive: true })
      if (this.page != null && !this.page.isClosed()) {
        await this.page.screenshot({ path: `${base}-screenshot.png`, timeout: 5000 })
        note('screenshot', `${base}-screenshot.png`, reason)
      }
      if (this.tracing && this.context != null) {
        await this.context.tracing.stopChunk({ path: `${base}-trace.zip` })
        note('trace', `${base}-trace.zip`, `${reason} (open with: npx playwright show-trace)`)
        await this.context.tracing.startChunk()
      }
    } catch (error) {
      this.components.log.warn(`${this.name}: could not keep all failure artifacts: ${error instanceof Error ? error.message : String(error)}`)
    }
    await this.writeConsole()
    if (existsSync(join(this.artifactsDir, 'console.log'))) note('log', join(this.artifactsDir, 'console.log'), "the page's console")
  }

  private consoleLine(line: string): void {
    this.consoleLines.push(`${(this.components.clock.now() / 1000).toFixed(3)} ${line}\n`)
  }

  private async writeConsole(): Promise<void> {
    if (this.consoleLines.length === 0) return
    await mkdir(this.artifactsDir, { recursive: true })
    await appendFile(join(this.artifactsDir, 'console.log'), this.consoleLines.splice(0).join(''))
  }

  private async removeProfile(): Promise<void> {
    const dir = this.userDataDir
    if (dir == null) return
    // Chromium's children can outlive the close by a moment; none may be left behind
    for (const pid of (await chromiumPids(dir)).all) {
      try {
        process.kill(pid, 'SIGKILL')
      } catch {}
    }
    await rm(dir, { recursive: true, force: true }).catch(() => {})
  }

  private relativePath(file: string): string {
    const eventsPath = (this.components.events as { path?: unknown }).path
    return typeof eventsPath === 'string' ? relative(dirname(eventsPath), file) : file
  }

  private requirePage(): Page {
    if (this.page == null || this.failed) throw new Error(`browser device ${this.name} has no page (it failed or stopped)`)
    return this.page
  }

  private requireContext(): BrowserContext {
    if (this.context == null || this.failed) throw new Error(`browser device ${this.name} has no browser (it failed or stopped)`)
    return this.context
  }

  private async withUi<T>(action: () => Promise<T>): Promise<T> {
    const run = this.uiLock.then(action, action)
    this.uiLock = run.catch(() => {})
    return await run
  }
}

/**
 * Installed in the page before its scripts run (page JavaScript, kept as text: this module compiles
 * without DOM types): hands every #log record and every painted message to courier.
 */
const OBSERVE_DOM = `(() => {
  const send = (data, kind) => {
    const record = { ...data }
    if (kind != null) record.kind = kind
    void window.courierRecord(record)
  }
  new MutationObserver((mutations) => {
    for (const mutation of mutations) {
      if (mutation.type === 'childList') {
        for (const node of mutation.addedNodes) {
          if (node instanceof HTMLLIElement && node.dataset.kind != null && node.dataset.kind !== 'message') send(node.dataset)
        }
      } else if (mutation.target instanceof HTMLLIElement && mutation.target.dataset.kind === 'message') {
        send(mutation.target.dataset, 'rendered')
      }
    }
  }).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-rendered'] })
})()`

/** The WebSocket multiaddrs among a node's addresses (a browser dials nothing else). */
export function websocketAddrs(addrs: readonly string[]): string[] {
  return addrs.filter((addr) => /\/(ws|wss)\//.test(addr) || /\/tls\/ws\//.test(addr))
}

function base64Length(data: string): number {
  const padding = data.endsWith('==') ? 2 : data.endsWith('=') ? 1 : 0
  return Math.floor((data.length * 3) / 4) - padding
}

async function sleep(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms))
}

export function browserDevice(init: BrowserDeviceInit): (components: DeviceComponents) => BrowserDevice {
  return (components) => new BrowserDevice(init, components)
}

// A small web chat client on @waku/sdk (a light node: FILTER to receive, LIGHTPUSH to send, STORE
// to catch up), as a web messenger builds one. courier bundles it with esbuild and drives it in
// Chromium like a user: it types and clicks, and reads what happened from the DOM. Everything the
// client does is also written as one item of #log, stamped with the page's own clock
// (performance.timeOrigin + performance.now()); courier maps those stamps onto the run's clock.
import { createLightNode, Protocols, waku as core, type IDecodedMessage, type IDecoder, type IEncoder, type LightNode } from '@waku/sdk'
import { proto_message as proto } from '@waku/proto'

/** What courier serves at /config.json for this device. */
interface PageConfig {
  device: string
  /** Fleet nodes to join, WebSocket multiaddrs with /p2p/. */
  bootstrap: string[]
  /** Store nodes by name, WebSocket multiaddrs: history comes from the first one connected. */
  stores: Array<{ name: string; addr: string }>
  /** Peer id to fleet node name, for the log. */
  names: Record<string, string>
  pubsubTopic: string
  clusterId: number
  shardId: number
  contentTopics: string[]
  /** Service nodes js-waku uses at once for filter and lightpush. */
  peers: number
  /** History asked for reaches this far back before going offline (messages in flight then). */
  syncMarginMs: number
  /** Broken variant (tests only): lose every n-th message that arrives. */
  dropEvery?: number
}

const MAGIC = 'courier1 '
const RETRY_MS = 2000
/** How long js-waku gets to reconnect on its own after the network comes back before the page dials. */
const REJOIN_ALONE_MS = 5000
const encoder = new TextEncoder()
const decoder = new TextDecoder()
const now = (): number => performance.timeOrigin + performance.now()
const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T

const log = $('log')
const messages = $<HTMLOListElement>('messages')
const statusLine = $('status')
const textInput = $<HTMLInputElement>('text')
const idInput = $<HTMLInputElement>('msg-id')
const sizeInput = $<HTMLInputElement>('msg-size')
const sendButton = $<HTMLButtonElement>('send')
const topicSelect = $<HTMLSelectElement>('topic')

/** One record of what the client did, read by courier from the DOM. */
function record(kind: string, data: Record<string, string | number | boolean | undefined>): void {
  const item = document.createElement('li')
  item.dataset.kind = kind
  item.dataset.t = String(now())
  for (const [key, value] of Object.entries(data)) if (value !== undefined) item.dataset[key] = String(value)
  log.append(item)
}

function setState(state: 'starting' | 'online' | 'offline' | 'failed', error?: string): void {
  statusLine.dataset.state = state
  statusLine.textContent = error == null ? state : `${state}: ${error}`
  record('state', { state, error })
}

function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error)
}

interface Pending {
  msgId: string
  hash: string
  payload: Uint8Array
  timestamp: Date
  contentTopic: string
}

class Chat {
  private readonly history = new Set<string>()
  private readonly outbox: Pending[] = []
  private arrivals = 0
  private requests = 0
  private offlineSince?: number
  private flushing = false
  private readonly encoders = new Map<string, IEncoder>()
  private readonly decoders: Array<IDecoder<IDecodedMessage>>
  /** Page clock minus run clock, set by courier once it has measured it; stamps sentAt in payloads. */
  runOffsetMs = 0

  constructor(
    readonly node: LightNode,
    readonly config: PageConfig
  ) {
    this.decoders = config.contentTopics.map((contentTopic) => node.createDecoder({ contentTopic, shardId: config.shardId }))
  }

  async join(): Promise<void> {
    await this.node.start()
    await this.node.waitForPeers([Protocols.Filter, Protocols.LightPush, Protocols.Store], 15_000)
    const ok = await this.node.filter.subscribe(this.decoders, (message) => {
      this.arrived(message, 'filter')
    })
    if (!ok) throw new Error('no service node took the FILTER subscription')
    record('subscribed', { topics: this.config.contentTopics.join(',') })
    setInterval(() => {
      if (navigator.onLine) void this.flush()
    }, RETRY_MS)
  }

  async wentOffline(): Promise<void> {
    this.offlineSince = now()
    setState('offline')
  }

  /**
   * Back online: js-waku redials on the browser's online event by itself (its network monitor) and
   * its filter keeps its subscription; the page waits for service peers, catches up from a store on
   * what was missed, then sends the outbox.
   */
  async cameOnline(): Promise<void> {
    const wanted = [Protocols.Filter, Protocols.LightPush, Protocols.Store]
    try {
      const byItself = await this.node.waitForPeers(wanted, REJOIN_ALONE_MS).then(
        () => true,
        () => false
      )
      if (!byItself) {
        // what a web app does when its SDK stays disconnected: dial the fleet again itself (by peer
        // id, from the peer store; Waku.dial would open an empty stream per protocol)
        const wantedIds = new Set(this.config.bootstrap.map((addr) => addr.slice(addr.lastIndexOf('/p2p/') + 5)))
        const connected = new Set(this.node.libp2p.getPeers().map(String))
        const peers = (await this.node.libp2p.peerStore.all()).filter((peer) => wantedIds.has(peer.id.toString()) && !connected.has(peer.id.toString()))
        const dials = await Promise.allSettled(peers.map(async (peer) => await this.node.libp2p.dial(peer.id)))
        console.info(
          `js-waku had not reconnected ${REJOIN_ALONE_MS / 1000} s after the network came back; the page dialled ${dials.filter((d) => d.status === 'fulfilled').length}/${peers.length} fleet nodes itself`
        )
        record('redial', { peers: peers.length, ok: dials.filter((d) => d.status === 'fulfilled').length })
        await this.node.waitForPeers(wanted, 15_000)
      }
      setState('online')
    } catch (error) {
      setState('online', errorText(error))
    }
    if (this.offlineSince != null) {
      const since = this.offlineSince - this.config.syncMarginMs
      this.offlineSince = undefined
      await this.catchUp(since)
    }
    await this.flush()
  }

  async catchUp(sinceMs: number): Promise<void> {
    const requestId = `${this.config.device}-s${++this.requests}`
    const connected = this.node.libp2p.getPeers()
    const store =
      this.config.stores
        .map((s) => ({ ...s, peerId: s.addr.slice(s.addr.lastIndexOf('/p2p/') + 5) }))
        .find((s) => connected.some((p) => p.toString() === s.peerId)) ?? this.config.stores[0]
    const peerId = connected.find((p) => p.toString() === (store == null ? '' : store.addr.slice(store.addr.lastIndexOf('/p2p/') + 5)))
    record('store.query', { requestId, store: store?.name ?? 'any', timeStart: sinceMs })
    let count = 0
    let bytes = 0
    try {
      await this.node.store.queryWithOrderedCallback(
        this.decoders,
        (message) => {
          count++
          bytes += this.arrived(message, 'store')
        },
        { timeStart: new Date(sinceMs), timeEnd: new Date(Date.now() + 1000), ...(peerId != null ? { peerId } : {}) }
      )
      record('store.response', { requestId, store: store?.name ?? 'any', status: 200, messages: count, bytes })
    } catch (error) {
      record('store.response', { requestId, store: store?.name ?? 'any', status: 0, messages: count, bytes, error: errorText(error) })
    }
  }

  /** The user pressed send: the message is on screen at once and goes out now or when back online. */
  async send(text: string, msgId: string, size: number, contentTopic: string): Promise<void> {
    const clicked = now()
    const header = encoder.encode(MAGIC + JSON.stringify({ id: msgId, from: this.config.device, sentAt: clicked - this.runOffsetMs, text }) + '\n')
    const payload = header.length >= size ? header : new Uint8Array(size)
    if (payload !== header) {
      payload.set(header)
      payload.fill(0x2e, header.length)
    }
    const timestamp = new Date()
    const wire = await this.encoderFor(contentTopic).toProtoObj({ payload, timestamp })
    if (wire == null) throw new Error('js-waku could not encode the message')
    const hash = core.messageHashStr(this.config.pubsubTopic, wire)
    this.history.add(hash)
    record('sent', { msgId, hash, contentTopic, bytes: payload.length, clicked })
    this.show(text, msgId, hash, true)
    this.outbox.push({ msgId, hash, payload, timestamp, contentTopic })
    if (navigator.onLine) await this.flush()
  }

  private async flush(): Promise<void> {
    if (this.flushing) return
    this.flushing = true
    try {
      while (this.outbox.length > 0 && navigator.onLine) {
        const next = this.outbox[0]
        const result = await this.node.lightPush.send(this.encoderFor(next.contentTopic), { payload: next.payload, timestamp: next.timestamp })
        const failures = result.failures?.map((f) => String(f.error)).join(',')
        record('pushed', {
          msgId: next.msgId,
          hash: next.hash,
          ok: result.successes.length > 0,
          peers: result.successes.length,
          error: failures === '' ? undefined : failures
        })
        if (result.successes.length === 0) break
        this.outbox.shift()
      }
    } finally {
      this.flushing = false
    }
  }

  /** Returns the message's encoded size. */
  private arrived(message: IDecodedMessage, via: 'filter' | 'store'): number {
    const bytes = proto.WakuMessage.encode({
      payload: message.payload,
      contentTopic: message.contentTopic,
      version: message.version,
      timestamp: message.timestamp == null ? undefined : BigInt(message.timestamp.valueOf()) * 1_000_000n,
      meta: message.meta,
      ephemeral: message.ephemeral,
      rateLimitProof: undefined
    }).byteLength
    const end = message.payload.indexOf(0x0a)
    const line = end < 0 ? '' : decoder.decode(message.payload.subarray(0, end))
    if (!line.startsWith(MAGIC)) return bytes
    let body: { id?: string; from?: string; text?: string }
    try {
      body = JSON.parse(line.slice(MAGIC.length))
    } catch {
      return bytes
    }
    if (body.from === this.config.device || body.id == null) return bytes
    const every = this.config.dropEvery
    if (every != null && every > 0 && ++this.arrivals % every === 0) return bytes
    const hash = message.hashStr
    const duplicate = this.history.has(hash)
    record('arrival', { msgId: body.id, hash, via, bytes, duplicate, from: body.from })
    if (!duplicate) {
      this.history.add(hash)
      this.show(`${body.from}: ${body.text ?? body.id}`, body.id, hash, false)
    }
    return bytes
  }

  private show(text: string, msgId: string, hash: string, mine: boolean): void {
    const item = document.createElement('li')
    item.textContent = text
    item.dataset.kind = 'message'
    item.dataset.msgId = msgId
    item.dataset.hash = hash
    if (mine) item.className = 'mine'
    messages.append(item)
    item.scrollIntoView({ block: 'end' })
    // the frame that paints it: rAF runs right before that frame's style, layout and paint
    requestAnimationFrame(() => {
      item.dataset.rendered = String(now())
    })
  }

  private encoderFor(contentTopic: string): IEncoder {
    let found = this.encoders.get(contentTopic)
    if (found == null) {
      found = this.node.createEncoder({ contentTopic, shardId: this.config.shardId })
      this.encoders.set(contentTopic, found)
    }
    return found
  }
}

async function main(): Promise<void> {
  const config = (await (await fetch('config.json')).json()) as PageConfig
  const drop = new URLSearchParams(location.search).get('drop')
  if (drop != null) config.dropEvery = Number(drop)
  $('who').textContent = config.device
  for (const topic of config.contentTopics) topicSelect.append(new Option(topic, topic))
  const node = await createLightNode({
    defaultBootstrap: false,
    bootstrapPeers: config.bootstrap,
    networkConfig: { clusterId: config.clusterId },
    numPeersToUse: config.peers,
    // ws:// on loopback: js-waku dials only wss:// unless told otherwise
    libp2p: { filterMultiaddrs: false }
  })
  record('identity', { peerId: node.libp2p.peerId.toString() })
  const chat = new Chat(node, config)
  ;(window as unknown as { courierChat: Chat }).courierChat = chat
  window.addEventListener('offline', () => {
    void chat.wentOffline()
  })
  window.addEventListener('online', () => {
    void chat.cameOnline()
  })
  $('composer').addEventListener('submit', (event) => {
    event.preventDefault()
    const text = textInput.value
    const msgId = idInput.value !== '' ? idInput.value : `${config.device}-${Date.now()}`
    const size = Number(sizeInput.value) > 0 ? Number(sizeInput.value) : encoder.encode(text).length
    textInput.value = ''
    idInput.value = ''
    void chat.send(text, msgId, size, topicSelect.value).catch((error: unknown) => {
      record('error', { error: errorText(error) })
    })
  })
  await chat.join()
  textInput.disabled = false
  sendButton.disabled = false
  setState('online')
}

main().catch((error: unknown) => {
  setState('failed', errorText(error))
})

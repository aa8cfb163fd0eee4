/**
 * The js-waku device's own process: a @waku/sdk light node, driven over node's IPC channel
 * (ipc.ts). Run with `--import dist/harness/polyfill.js` on Node 20. It only reports what js-waku
 * did: it adds no recovery of its own (a lost subscription, a dead store are js-waku's to handle).
 *
 * COURIER_JSWAKU_BROKEN (tests only) makes a broken client: `ignore-offline` keeps its connections
 * when told to go offline; `drop-third` never hands every third pushed message to the app.
 */
import { performance } from 'node:perf_hooks'
import type { Socket } from 'node:net'
import { createLightNode, Protocols, type IDecodedMessage, type IDecoder, type LightNode } from '@waku/sdk'
import { tcp } from '@libp2p/tcp-v10'
import { yamux } from '@chainsafe/libp2p-yamux-v7'
import {
  decodePayload,
  identityPrivateKey,
  messageHashHex,
  protocolName,
  SocketAccounting,
  socketAccountingMetrics,
  WakuMessage,
  hexToBytes
} from '../../harness/protocol/index.js'
import type { ChildMessage, ChildStartInit, ParentCommand, QueryResult, SendResult } from './ipc.js'

const broken = process.env.COURIER_JSWAKU_BROKEN ?? ''
const now = (): number => performance.now()

function post(message: ChildMessage): void {
  if (process.connected) process.send?.(message)
}

/** The events socket accounting produces, forwarded with the child's clock. */
const forward = {
  emit(type: string, data: Record<string, unknown>): void {
    post({ kind: 'event', t: now(), type, data })
  }
}

let node: LightNode | undefined
let init: ChildStartInit | undefined
let pubsubTopic = ''
let decoders: Array<IDecoder<IDecodedMessage>> = []
let offline = false
let accounting: SocketAccounting | undefined
let pushed = 0
/** The peer of the last store stream js-waku opened, and store-protocol bytes so far. */
let storePeer: string | undefined
let storeBytes = 0

async function start(options: ChildStartInit): Promise<{ peerId: string }> {
  init = options
  pubsubTopic = `/waku/2/rs/${options.clusterId}/${options.shard}`
  if (options.accounting) accounting = new SocketAccounting({ owner: options.owner, events: forward as never, chunks: true })
  const privateKey = identityPrivateKey(options.identitySeed)
  node = await createLightNode({
    defaultBootstrap: false,
    bootstrapPeers: options.bootstrap,
    // how a js-waku app names its store nodes: kept apart from bootstrap, since js-waku keeps at
    // most 3 bootstrap connections and would drop the stores' among them
    store: { peers: options.storePeers },
    networkConfig: { clusterId: options.clusterId, shards: [options.shard] } as never,
    numPeersToUse: options.numPeers,
    libp2p: {
      // js-waku's defaults are WebSockets and mplex; courier's fleet speaks TCP and yamux. Both come
      // from the libp2p 2 line @waku/sdk 0.0.36 is built on (the fleet's own libp2p 3 ones do not fit).
      transports: [accountedTcp()],
      streamMuxers: [yamux()],
      privateKey: privateKey as never,
      hideWebSocketInfo: true,
      // offline: nothing may be dialled, as on a phone without network
      connectionGater: { denyDialMultiaddr: async () => offline, denyDialPeer: async () => offline },
      metrics: options.accounting ? ((() => streamMetrics()) as never) : undefined
    } as never
  })
  const deadline = AbortSignal.timeout(options.startTimeoutMs)
  await node.waitForPeers([Protocols.Filter, Protocols.LightPush], options.startTimeoutMs)
  decoders = options.contentTopics.map((contentTopic) => node!.createDecoder({ contentTopic, shardId: options.shard }))
  const subscribed = await Promise.race([
    node.filter.subscribe(decoders, (message) => {
      onFilterMessage(message)
    }),
    new Promise<boolean>((resolve) => {
      deadline.addEventListener('abort', () => {
        resolve(false)
      })
    })
  ])
  if (!subscribed) throw new Error('js-waku made no FILTER subscription at start')
  watchSubscription()
  return { peerId: node.libp2p.peerId.toString() }
}

/** The TCP transport, with each socket it opens counted by courier's socket accounting. */
function accountedTcp(): ReturnType<typeof tcp> {
  const factory = tcp()
  return (components) => {
    const transport = factory(components) as unknown as { _connect: (ma: unknown, options: unknown) => Promise<Socket> }
    const connect = transport._connect.bind(transport)
    transport._connect = async (ma, options) => {
      const socket = await connect(ma, options)
      accounting?.trackMultiaddrConnection({ socket, remoteAddr: ma } as never)
      return socket
    }
    return transport as never
  }
}

/** libp2p 2's `Metrics`: per-protocol stream bytes (libp2p 2 streams are source/sink pairs). */
function streamMetrics(): unknown {
  const counters = new Map<string, { up: number; down: number }>()
  const owner = init?.owner ?? 'js-waku'
  const timer = setInterval(() => {
    for (const [protocol, c] of counters) {
      if (c.up === 0 && c.down === 0) continue
      forward.emit('bytes.sample', { owner, connId: `${owner}#streams`, protocol, up: c.up, down: c.down })
      c.up = 0
      c.down = 0
    }
  }, 1000)
  timer.unref()
  return {
    ...socketAccountingMetrics(accounting!),
    trackMultiaddrConnection: () => {},
    trackProtocolStream: (
      stream: { protocol?: string; source: AsyncIterable<{ byteLength: number }>; sink: (source: AsyncIterable<{ byteLength: number }>) => Promise<void> },
      connection: { remotePeer: { toString: () => string } }
    ) => {
      if (stream.protocol == null) return
      const isStore = stream.protocol.startsWith('/vac/waku/store')
      if (isStore) storePeer = connection.remotePeer.toString()
      const name = protocolName(stream.protocol)
      const counter = counters.get(name) ?? { up: 0, down: 0 }
      counters.set(name, counter)
      const source = stream.source
      stream.source = (async function* () {
        for await (const chunk of source) {
          counter.down += chunk.byteLength
          if (isStore) storeBytes += chunk.byteLength
          yield chunk
        }
      })()
      const sink = stream.sink.bind(stream)
      stream.sink = async (from) => {
        await sink(
          (async function* () {
            for await (const chunk of from) {
              counter.up += chunk.byteLength
              if (isStore) storeBytes += chunk.byteLength
              yield chunk
            }
          })()
        )
      }
    }
  }
}

function onFilterMessage(message: IDecodedMessage): void {
  pushed++
  if (broken === 'drop-third' && pushed % 3 === 0) return
  report(message, 'filter')
}

function report(message: IDecodedMessage, via: 'filter' | 'store'): void {
  const proto = (message as unknown as { proto: WakuMessage }).proto
  const payload = decodePayload(message.payload)
  post({
    kind: 'message',
    t: now(),
    via,
    hash: messageHashHex(pubsubTopic, proto),
    msgId: payload?.id,
    from: payload?.from,
    contentTopic: message.contentTopic,
    bytes: WakuMessage.encode(proto).byteLength
  })
}

/**
 * Reports changes of js-waku's own set of filter peers by watching its Subscription object (SDK
 * internals, read only): a subscribe request's outcome, and a peer dropped from the set.
 */
function watchSubscription(): void {
  const subscription = (
    node!.filter as unknown as {
      subscriptions: Map<string, { peers: Map<string, unknown>; requestSubscribe: (peer: unknown, topics: string[]) => Promise<boolean> }>
    }
  ).subscriptions.get(pubsubTopic)
  if (subscription == null) return
  for (const peer of subscription.peers.keys()) post({ kind: 'filter', t: now(), peer, state: 'subscribed' })
  const request = subscription.requestSubscribe.bind(subscription)
  subscription.requestSubscribe = async (peer, topics) => {
    const ok = await request(peer, topics)
    post({ kind: 'filter', t: now(), peer: String(peer), state: ok ? 'subscribed' : 'failed', reason: ok ? undefined : 'subscribe request failed' })
    return ok
  }
  const peers = subscription.peers
  const remove = peers.delete.bind(peers)
  const lost = (peer: string): void => {
    const connected = node?.libp2p.getConnections().some((c) => c.remotePeer.toString() === peer && c.status === 'open') === true
    post({ kind: 'filter', t: now(), peer, state: 'lost', reason: connected ? 'pings failed' : 'connection closed' })
  }
  peers.delete = (peer: string) => {
    const had = remove(peer)
    if (had) lost(peer)
    return had
  }
  const clear = peers.clear.bind(peers)
  peers.clear = () => {
    for (const peer of peers.keys()) lost(peer)
    clear()
  }
}

async function send(contentTopic: string, payloadHex: string, timestampMs: number): Promise<SendResult> {
  if (node == null) throw new Error('not started')
  const encoder = node.createEncoder({ contentTopic, shardId: init!.shard })
  const result = await node.lightPush.send(encoder, { payload: hexToBytes(payloadHex), timestamp: new Date(timestampMs) })
  return {
    successes: result.successes.map(String),
    failures: result.failures.map((f) => ({ peer: f.peerId?.toString(), error: String(f.error) }))
  }
}

async function network(online: boolean): Promise<void> {
  if (broken === 'ignore-offline' || node == null) return
  offline = !online
  if (online) return
  // a phone losing its network: every connection dies at once, nothing said to the other side
  await Promise.all(
    node.libp2p.getConnections().map(async (connection) => {
      connection.abort(new Error('offline'))
    })
  )
}

async function query(timeStartMs: number | undefined, timeoutMs: number): Promise<QueryResult> {
  if (node == null) throw new Error('not started')
  const startedT = now()
  storePeer = undefined
  const bytesBefore = storeBytes
  let messages = 0
  let pages = 0
  const end = Date.now()
  const window = timeStartMs == null ? {} : { timeStart: new Date(Math.max(timeStartMs, end - 23 * 3600_000)), timeEnd: new Date(end + 60_000) }
  const work = (async () => {
    for await (const page of node!.store.queryGenerator(decoders, window)) {
      pages++
      for (const pending of page) {
        const message = await pending
        if (message == null) continue
        messages++
        report(message, 'store')
      }
    }
  })()
  try {
    await Promise.race([
      work,
      new Promise((_resolve, reject) => {
        setTimeout(() => {
          reject(new Error(`no answer within ${timeoutMs} ms`))
        }, timeoutMs).unref()
      })
    ])
    return { startedT, store: storePeer, messages, pages, bytes: storeBytes - bytesBefore }
  } catch (error) {
    work.catch(() => {})
    return { startedT, store: storePeer, messages, pages, bytes: storeBytes - bytesBefore, error: error instanceof Error ? error.message : String(error) }
  }
}

async function stop(): Promise<void> {
  const current = node
  node = undefined
  await current?.stop().catch(() => {})
  accounting?.stop()
}

async function handle(command: ParentCommand): Promise<unknown> {
  switch (command.cmd) {
    case 'clock':
      return { now: now() }
    case 'start':
      return await start(command.init)
    case 'send':
      return await send(command.contentTopic, command.payloadHex, command.timestampMs)
    case 'network':
      return await network(command.online)
    case 'query':
      return await query(command.timeStartMs, command.timeoutMs)
    case 'stop':
      return await stop()
  }
}

process.on('message', (command: ParentCommand) => {
  handle(command)
    .then(
      (result) => {
        post({ kind: 'reply', id: command.id, t: now(), ok: true, result })
      },
      (error: unknown) => {
        post({ kind: 'reply', id: command.id, t: now(), ok: false, error: error instanceof Error ? error.message : String(error) })
      }
    )
    .finally(() => {
      if (command.cmd === 'stop' && process.connected) process.disconnect?.()
    })
})
// js-waku and libp2p reject promises nobody awaits (a dial to a dead node); the app logs them
process.on('unhandledRejection', (error) => {
  post({ kind: 'log', t: now(), level: 'warn', message: `unhandled rejection: ${String(error)}` })
})
// the runner went away (killed): a device must not outlive it
process.on('disconnect', () => {
  setTimeout(() => {
    process.exit(0)
  }, 1500).unref()
  void stop().finally(() => {
    process.exit(0)
  })
})

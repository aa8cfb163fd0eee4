import type { Socket } from 'node:net'
import type { Metrics, MultiaddrConnection, Stream } from '@libp2p/interface'
import type { EventSink } from '../interface/index.js'

/** Which scenario-level protocol a libp2p protocol id belongs to. */
export function protocolName(protocolId: string): string {
  if (protocolId.startsWith('/vac/waku/relay') || protocolId.startsWith('/meshsub') || protocolId.startsWith('/floodsub')) return 'relay'
  if (protocolId.startsWith('/vac/waku/store')) return 'store'
  if (protocolId.startsWith('/vac/waku/lightpush')) return 'lightpush'
  if (protocolId.startsWith('/vac/waku/filter')) return 'filter'
  if (protocolId.startsWith('/vac/waku/metadata')) return 'metadata'
  if (protocolId.startsWith('/vac/waku/peer-exchange')) return 'peer-exchange'
  if (protocolId.startsWith('/ipfs/id/')) return 'identify'
  if (protocolId.startsWith('/ipfs/ping/')) return 'ping'
  return 'other'
}

export interface SocketAccountingInit {
  owner: string
  events: EventSink
  /** Emit one `bytes.chunk` event per socket read/write (devices, for energy models). */
  chunks?: boolean
  intervalMs?: number
}

interface Counter {
  connId: string
  protocol: string
  up: number
  down: number
}
interface TrackedSocket {
  socket: Socket
  counter: Counter
  flushedUp: number
  sentUp: number
  sentDown: number
}

let nextConnection = 0

/**
 * A libp2p `Metrics` implementation that counts bytes per connection and per protocol stream of
 * one node (libp2p's own metrics are process-global). Connection bytes come from the TCP socket's
 * counters, so they equal what a packet capture sees as TCP payload; protocol bytes are what each
 * protocol's streams carried inside noise and yamux.
 */
export class SocketAccounting implements Pick<Metrics, 'trackMultiaddrConnection' | 'trackProtocolStream'> {
  private readonly counters = new Map<string, Counter>()
  private readonly timer: NodeJS.Timeout
  private readonly sockets = new Set<TrackedSocket>()

  constructor(private readonly init: SocketAccountingInit) {
    this.timer = setInterval(() => {
      this.flush()
    }, init.intervalMs ?? 1000)
    this.timer.unref()
  }

  trackMultiaddrConnection(maConn: MultiaddrConnection): void {
    const socket = (maConn as unknown as { socket?: Socket }).socket
    if (socket == null) return
    const connId = `${this.init.owner}#${++nextConnection}`
    const owner = this.init.owner
    this.init.events.emit('conn.open', {
      owner,
      remote: maConn.remoteAddr.toString(),
      localAddr: `${socket.localAddress ?? '?'}:${socket.localPort ?? '?'}`,
      remoteAddr: `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`,
      connId
    })
    // Outbound bytes count when Node hands them to the kernel (the write's callback succeeds), so a
    // write into a socket that is torn down first is not counted: it never reached the wire.
    // Inbound bytes are what the socket read. libp2p's message events are not used: the upgrader
    // re-queues bytes it peeked at, which would count them twice.
    const counter: Counter = { connId, protocol: 'wire', up: 0, down: 0 }
    const tracked: TrackedSocket = { socket, counter, flushedUp: 0, sentUp: 0, sentDown: 0 }
    this.sockets.add(tracked)
    const chunks = this.init.chunks === true
    if (chunks)
      socket.on('data', (data: Buffer) => {
        this.init.events.emit('bytes.chunk', { owner, connId, direction: 'down', bytes: data.byteLength })
      })
    const write = socket.write.bind(socket) as (chunk: unknown, ...rest: unknown[]) => boolean
    socket.write = ((chunk: unknown, ...rest: unknown[]) => {
      const bytes = typeof chunk === 'string' ? Buffer.byteLength(chunk) : (chunk as Uint8Array).byteLength
      const callerCallback = rest.find((arg): arg is (error?: Error | null) => void => typeof arg === 'function')
      const args = rest.filter((arg) => typeof arg !== 'function')
      return write(chunk, ...args, (error?: Error | null) => {
        if (error == null) {
          tracked.flushedUp += bytes
          if (chunks) this.init.events.emit('bytes.chunk', { owner, connId, direction: 'up', bytes })
        }
        callerCallback?.(error)
      })
    }) as typeof socket.write
    socket.once('close', () => {
      this.sample(tracked)
      this.emitCounter(counter)
      this.sockets.delete(tracked)
      this.init.events.emit('conn.close', { owner, connId, bytesUp: tracked.flushedUp, bytesDown: socket.bytesRead })
    })
  }

  private sample(tracked: TrackedSocket): void {
    const { socket, counter } = tracked
    counter.up += tracked.flushedUp - tracked.sentUp
    counter.down += socket.bytesRead - tracked.sentDown
    tracked.sentUp = tracked.flushedUp
    tracked.sentDown = socket.bytesRead
  }

  private emitCounter(counter: Counter): void {
    if (counter.up === 0 && counter.down === 0) return
    this.init.events.emit('bytes.sample', { owner: this.init.owner, connId: counter.connId, protocol: counter.protocol, up: counter.up, down: counter.down })
    counter.up = 0
    counter.down = 0
  }

  trackProtocolStream(stream: Stream): void {
    if (stream.protocol == null) return
    this.wrap(stream, `${this.init.owner}#streams`, protocolName(stream.protocol))
  }

  /** Emits what was counted since the last flush. */
  flush(): void {
    for (const tracked of this.sockets) {
      this.sample(tracked)
      this.emitCounter(tracked.counter)
    }
    for (const counter of this.counters.values()) this.emitCounter(counter)
  }

  stop(): void {
    clearInterval(this.timer)
    this.flush()
  }

  // Wrapping dispatchEvent rather than adding a 'message' listener keeps libp2p's buffering
  // intact (a listener would drain a stream before its protocol handler attached), as
  // @libp2p/prometheus-metrics does.
  private wrap(target: Stream, connId: string, protocol: string): void {
    const key = `${connId}/${protocol}`
    const counter = this.counters.get(key) ?? { connId, protocol, up: 0, down: 0 }
    this.counters.set(key, counter)
    const dispatch = target.dispatchEvent.bind(target)
    target.dispatchEvent = (event: Event) => {
      if (event.type === 'message') {
        const bytes = (event as Event & { data: { byteLength: number } }).data.byteLength
        counter.down += bytes
      }
      return dispatch(event)
    }
    const send = target.send.bind(target)
    target.send = (data) => {
      counter.up += data.byteLength
      return send(data)
    }
  }
}

/** The full `Metrics` object libp2p wants: courier counts bytes and ignores component metrics. */
export function socketAccountingMetrics(accounting: SocketAccounting): Metrics {
  const noop = (): unknown => ({ update() {}, increment() {}, decrement() {}, reset() {}, observe() {}, timer: () => () => {} })
  return {
    trackMultiaddrConnection: (maConn: MultiaddrConnection) => {
      accounting.trackMultiaddrConnection(maConn)
    },
    trackProtocolStream: (stream: Stream) => {
      accounting.trackProtocolStream(stream)
    },
    registerMetric: noop,
    registerMetricGroup: noop,
    registerCounter: noop,
    registerCounterGroup: noop,
    registerHistogram: noop,
    registerHistogramGroup: noop,
    registerSummary: noop,
    registerSummaryGroup: noop,
    createTrace: () => undefined,
    traceFunction: (_name: string, fn: unknown) => fn
  } as unknown as Metrics
}

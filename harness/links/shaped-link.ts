// A transparent TCP relay that shapes the bytes crossing it: the userspace backend, which works on
// any machine because it needs no kernel support (no netem here). Semantics in README.md.
import net from 'node:net'
import { performance } from 'node:perf_hooks'
import { InfrastructureError } from '../interface/index.js'
import { checkLinkProfile, MIN_RTO_MS, retransmissionTimeoutMs, type LinkProfile, type LinkProfiles } from './profile.js'
import { streamRandom } from '../interface/random.js'
import { maxPieceBytes, schedulePiece, type Serializer, type StreamState } from './schedule.js'

/** Where the shaped link forwards to. */
export interface LinkTarget {
  host: string
  port: number
}

/** Options of startShapedLink. */
export interface ShapedLinkInit {
  /** The real endpoint (a relay or store node's TCP listener). */
  target: LinkTarget
  /** Dialer to target. */
  up: LinkProfile
  /** Target to dialer. */
  down: LinkProfile
  /** Default 127.0.0.1. */
  listenHost?: string
  /** Default 0 (an ephemeral port; read it from `ShapedLink.port`). */
  listenPort?: number
  /** Seed of the jitter and loss decisions; default 1. */
  seed?: number
  /** Floor of the retransmission timeout a lost segment costs; default 200 (Linux's TCP_RTO_MIN). */
  minRtoMs?: number
  /**
   * Bytes one direction of one connection may hold before the relay stops reading from the
   * sender (TCP flow control then pushes back on it). Default: one second of the direction's
   * rate, at least 64 KiB; 4 MiB when the rate is unlimited.
   */
  queueLimitBytes?: number
  /**
   * Share the bandwidth bottleneck with other links (createBottleneck()): one device's radio in
   * front of several nodes. Give the sharing links the same bandwidth settings.
   */
  bottleneck?: Bottleneck
  /** Aborting closes the link, as close() does. */
  signal?: AbortSignal
  /**
   * Called when a connection reaches the target, with both of the relay's legs as `ip:port` of
   * the far end (`dialer`) and of the relay's own socket towards the target (`upstream`): a
   * capture sees the second leg as a connection of its own, and only this says whose it is.
   */
  onConnection?: (legs: { dialer: string; upstream: string }) => void
}

/** A per-direction bandwidth bottleneck that several links can share. */
export interface Bottleneck {
  readonly up: Serializer
  readonly down: Serializer
}

/** A fresh bottleneck for links that should share one rate (e.g. one device's radio). */
export function createBottleneck(): Bottleneck {
  return { up: { freeAt: 0 }, down: { freeAt: 0 } }
}

/** What setBlocked does to connections that are open, and to new ones, while blocked. */
export interface BlockOptions {
  /**
   * `reset` (default): open connections are reset at once on both sides, so both ends see the
   * break. `stall`: they stay open and silent; bytes sent meanwhile are held and delivered, in
   * order, when the block lifts (as TCP's retransmissions would after a short partition).
   */
  existing?: 'reset' | 'stall'
  /**
   * `blackhole` (default): new connections are accepted by the kernel but nothing flows and the
   * target is not dialled until the block lifts (like SYNs into a partition; the dialer's own
   * timeouts decide). `reset`: new connections are reset as soon as they are accepted.
   */
  incoming?: 'blackhole' | 'reset'
}

/** Running totals of one direction. Times in ms. */
export interface DirectionStats {
  /** Bytes read from the sender. */
  bytes: number
  /** Bytes written to the receiver. */
  deliveredBytes: number
  /** Reads from the sender (TCP chunks as the relay saw them). */
  chunks: number
  /** Pieces scheduled (chunks cut to the rate limiter's granularity). */
  pieces: number
  /** ~1460-byte segments the pieces were counted as, for loss decisions. */
  segments: number
  /** Segments lost (each one costs its piece an RTO). */
  lossEvents: number
  /** Pieces held back by an RTO. */
  delayedPieces: number
  /** Sum of RTOs added. */
  lossDelayMs: number
  /** Added delay of pieces (deliverAt - arrival), including queueing, jitter, loss and order holds. */
  delayMs: { count: number; total: number; max: number }
  /** Time pieces waited for the bottleneck before serialisation began. */
  queueingMs: { total: number; max: number }
  /** Scheduled but not yet written, now. */
  queuedBytes: number
  /** Highest queuedBytes seen on one connection. */
  maxQueuedBytes: number
}

/** A snapshot of a shaped link's counters. */
export interface ShapedLinkStats {
  connections: {
    /** Accepted by the listener (including ones held or reset while blocked). */
    accepted: number
    /** Forwarding now. */
    active: number
    /** Accepted while blocked and waiting for the block to lift. */
    held: number
    /** Reset on arrival while blocked (incoming: 'reset'). */
    rejected: number
    /** Reset by setBlocked (existing: 'reset'). */
    reset: number
    /** The target refused or failed; the dialer's side was reset. */
    targetFailed: number
  }
  up: DirectionStats
  down: DirectionStats
  /** The RTO a loss costs with the current profiles. */
  rtoMs: number
  blocked: boolean
}

/** A running shaped link: dial `host:port` instead of the target. */
export interface ShapedLink {
  readonly host: string
  readonly port: number
  readonly target: LinkTarget
  /** The profiles in force. */
  profiles: () => LinkProfiles
  /** Changes the profiles live; pieces read from now on use them (ones already scheduled keep their times). */
  update: (up: LinkProfile, down: LinkProfile) => void
  /** Blocks (a partition) or unblocks the link; see BlockOptions. */
  setBlocked: (blocked: boolean, options?: BlockOptions) => void
  readonly blocked: boolean
  stats: () => ShapedLinkStats
  /** Closes the listener and every socket; resolves when the listener is closed. Idempotent. */
  close: () => Promise<void>
}

interface QueuedPiece {
  at: number
  data: Buffer
}

async function socketClosed(socket: net.Socket): Promise<void> {
  if (socket.closed) return
  await new Promise<void>((resolve) =>
    socket.once('close', () => {
      resolve()
    })
  )
}

function emptyDirectionStats(): DirectionStats {
  return {
    bytes: 0,
    deliveredBytes: 0,
    chunks: 0,
    pieces: 0,
    segments: 0,
    lossEvents: 0,
    delayedPieces: 0,
    lossDelayMs: 0,
    delayMs: { count: 0, total: 0, max: 0 },
    queueingMs: { total: 0, max: 0 },
    queuedBytes: 0,
    maxQueuedBytes: 0
  }
}

// Pieces due within this much are written now: Node's timers can fire up to ~1 ms early against
// performance.now(), and re-arming for a fraction of a millisecond would cost a whole extra tick.
const EARLY_MS = 0.5

/** Starts a shaped TCP relay in front of `init.target`. */
export async function startShapedLink(init: ShapedLinkInit): Promise<ShapedLink> {
  init.signal?.throwIfAborted()
  const link = new Link(init)
  await link.listen()
  return link.api()
}

class Link {
  readonly target: LinkTarget
  readonly listenHost: string
  readonly seed: number
  readonly minRtoMs: number
  readonly queueLimitOverride: number | undefined
  up: Readonly<LinkProfile>
  down: Readonly<LinkProfile>
  rtoMs: number
  blocked = false
  stalled = false
  incoming: 'blackhole' | 'reset' = 'blackhole'
  closed = false
  port = 0
  readonly serializers: Bottleneck
  readonly stats = { up: emptyDirectionStats(), down: emptyDirectionStats() }
  readonly counts = { accepted: 0, rejected: 0, reset: 0, targetFailed: 0 }
  readonly connections = new Set<Connection>()
  readonly held = new Set<net.Socket>()
  nextConnectionId = 0
  readonly server: net.Server
  closing: Promise<void> | undefined
  readonly signal: AbortSignal | undefined
  readonly onAbort = (): void => {
    void this.close()
  }

  constructor(readonly init: ShapedLinkInit) {
    this.target = { host: init.target?.host, port: init.target?.port }
    if (typeof this.target.host !== 'string' || this.target.host === '')
      throw new RangeError(`target.host: expected a host name or address, found ${String(this.target.host)}`)
    if (!Number.isInteger(this.target.port) || this.target.port <= 0 || this.target.port > 65535)
      throw new RangeError(`target.port: expected a TCP port 1..65535, found ${String(this.target.port)}`)
    this.up = checkLinkProfile(init.up, 'up')
    this.down = checkLinkProfile(init.down, 'down')
    this.listenHost = init.listenHost ?? '127.0.0.1'
    this.seed = init.seed ?? 1
    this.minRtoMs = init.minRtoMs ?? MIN_RTO_MS
    if (!(this.minRtoMs >= 0)) throw new RangeError(`minRtoMs: expected a number >= 0, found ${String(init.minRtoMs)}`)
    if (init.queueLimitBytes != null && !(init.queueLimitBytes > 0))
      throw new RangeError(`queueLimitBytes: expected a number > 0, found ${String(init.queueLimitBytes)}`)
    this.queueLimitOverride = init.queueLimitBytes
    this.rtoMs = retransmissionTimeoutMs(this.up, this.down, this.minRtoMs)
    this.signal = init.signal
    this.serializers = init.bottleneck ?? createBottleneck()
    this.server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true }, (socket) => {
      this.accept(socket)
    })
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error): void => {
        reject(new InfrastructureError(`shaped link: cannot listen on ${this.listenHost}:${this.init.listenPort ?? 0}: ${err.message}`, { cause: err }))
      }
      this.server.once('error', onError)
      this.server.listen(this.init.listenPort ?? 0, this.listenHost, () => {
        this.server.off('error', onError)
        resolve()
      })
    })
    // A listener error after start (rare: EMFILE on accept) must not crash the run; the dialer sees it.
    this.server.on('error', () => {})
    const address = this.server.address()
    if (address == null || typeof address === 'string') throw new InfrastructureError('shaped link: listener has no TCP address')
    this.port = address.port
    if (this.signal != null) {
      if (this.signal.aborted) {
        await this.close()
        this.signal.throwIfAborted()
      }
      this.signal.addEventListener('abort', this.onAbort, { once: true })
    }
  }

  profileOf(direction: 'up' | 'down'): Readonly<LinkProfile> {
    return direction === 'up' ? this.up : this.down
  }

  queueLimit(direction: 'up' | 'down'): number {
    if (this.queueLimitOverride != null) return this.queueLimitOverride
    const bps = this.profileOf(direction).bandwidthBps
    return bps > 0 ? Math.max(65536, bps / 8) : 4 * 1024 * 1024
  }

  accept(socket: net.Socket): void {
    this.counts.accepted++
    socket.on('error', () => {}) // reported through 'close' (hadError); never crash the harness
    if (this.closed) {
      socket.destroy()
      return
    }
    if (this.blocked) {
      if (this.incoming === 'reset') {
        this.counts.rejected++
        socket.resetAndDestroy()
        return
      }
      this.held.add(socket)
      socket.once('close', () => {
        this.held.delete(socket)
      })
      return // pauseOnConnect keeps its bytes in the kernel until the block lifts
    }
    this.forward(socket)
  }

  forward(client: net.Socket): void {
    const connection = new Connection(this, this.nextConnectionId++, client)
    this.connections.add(connection)
    connection.start()
  }

  update(up: LinkProfile, down: LinkProfile): void {
    const u = checkLinkProfile(up, 'up')
    const d = checkLinkProfile(down, 'down')
    this.up = u
    this.down = d
    this.rtoMs = retransmissionTimeoutMs(u, d, this.minRtoMs)
    for (const c of this.connections) c.afterUpdate()
  }

  setBlocked(blocked: boolean, options: BlockOptions = {}): void {
    if (this.closed) return
    if (blocked) {
      this.blocked = true
      this.incoming = options.incoming ?? 'blackhole'
      if ((options.existing ?? 'reset') === 'reset') {
        for (const c of [...this.connections]) {
          this.counts.reset++
          c.reset()
        }
      } else {
        this.stalled = true
        for (const c of this.connections) c.stall()
      }
      if (this.incoming === 'reset') {
        for (const s of [...this.held]) {
          this.counts.rejected++
          s.resetAndDestroy()
        }
      }
      return
    }
    if (!this.blocked) return
    this.blocked = false
    this.stalled = false
    for (const c of this.connections) c.unstall()
    const held = [...this.held]
    this.held.clear()
    for (const socket of held) if (!socket.destroyed) this.forward(socket)
  }

  snapshot(): ShapedLinkStats {
    let active = 0
    for (const c of this.connections) if (!c.done) active++
    const copy = (s: DirectionStats): DirectionStats => ({ ...s, delayMs: { ...s.delayMs }, queueingMs: { ...s.queueingMs } })
    return {
      connections: {
        accepted: this.counts.accepted,
        active,
        held: this.held.size,
        rejected: this.counts.rejected,
        reset: this.counts.reset,
        targetFailed: this.counts.targetFailed
      },
      up: copy(this.stats.up),
      down: copy(this.stats.down),
      rtoMs: this.rtoMs,
      blocked: this.blocked
    }
  }

  async close(): Promise<void> {
    if (this.closing != null) return await this.closing
    this.closed = true
    this.signal?.removeEventListener('abort', this.onAbort)
    const sockets: net.Socket[] = [...this.held]
    for (const c of this.connections) sockets.push(c.client, c.server)
    const listenerClosed = new Promise<void>((resolve) => {
      this.server.close(() => {
        resolve()
      })
    })
    for (const c of [...this.connections]) c.destroy()
    for (const s of this.held) s.destroy()
    this.held.clear()
    // Resolve only when every socket has really gone, so "closed" means no handle is left behind.
    this.closing = Promise.all([listenerClosed, ...sockets.map(socketClosed)]).then(() => {})
    await this.closing
  }

  api(): ShapedLink {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const link = this
    return {
      host: this.listenHost,
      port: this.port,
      target: { ...this.target },
      profiles: () => ({ up: { ...link.up }, down: { ...link.down } }),
      update: (up, down) => {
        link.update(up, down)
      },
      setBlocked: (blocked, options) => {
        link.setBlocked(blocked, options)
      },
      get blocked() {
        return link.blocked
      },
      stats: () => link.snapshot(),
      close: async () => {
        await link.close()
      }
    }
  }
}

class Connection {
  readonly server: net.Socket
  readonly up: Pipe
  readonly down: Pipe
  done = false

  constructor(
    readonly link: Link,
    readonly id: number,
    readonly client: net.Socket
  ) {
    // Created but not connected until start(), so both pipes can be wired first.
    this.server = new net.Socket({ allowHalfOpen: true })
    this.up = new Pipe(link, this, 'up', client, this.server)
    this.down = new Pipe(link, this, 'down', this.server, client)
  }

  start(): void {
    const { client, server, link } = this
    client.setNoDelay(true)
    server.setNoDelay(true)
    server.on('error', () => {})
    let connected = false
    server.once('connect', () => {
      connected = true
      try {
        link.init.onConnection?.({
          dialer: `${client.remoteAddress ?? '?'}:${client.remotePort ?? '?'}`,
          upstream: `${server.localAddress ?? '?'}:${server.localPort ?? '?'}`
        })
      } catch {
        // an observer's mistake must not take a connection (or the harness) down
      }
    })
    for (const socket of [client, server]) {
      socket.once('close', (hadError: boolean) => {
        if (this.done) return
        if (socket === server && !connected) {
          link.counts.targetFailed++
          this.reset()
          return
        }
        if (hadError) {
          this.reset()
          return
        }
        // A clean close means both halves ended; anything still in flight towards it would meet
        // a reset from its kernel, and a write error here resets the other side in turn.
        this.checkDone()
      })
    }
    this.up.start()
    this.down.start()
    client.resume()
    server.connect({ host: link.target.host, port: link.target.port })
  }

  checkDone(): void {
    if (this.client.destroyed && this.server.destroyed) this.finishUp()
  }

  finishUp(): void {
    if (this.done) return
    this.done = true
    this.up.clear()
    this.down.clear()
    this.link.connections.delete(this)
  }

  /** Both sides see a connection reset, as a broken path or a dead peer would show. */
  reset(): void {
    this.finishUp()
    if (!this.client.destroyed) this.client.resetAndDestroy()
    if (!this.server.destroyed) {
      // A socket still connecting cannot be reset; destroying it aborts the connect.
      if (this.server.connecting) this.server.destroy()
      else this.server.resetAndDestroy()
    }
  }

  destroy(): void {
    this.finishUp()
    this.client.destroy()
    this.server.destroy()
  }

  stall(): void {
    this.up.stop()
    this.down.stop()
  }
  unstall(): void {
    this.up.flush()
    this.down.flush()
  }
  afterUpdate(): void {
    this.up.checkPressure()
    this.down.checkPressure()
  }
}

class Pipe {
  readonly queue: QueuedPiece[] = []
  head = 0
  queuedBytes = 0
  timer: NodeJS.Timeout | undefined
  sourceEnded = false
  ended = false
  paused = false
  readonly stream: StreamState
  readonly stats: DirectionStats

  constructor(
    readonly link: Link,
    readonly connection: Connection,
    readonly direction: 'up' | 'down',
    readonly source: net.Socket,
    readonly sink: net.Socket
  ) {
    this.stream = { random: streamRandom(link.seed, connection.id, direction), lastDeliverAt: 0 }
    this.stats = link.stats[direction]
  }

  start(): void {
    this.source.on('data', (chunk: Buffer) => {
      this.onData(chunk)
    })
    this.source.on('end', () => {
      this.sourceEnded = true
      this.flush()
    })
    this.sink.on('drain', () => {
      this.checkPressure()
    })
  }

  onData(chunk: Buffer): void {
    if (this.connection.done) return
    const link = this.link
    const profile = link.profileOf(this.direction)
    const now = performance.now()
    const stats = this.stats
    stats.bytes += chunk.length
    stats.chunks++
    const max = maxPieceBytes(profile)
    for (let offset = 0; offset < chunk.length; offset += max) {
      const data = offset === 0 && chunk.length <= max ? chunk : chunk.subarray(offset, Math.min(chunk.length, offset + max))
      const piece = schedulePiece(this.stream, link.serializers[this.direction], profile, link.rtoMs, now, data.length)
      stats.pieces++
      stats.segments += Math.max(1, Math.ceil(data.length / 1460))
      if (piece.lostSegments > 0) {
        stats.lossEvents += piece.lostSegments
        stats.delayedPieces++
        stats.lossDelayMs += piece.lossDelayMs
      }
      const delay = piece.deliverAt - now
      stats.delayMs.count++
      stats.delayMs.total += delay
      if (delay > stats.delayMs.max) stats.delayMs.max = delay
      const queueing = piece.txStart - now
      stats.queueingMs.total += queueing
      if (queueing > stats.queueingMs.max) stats.queueingMs.max = queueing
      // The fast path: nothing waiting and nothing to wait for (a perfect link) costs one write.
      if (this.head === this.queue.length && piece.deliverAt <= now + EARLY_MS && !link.stalled) {
        this.write(data)
        continue
      }
      this.queue.push({ at: piece.deliverAt, data })
      this.queuedBytes += data.length
      stats.queuedBytes += data.length
    }
    if (this.queuedBytes > stats.maxQueuedBytes) stats.maxQueuedBytes = this.queuedBytes
    this.checkPressure()
    this.arm()
  }

  write(data: Buffer): void {
    this.stats.deliveredBytes += data.length
    if (!this.sink.destroyed) this.sink.write(data)
  }

  arm(): void {
    if (this.timer != null || this.head === this.queue.length || this.link.stalled || this.connection.done) return
    const wait = this.queue[this.head].at - performance.now()
    if (wait <= EARLY_MS) {
      this.flush()
      return
    }
    this.timer = setTimeout(() => {
      this.timer = undefined
      this.flush()
    }, Math.ceil(wait))
  }

  flush(): void {
    if (this.connection.done || this.link.stalled) return
    if (this.timer != null) {
      clearTimeout(this.timer)
      this.timer = undefined
    }
    const now = performance.now()
    const due = now + EARLY_MS
    if (this.head < this.queue.length && this.queue[this.head].at <= due) {
      this.sink.cork()
      while (this.head < this.queue.length && this.queue[this.head].at <= due) {
        const piece = this.queue[this.head++]
        this.queuedBytes -= piece.data.length
        this.stats.queuedBytes -= piece.data.length
        this.write(piece.data)
      }
      this.sink.uncork()
      // Compact now and then so a long-lived connection's queue does not grow without bound.
      if (this.head > 1024 && this.head * 2 > this.queue.length) {
        this.queue.splice(0, this.head)
        this.head = 0
      }
    }
    if (this.head === this.queue.length) {
      this.queue.length = 0
      this.head = 0
      if (this.sourceEnded && !this.ended) {
        this.ended = true
        if (!this.sink.destroyed) this.sink.end()
      }
    }
    this.checkPressure()
    this.arm()
  }

  checkPressure(): void {
    const held = this.queuedBytes + this.sink.writableLength
    const limit = this.link.queueLimit(this.direction)
    if (!this.paused && held > limit) {
      this.paused = true
      this.source.pause()
    } else if (this.paused && held <= limit / 2) {
      this.paused = false
      this.source.resume()
    }
  }

  stop(): void {
    if (this.timer != null) {
      clearTimeout(this.timer)
      this.timer = undefined
    }
  }

  clear(): void {
    this.stop()
    this.stats.queuedBytes -= this.queuedBytes
    this.queuedBytes = 0
    this.queue.length = 0
    this.head = 0
  }
}

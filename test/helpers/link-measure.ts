// Measuring what a connection actually sees through a link, and judging the figures against a
// profile. The probes use real sockets; the checks are pure, so a test can show each one failing
// on figures from a wrongly configured link.
import net from 'node:net'
import { performance } from 'node:perf_hooks'
import { quantile, standardDeviation } from 'simple-statistics'

/** A probe server: echo (`E`), download (`D` + uint32 BE length) or upload sink (`U`). */
export interface ProbeServer {
  readonly host: string
  readonly port: number
  /** Connections open on the server now. */
  openConnections: () => number
  close: () => Promise<void>
}

/** What the probe server saw of an upload, reported back to the uploader. */
interface UploadReport {
  bytes: number
  firstChunkBytes: number
  firstMs: number
  lastMs: number
}

/**
 * Starts the server side of the probes. Mode byte first: `E` echoes everything back; `D` then a
 * 4-byte length sends that many bytes and ends; `U` reads to the end and answers with one JSON
 * line saying when the first and last bytes arrived.
 */
export async function startProbeServer(options: { host?: string } = {}): Promise<ProbeServer> {
  const host = options.host ?? '127.0.0.1'
  const sockets = new Set<net.Socket>()
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    sockets.add(socket)
    socket.setNoDelay(true)
    socket.on('error', () => {})
    socket.once('close', () => sockets.delete(socket))
    let mode = ''
    let header = Buffer.alloc(0)
    let upload: UploadReport | undefined
    socket.on('data', (chunk: Buffer) => {
      if (mode === '') {
        header = Buffer.concat([header, chunk])
        const m = String.fromCharCode(header[0])
        if (m === 'E') {
          mode = 'E'
          chunk = header.subarray(1)
        } else if (m === 'U') {
          mode = 'U'
          chunk = header.subarray(1)
          const now = performance.now()
          upload = { bytes: 0, firstChunkBytes: 0, firstMs: now, lastMs: now }
        } else if (m === 'D') {
          if (header.length < 5) return
          mode = 'D'
          sendDownload(socket, header.readUInt32BE(1))
          return
        } else {
          socket.destroy()
          return
        }
        if (chunk.length === 0) return
      }
      if (mode === 'E') socket.write(chunk)
      else if (mode === 'U' && upload != null) {
        const now = performance.now()
        if (upload.bytes === 0) {
          upload.firstMs = now
          upload.firstChunkBytes = chunk.length
        }
        upload.bytes += chunk.length
        upload.lastMs = now
      }
    })
    socket.on('end', () => {
      if (mode === 'U' && upload != null) socket.end(JSON.stringify(upload) + '\n')
      else socket.end()
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const address = server.address() as net.AddressInfo
  return {
    host,
    port: address.port,
    openConnections: () => sockets.size,
    close: async () => {
      for (const s of sockets) s.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
}

function sendDownload(socket: net.Socket, total: number): void {
  const block = Buffer.alloc(64 * 1024, 0x5a)
  let left = total
  const pump = (): void => {
    while (left > 0) {
      const n = Math.min(left, block.length)
      left -= n
      if (!socket.write(n === block.length ? block : block.subarray(0, n))) {
        socket.once('drain', pump)
        return
      }
    }
    socket.end()
  }
  pump()
}

/** Where to probe, and how long to wait before giving up. */
export interface ProbeTarget {
  host?: string
  port: number
  /** Whole-probe deadline in ms; default 10000. */
  timeoutMs?: number
  signal?: AbortSignal
}

async function connect(target: ProbeTarget): Promise<net.Socket> {
  const socket = net.connect({ host: target.host ?? '127.0.0.1', port: target.port, allowHalfOpen: true })
  socket.setNoDelay(true)
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve)
    socket.once('error', reject)
  })
  return socket
}

/** Runs `body` on a fresh connection with a deadline; the socket is destroyed afterwards whatever happens. */
async function withConnection<T>(target: ProbeTarget, body: (socket: net.Socket, failed: Promise<never>) => Promise<T>): Promise<T> {
  target.signal?.throwIfAborted()
  const socket = await connect(target)
  let timer: NodeJS.Timeout | undefined
  let onAbort: (() => void) | undefined
  const failed = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`probe to port ${target.port} timed out after ${target.timeoutMs ?? 10000} ms`)), target.timeoutMs ?? 10000)
    socket.once('error', reject)
    socket.once('close', () => reject(new Error(`probe connection to port ${target.port} closed early`)))
    onAbort = () => reject(target.signal?.reason ?? new Error('aborted'))
    target.signal?.addEventListener('abort', onAbort, { once: true })
  })
  failed.catch(() => {})
  try {
    return await Promise.race([body(socket, failed), failed])
  } finally {
    clearTimeout(timer)
    if (onAbort != null) target.signal?.removeEventListener('abort', onAbort)
    socket.destroy()
  }
}

/** Round-trip times (ms) and, for each, how long this process's event loop stalled meanwhile (ms). */
export interface RoundTrips {
  rttMs: number[]
  lagMs: number[]
}

const TICK_MS = 2

/**
 * Round trips of small messages on one connection, one at a time (the next is sent when the
 * previous has fully come back, after `gapMs`; `beforeTrip` runs just before each), against an
 * echo probe server. A 2 ms ticker
 * records how long the event loop stalled during each trip: on a shared machine a stalled harness
 * inflates trips, and those samples say nothing about the link (see `withoutLag`).
 */
export async function measureRoundTrips(
  target: ProbeTarget & { count: number; bytes?: number; gapMs?: number; beforeTrip?: (index: number) => void }
): Promise<RoundTrips> {
  const size = Math.max(1, target.bytes ?? 32)
  return await withConnection(target, async (socket) => {
    socket.write('E')
    const trips: RoundTrips = { rttMs: [], lagMs: [] }
    let waiting: { need: number; resolve: () => void } | undefined
    socket.on('data', (chunk: Buffer) => {
      if (waiting == null) return
      waiting.need -= chunk.length
      if (waiting.need <= 0) {
        const w = waiting
        waiting = undefined
        w.resolve()
      }
    })
    let lastTick = performance.now()
    let maxGap = 0
    const ticker = setInterval(() => {
      const now = performance.now()
      if (now - lastTick > maxGap) maxGap = now - lastTick
      lastTick = now
    }, TICK_MS)
    try {
      const message = Buffer.alloc(size, 0x61)
      for (let i = 0; i < target.count; i++) {
        if (i > 0 && (target.gapMs ?? 0) > 0) await new Promise((resolve) => setTimeout(resolve, target.gapMs))
        target.beforeTrip?.(i)
        const started = performance.now()
        lastTick = started
        maxGap = 0
        await new Promise<void>((resolve) => {
          waiting = { need: size, resolve }
          socket.write(message)
        })
        const now = performance.now()
        trips.rttMs.push(now - started)
        trips.lagMs.push(Math.max(0, Math.max(maxGap, now - lastTick) - TICK_MS))
      }
    } finally {
      clearInterval(ticker)
    }
    return trips
  })
}

/**
 * The trips during which the harness itself did not stall by more than `maxLagMs` (default 10),
 * with their indices, and how many were dropped. A check on what is left judges the link, not the
 * machine; a caller should also bound `dropped` (most samples dropped proves nothing).
 */
export function withoutLag(trips: RoundTrips, maxLagMs = 10): { rttMs: number[]; index: number[]; dropped: number } {
  const rttMs: number[] = []
  const index: number[] = []
  trips.rttMs.forEach((rtt, i) => {
    if (trips.lagMs[i] <= maxLagMs) {
      rttMs.push(rtt)
      index.push(i)
    }
  })
  return { rttMs, index, dropped: trips.rttMs.length - rttMs.length }
}

/**
 * Sends `count` numbered 4-byte words through an echo probe server in small writes, `perWrite`
 * words at a time, one write per event-loop turn (so they cross the link as many separate chunks),
 * and returns every byte that came back.
 */
export async function echoSequence(target: ProbeTarget & { count: number; perWrite?: number }): Promise<Buffer> {
  const perWrite = Math.max(1, target.perWrite ?? 1)
  const expected = target.count * 4
  return await withConnection(target, async (socket) => {
    const received: Buffer[] = []
    let got = 0
    const done = new Promise<void>((resolve) => {
      socket.on('data', (chunk: Buffer) => {
        received.push(chunk)
        got += chunk.length
        if (got >= expected) resolve()
      })
    })
    socket.write('E')
    for (let i = 0; i < target.count; i += perWrite) {
      const n = Math.min(perWrite, target.count - i)
      const words = Buffer.alloc(n * 4)
      for (let k = 0; k < n; k++) words.writeUInt32BE(i + k, k * 4)
      socket.write(words)
      await new Promise((resolve) => setImmediate(resolve))
    }
    await done
    return Buffer.concat(received)
  })
}

/** Throughput as the receiver saw it: bytes after the first chunk over the time from first to last byte. */
export interface ThroughputMeasurement {
  bytes: number
  seconds: number
  bitsPerSecond: number
}

function throughput(bytes: number, firstChunkBytes: number, firstMs: number, lastMs: number): ThroughputMeasurement {
  const seconds = (lastMs - firstMs) / 1000
  return { bytes, seconds, bitsPerSecond: seconds > 0 ? ((bytes - firstChunkBytes) * 8) / seconds : Number.POSITIVE_INFINITY }
}

/** Downloads `bytes` from a probe server (the link's `down` direction) and times it at the receiver. */
export async function measureDownload(target: ProbeTarget & { bytes: number }): Promise<ThroughputMeasurement> {
  return await withConnection(target, async (socket) => {
    const request = Buffer.alloc(5)
    request.write('D', 0)
    request.writeUInt32BE(target.bytes, 1)
    socket.write(request)
    let got = 0
    let first = 0
    let firstChunk = 0
    let last = 0
    await new Promise<void>((resolve) => {
      socket.on('data', (chunk: Buffer) => {
        const now = performance.now()
        if (got === 0) {
          first = now
          firstChunk = chunk.length
        }
        got += chunk.length
        last = now
        if (got >= target.bytes) resolve()
      })
    })
    return throughput(got, firstChunk, first, last)
  })
}

/** Uploads `bytes` to a probe server (the link's `up` direction); the server times the arrival. */
export async function measureUpload(target: ProbeTarget & { bytes: number }): Promise<ThroughputMeasurement> {
  return await withConnection(target, async (socket) => {
    let answer = ''
    const report = new Promise<UploadReport>((resolve) => {
      socket.on('data', (chunk: Buffer) => {
        answer += chunk.toString()
        if (answer.endsWith('\n')) resolve(JSON.parse(answer) as UploadReport)
      })
    })
    socket.write('U')
    const block = Buffer.alloc(64 * 1024, 0x41)
    let left = target.bytes
    while (left > 0) {
      const n = Math.min(left, block.length)
      left -= n
      if (!socket.write(n === block.length ? block : block.subarray(0, n))) await new Promise((resolve) => socket.once('drain', resolve))
    }
    socket.end()
    const r = await report
    return throughput(r.bytes, r.firstChunkBytes, r.firstMs, r.lastMs)
  })
}

/** The verdict of one check: `ok`, the figure measured, what was expected, and a sentence. */
export interface LinkCheck {
  ok: boolean
  measured: number
  expected: number
  /** Largest deviation allowed (same unit as `measured`). */
  allowed: number
  detail: string
}

function median(samples: readonly number[]): number {
  return quantile([...samples], 0.5)
}

/** Median RTT within `expectedMs` +- (absMs + relative x expectedMs); default +-(5 ms + 10%). */
export function checkRoundTrip(samples: readonly number[], expectedMs: number, tolerance: { absMs?: number; relative?: number } = {}): LinkCheck {
  if (samples.length === 0) return { ok: false, measured: Number.NaN, expected: expectedMs, allowed: 0, detail: 'no samples' }
  const allowed = (tolerance.absMs ?? 5) + (tolerance.relative ?? 0.1) * expectedMs
  const measured = median(samples)
  const ok = Math.abs(measured - expectedMs) <= allowed
  return { ok, measured, expected: expectedMs, allowed, detail: `median RTT ${measured.toFixed(2)} ms vs expected ${expectedMs} +- ${allowed.toFixed(2)} ms` }
}

/**
 * RTT spread from jitter: each direction adds a uniform sample in [-j, +j], so the RTT's standard
 * deviation is sqrt((jUp^2 + jDown^2) / 3). Passes when the measured deviation is within
 * `relative` (default 30%) of that plus `absMs` (default 1 ms, timer noise), and no sample strays
 * more than jUp + jDown + absMs + `lateMs` (default 2 ms) below the median or above it (the spread
 * is bounded; `lateMs` is how late a trip may come back on a busy machine).
 */
export function checkJitter(
  samples: readonly number[],
  jitterUpMs: number,
  jitterDownMs: number,
  tolerance: { absMs?: number; relative?: number; lateMs?: number } = {}
): LinkCheck {
  if (samples.length < 10) return { ok: false, measured: Number.NaN, expected: Number.NaN, allowed: 0, detail: 'need at least 10 samples' }
  const expected = Math.sqrt((jitterUpMs ** 2 + jitterDownMs ** 2) / 3)
  const allowed = (tolerance.relative ?? 0.3) * expected + (tolerance.absMs ?? 1)
  const measured = standardDeviation([...samples])
  const mid = median(samples)
  const bound = jitterUpMs + jitterDownMs + (tolerance.absMs ?? 1) + (tolerance.lateMs ?? 2)
  const outliers = samples.filter((s) => Math.abs(s - mid) > bound).length
  const ok = Math.abs(measured - expected) <= allowed && outliers === 0
  return {
    ok,
    measured,
    expected,
    allowed,
    detail: `RTT std dev ${measured.toFixed(2)} ms vs expected ${expected.toFixed(2)} +- ${allowed.toFixed(2)} ms; ${outliers} samples beyond +-${bound} ms of the median`
  }
}

/** Throughput within `relative` (default 10%) of the configured rate. */
export function checkThroughput(measured: ThroughputMeasurement, expectedBps: number, relative = 0.1): LinkCheck {
  const allowed = relative * expectedBps
  const ok = Number.isFinite(measured.bitsPerSecond) && Math.abs(measured.bitsPerSecond - expectedBps) <= allowed
  return {
    ok,
    measured: measured.bitsPerSecond,
    expected: expectedBps,
    allowed,
    detail: `${(measured.bitsPerSecond / 1e6).toFixed(3)} Mbit/s over ${measured.seconds.toFixed(3)} s vs expected ${(expectedBps / 1e6).toFixed(3)} +- ${(allowed / 1e6).toFixed(3)} Mbit/s`
  }
}

/** Round trips split into those that paid a retransmission timeout and those that did not. */
export interface LossClassification {
  /** Samples at least `baseRttMs + rtoMs - slackMs`: each paid a whole RTO. */
  delayed: number
  /** Samples below `baseRttMs + min(rtoMs / 2, cleanMarginMs)`: no loss. */
  clean: number
  /** Samples in between: neither a clean trip nor a whole RTO (a shaper that charges less than an RTO). */
  ambiguous: number
  total: number
}

/**
 * Sorts RTT samples by whether they paid an RTO. `slackMs` (default 2) absorbs timer rounding
 * below a whole RTO; `cleanMarginMs` (default 20) is how far above the base RTT a clean trip may
 * land (scheduling noise on a busy machine), far below any RTO.
 */
export function classifyLossDelays(
  samples: readonly number[],
  baseRttMs: number,
  rtoMs: number,
  options: { slackMs?: number; cleanMarginMs?: number } = {}
): LossClassification {
  const delayedFrom = baseRttMs + rtoMs - (options.slackMs ?? 2)
  const cleanBelow = baseRttMs + Math.min(rtoMs / 2, options.cleanMarginMs ?? 20)
  let delayed = 0
  let clean = 0
  for (const s of samples) {
    if (s >= delayedFrom) delayed++
    else if (s < cleanBelow) clean++
  }
  return { delayed, clean, ambiguous: samples.length - delayed - clean, total: samples.length }
}

/**
 * The delayed fraction against a loss rate: passes when the count of delayed trips is within
 * `z` (default 3) binomial standard deviations of n x p (plus a half for continuity) and no
 * trip is ambiguous. With p = 0 any delayed trip fails it.
 */
export function checkLossRate(classes: LossClassification, lossRate: number, z = 3): LinkCheck {
  const n = classes.total
  const expected = n * lossRate
  const allowed = z * Math.sqrt(n * lossRate * (1 - lossRate)) + 0.5
  const ok = n > 0 && Math.abs(classes.delayed - expected) <= allowed && classes.ambiguous === 0
  return {
    ok,
    measured: classes.delayed,
    expected,
    allowed,
    detail: `${classes.delayed}/${n} trips paid an RTO (expected ${expected.toFixed(1)} +- ${allowed.toFixed(1)}), ${classes.ambiguous} ambiguous`
  }
}

/** The bytes that came back are exactly 0, 1, 2, ... `count - 1` as 4-byte words. */
export function checkSequence(received: Buffer, count: number): LinkCheck {
  const words = Math.floor(received.length / 4)
  let firstBad = -1
  for (let i = 0; i < Math.min(words, count); i++) {
    if (received.readUInt32BE(i * 4) !== i) {
      firstBad = i
      break
    }
  }
  const ok = firstBad === -1 && received.length === count * 4
  const detail = ok
    ? `${count} words intact and in order`
    : firstBad >= 0
      ? `word ${firstBad} is ${received.readUInt32BE(firstBad * 4)}, expected ${firstBad}`
      : `received ${received.length} bytes, expected ${count * 4}`
  return { ok, measured: firstBad === -1 ? words : firstBad, expected: count, allowed: 0, detail }
}

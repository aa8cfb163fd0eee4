// The arithmetic of the shaper, free of sockets and clocks so tests can drive it with made-up
// times. The proxy (shaped-link.ts) calls schedulePiece for every piece it reads and writes the
// piece out at `deliverAt`.
import { SEGMENT_BYTES, type LinkProfile } from './profile.js'
import type { Random } from '../interface/random.js'

/** One direction's bottleneck, shared by every connection through the link (FIFO by arrival). */
export interface Serializer {
  /** When the bottleneck finishes sending what it already has (ms, same clock as arrivals). */
  freeAt: number
}

/** Per connection and direction: its random stream and the time its last piece left. */
export interface StreamState {
  random: Random
  lastDeliverAt: number
}

/** Where one piece's delay came from; all times in ms on the caller's clock. */
export interface ScheduledPiece {
  bytes: number
  arriveAt: number
  /** Serialisation started (arriveAt + queueing behind earlier pieces). */
  txStart: number
  /** Serialisation finished: txStart + bytes * 8 / rate. */
  txEnd: number
  /** Latency plus this piece's jitter sample. */
  propagationMs: number
  /** Segments of this piece that were lost (each a loss event). */
  lostSegments: number
  /** Added by loss: one RTO if any segment was lost, else 0. */
  lossDelayMs: number
  /** When the piece may be written to the receiver; never before the previous piece's. */
  deliverAt: number
}

/**
 * The largest piece the rate limiter hands out at once: about 5 ms of the link's rate, so a
 * 64 kB read on a slow link trickles out as it would on the wire rather than landing in one lump.
 * Unlimited links pass reads through whole.
 */
export function maxPieceBytes(profile: LinkProfile): number {
  if (profile.bandwidthBps <= 0) return Number.POSITIVE_INFINITY
  return Math.min(65536, Math.max(SEGMENT_BYTES, Math.floor((profile.bandwidthBps / 8) * 0.005)))
}

/**
 * Schedules one piece: queue behind the bottleneck, serialise at the rate, add latency and
 * jitter, add one RTO if a segment was lost, and never overtake the previous piece of the same
 * stream (TCP delivers in order, so a late piece holds back everything behind it).
 * Random draws: one for jitter when jitterMs > 0, then one per segment when lossRate > 0, so the
 * same seed and the same sequence of piece sizes give the same decisions.
 */
export function schedulePiece(
  stream: StreamState,
  serializer: Serializer,
  profile: LinkProfile,
  rtoMs: number,
  arriveAt: number,
  bytes: number
): ScheduledPiece {
  const txStart = Math.max(arriveAt, serializer.freeAt)
  const txEnd = profile.bandwidthBps > 0 ? txStart + (bytes * 8000) / profile.bandwidthBps : txStart
  serializer.freeAt = txEnd
  let propagationMs = profile.latencyMs
  if (profile.jitterMs > 0) propagationMs = Math.max(0, propagationMs + (2 * stream.random() - 1) * profile.jitterMs)
  let lostSegments = 0
  if (profile.lossRate > 0) {
    const segments = Math.max(1, Math.ceil(bytes / SEGMENT_BYTES))
    for (let i = 0; i < segments; i++) if (stream.random() < profile.lossRate) lostSegments++
  }
  const lossDelayMs = lostSegments > 0 ? rtoMs : 0
  const deliverAt = Math.max(txEnd + propagationMs + lossDelayMs, stream.lastDeliverAt)
  stream.lastDeliverAt = deliverAt
  return { bytes, arriveAt, txStart, txEnd, propagationMs, lostSegments, lossDelayMs, deliverAt }
}

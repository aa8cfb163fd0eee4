export interface ClockEstimate {
  /** Phone clock minus host wall clock, ms. */
  offsetMs: number
  /** Round trip of the sample the estimate comes from. */
  rttMs: number
  samples: number
}

/**
 * NTP-style offset from round trips: each sample brackets one reading of the phone's clock between
 * two host readings and assumes the phone read its clock half way; the sample with the smallest
 * round trip bounds the error best (at most half its RTT plus the phone clock's step).
 */
export async function estimateClockOffset(
  read: () => Promise<number>,
  options: { samples?: number; hostNow?: () => number; signal?: AbortSignal } = {}
): Promise<ClockEstimate> {
  const hostNow = options.hostNow ?? (() => performance.timeOrigin + performance.now())
  const samples = options.samples ?? 5
  let best: ClockEstimate | undefined
  let taken = 0
  for (let i = 0; i < samples; i++) {
    options.signal?.throwIfAborted()
    const t0 = hostNow()
    const deviceMs = await read()
    const t1 = hostNow()
    taken++
    const rttMs = t1 - t0
    if (!Number.isFinite(deviceMs)) continue
    if (best == null || rttMs < best.rttMs) best = { offsetMs: deviceMs - (t0 + t1) / 2, rttMs, samples: 0 }
  }
  if (best == null) throw new Error('no usable reading of the device clock')
  return { ...best, samples: taken, offsetMs: round(best.offsetMs), rttMs: round(best.rttMs) }
}

/** A phone timestamp (its wall clock, ms) on the run clock, given the offset and where the run clock started on the host's wall clock. */
export function toRunClock(deviceMs: number, offsetMs: number, runStartWallMs: number): number {
  return round(deviceMs - offsetMs - runStartWallMs)
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000
}

/** What one direction of a link does to the bytes that cross it. */
export interface LinkProfile {
  /** One-way delay added to every chunk, in milliseconds. */
  latencyMs: number
  /** Half-width of the uniform spread around `latencyMs`, in milliseconds (never reorders bytes). */
  jitterMs: number
  /** Probability (0..1) that a ~1460-byte segment is lost and costs one retransmission timeout. */
  lossRate: number
  /** Serialisation rate in bits per second; 0 means unlimited. */
  bandwidthBps: number
}

/** The two directions of a link: `up` is dialer to target, `down` is target to dialer. */
export interface LinkProfiles {
  up: LinkProfile
  down: LinkProfile
}

/** TCP's usual maximum segment size on Ethernet-sized paths: the unit of loss decisions. */
export const SEGMENT_BYTES = 1460

/** Linux's minimum retransmission timeout (TCP_RTO_MIN, 200 ms). */
export const MIN_RTO_MS = 200

/** A link that does nothing: no delay, no loss, no rate limit. */
export const PERFECT_PROFILE: Readonly<LinkProfile> = Object.freeze({ latencyMs: 0, jitterMs: 0, lossRate: 0, bandwidthBps: 0 })

/**
 * What a lost segment costs the stream: TCP holds everything behind it until the retransmission
 * arrives. Modelled as Linux's RTO floor or twice the base round trip, whichever is larger.
 */
export function retransmissionTimeoutMs(up: LinkProfile, down: LinkProfile, minRtoMs: number = MIN_RTO_MS): number {
  return Math.max(minRtoMs, 2 * (up.latencyMs + down.latencyMs))
}

/** Problems with a profile, as `field: message` strings; empty when it is usable. */
export function linkProfileProblems(profile: LinkProfile): string[] {
  const problems: string[] = []
  const check = (field: keyof LinkProfile, ok: (v: number) => boolean, expected: string): void => {
    const value = (profile as unknown as Record<string, unknown>)[field]
    if (typeof value !== 'number' || !Number.isFinite(value) || !ok(value)) problems.push(`${field}: expected ${expected}, found ${String(value)}`)
  }
  check('latencyMs', (v) => v >= 0, 'a finite number >= 0')
  check('jitterMs', (v) => v >= 0, 'a finite number >= 0')
  check('lossRate', (v) => v >= 0 && v <= 1, 'a probability between 0 and 1')
  check('bandwidthBps', (v) => v >= 0, 'bits per second >= 0 (0 = unlimited)')
  return problems
}

/** Throws a RangeError naming every bad field; returns a frozen copy so later edits by the caller do not leak in. */
export function checkLinkProfile(profile: LinkProfile, name: string): Readonly<LinkProfile> {
  if (profile == null || typeof profile !== 'object') throw new RangeError(`${name}: expected a LinkProfile object, found ${String(profile)}`)
  const problems = linkProfileProblems(profile)
  if (problems.length > 0) throw new RangeError(`${name}: ${problems.join('; ')}`)
  return Object.freeze({ latencyMs: profile.latencyMs, jitterMs: profile.jitterMs, lossRate: profile.lossRate, bandwidthBps: profile.bandwidthBps })
}

/**
 * The path through two links in a row, taken as only as good as its worse part in each figure:
 * the higher latency, jitter and loss, the narrower rate (0, unlimited, loses to any rate). A
 * bottleneck model, not a sum: two nodes on the same access link see that link between them.
 */
export function worseProfile(a: LinkProfile, b: LinkProfile): LinkProfile {
  const rate = a.bandwidthBps <= 0 ? b.bandwidthBps : b.bandwidthBps <= 0 ? a.bandwidthBps : Math.min(a.bandwidthBps, b.bandwidthBps)
  return {
    latencyMs: Math.max(a.latencyMs, b.latencyMs),
    jitterMs: Math.max(a.jitterMs, b.jitterMs),
    lossRate: Math.max(a.lossRate, b.lossRate),
    bandwidthBps: rate
  }
}

/** Whether a profile changes nothing (no shaper is needed for it). */
export function isPerfectProfile(p: LinkProfile): boolean {
  return p.latencyMs === 0 && p.jitterMs === 0 && p.lossRate === 0 && p.bandwidthBps <= 0
}

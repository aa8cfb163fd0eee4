import type { EnergyBox3gProfile, EnergyBoxWifiProfile } from './profile-schema.js'
import type { PacketView } from './pricing-core.js'

// The EnergyBox engines (Linköping University, rtslab/EnergyBox, MIT), re-implemented from the
// description in fixtures/pcap/energybox/ENERGYBOX.md, quirks included, so that the upstream oracle
// traces are reproduced point for point. Both engines walk the packets in the order given (upstream
// uses file order, even when timestamps go backwards) and emit a step plot: every transition is two
// points at the same time, old state then new state.

/** One point of an EnergyBox state trace: state code and time in seconds. */
export interface EnergyBoxPoint {
  state: number
  time: number
}

/** Upstream's 3G state codes. */
export const EB3G = { idle: 0, fach: 1, dch: 3 } as const
/** Upstream's WiFi state codes (CAMH = high-throughput CAM). */
export const EBWIFI = { psm: 0, cam: 2, camh: 3 } as const

/** Points and promotions in columns: a million packets make millions of points, so no objects. */
export class EnergyBoxRun {
  states: Uint8Array
  times: Float64Array
  length = 0
  /** Promotions: out of the lowest state, or into DCH. Time in seconds (when the new state starts), packet index, states from/to. */
  promoTime: Float64Array
  promoPacket: Int32Array
  promoFrom: Uint8Array
  promoTo: Uint8Array
  promotions = 0

  constructor(pointCapacity: number, promotionCapacity: number) {
    this.states = new Uint8Array(pointCapacity)
    this.times = new Float64Array(pointCapacity)
    this.promoTime = new Float64Array(promotionCapacity)
    this.promoPacket = new Int32Array(promotionCapacity)
    this.promoFrom = new Uint8Array(promotionCapacity)
    this.promoTo = new Uint8Array(promotionCapacity)
  }

  push(state: number, time: number): void {
    if (this.length === this.states.length) this.grow()
    this.states[this.length] = state
    this.times[this.length++] = time
  }

  promote(time: number, packet: number, from: number, to: number): void {
    const i = this.promotions++
    this.promoTime[i] = time
    this.promoPacket[i] = packet
    this.promoFrom[i] = from
    this.promoTo[i] = to
  }

  private grow(): void {
    const states = new Uint8Array(Math.max(16, this.states.length * 2))
    const times = new Float64Array(states.length)
    states.set(this.states)
    times.set(this.times)
    this.states = states
    this.times = times
  }
}

// Timers and thresholds are applied in integer microseconds, as upstream does.
function micros(seconds: number): number {
  return Math.round(seconds * 1e6)
}

function relativeMicros(view: PacketView): Float64Array {
  const us = new Float64Array(view.n)
  const t0 = view.n > 0 ? view.time[0] : 0
  for (let i = 0; i < view.n; i++) us[i] = Math.round((view.time[i] - t0) * 1e6)
  return us
}

function shiftTimes(run: EnergyBoxRun, origin: number): void {
  if (origin === 0) return
  for (let i = 0; i < run.length; i++) run.times[i] += origin
}

export function runEnergyBox3g(view: PacketView, profile: EnergyBox3gProfile): EnergyBoxRun {
  const n = view.n
  const run = new EnergyBoxRun(2 * n + 16, n)
  if (n === 0) return run
  const us = relativeMicros(view)
  const dchTail = micros(profile.dchTailSeconds)
  const fachTail = micros(profile.fachTailSeconds)
  const idleUp = profile.idleToDchBytes.upBytes
  const idleDown = profile.idleToDchBytes.downBytes
  const fachUp = profile.fachToDchBytes.upBytes
  const fachDown = profile.fachToDchBytes.downBytes
  // Microseconds per byte, rounded to a nanosecond to shed the float noise of ms -> s -> us.
  const drainUpPerByte = Math.round(profile.uplinkDrainSecondsPerByte * 1e9) / 1e3
  const drainDown = micros(profile.downlinkDrainSeconds)
  const idleToDchDelay = micros(profile.idleToDchDelaySeconds)
  const emit = (state: number, atUs: number): void => run.push(state, atUs / 1e6)

  let state: number = EB3G.idle
  let upBuffer = 0
  let downBuffer = 0
  let prev = us[0]
  let lastUp = us[0]
  let lastDown = us[0]
  let deltaUp = 0
  let deltaDown = 0
  for (let i = 0; i < n; i++) {
    const t = us[i]
    const deltaT = t - prev
    const isUp = view.up[i] === 1
    const size = view.bytes[i]
    if (isUp) {
      deltaUp = t - lastUp
      lastUp = t
    } else {
      deltaDown = t - lastDown
      lastDown = t
    }

    if (state === EB3G.fach) {
      if (deltaT > fachTail) {
        emit(EB3G.fach, prev + fachTail)
        emit(EB3G.idle, prev + fachTail)
        state = EB3G.idle
      }
    } else if (state === EB3G.dch) {
      if (deltaT > dchTail + fachTail) {
        emit(EB3G.dch, prev + dchTail)
        emit(EB3G.fach, prev + dchTail)
        emit(EB3G.fach, prev + dchTail + fachTail)
        emit(EB3G.idle, prev + dchTail + fachTail)
        state = EB3G.idle
      } else if (deltaT > dchTail) {
        emit(EB3G.dch, prev + dchTail)
        emit(EB3G.fach, prev + dchTail)
        state = EB3G.fach
      }
    }

    if (state === EB3G.idle) {
      if (size > (isUp ? idleUp : idleDown)) {
        // Upstream switches a large uplink packet to DCH only after the IDLE->DCH transition time,
        // when the next packet comes later than that (and crashes when there is no next packet;
        // here the switch is then immediate).
        const at = isUp && i + 1 < n && us[i + 1] > t + idleToDchDelay ? t + idleToDchDelay : t
        emit(EB3G.idle, at)
        emit(EB3G.dch, at)
        state = EB3G.dch
        // The promotion is where DCH starts (a promotion cost ends there, after the idle time).
        run.promote(view.time[i] + (at - t) / 1e6, i, EB3G.idle, EB3G.dch)
      } else {
        // The packet that wakes the radio into FACH is not added to the RLC buffers.
        emit(EB3G.idle, t)
        emit(EB3G.fach, t)
        state = EB3G.fach
        run.promote(view.time[i], i, EB3G.idle, EB3G.fach)
      }
    } else if (state === EB3G.fach) {
      if (deltaUp > drainUpPerByte * upBuffer + 10) upBuffer = 0
      if (deltaDown > drainDown) downBuffer = 0
      emit(EB3G.fach, t)
      if (isUp) {
        upBuffer += size
        if (upBuffer > fachUp) {
          state = EB3G.dch
          upBuffer = 0
        }
      } else {
        downBuffer += size
        if (downBuffer > fachDown) {
          state = EB3G.dch
          downBuffer = 0
        }
      }
      if (state === EB3G.dch) run.promote(view.time[i], i, EB3G.fach, EB3G.dch)
      emit(state, t)
    } else {
      emit(EB3G.dch, t)
      upBuffer = 0
      downBuffer = 0
    }
    prev = t
  }

  if (state === EB3G.dch) {
    emit(EB3G.dch, prev + dchTail)
    emit(EB3G.fach, prev + dchTail)
    emit(EB3G.fach, prev + dchTail + fachTail)
    emit(EB3G.idle, prev + dchTail + fachTail)
  } else if (state === EB3G.fach) {
    emit(EB3G.fach, prev + fachTail)
    emit(EB3G.idle, prev + fachTail)
  }
  shiftTimes(run, view.time[0])
  return run
}

/** Options that exist to show that upstream's conventions matter (tests switch them off). */
export interface EnergyBoxWifiQuirks {
  /** Added to the end of the last high window when CAMH falls back to CAM; upstream: 0.001 s. */
  camhDemotionOffsetSeconds?: number
}

export function runEnergyBoxWifi(view: PacketView, profile: EnergyBoxWifiProfile, quirks: EnergyBoxWifiQuirks = {}): EnergyBoxRun {
  const n = view.n
  const first = new EnergyBoxRun(2 * n + 16, n)
  if (n === 0) return first
  const us = relativeMicros(view)
  const tail = micros(profile.camTailSeconds)

  let state: number = EBWIFI.psm
  let prev = us[0]
  for (let i = 0; i < n; i++) {
    const t = us[i]
    if (state === EBWIFI.cam && t - prev > tail) {
      first.push(EBWIFI.cam, (prev + tail) / 1e6)
      first.push(EBWIFI.psm, (prev + tail) / 1e6)
      state = EBWIFI.psm
    }
    if (state === EBWIFI.psm) {
      first.push(EBWIFI.psm, t / 1e6)
      first.push(EBWIFI.cam, t / 1e6)
      state = EBWIFI.cam
      first.promote(view.time[i], i, EBWIFI.psm, EBWIFI.cam)
    } else {
      first.push(EBWIFI.cam, t / 1e6)
    }
    prev = t
  }

  const run = applyHighCam(view, us, profile, first, quirks.camhDemotionOffsetSeconds ?? 0.001)
  // The final tail is appended after the rewrite, so it is never CAMH.
  run.push(EBWIFI.cam, (prev + tail) / 1e6)
  run.push(EBWIFI.psm, (prev + tail) / 1e6)
  shiftTimes(run, view.time[0])
  return run
}

/**
 * Upstream's throughput windows, produced lazily: window ends are built by repeated floating
 * addition (w, w+w, ...), whose drift shows in the oracle (e.g. 79.25099999999765), so every
 * boundary must be computed; storing them is what would be expensive (tens of millions over a long
 * timeline). Starts on the dummy window (end 0, 0 bytes) and ends on one at the last frame's time
 * with 0 bytes; frames are summed in the order walked while their time is below the boundary.
 */
class WindowWalk {
  end = 0
  prevEnd = NaN
  high = false
  done = false
  private boundary: number
  private frame = 0
  private final = false

  constructor(
    private readonly view: PacketView,
    private readonly us: Float64Array,
    private readonly w: number,
    private readonly threshold: number
  ) {
    this.boundary = w
  }

  /** Moves on until the current window ends after time (or the windows run out). */
  advancePast(time: number): void {
    const n = this.view.n
    const us = this.us
    const lastTime = us[n - 1] / 1e6
    let next = this.frame < n ? us[this.frame] / 1e6 : Infinity
    while (!this.done && !(time < this.end)) {
      if (this.final) {
        this.done = true
        break
      }
      if (!(this.boundary < lastTime)) {
        this.prevEnd = this.end
        this.end = lastTime
        this.high = false
        this.final = true
        continue
      }
      let bytes = 0
      while (next < this.boundary) {
        bytes += this.view.bytes[this.frame++]
        next = this.frame < n ? us[this.frame] / 1e6 : Infinity
      }
      this.prevEnd = this.end
      this.end = this.boundary
      this.high = bytes > this.threshold
      this.boundary += this.w
      // Empty windows (long idle gaps) in a tight loop: only their ends matter.
      if (this.high) continue
      let end = this.end
      let prevEnd = this.prevEnd
      let boundary = this.boundary
      const w = this.w
      while (!(time < end) && boundary < lastTime && !(next < boundary)) {
        prevEnd = end
        end = boundary
        boundary += w
      }
      this.end = end
      this.prevEnd = prevEnd
      this.boundary = boundary
    }
  }
}

// The CAM -> CAMH rewrite of the point list (README, "Rewriting the points"), in streaming form:
// upstream inserts into the list in place, and "the previous point" is the last one written here.
function applyHighCam(view: PacketView, us: Float64Array, profile: EnergyBoxWifiProfile, input: EnergyBoxRun, offset: number): EnergyBoxRun {
  const out = new EnergyBoxRun(input.length + (input.length >> 3) + 16, 0)
  out.promoTime = input.promoTime
  out.promoPacket = input.promoPacket
  out.promoFrom = input.promoFrom
  out.promoTo = input.promoTo
  out.promotions = input.promotions
  const walk = new WindowWalk(view, us, profile.windowSeconds, profile.highThresholdBytes)
  out.push(input.states[0], input.times[0])
  let lastHighEnd = NaN
  let p = 1
  for (; p < input.length; p++) {
    const time = input.times[p]
    walk.advancePast(time)
    if (walk.done) break
    const prevState = out.states[out.length - 1]
    let state = input.states[p]
    if (walk.high) {
      lastHighEnd = walk.end
      if (state === EBWIFI.cam) {
        if (prevState === EBWIFI.camh) {
          state = EBWIFI.camh
        } else if (prevState === EBWIFI.cam) {
          out.push(EBWIFI.cam, walk.prevEnd)
          out.push(EBWIFI.camh, walk.prevEnd)
          state = EBWIFI.camh
        } else {
          out.push(state, time)
          out.push(EBWIFI.camh, time)
          continue
        }
      }
    } else if (prevState === EBWIFI.camh) {
      out.push(EBWIFI.camh, lastHighEnd + offset)
      out.push(EBWIFI.cam, lastHighEnd + offset)
    }
    out.push(state, time)
  }
  for (; p < input.length; p++) out.push(input.states[p], input.times[p])
  return out
}

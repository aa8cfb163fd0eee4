import type { EnergyBox3gProfile, EnergyBoxWifiProfile } from './profile-schema.js'
import type { PacketView } from './pricing-core.js'

// The EnergyBox engines (Linköping University, rtslab/EnergyBox, MIT), re-implemented from the
// description in shared/fixtures/energybox/README.md, quirks included, so that the upstream oracle
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

/** A transition out of the radio's lowest state or into its highest, at a packet. */
export interface EnergyBoxPromotion {
  /** Seconds, in the packets' time base. */
  time: number
  /** Index of the packet that caused it (in the order walked). */
  packet: number
  from: number
  to: number
}

/** Points in columns (the engines emit one or two per packet, so a million packets means millions of points). */
export interface EnergyBoxRun {
  states: number[]
  times: number[]
  promotions: EnergyBoxPromotion[]
}

// Timers and thresholds are applied in integer microseconds, as upstream does.
function micros (seconds: number): number {
  return Math.round(seconds * 1e6)
}

function relativeMicros (view: PacketView): Float64Array {
  const us = new Float64Array(view.n)
  const t0 = view.n > 0 ? view.time[0] : 0
  for (let i = 0; i < view.n; i++) us[i] = Math.round((view.time[i] - t0) * 1e6)
  return us
}

function shiftTimes (times: number[], origin: number): void {
  if (origin === 0) return
  for (let i = 0; i < times.length; i++) times[i] += origin
}

export function runEnergyBox3g (view: PacketView, profile: EnergyBox3gProfile): EnergyBoxRun {
  const states: number[] = []
  const times: number[] = []
  const promotions: EnergyBoxPromotion[] = []
  const n = view.n
  if (n === 0) return { states, times, promotions }
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
  const emit = (state: number, atUs: number): void => {
    states.push(state)
    times.push(atUs / 1e6)
  }

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
        promotions.push({ time: view.time[i], packet: i, from: EB3G.idle, to: EB3G.dch })
      } else {
        // The packet that wakes the radio into FACH is not added to the RLC buffers.
        emit(EB3G.idle, t)
        emit(EB3G.fach, t)
        state = EB3G.fach
        promotions.push({ time: view.time[i], packet: i, from: EB3G.idle, to: EB3G.fach })
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
      if (state === EB3G.dch) promotions.push({ time: view.time[i], packet: i, from: EB3G.fach, to: EB3G.dch })
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
  shiftTimes(times, view.time[0])
  return { states, times, promotions }
}

/** Options that exist to show that upstream's conventions matter (tests switch them off). */
export interface EnergyBoxWifiQuirks {
  /** Added to the end of the last high window when CAMH falls back to CAM; upstream: 0.001 s. */
  camhDemotionOffsetSeconds?: number
}

export function runEnergyBoxWifi (view: PacketView, profile: EnergyBoxWifiProfile, quirks: EnergyBoxWifiQuirks = {}): EnergyBoxRun {
  let states: number[] = []
  let times: number[] = []
  const promotions: EnergyBoxPromotion[] = []
  const n = view.n
  if (n === 0) return { states, times, promotions }
  const us = relativeMicros(view)
  const tail = micros(profile.camTailSeconds)
  const emit = (state: number, atUs: number): void => {
    states.push(state)
    times.push(atUs / 1e6)
  }

  let state: number = EBWIFI.psm
  let prev = us[0]
  for (let i = 0; i < n; i++) {
    const t = us[i]
    if (state === EBWIFI.cam && t - prev > tail) {
      emit(EBWIFI.cam, prev + tail)
      emit(EBWIFI.psm, prev + tail)
      state = EBWIFI.psm
    }
    if (state === EBWIFI.psm) {
      emit(EBWIFI.psm, t)
      emit(EBWIFI.cam, t)
      state = EBWIFI.cam
      promotions.push({ time: view.time[i], packet: i, from: EBWIFI.psm, to: EBWIFI.cam })
    } else {
      emit(EBWIFI.cam, t)
    }
    prev = t
  }

  const rewritten = applyHighCam(view, us, profile, states, times, quirks.camhDemotionOffsetSeconds ?? 0.001)
  if (rewritten != null) {
    states = rewritten.states
    times = rewritten.times
  }
  // The final tail is appended after the rewrite, so it is never CAMH.
  emit(EBWIFI.cam, prev + tail)
  emit(EBWIFI.psm, prev + tail)
  shiftTimes(times, view.time[0])
  return { states, times, promotions }
}

// Throughput windows and the CAM -> CAMH rewrite of the point list (README, "Building the windows"
// and "Rewriting the points"). Window ends are built by repeated floating addition, as upstream
// does; the drift is visible in the oracle (e.g. 79.25099999999765).
function applyHighCam (
  view: PacketView, us: Float64Array, profile: EnergyBoxWifiProfile, states: number[], times: number[], offset: number
): { states: number[], times: number[] } | null {
  const n = view.n
  const w = profile.windowSeconds
  const lastTime = us[n - 1] / 1e6
  const winEnd: number[] = [0]
  const winHigh: boolean[] = [false]
  let anyHigh = false
  let boundary = w
  let bytes = 0
  let i = 0
  while (boundary < lastTime) {
    while (i < n && us[i] / 1e6 < boundary) bytes += view.bytes[i++]
    const high = bytes > profile.highThresholdBytes
    anyHigh ||= high
    winEnd.push(boundary)
    winHigh.push(high)
    bytes = 0
    boundary += w
  }
  winEnd.push(lastTime)
  winHigh.push(false)
  if (!anyHigh) return null

  // Streaming form of upstream's in-place insertions: "the previous point" is the last one written.
  const outS: number[] = [states[0]]
  const outT: number[] = [times[0]]
  let wi = 0
  let lastHighEnd = NaN
  let p = 1
  for (; p < states.length; p++) {
    const time = times[p]
    while (wi < winEnd.length && !(time < winEnd[wi])) wi++
    if (wi >= winEnd.length) break
    const prevState = outS[outS.length - 1]
    let state = states[p]
    if (winHigh[wi]) {
      lastHighEnd = winEnd[wi]
      if (state === EBWIFI.cam) {
        if (prevState === EBWIFI.camh) {
          state = EBWIFI.camh
        } else if (prevState === EBWIFI.cam) {
          outS.push(EBWIFI.cam, EBWIFI.camh)
          outT.push(winEnd[wi - 1], winEnd[wi - 1])
          state = EBWIFI.camh
        } else {
          outS.push(state)
          outT.push(time)
          outS.push(EBWIFI.camh)
          outT.push(time)
          continue
        }
      }
    } else if (prevState === EBWIFI.camh) {
      outS.push(EBWIFI.camh, EBWIFI.cam)
      outT.push(lastHighEnd + offset, lastHighEnd + offset)
    }
    outS.push(state)
    outT.push(time)
  }
  for (; p < states.length; p++) {
    outS.push(states[p])
    outT.push(times[p])
  }
  return { states: outS, times: outT }
}

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { readPcap } from '../../harness/capture/index.js'
import {
  EBWIFI,
  energyBoxStatesWifi,
  loadRadioProfile,
  parseEnergyBoxCsv,
  radioPacketsFromCapture,
  type EnergyBoxPoint,
  type EnergyBoxWifiProfile
} from '../../harness/energy/index.js'
import type { CapturedPacket, RadioPacket } from '../../harness/interface/index.js'

// An independent implementation of EnergyBox's WiFi engine, written from the text of
// fixtures/pcap/energybox/ENERGYBOX.md ("WiFi engine", "Building the windows", "Rewriting the
// points") the plain way: every window in a list, the rewrite inserting into the point list in
// place, as upstream does. harness/energy/energybox.ts computes windows lazily, skips runs of
// empty windows in a tight loop and streams the rewrite; the two must agree on every trace.
// The reference is checked against upstream's own oracles first.

const { psm: PSM, cam: CAM, camh: CAMH } = EBWIFI

function referenceWifi(packets: readonly RadioPacket[], profile: EnergyBoxWifiProfile): EnergyBoxPoint[] {
  const n = packets.length
  if (n === 0) return []
  // Times relative to the first frame in file order, in integer microseconds.
  const us = packets.map((p) => Math.round((p.time - packets[0].time) * 1e6))
  const tail = Math.round(profile.camTailSeconds * 1e6)
  const points: EnergyBoxPoint[] = []
  let state: number = PSM
  for (let i = 0; i < n; i++) {
    const prev = i === 0 ? us[0] : us[i - 1]
    if (state === CAM && us[i] - prev > tail) {
      points.push({ state: CAM, time: (prev + tail) / 1e6 }, { state: PSM, time: (prev + tail) / 1e6 })
      state = PSM
    }
    if (state === PSM) points.push({ state: PSM, time: us[i] / 1e6 }, { state: CAM, time: us[i] / 1e6 })
    else points.push({ state: CAM, time: us[i] / 1e6 })
    state = CAM
  }
  // The windows: a dummy one (end 0), then one per boundary w, w + w, ... (repeated addition) below
  // the last frame's time, each summing the frames, in file order, while their time is below its
  // boundary; then one ending at the last frame's time with 0 bytes.
  const lastTime = us[n - 1] / 1e6
  const windows: Array<{ end: number; high: boolean }> = [{ end: 0, high: false }]
  let frame = 0
  for (let boundary = profile.windowSeconds; boundary < lastTime; boundary += profile.windowSeconds) {
    let bytes = 0
    while (frame < n && us[frame] / 1e6 < boundary) bytes += packets[frame++].bytes
    windows.push({ end: boundary, high: bytes > profile.highThresholdBytes })
  }
  windows.push({ end: lastTime, high: false })
  // The rewrite, in place.
  let lastHigh = -1
  let k = 0
  for (let j = 1; j < points.length; ) {
    if (!(points[j].time < windows[k].end)) {
      if (++k === windows.length) break
      continue
    }
    const prev = points[j - 1].state
    if (windows[k].high) {
      lastHigh = k
      if (points[j].state === CAM) {
        if (prev === CAMH) points[j].state = CAMH
        else if (prev === CAM) points.splice(j, 0, { state: CAM, time: windows[k - 1].end }, { state: CAMH, time: windows[k - 1].end })
        else points.splice(j + 1, 0, { state: CAMH, time: points[j].time })
      }
      j++
    } else {
      if (prev === CAMH) {
        const at = windows[lastHigh].end + 0.001
        points.splice(j, 0, { state: CAMH, time: at }, { state: CAM, time: at })
        j += 2
      }
      j++
    }
  }
  const end = (us[n - 1] + tail) / 1e6
  points.push({ state: CAM, time: end }, { state: PSM, time: end })
  return points.map((p) => ({ state: p.state, time: p.time + packets[0].time }))
}

const wifi = loadRadioProfile('energybox-wifi-general') as EnergyBoxWifiProfile
const dir = fileURLToPath(new URL('../../../fixtures/pcap/energybox/', import.meta.url))

function sameTrace(actual: EnergyBoxPoint[], expected: EnergyBoxPoint[]): string | null {
  if (actual.length !== expected.length) return `${actual.length} points, expected ${expected.length}`
  for (let i = 0; i < expected.length; i++) {
    if (actual[i].state !== expected[i].state || actual[i].time !== expected[i].time) {
      return `point ${i}: ${actual[i].state}@${actual[i].time} vs ${expected[i].state}@${expected[i].time}`
    }
  }
  return null
}

test('the reference WiFi engine reproduces upstream oracles test1_wifi and test2_wifi (times within 1e-5 s)', async () => {
  assert.ok(existsSync(dir), `EnergyBox fixtures not found at ${dir}`)
  for (const capture of ['test1', 'test2']) {
    const frames: CapturedPacket[] = []
    for await (const p of readPcap(`${dir}${capture}.pcap`)) frames.push(p)
    const { packets } = radioPacketsFromCapture(frames)
    const oracle = parseEnergyBoxCsv(readFileSync(`${dir}oracle/${capture}_wifi.csv`, 'utf8'))
    const mine = referenceWifi(packets, wifi).map((p) => ({ state: p.state, time: p.time - packets[0].time }))
    assert.equal(mine.length, oracle.length, capture)
    for (let i = 0; i < oracle.length; i++) {
      assert.equal(mine[i].state, oracle[i].state, `${capture} point ${i}`)
      assert.ok(Math.abs(mine[i].time - oracle[i].time) <= 1e-5, `${capture} point ${i}`)
    }
  }
})

/** A small seeded generator (mulberry32), so every run draws the same traces. */
function random(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Bursts, pauses around the 220 ms tail, packets on window boundaries, some out of time order. */
function randomTrace(rand: () => number, outOfOrder: boolean): RadioPacket[] {
  const n = 1 + Math.floor(rand() * 40)
  const out: RadioPacket[] = []
  let t = 1000 + Math.floor(rand() * 10) * 0.05
  for (let i = 0; i < n; i++) {
    const r = rand()
    if (i > 0) {
      if (r < 0.4) t += Math.floor(rand() * 30) / 1000
      else if (r < 0.6) t += 0.05 * (1 + Math.floor(rand() * 4))
      else if (r < 0.8) t += 0.2 + Math.floor(rand() * 50) / 1000
      else if (r < 0.9) t += 0.1 + rand() * 2
      else if (outOfOrder) t -= rand() * 0.3
      else t += 0.001
    }
    t = Math.round(t * 1e6) / 1e6
    const bytes = rand() < 0.5 ? 60 + Math.floor(rand() * 100) : 500 + Math.floor(rand() * 2500)
    out.push({ time: t, bytes, direction: rand() < 0.5 ? 'up' : 'down' })
  }
  return out
}

test('the WiFi engine agrees with the reference on 3000 drawn traces (time-ordered and not), CAMH in many of them', () => {
  const rand = random(17)
  let withCamh = 0
  for (let k = 0; k < 3000; k++) {
    const packets = randomTrace(rand, k % 3 === 0)
    const expected = referenceWifi(packets, wifi)
    const problem = sameTrace(energyBoxStatesWifi(packets, wifi), expected)
    assert.equal(problem, null, `trace ${k}: ${JSON.stringify(packets)}`)
    if (expected.some((p) => p.state === CAMH)) withCamh++
  }
  assert.ok(withCamh > 300, `only ${withCamh} traces with CAMH`)
})

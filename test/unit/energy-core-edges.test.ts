import { test } from 'node:test'
import assert from 'node:assert/strict'
import { chooseDeviceAddress, parseRadioProfile, priceTimeline, type RadioProfile } from '../../harness/energy/index.js'
import { Accumulator, ActiveAttributor, packetView } from '../../harness/energy/pricing-core.js'
import type { CapturedPacket } from '../../harness/interface/index.js'

// Edges of the pricing core left by the second mutation run of energy-pricing: throughput windows
// of half a second aligned on the first packet (not on time 0), an even share in a window without
// bytes that is not the first, and the window lookup asked for an earlier window than the last.
// Watts worked out by hand: 1 W base plus 1 W/Mbps up, i.e. 8e-6 W per byte per second.

function close(actual: number | undefined, expected: number, what = ''): void {
  assert.ok(actual != null && Math.abs(actual - expected) < 1e-9, `${what}: ${actual} is not ${expected}`)
}

function profile(windowSeconds: number, inactivitySeconds = 3): RadioProfile {
  return parseRadioProfile({
    name: 'half',
    model: 'tail',
    source: 'hand',
    verified: true,
    active: { state: 'act', inactivitySeconds, betaWatts: 1, alphaUpWattsPerMbps: 1, windowSeconds },
    tail: [{ state: 't', seconds: 5, watts: 0 }],
    idle: { state: 'rest', watts: 0 }
  })
}

test('half-second windows aligned on the first packet: each priced by its own bytes', () => {
  // packets at 0.3 (62 500 B up: 62 500 / 0.5 s = 1 Mbps, +1 W) and 1.55 (125 000 B: +2 W)
  // windows from 0.3: [0.3,0.8) a's, [0.8,1.3) empty, [1.3,1.8) b's
  const r = priceTimeline(
    [
      { time: 0.3, bytes: 62_500, direction: 'up', label: 'a' },
      { time: 1.55, bytes: 125_000, direction: 'up', label: 'b' }
    ],
    profile(0.5)
  )
  // active [0.3,0.8] at 2 W = 1 J (a), [0.8,1.3] at 1 W = 0.5 J (empty: to a), [1.3,1.55] at 3 W = 0.75 J (b)
  close(r.byLabel.a, 1.5, 'a')
  close(r.byLabel.b, 0.75, 'b')
  close(r.byKind.active.joules, 2.25, 'active')
})

test('two-second windows: an active span starting inside a window is priced from that window on', () => {
  // a at 0 (250 000 B up: 1 Mbps over 2 s, +1 W), b at 1 (no bytes), c at 3.5 (500 000 B: +2 W)
  const r = priceTimeline(
    [
      { time: 0, bytes: 250_000, direction: 'up', label: 'a' },
      { time: 1, bytes: 0, direction: 'up', label: 'b' },
      { time: 3.5, bytes: 500_000, direction: 'up', label: 'c' }
    ],
    profile(2)
  )
  // [0,1] and [1,2] in window 0 at 2 W: 4 J, all to a (b has no bytes); [2,3.5] in window 1 at 3 W: 4.5 J to c
  close(r.byLabel.a, 4, 'a')
  close(r.byLabel.b, 0, 'b')
  close(r.byLabel.c, 4.5, 'c')
})

test('a window without bytes after the first shares its energy evenly among its packets', () => {
  const r = priceTimeline(
    [
      { time: 0, bytes: 125_000, direction: 'up', label: 'a' },
      { time: 1.2, bytes: 0, direction: 'up', label: 'b' },
      { time: 1.4, bytes: 0, direction: 'up', label: 'c' },
      { time: 1.6, bytes: 0, direction: 'up', label: 'd' },
      { time: 1.8, bytes: 0, direction: 'up', label: 'e' }
    ],
    profile(1)
  )
  // window 0 [0,1) at 2 W: 2 J to a. Window 1 [1,1.8] at 1 W (no bytes): 0.8 J over its 4 packets
  close(r.byLabel.a, 2, 'a')
  for (const label of ['b', 'c', 'd', 'e']) close(r.byLabel[label], 0.2, label)
})

test('the window lookup finds an earlier window after a later one (spans need not come in time order)', () => {
  const view = packetView(
    [
      { time: 0, bytes: 125_000, direction: 'up', label: 'a' },
      { time: 2, bytes: 250_000, direction: 'up', label: 'b' }
    ],
    true
  )
  const inOrder = new Accumulator(view, false)
  const ordered = new ActiveAttributor(view, 1)
  const backwards = new Accumulator(view, false)
  const reversed = new ActiveAttributor(view, 1)
  const slope = 8e-6
  // window 0 at 2 W, window 2 at 3 W
  const j1 = ordered.add(inOrder, 0, 0.5, 0, 1, slope, 0)
  const j2 = ordered.add(inOrder, 2, 2.5, 1, 1, slope, 0)
  const k2 = reversed.add(backwards, 2, 2.5, 1, 1, slope, 0)
  const k2again = reversed.add(backwards, 2.5, 2.75, 1, 1, slope, 0)
  const k1 = reversed.add(backwards, 0, 0.5, 0, 1, slope, 0)
  close(j1, 1, 'window 0 in order')
  close(j2, 1.5, 'window 2 in order')
  close(k2, 1.5, 'window 2 first')
  close(k2again, 0.75, 'window 2 again')
  close(k1, 1, 'window 0 after window 2')
  ordered.finish(inOrder)
  reversed.finish(backwards)
  assert.deepEqual(inOrder.byLabel(), { a: 1, b: 1.5 })
  assert.deepEqual(backwards.byLabel(), { a: 1, b: 2.25 })
})

test('a TCP or UDP packet without its transport header (a later fragment) counts as seen, not as a request', () => {
  const fragment: CapturedPacket = {
    index: 0,
    timestampUs: 0,
    wireLength: 60,
    capturedLength: 60,
    linkType: 1,
    ip: { version: 4, src: '10.0.0.1', dst: '10.0.0.2', protocol: 'tcp', length: 46 }
  }
  const udpFragment: CapturedPacket = { ...fragment, index: 1, ip: { version: 4, src: '10.0.0.1', dst: '10.0.0.3', protocol: 'udp', length: 46 } }
  assert.deepEqual(chooseDeviceAddress([fragment, udpFragment]), { address: '10.0.0.1', count: 2, rule: 'most-frequent' })
})

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parseRadioProfile, priceTimeline } from '../../harness/energy/index.js'

// A tail-model radio with round numbers, so every label's joules can be worked by hand: a 1 s
// promotion at 1 W, continuous transfer at 2 W for gaps up to 0.1 s, one 4 s tail at 0.5 W, idle
// at 0.1 W. Three packets with three purposes, spaced so that each packet's tail, and each
// promotion, is a different size: charging any of them to a neighbour's label moves two figures.
const radio = parseRadioProfile({
  name: 'round',
  source: 'test',
  verified: false,
  model: 'tail',
  promotion: { seconds: 1, watts: 1 },
  active: { inactivitySeconds: 0.1, betaWatts: 2 },
  tail: [{ state: 'tail', seconds: 4, watts: 0.5 }],
  idle: { watts: 0.1 }
})

const close = (actual: number | undefined, expected: number, what: string): void => {
  assert.ok(actual !== undefined && Math.abs(actual - expected) < 1e-9, `${what}: ${String(actual)} vs ${expected}`)
}

test('tail-model attribution per label: a promotion to the packet that needed it, a tail to the packet it follows, idle to nobody', () => {
  const report = priceTimeline(
    [
      { time: 10, bytes: 100, direction: 'up', label: 'relay' },
      { time: 12, bytes: 300, direction: 'down', label: 'store' },
      { time: 30, bytes: 50, direction: 'up', label: 'keepalive' }
    ],
    radio
  )
  // relay:     promotion 9-10 (1 J) + its tail 10-12, cut by the next packet (2 s x 0.5 = 1 J)
  // store:     its whole tail 12-16 (2 J)
  // (idle):    16-29 (13 s x 0.1 = 1.3 J)
  // keepalive: promotion 29-30 (1 J) + its whole tail 30-34 (2 J)
  close(report.byLabel.relay, 2, 'relay')
  close(report.byLabel.store, 2, 'store')
  close(report.byLabel.keepalive, 3, 'keepalive')
  close(report.byLabel['(idle)'], 1.3, 'idle')
  close(report.totalJoules, 8.3, 'total')
  assert.equal(report.promotions, 2)
  close(report.byKind.tail.joules, 5, 'tail joules')
  close(report.byKind.promotion.joules, 2, 'promotion joules')
})

test('active transfer energy is shared by bytes among the packets of its window, whatever their labels', () => {
  const report = priceTimeline(
    [
      { time: 10, bytes: 300, direction: 'up', label: 'send' },
      { time: 10.05, bytes: 100, direction: 'down', label: 'ack' },
      { time: 10.1, bytes: 600, direction: 'down', label: 'sync' }
    ],
    radio
  )
  // active 10-10.1 at 2 W = 0.2 J in one window, split 300:100:600 of 1000 bytes
  // send: promotion 1 J + 0.06 J; ack: 0.02 J; sync: 0.12 J + the whole tail 2 J
  close(report.byLabel.send, 1.06, 'send')
  close(report.byLabel.ack, 0.02, 'ack')
  close(report.byLabel.sync, 2.12, 'sync')
  assert.equal(report.byLabel['(idle)'], undefined, 'no idle time between the first promotion and the last tail')
})

test('the same packets labelled another way split the same total differently', () => {
  const packets = [
    { time: 10, bytes: 100, direction: 'up' as const, label: 'a' },
    { time: 12, bytes: 300, direction: 'down' as const, label: 'b' },
    { time: 30, bytes: 50, direction: 'up' as const, label: 'a' }
  ]
  const byNode = priceTimeline(packets, radio)
  // a = relay + keepalive above, b = store
  close(byNode.byLabel.a, 5, 'a')
  close(byNode.byLabel.b, 2, 'b')
  const unlabelled = priceTimeline(
    packets.map(({ label: _label, ...p }) => p),
    radio
  )
  close(unlabelled.byLabel['(unlabelled)'], 7, 'unlabelled')
  close(unlabelled.totalJoules, byNode.totalJoules, 'same total')
})

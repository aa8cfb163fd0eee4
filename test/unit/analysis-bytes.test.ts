import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { CourierEvent } from '../../harness/interface/index.js'
import { analyzeBytes, type CapturedConversations } from '../../harness/analysis/index.js'
import { aliceRelayCapture, aliceRelayClose, aliceRelayOpen } from '../helpers/alice-relay.js'

// alice dials relay-1 (alice 127.0.0.1:50000 -> relay 127.0.0.1:6000). Figures worked out by hand.
const events: CourierEvent[] = [
  { t: 0, type: 'capture.start', backend: 'tcpdump', file: 'capture.pcap' },
  { t: 0, type: 'device.up', device: 'alice', driver: 'simulated' },
  ...aliceRelayOpen(1),
  { t: 1000, type: 'scenario.start' },
  { t: 1500, type: 'msg.sent', msgId: 'c1', hash: 'h1', topic: 'lobby', bytes: 300, node: 'crowd-1', user: 'u1' },
  { t: 1510, type: 'msg.received', device: 'alice', hash: 'h1', msgId: 'c1', via: 'relay', bytes: 340, duplicate: false },
  { t: 1600, type: 'msg.received', device: 'alice', hash: 'h1', msgId: 'c1', via: 'store', bytes: 340, duplicate: true },
  { t: 1700, type: 'store.response', device: 'alice', store: 'store-1', requestId: 'r1', status: 200, messages: 1, bytes: 900, pages: 1 },
  { t: 2000, type: 'bytes.sample', owner: 'alice', connId: 'alice#1', protocol: 'wire', up: 400, down: 1600 },
  { t: 2000, type: 'bytes.sample', owner: 'alice', connId: 'alice#streams', protocol: 'relay', up: 300, down: 1200 },
  // seconds 5..8 are quiet (no send in the 3 s before their end): 100 bytes up in each of two samples
  { t: 6500, type: 'bytes.sample', owner: 'alice', connId: 'alice#1', protocol: 'wire', up: 100, down: 0 },
  { t: 8500, type: 'bytes.sample', owner: 'alice', connId: 'alice#1', protocol: 'wire', up: 100, down: 0 },
  { t: 11000, type: 'scenario.end' },
  ...aliceRelayClose(11100)
]

const capture = (aliceToRelay: number, relayToAlice: number): CapturedConversations => aliceRelayCapture(aliceToRelay, relayToAlice)

test('wire totals, per-protocol bytes and per-message bytes of a device', () => {
  const bytes = analyzeBytes(events)
  const alice = bytes?.owners.alice
  assert.ok(alice != null)
  assert.equal(alice.kind, 'device')
  assert.equal(alice.up, 600)
  assert.equal(alice.down, 1600)
  assert.deepEqual(alice.byProtocol, { relay: { up: 300, down: 1200 } })
  // one message delivered: 1600 down, 2200 in all
  assert.deepEqual(alice.perMessage, { down: 1600, total: 2200 })
  assert.deepEqual(alice.duplicateBytes, { store: 340 })
  assert.equal(alice.storePerRequest, 900)
})

test('per-protocol bytes keep each protocol and direction apart, summed over samples, and never reach the wire totals', () => {
  const more: CourierEvent[] = [
    ...events.slice(0, -3),
    { t: 1700, type: 'bytes.sample', owner: 'alice', connId: 'alice#streams', protocol: 'store', up: 120, down: 900 },
    { t: 3000, type: 'bytes.sample', owner: 'alice', connId: 'alice#streams', protocol: 'relay', up: 7, down: 11 },
    { t: 3000, type: 'bytes.sample', owner: 'relay-1', connId: 'relay-1#streams', protocol: 'relay', up: 1200, down: 300 },
    ...events.slice(-3)
  ]
  const bytes = analyzeBytes(more)
  assert.deepEqual(bytes?.owners.alice?.byProtocol, { relay: { up: 307, down: 1211 }, store: { up: 120, down: 900 } })
  assert.deepEqual(bytes?.owners['relay-1']?.byProtocol, { relay: { up: 1200, down: 300 } }, "the relay's own streams are its own")
  assert.equal(bytes?.owners.alice?.up, 600, 'stream samples are not wire bytes')
  assert.equal(bytes?.owners.alice?.down, 1600)
})

test('background bytes per hour come from quiet seconds only', () => {
  const alice = analyzeBytes(events)?.owners.alice
  // traffic phase 1000..11000 is seconds 0..9; the send at 1500 falls in second 0, which makes
  // seconds 0, 1 and 2 busy (it or the two before it); seconds 3..9 are quiet: 7 quiet seconds
  // holding 200 bytes (the samples at 6500 and 8500) -> 200 / 7 s * 3600
  assert.equal(alice?.backgroundPerHour, Math.round((200 / 7) * 3600))
})

test('projection scales the traffic-phase bytes to an hour and a day', () => {
  const alice = analyzeBytes(events)?.owners.alice
  // 2200 bytes in the 10 s traffic phase
  assert.equal(alice?.projected.perHour, 2200 * 360)
  assert.equal(alice?.projected.perDay, 2200 * 360 * 24)
})

test("the capture cross-check passes when every sender's bytes are on the wire, and names the connection when not", () => {
  const good = analyzeBytes(events, capture(600, 1600))?.tcpdump?.check
  assert.deepEqual(good, { directions: 2, equal: 2, mismatches: [] })
  const bad = analyzeBytes(events, capture(600, 1590))?.tcpdump?.check
  assert.equal(bad?.equal, 1)
  assert.deepEqual(bad?.mismatches, [{ owner: 'relay-1', connId: 'relay-1#2', direction: 'up', socket: 1600, capture: 1590 }])
})

test('a direction the capture carried less of, on a connection that was reset, is unsent at the reset, not a mismatch', () => {
  const reset = (resetBy: 'a' | 'b' | undefined, aliceToRelay: number, relayToAlice: number): CapturedConversations =>
    aliceRelayCapture(aliceToRelay, relayToAlice, { resetBy })
  // relay-1's socket counted 1600 bytes up; the reset discarded the last 10 before they were sent
  const short = analyzeBytes(events, reset('a', 600, 1590))?.tcpdump?.check
  assert.deepEqual(short, { directions: 2, equal: 1, mismatches: [], unsentAtReset: { directions: 1, bytes: 10 } })
  // either side's reset discards the queue: the other side's reset explains it too
  assert.deepEqual(analyzeBytes(events, reset('b', 600, 1590))?.tcpdump?.check?.unsentAtReset, { directions: 1, bytes: 10 })
  // more on the wire than the socket counted is no reset's doing
  const more = analyzeBytes(events, reset('a', 600, 1610))?.tcpdump?.check
  assert.deepEqual(more, { directions: 2, equal: 1, mismatches: [{ owner: 'relay-1', connId: 'relay-1#2', direction: 'up', socket: 1600, capture: 1610 }] })
  // no reset: still a mismatch
  assert.equal(analyzeBytes(events, reset(undefined, 600, 1590))?.tcpdump?.check?.mismatches.length, 1)
  // a connection the capture never saw carried nothing on the wire
  assert.deepEqual(analyzeBytes(events, { ...capture(0, 0), conversations: [] })?.tcpdump?.check, {
    directions: 2,
    equal: 0,
    mismatches: [
      { owner: 'alice', connId: 'alice#1', direction: 'up', socket: 600, capture: 0 },
      { owner: 'relay-1', connId: 'relay-1#2', direction: 'up', socket: 1600, capture: 0 }
    ]
  })
})

test('capture: off leaves no byte figures at all', () => {
  assert.equal(analyzeBytes([{ t: 0, type: 'capture.start', backend: 'off' }, ...events.slice(1)]), undefined)
})

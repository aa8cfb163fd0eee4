import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { CourierEvent } from '../../harness/interface/index.js'
import { analyzeBytes } from '../../harness/analysis/index.js'

// The edges of the byte figures' time windows, worked by hand: samples before the scenario starts,
// at its first millisecond, and at and past the second after its end; a log without
// scenario.start; owners that delivered nothing or only counted protocol bytes.
const HOUR_MS = 3_600_000
const wire = (t: number, owner: string, up: number, down: number): CourierEvent => ({
  t,
  type: 'bytes.sample',
  owner,
  connId: `${owner}#1`,
  protocol: 'wire',
  up,
  down
})

const windowed: CourierEvent[] = [
  { t: 0, type: 'capture.start', backend: 'socket' },
  { t: 0, type: 'device.up', device: 'alice', driver: 'simulated' },
  // before the scenario: second -1 of the series, outside the traffic phase
  wire(500, 'alice', 10, 20),
  { t: 1000, type: 'scenario.start' },
  // at the start itself: second 0, but not traffic (the phase is after its start)
  wire(1000, 'alice', 1, 2),
  wire(1500, 'alice', 100, 200),
  { t: 3000, type: 'scenario.end' },
  // the second after the end still counts as traffic, up to and including end + 1000 ms
  wire(4000, 'alice', 1000, 2000),
  wire(4001, 'alice', 10_000, 0)
]

function checkWindowed(events: CourierEvent[]): void {
  const alice = analyzeBytes(events)?.owners.alice
  assert.ok(alice != null)
  assert.equal(alice.up, 11_111)
  assert.equal(alice.down, 2222)
  assert.deepEqual(alice.perSecond, [
    { second: -1, up: 10, down: 20 },
    { second: 0, up: 101, down: 202 },
    { second: 3, up: 11_000, down: 2000 }
  ])
  // traffic: 300 (t 1500) + 3000 (t 4000) over the 2000 ms phase
  assert.deepEqual(alice.projected, { perHour: (3300 / 2000) * HOUR_MS, perDay: (3300 / 2000) * HOUR_MS * 24 })
  // nobody posted: seconds 0 and 1 are quiet, holding 303 bytes
  assert.equal(alice.backgroundPerHour, Math.round((303 / 2000) * HOUR_MS))
}

test('bytes: a sample before scenario.start is second -1 and not traffic; one at the start is second 0 and not traffic; end + 1000 ms is the last traffic millisecond', () => {
  checkWindowed(windowed)
})

test('bytes: only the first scenario.start sets the seconds and the traffic phase', () => {
  checkWindowed([...windowed.slice(0, 6), { t: 2000, type: 'scenario.start' }, ...windowed.slice(6)])
})

test('bytes: a log without scenario.start counts seconds from 0 and all its samples as traffic, up to the last event', () => {
  const alice = analyzeBytes([
    { t: 0, type: 'capture.start', backend: 'socket' },
    { t: 0, type: 'device.up', device: 'alice', driver: 'simulated' },
    wire(500, 'alice', 10, 20),
    wire(1500, 'alice', 100, 200)
  ])?.owners.alice
  assert.ok(alice != null)
  assert.deepEqual(alice.perSecond, [
    { second: 0, up: 10, down: 20 },
    { second: 1, up: 100, down: 200 }
  ])
  // 330 bytes over 1500 ms; second 0 (30 bytes) is the only whole quiet second
  assert.deepEqual(alice.projected, { perHour: (330 / 1500) * HOUR_MS, perDay: (330 / 1500) * HOUR_MS * 24 })
  assert.equal(alice.backgroundPerHour, (30 / 1000) * HOUR_MS)
})

test('bytes: a node has no per-message figure and no series; a device that got nothing has no per-message figure; protocol bytes alone make no series', () => {
  const bytes = analyzeBytes([
    { t: 0, type: 'capture.start', backend: 'socket' },
    { t: 0, type: 'device.up', device: 'alice', driver: 'simulated' },
    { t: 0, type: 'device.up', device: 'bob', driver: 'simulated' },
    { t: 1000, type: 'scenario.start' },
    wire(1500, 'relay-1', 700, 900),
    wire(1500, 'alice', 70, 90),
    { t: 1500, type: 'bytes.sample', owner: 'bob', connId: 'bob#streams', protocol: 'relay', up: 5, down: 6 },
    { t: 3000, type: 'scenario.end' }
  ])
  const relay = bytes?.owners['relay-1']
  assert.equal(relay?.kind, 'node')
  assert.deepEqual(relay?.perMessage, { down: null, total: null })
  assert.equal(relay?.perSecond, undefined)
  const alice = bytes?.owners.alice
  assert.equal(alice?.kind, 'device')
  assert.deepEqual(alice?.perMessage, { down: null, total: null })
  assert.deepEqual(alice?.perSecond, [{ second: 0, up: 70, down: 90 }])
  const bob = bytes?.owners.bob
  assert.deepEqual(bob?.byProtocol, { relay: { up: 5, down: 6 } })
  assert.equal(bob?.up, 0)
  assert.equal(bob?.perSecond, undefined)
})

test('bytes: a second is quiet when nobody posted from 3 s before its end up to its end, a post at the window start counting and one at its end not; posts are taken in time order whatever the log order', () => {
  // a device sends 2^s bytes up in second s, so which seconds are quiet shows in its background figure
  const samples = Array.from({ length: 10 }, (_, s) => wire(s * 1000 + 500, 'alice', 2 ** s, 0))
  const post = (t: number): CourierEvent => ({ t, type: 'msg.sent', msgId: `m${t}`, hash: `h${t}`, topic: 'lobby', bytes: 10, node: 'crowd-1', user: 'u1' })
  const alice = analyzeBytes([
    { t: 0, type: 'capture.start', backend: 'socket' },
    { t: 0, type: 'device.up', device: 'alice', driver: 'simulated' },
    { t: 0, type: 'scenario.start' },
    ...samples,
    // out of order on purpose; 2000 is the window start of second 4 (its end is 5000), 8000 the end of second 7's window
    post(8000),
    post(2000),
    { t: 10_000, type: 'scenario.end' }
  ])?.owners.alice
  // the post at 2000 makes seconds 2, 3 and 4 busy, the one at 8000 seconds 8 and 9: 0, 1, 5, 6 and 7 are quiet
  const quietBytes = 2 ** 0 + 2 ** 1 + 2 ** 5 + 2 ** 6 + 2 ** 7
  assert.equal(alice?.backgroundPerHour, Math.round((quietBytes / 5000) * HOUR_MS))
})

test('bytes: with a capture the backend of record is tcpdump and its totals are carried into results', () => {
  const totals = { file: 'capture.pcap', packets: 12, dropped: 1, wireBytes: 3400, payloadBytes: 1600, retransmittedBytes: 40 }
  const bytes = analyzeBytes(
    [{ t: 0, type: 'capture.start', backend: 'tcpdump', file: 'capture.pcap' }, { t: 1000, type: 'scenario.start' }, wire(1500, 'relay-1', 7, 9)],
    { ...totals, conversations: [] }
  )
  assert.equal(bytes?.backend, 'tcpdump')
  assert.deepEqual(bytes?.tcpdump, { ...totals, check: { directions: 0, equal: 0, mismatches: [] } })
  assert.equal(analyzeBytes([{ t: 0, type: 'capture.start', backend: 'socket' }, wire(1500, 'relay-1', 7, 9)])?.backend, 'socket')
})

test('the capture cross-check lists at most 50 mismatched connections, counts every one, and skips a close whose open is not in the log', () => {
  // 60 connections whose senders counted 100 bytes each while the capture saw 90 leave them
  const events: CourierEvent[] = [
    { t: 0, type: 'capture.start', backend: 'tcpdump', file: 'capture.pcap' },
    { t: 1000, type: 'scenario.start' }
  ]
  const conversations: NonNullable<Parameters<typeof analyzeBytes>[1]>['conversations'] = []
  for (let i = 0; i < 60; i++) {
    const connId = `relay-1#${i}`
    events.push({ t: 1100, type: 'conn.open', owner: 'relay-1', remote: 'relay-2', localAddr: `127.0.0.1:${40000 + i}`, remoteAddr: '127.0.0.1:6000', connId })
    events.push({ t: 2000, type: 'conn.close', owner: 'relay-1', connId, bytesUp: 100, bytesDown: 0 })
    conversations.push({ a: { ip: '127.0.0.1', port: 40000 + i }, b: { ip: '127.0.0.1', port: 6000 }, aToB: { payloadBytes: 90 }, bToA: { payloadBytes: 0 } })
  }
  // a connection opened before the log began (a worker's, say): its close has nothing to match
  events.push({ t: 2000, type: 'conn.close', owner: 'relay-2', connId: 'relay-2#old', bytesUp: 5, bytesDown: 0 })
  const totals = { file: 'capture.pcap', packets: 120, dropped: 0, wireBytes: 9000, payloadBytes: 5400, retransmittedBytes: 0 }
  const check = analyzeBytes(events, { ...totals, conversations })?.tcpdump?.check
  assert.equal(check?.directions, 60)
  assert.equal(check?.equal, 0)
  assert.equal(check?.mismatches.length, 50)
  assert.deepEqual(check?.mismatches[49], { owner: 'relay-1', connId: 'relay-1#49', direction: 'up', socket: 100, capture: 90 })
})

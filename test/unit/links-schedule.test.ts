// The shaper's arithmetic with made-up clocks: what each profile field does to a piece, order,
// seeded decisions, profile validation and presets. Real sockets are in links-shaper.test.ts.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  checkLinkProfile,
  getLinkPreset,
  LINK_PRESET_NAMES,
  linkProfileProblems,
  listLinkPresets,
  maxPieceBytes,
  retransmissionTimeoutMs,
  schedulePiece,
  streamRandom,
  type LinkProfile,
  type StreamState
} from '../../harness/links/index.js'
import { InvalidInputError } from '../../harness/interface/index.js'

const profile = (p: Partial<LinkProfile>): LinkProfile => ({ latencyMs: 0, jitterMs: 0, lossRate: 0, bandwidthBps: 0, ...p })
const fresh = (seed = 1): StreamState => ({ random: streamRandom(seed, 0, 'up'), lastDeliverAt: 0 })

test('latency: every piece leaves exactly latencyMs after it arrived when nothing else applies', () => {
  const s = fresh()
  const bucket = { freeAt: 0 }
  for (const at of [0, 3, 100.5]) {
    const piece = schedulePiece(s, bucket, profile({ latencyMs: 40 }), 200, at, 500)
    assert.equal(piece.deliverAt, at + 40)
    assert.equal(piece.lostSegments, 0)
  }
})

test('bandwidth: a 12,500-byte piece takes 100 ms at 1 Mbit/s, and a second one queues behind it', () => {
  const s = fresh()
  const bucket = { freeAt: 0 }
  const p = profile({ latencyMs: 10, bandwidthBps: 1_000_000 })
  const a = schedulePiece(s, bucket, p, 200, 0, 12_500)
  assert.equal(a.txEnd, 100)
  assert.equal(a.deliverAt, 110)
  const b = schedulePiece(s, bucket, p, 200, 20, 12_500)
  assert.equal(b.txStart, 100) // 80 ms of queueing behind the first
  assert.equal(b.deliverAt, 210)
  // Idle time earns no credit: a piece after a long gap starts at once.
  const c = schedulePiece(s, bucket, p, 200, 1000, 1250)
  assert.equal(c.txStart, 1000)
  assert.equal(c.deliverAt, 1020)
})

test('bandwidth is shared: two connections through one bottleneck get the rate between them, not each', () => {
  const bucket = { freeAt: 0 }
  const p = profile({ bandwidthBps: 8_000_000 }) // 1 byte per microsecond
  const s1 = { random: streamRandom(1, 0, 'up'), lastDeliverAt: 0 }
  const s2 = { random: streamRandom(1, 1, 'up'), lastDeliverAt: 0 }
  let last = 0
  for (let i = 0; i < 100; i++) {
    last = schedulePiece(s1, bucket, p, 200, 0, 10_000).deliverAt
    last = Math.max(last, schedulePiece(s2, bucket, p, 200, 0, 10_000).deliverAt)
  }
  assert.equal(last, 2000) // 2 MB at 1 MB/s
})

test('large reads are cut to ~5 ms of the rate (at least one segment) so a slow link trickles', () => {
  assert.equal(maxPieceBytes(profile({ bandwidthBps: 0 })), Number.POSITIVE_INFINITY)
  assert.equal(maxPieceBytes(profile({ bandwidthBps: 100_000 })), 1460)
  assert.equal(maxPieceBytes(profile({ bandwidthBps: 8_000_000 })), 5000)
  assert.equal(maxPieceBytes(profile({ bandwidthBps: 1e9 })), 65536)
})

test('jitter: delays spread uniformly over latency +- jitter, yet pieces never leave before the one ahead of them', () => {
  const s = fresh(7)
  const bucket = { freeAt: 0 }
  const p = profile({ latencyMs: 50, jitterMs: 20 })
  const spaced: number[] = []
  for (let i = 0; i < 4000; i++) spaced.push(schedulePiece(s, bucket, p, 200, i * 100, 100).propagationMs)
  assert.ok(Math.min(...spaced) >= 30 && Math.max(...spaced) <= 70)
  assert.ok(Math.min(...spaced) < 31 && Math.max(...spaced) > 69, 'the whole range is used')
  const mean = spaced.reduce((a, b) => a + b, 0) / spaced.length
  assert.ok(Math.abs(mean - 50) < 1, `mean ${mean}`)
  // Pieces 1 ms apart with +-20 ms of jitter would overtake one another; they must not.
  const dense = fresh(7)
  let previous = -Infinity
  let held = 0
  for (let i = 0; i < 1000; i++) {
    const piece = schedulePiece(dense, bucket, p, 200, 1_000_000 + i, 100)
    assert.ok(piece.deliverAt >= previous)
    if (piece.deliverAt > piece.txEnd + piece.propagationMs) held++
    previous = piece.deliverAt
  }
  assert.ok(held > 100, `order holds happened (${held})`)
})

test('jitter never makes a delay negative', () => {
  const s = fresh(3)
  for (let i = 0; i < 1000; i++) {
    const piece = schedulePiece(s, { freeAt: 0 }, profile({ latencyMs: 2, jitterMs: 30 }), 200, i * 100, 10)
    assert.ok(piece.deliverAt >= i * 100)
  }
})

test('loss: about lossRate of single-segment pieces are lost, each costing one RTO; a 64 kB piece is judged per 1460-byte segment', () => {
  const s = fresh(11)
  const bucket = { freeAt: 0 }
  const p = profile({ latencyMs: 10, lossRate: 0.1 })
  let lost = 0
  const n = 20_000
  for (let i = 0; i < n; i++) {
    const piece = schedulePiece(s, bucket, p, 250, i * 1000, 1000)
    if (piece.lostSegments > 0) {
      lost++
      assert.equal(piece.deliverAt, i * 1000 + 10 + 250)
      assert.equal(piece.lossDelayMs, 250)
    } else assert.equal(piece.deliverAt, i * 1000 + 10)
  }
  const sd = Math.sqrt(n * 0.1 * 0.9)
  assert.ok(Math.abs(lost - n * 0.1) < 4 * sd, `${lost} lost of ${n}`)
  // 45 segments at 10%: the piece is delayed with probability 1 - 0.9^45 = 99.1%; segments lost ~4.5 on average.
  let segments = 0
  let delayed = 0
  for (let i = 0; i < 2000; i++) {
    const piece = schedulePiece(s, bucket, p, 250, 1e8 + i * 1000, 65_536)
    segments += piece.lostSegments
    if (piece.lossDelayMs > 0) delayed++
  }
  assert.ok(Math.abs(segments / 2000 - 4.5) < 0.3, `mean lost segments ${segments / 2000}`)
  assert.ok(delayed > 1950)
})

test('RTO: max(200 ms, 2 x RTT), with a configurable floor', () => {
  assert.equal(retransmissionTimeoutMs(profile({ latencyMs: 20 }), profile({ latencyMs: 30 })), 200)
  assert.equal(retransmissionTimeoutMs(profile({ latencyMs: 150 }), profile({ latencyMs: 150 })), 600)
  assert.equal(retransmissionTimeoutMs(profile({ latencyMs: 5 }), profile({ latencyMs: 5 }), 50), 50)
})

test('seeded: the same seed gives the same jitter and loss decisions; another seed, connection or direction does not', () => {
  const p = profile({ latencyMs: 30, jitterMs: 10, lossRate: 0.2 })
  const run = (random: () => number): string => {
    const s = { random, lastDeliverAt: 0 }
    const out: string[] = []
    for (let i = 0; i < 200; i++) {
      const piece = schedulePiece(s, { freeAt: 0 }, p, 200, i * 1000, 500)
      out.push(`${piece.propagationMs.toFixed(6)}/${piece.lostSegments}`)
    }
    return out.join(',')
  }
  assert.equal(run(streamRandom(42, 3, 'up')), run(streamRandom(42, 3, 'up')))
  assert.notEqual(run(streamRandom(42, 3, 'up')), run(streamRandom(43, 3, 'up')))
  assert.notEqual(run(streamRandom(42, 3, 'up')), run(streamRandom(42, 4, 'up')))
  assert.notEqual(run(streamRandom(42, 3, 'up')), run(streamRandom(42, 3, 'down')))
})

test('profiles are validated: every bad field is named', () => {
  assert.deepEqual(linkProfileProblems(profile({})), [])
  const problems = linkProfileProblems({ latencyMs: -1, jitterMs: Number.NaN, lossRate: 1.5, bandwidthBps: -8 })
  assert.equal(problems.length, 4)
  assert.match(problems.join('\n'), /latencyMs.*-1/)
  assert.match(problems.join('\n'), /lossRate.*1\.5/)
  assert.throws(() => checkLinkProfile({ latencyMs: 10, jitterMs: 0, lossRate: 2, bandwidthBps: 0 }, 'down'), /down: lossRate: expected a probability/)
  assert.throws(() => checkLinkProfile({ latencyMs: '10ms' } as unknown as LinkProfile, 'up'), /up: latencyMs.*10ms/)
})

test('presets: the promised set, valid, each with a source that says its numbers are typical or assumed', () => {
  for (const name of ['3g', 'lte', 'wifi', 'congested-wifi', 'perfect']) assert.ok(LINK_PRESET_NAMES.includes(name), name)
  for (const preset of listLinkPresets()) {
    assert.deepEqual(linkProfileProblems(preset.up), [], `${preset.name}.up`)
    assert.deepEqual(linkProfileProblems(preset.down), [], `${preset.name}.down`)
    if (preset.name !== 'perfect') assert.match(preset.source, /typical|assumption/, preset.name)
    assert.match(preset.source, /not measured here|identity/, preset.name)
  }
  // The published figures the sources name: WebPageTest 3G is 1.6 Mbit/s down, 768 kbit/s up, 300 ms RTT.
  const g3 = getLinkPreset('3g')
  assert.equal(g3.down.bandwidthBps, 1_600_000)
  assert.equal(g3.up.bandwidthBps, 768_000)
  assert.equal(g3.up.latencyMs + g3.down.latencyMs, 300)
  const lte = getLinkPreset('lte')
  assert.equal(lte.up.latencyMs + lte.down.latencyMs, 70)
  // The conference WiFi is worse than the good WiFi on every axis.
  const good = getLinkPreset('wifi')
  const bad = getLinkPreset('congested-wifi')
  assert.ok(bad.down.jitterMs > good.down.jitterMs && bad.down.lossRate > good.down.lossRate && bad.down.bandwidthBps < good.down.bandwidthBps)
  // Copies: editing one does not change the next.
  g3.up.latencyMs = 1
  assert.equal(getLinkPreset('3g').up.latencyMs, 150)
})

test('an unknown preset is a user error with the known names and a did-you-mean', () => {
  try {
    getLinkPreset('congested-wify', { location: { file: 's.yaml', line: 4 }, path: 'network.links.default' })
    assert.fail('should throw')
  } catch (err) {
    assert.ok(err instanceof InvalidInputError)
    assert.equal(err.problems[0].location.line, 4)
    assert.equal(err.problems[0].path, 'network.links.default')
    assert.match(err.problems[0].expected ?? '', /3g, lte/)
    assert.equal(err.problems[0].hint, 'did you mean "congested-wifi"?')
  }
})

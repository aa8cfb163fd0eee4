import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { runCourier, tempDir, REPO_ROOT } from '../helpers/cli.js'
import type { PcapJson } from '../../harness/capture/index.js'

const test1 = join(REPO_ROOT, 'fixtures/pcap/energybox/test1.pcap')
const loopback = join(REPO_ROOT, 'fixtures/pcap/loopback/lo-en10mb.pcap')
const dir = await tempDir('courier-pcap-e2e-')
test.after(async () => {
  await rm(dir, { recursive: true, force: true })
})

function noStack(stderr: string): void {
  assert.doesNotMatch(stderr, /\n\s+at .+:\d+:\d+/, 'stderr holds a stack trace')
  assert.doesNotMatch(stderr, /internal error/)
}

test('courier pcap FILE prints totals, conversations by bytes and endpoints', async () => {
  const r = await runCourier(['pcap', test1])
  assert.equal(r.code, 0, r.stderr)
  assert.match(r.stdout, /LINUX_SLL \(Linux cooked v1\), µs timestamps, little-endian/)
  assert.match(r.stdout, /^packets +177 \(tcp 157, udp 20/m)
  assert.match(r.stdout, /^retrans +6 tcp segments, 594 B/m)
  const rows = r.stdout.split('\n')
  const header = rows.findIndex((l) => l.startsWith('Conversations'))
  // largest first: the XMPP session (tshark: 49 frames, 7243 bytes)
  assert.match(rows[header + 2], /^ +tcp +90\.235\.80\.224:59630 +69\.171\.227\.26:5222 +xmpp +49 +2388 +4855 /)
  assert.match(r.stdout, /Conversations by wire bytes \(10 of 11;/)
  assert.match(r.stdout, /Endpoints by wire bytes \(10 of 16\)/)
})

test('--json: the documented shape, with figures tshark agrees with', async () => {
  const r = await runCourier(['pcap', loopback, '--json', '--per-second'])
  assert.equal(r.code, 0, r.stderr)
  const doc = JSON.parse(r.stdout) as PcapJson
  assert.equal(doc.schema, 'courier.pcap/1')
  assert.deepEqual(Object.keys(doc), ['schema', 'file', 'totals', 'conversations', 'endpoints', 'extensions', 'timeline'])
  assert.deepEqual(doc.file.format, {
    byteOrder: 'little',
    nanosecond: false,
    snaplen: 262144,
    linkType: 1,
    linkTypeName: 'EN10MB (Ethernet)',
    linkTypeSupported: true
  })
  assert.equal(doc.file.truncated, null)
  assert.equal(doc.totals.packets, 16)
  assert.equal(doc.totals.conversations, 3)
  // tshark -z conv,tcp: 1404 bytes A->B, 1272 back; 1000 payload bytes each way by construction
  const tcp = doc.conversations[0]
  assert.equal(tcp.protocol, 'tcp')
  assert.equal(tcp.b.port, 47001)
  assert.deepEqual([tcp.aToB.wireBytes, tcp.bToA.wireBytes, tcp.aToB.payloadBytes, tcp.bToA.payloadBytes], [1404, 1272, 1000, 1000])
  assert.deepEqual(
    doc.conversations.slice(1).map((c) => [c.protocol, c.wireBytes, c.payloadBytes]),
    [
      ['udp', 786, 600],
      ['udp', 726, 600]
    ]
  )
  assert.ok(doc.timeline !== undefined)
  const sum = doc.timeline.seconds.reduce((n, s) => n + s.up + s.down, 0)
  assert.equal(sum, 1404 + 1272 + 786 + 726)
})

test('--per-second table: only busy seconds, and they add up to every byte of the capture', async () => {
  const r = await runCourier(['pcap', join(REPO_ROOT, 'fixtures/pcap/energybox/test2.pcap'), '--per-second'])
  assert.equal(r.code, 0, r.stderr)
  const section = r.stdout.slice(r.stdout.indexOf('Per second'))
  assert.match(section, /idle seconds not shown/)
  const rows = section
    .split('\n')
    .filter((l) => /^ +\d+ +\d+ +\d+ +\d+/.test(l))
    .map((l) => l.trim().split(/ +/).map(Number))
  assert.ok(rows.every((row) => row[3] > 0))
  // tshark: 187 frames, 43891 bytes of frames in test2.pcap
  assert.equal(
    rows.reduce((n, row) => n + row[1] + row[2], 0),
    43891
  )
  assert.equal(
    rows.reduce((n, row) => n + row[3], 0),
    187
  )
})

test('--map names endpoints and --top limits the lists', async () => {
  const map = join(dir, 'map.yaml')
  await writeFile(map, 'endpoints:\n  "127.0.0.1:47001": { name: echo, role: server }\nprotocols:\n  47002: datagrams\n')
  const r = await runCourier(['pcap', loopback, '--map', map, '--top', '1', '--json'])
  assert.equal(r.code, 0, r.stderr)
  const doc = JSON.parse(r.stdout) as PcapJson
  assert.equal(doc.conversations.length, 1)
  assert.equal(doc.totals.conversations, 3)
  assert.deepEqual([doc.conversations[0].b.name, doc.conversations[0].b.role], ['echo', 'server'])
  const text = await runCourier(['pcap', loopback, '--map', map])
  assert.match(text.stdout, /echo \(127\.0\.0\.1:47001\)/)
  assert.match(text.stdout, /udp .*datagrams/)
})

test('a garbage file exits 2 with the file and the problem, and no stack trace', async () => {
  const garbage = join(dir, 'garbage.pcap')
  await writeFile(garbage, 'this is not a capture at all')
  const r = await runCourier(['pcap', garbage])
  assert.equal(r.code, 2)
  assert.equal(r.stdout, '')
  assert.match(r.stderr, /error: invalid input/)
  assert.ok(r.stderr.includes(garbage))
  assert.match(r.stderr, /not a pcap file/)
  noStack(r.stderr)
})

test('a pcapng file exits 2 and says how to convert it', async () => {
  const r = await runCourier(['pcap', join(REPO_ROOT, 'fixtures/pcap/loopback/lo.pcapng')])
  assert.equal(r.code, 2)
  assert.match(r.stderr, /editcap -F pcap/)
  noStack(r.stderr)
})

test('a truncated capture exits 2; with --allow-truncated it is analysed with a warning', async () => {
  const bytes = await readFile(loopback)
  const cut = join(dir, 'cut.pcap')
  await writeFile(cut, bytes.subarray(0, bytes.length - 5))
  const failed = await runCourier(['pcap', cut])
  assert.equal(failed.code, 2)
  assert.match(failed.stderr, /truncated capture: the file ends inside record #15/)
  noStack(failed.stderr)
  const warned = await runCourier(['pcap', cut, '--allow-truncated', '--json'])
  assert.equal(warned.code, 0, warned.stderr)
  assert.match(warned.stderr, /warning: .*truncated capture/)
  const doc = JSON.parse(warned.stdout) as PcapJson
  assert.equal(doc.totals.packets, 15)
  assert.equal(doc.file.truncated?.recordIndex, 15)
})

test('a broken map file exits 2 with its line; a bad --top exits 2', async () => {
  const map = join(dir, 'bad-map.yaml')
  await writeFile(map, 'endpoints:\n  "127.0.0.1:47001": { nam: echo }\n')
  const r = await runCourier(['pcap', loopback, '--map', map])
  assert.equal(r.code, 2)
  assert.ok(r.stderr.includes(`${map}:2:`), r.stderr)
  assert.match(r.stderr, /did you mean `name`/)
  noStack(r.stderr)
  const top = await runCourier(['pcap', loopback, '--top', 'lots'])
  assert.equal(top.code, 2)
  noStack(top.stderr)
})

test('a missing file exits 2', async () => {
  const r = await runCourier(['pcap', join(dir, 'absent.pcap')])
  assert.equal(r.code, 2)
  assert.match(r.stderr, /no such file/)
})

test('--help documents the options, the JSON shape and the map file', async () => {
  const r = await runCourier(['pcap', '--help'])
  assert.equal(r.code, 0)
  for (const option of ['--map <file>', '--json', '--top <n>', '--per-second', '--allow-truncated', 'courier.pcap/1', 'endpoints:', 'editcap']) {
    assert.ok(r.stdout.includes(option), `help lacks ${option}`)
  }
})

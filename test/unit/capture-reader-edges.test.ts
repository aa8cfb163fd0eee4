import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  buildFrame,
  describeTruncatedTail,
  LinkType,
  pcapGlobalHeader,
  pcapRecord,
  readPcap,
  readPcapBatches,
  readPcapHeader,
  type PcapFileHeader,
  type TruncatedTail
} from '../../harness/capture/index.js'
import { InvalidInputError, type CapturedPacket, type InputProblem } from '../../harness/interface/index.js'

// The pcap reader's edges: each refusal with every field of its problem (what was expected, what
// was found, the hint), the byte orders and timestamp resolutions, the snaplen above Wireshark's
// sane record size, payload copies, tiny read chunks and cut tails in big-endian files. The files
// are written with pcap-writer's header and record functions, whose layout is the one in
// pcap(5) / draft-ietf-opsawg-pcap. Found by mutation testing (npm run mutation, scope capture).

const dir = await mkdtemp(join(tmpdir(), 'courier-reader-edges-'))
test.after(async () => {
  await rm(dir, { recursive: true, force: true })
})

let n = 0
async function file(bytes: Uint8Array | string): Promise<string> {
  const path = join(dir, `f${n++}.pcap`)
  await writeFile(path, bytes)
  return path
}

async function readAll(path: string, options: Parameters<typeof readPcap>[1] = {}): Promise<CapturedPacket[]> {
  const packets: CapturedPacket[] = []
  for await (const p of readPcap(path, options)) packets.push(p)
  return packets
}

async function problemOf(run: () => Promise<unknown>): Promise<InputProblem> {
  try {
    await run()
  } catch (error) {
    assert.ok(error instanceof InvalidInputError, String(error))
    assert.equal(error.problems.length, 1)
    return error.problems[0]
  }
  assert.fail('expected an InvalidInputError')
}

const udpFrame = buildFrame({
  linkType: LinkType.raw,
  src: '10.0.0.1',
  dst: '10.0.0.2',
  protocol: 'udp',
  srcPort: 1,
  dstPort: 2,
  payload: Buffer.from('hello')
})

test('the global header refusals, field by field', async () => {
  const empty = await file(Buffer.alloc(0))
  assert.deepEqual(await problemOf(() => readAll(empty)), {
    location: { file: empty },
    path: '',
    message: 'the file is empty',
    expected: 'a pcap file (24-byte header, then records)',
    hint: 'was the capture stopped before tcpdump wrote anything?'
  })
  // the header reader says the same as the packet reader
  assert.deepEqual(await problemOf(() => readPcapHeader(empty)), await problemOf(() => readAll(empty)))
  const three = await file(Buffer.from([0xd4, 0xc3, 0xb2]))
  assert.deepEqual(await problemOf(() => readAll(three)), {
    location: { file: three },
    path: '',
    message: 'the file is only 3 bytes long',
    expected: 'a pcap file (24-byte header, then records)'
  })
  // four bytes of a good magic are not a header: the size check is against 24, after the magic
  for (const length of [4, 23]) {
    const cut = await file(pcapGlobalHeader({ linkType: 1 }).subarray(0, length))
    assert.deepEqual(await problemOf(() => readAll(cut)), {
      location: { file: cut },
      path: '',
      message: `the file ends inside the pcap global header (${length} of 24 bytes)`,
      expected: 'a complete 24-byte header'
    })
  }
  const ng = await file(Buffer.from([0x0a, 0x0d, 0x0d, 0x0a, 0, 0, 0, 0]))
  assert.deepEqual(await problemOf(() => readAll(ng)), {
    location: { file: ng },
    path: '',
    message: 'this is a pcapng file; courier reads classic pcap only',
    expected: 'classic pcap (magic a1b2c3d4 or a1b23c4d)',
    found: 'pcapng (magic 0a0d0d0a)',
    hint: 'convert it to classic pcap: `editcap -F pcap in.pcapng out.pcap` or `tshark -r in.pcapng -F pcap -w out.pcap`'
  })
  for (const magic of [0xa1b2cd34, 0x34cdb2a1]) {
    const head = Buffer.alloc(24)
    head.writeUInt32BE(magic, 0)
    const path = await file(head)
    assert.deepEqual(await problemOf(() => readAll(path)), {
      location: { file: path },
      path: '',
      message: 'this is a "modified" (Kuznetzov) pcap file, which courier does not read',
      expected: 'classic pcap (magic a1b2c3d4 or a1b23c4d)',
      found: `magic ${magic.toString(16)}`,
      hint: 'convert it to classic pcap: `editcap -F pcap in.pcap out.pcap` or `tshark -r in.pcap -F pcap -w out.pcap`'
    })
  }
  // unknown magic: hex padded to 8 digits; text shown (its first 16 characters) only when it is text
  const binary = await file(Buffer.from([0, 0, 0, 1, 0xff, 0, 0, 0]))
  assert.deepEqual(await problemOf(() => readAll(binary)), {
    location: { file: binary },
    path: '',
    message: 'not a pcap file (unknown magic number)',
    expected: 'magic a1b2c3d4, d4c3b2a1 (µs) or a1b23c4d, 4d3cb2a1 (ns)',
    found: '00000001'
  })
  const text = await file('GET /\tindex.html HTTP/1.1\r\n')
  assert.equal((await problemOf(() => readAll(text))).found, `47455420 (text: ${JSON.stringify('GET /\tindex.html')})`)
  // a DEL (127) or a control byte other than tab, CR, LF makes it binary
  for (const odd of [127, 0, 8, 31]) {
    const path = await file(Buffer.from([0x41, 0x42, 0x43, 0x44, odd, 0x45]))
    assert.equal((await problemOf(() => readAll(path))).found, '41424344', `byte ${odd}`)
  }
  const space = await file(Buffer.from(' ~AB\n'))
  assert.equal((await problemOf(() => readAll(space))).found, `207e4142 (text: ${JSON.stringify(' ~AB\n')})`)
})

test('an unsupported version names both numbers; only major 2 is read', async () => {
  const head = pcapGlobalHeader({ linkType: 1 })
  head.writeUInt16LE(3, 4)
  head.writeUInt16LE(7, 6)
  const path = await file(head)
  assert.deepEqual(await problemOf(() => readPcapHeader(path)), {
    location: { file: path },
    path: '',
    message: 'unsupported pcap version',
    expected: 'version 2.4',
    found: 'version 3.7'
  })
  // minor versions other than 4 are accepted (2.3 files exist)
  const old = pcapGlobalHeader({ linkType: 1 })
  old.writeUInt16LE(3, 6)
  assert.equal((await readPcapHeader(await file(old))).versionMinor, 3)
})

test('headers of all four magics; the link field keeps only its low 16 bits', async () => {
  const cases: Array<[PcapFileHeader['byteOrder'], boolean]> = [
    ['little', false],
    ['big', false],
    ['little', true],
    ['big', true]
  ]
  for (const [byteOrder, nanosecond] of cases) {
    // FCS flags in the top bits of the link field (pcap(5)): 0x1000_0000 plus link type 113
    const head = pcapGlobalHeader({ linkType: 113 + 0x10000000, byteOrder, nanosecond, snaplen: 1500 })
    const header = await readPcapHeader(await file(head))
    assert.deepEqual(header, {
      byteOrder,
      nanosecond,
      versionMajor: 2,
      versionMinor: 4,
      snaplen: 1500,
      linkType: 113,
      linkTypeSupported: true,
      linkTypeName: 'LINUX_SLL (Linux cooked v1)'
    })
  }
  const other = await readPcapHeader(await file(pcapGlobalHeader({ linkType: 105 })))
  assert.equal(other.linkTypeSupported, false)
  assert.equal(other.linkTypeName, 'linktype 105')
})

test('timestamps: µs as they are, ns truncated to µs, in both byte orders; onHeader once before the packets', async () => {
  for (const byteOrder of ['little', 'big'] as const) {
    const ns = { linkType: LinkType.raw, byteOrder, nanosecond: true }
    const path = await file(
      Buffer.concat([
        pcapGlobalHeader(ns),
        pcapRecord(ns, udpFrame, 1_700_000_000_000_000, { subsecondNs: 999_999_999 }),
        pcapRecord(ns, udpFrame, 1_700_000_001_000_000, { subsecondNs: 1999 })
      ])
    )
    const events: string[] = []
    const packets: CapturedPacket[] = []
    for await (const p of readPcap(path, { onHeader: (h) => events.push(`header ${h.byteOrder}`) })) {
      events.push(`packet ${p.index}`)
      packets.push(p)
    }
    assert.deepEqual(events, [`header ${byteOrder}`, 'packet 0', 'packet 1'])
    assert.deepEqual(
      packets.map((p) => p.timestampUs),
      [1_700_000_000_999_999, 1_700_000_001_000_001]
    )
    const us = { linkType: LinkType.raw, byteOrder }
    const usPath = await file(Buffer.concat([pcapGlobalHeader(us), pcapRecord(us, udpFrame, 1_700_000_000_123_456, { wireLength: 999 })]))
    const [p] = await readAll(usPath)
    assert.equal(p.timestampUs, 1_700_000_000_123_456)
    assert.equal(p.wireLength, 999)
    assert.equal(p.capturedLength, udpFrame.length)
    assert.equal(p.linkType, LinkType.raw)
    assert.equal(p.transport?.dstPort, 2)
  }
})

test('fractions: 999999 µs and 999999999 ns are the largest; one more is corrupt, with the right unit', async () => {
  const us = { linkType: LinkType.raw }
  const okUs = Buffer.concat([pcapGlobalHeader(us), pcapRecord(us, udpFrame, 0)])
  okUs.writeUInt32LE(999_999, 24 + 4)
  assert.equal((await readAll(await file(okUs)))[0].timestampUs, 999_999)
  okUs.writeUInt32LE(1_000_000, 24 + 4)
  const usPath = await file(okUs)
  assert.deepEqual(await problemOf(() => readAll(usPath)), {
    location: { file: usPath },
    path: '',
    message: 'corrupt record #0 at byte offset 24',
    expected: 'microseconds below 1000000',
    found: 'timestamp fraction 1000000 is out of range',
    hint: 'the file is damaged or not a pcap past this point'
  })
  const ns = { linkType: LinkType.raw, nanosecond: true }
  const nsBytes = Buffer.concat([pcapGlobalHeader(ns), pcapRecord(ns, udpFrame, 0), pcapRecord(ns, udpFrame, 0, { subsecondNs: 1_000_000_000 })])
  const nsPath = await file(nsBytes)
  const problem = await problemOf(() => readAll(nsPath))
  assert.equal(problem.message, `corrupt record #1 at byte offset ${24 + 16 + udpFrame.length}`)
  assert.equal(problem.expected, 'nanoseconds below 1000000000')
})

test('a record may be as long as the larger of the snaplen and 262144 bytes; longer is corrupt, and says both', async () => {
  const big = Buffer.alloc(300_000)
  udpFrame.copy(big)
  const roomy = { linkType: LinkType.raw, snaplen: 300_000 }
  const packets = await readAll(await file(Buffer.concat([pcapGlobalHeader(roomy), pcapRecord(roomy, big, 5)])))
  assert.equal(packets.length, 1)
  assert.equal(packets[0].capturedLength, 300_000)
  const tight = { linkType: LinkType.raw, snaplen: 65535 }
  const exactly = Buffer.alloc(262_144)
  udpFrame.copy(exactly)
  assert.equal((await readAll(await file(Buffer.concat([pcapGlobalHeader(tight), pcapRecord(tight, exactly, 5)]))))[0].capturedLength, 262_144)
  const over = Buffer.alloc(262_145)
  const path = await file(Buffer.concat([pcapGlobalHeader(tight), pcapRecord(tight, over, 5)]))
  const problem = await problemOf(() => readAll(path))
  assert.equal(problem.found, 'record header claims 262145 captured bytes')
  assert.equal(problem.expected, "at most 262144 (the file's snaplen is 65535)")
})

test('payloads: a copy of the UDP or TCP payload and the file offset of each frame; none for an empty payload', async () => {
  const init = { linkType: LinkType.ethernet }
  const withData = buildFrame({
    linkType: LinkType.ethernet,
    src: '10.0.0.1',
    dst: '10.0.0.2',
    protocol: 'tcp',
    srcPort: 1,
    dstPort: 2,
    payload: Buffer.from('abcdef')
  })
  const empty = buildFrame({ linkType: LinkType.ethernet, src: '10.0.0.1', dst: '10.0.0.2', protocol: 'tcp', srcPort: 1, dstPort: 2 })
  const bytes = Buffer.concat([
    pcapGlobalHeader(init),
    pcapRecord(init, withData, 1),
    pcapRecord(init, empty, 2),
    // cut by a snaplen 3 bytes into the payload: the copy stops at the record's end
    pcapRecord(init, withData, 3, { capturedLength: withData.length - 3 })
  ])
  const path = await file(bytes)
  const [a, b, c] = await readAll(path, { payloads: true })
  assert.equal(a.frameOffset, 24 + 16)
  assert.deepEqual(Buffer.from(a.payload ?? []), Buffer.from('abcdef'))
  assert.equal(b.frameOffset, 24 + 16 + withData.length + 16)
  assert.equal(b.payload, undefined)
  assert.deepEqual(Buffer.from(c.payload ?? []), Buffer.from('abc'))
  // the payload must survive the next read into the same buffer
  const [again] = await readAll(path, { payloads: true, chunkSize: 64 })
  assert.deepEqual(Buffer.from(again.payload ?? []), Buffer.from('abcdef'))
  // without the option: neither
  const [plain] = await readAll(path)
  assert.equal(plain.payload, undefined)
  assert.equal(plain.frameOffset, undefined)
  assert.equal(plain.transport?.payloadOffset, undefined)
})

test('a chunk size below 64 bytes is raised to 64; records larger than the chunk grow it; batches follow the chunks', async () => {
  const init = { linkType: LinkType.raw }
  const records = [0, 1, 2, 3, 4].map((i) => pcapRecord(init, udpFrame, 1_000_000 * i))
  const path = await file(Buffer.concat([pcapGlobalHeader(init), ...records]))
  const tiny = await readAll(path, { chunkSize: 1 })
  assert.deepEqual(
    tiny.map((p) => [p.index, p.timestampUs]),
    [0, 1, 2, 3, 4].map((i) => [i, 1_000_000 * i])
  )
  // each record is 16 + 33 = 49 bytes: a 64-byte chunk holds one at a time
  assert.equal(16 + udpFrame.length, 49)
  const batches: number[][] = []
  for await (const batch of readPcapBatches(path, { chunkSize: 64 })) batches.push(batch.map((p) => p.index))
  assert.deepEqual(batches, [[0], [1], [2], [3], [4]])
  const whole: number[][] = []
  for await (const batch of readPcapBatches(path)) whole.push(batch.map((p) => p.index))
  assert.deepEqual(whole, [[0, 1, 2, 3, 4]])
})

test('cut tails in a big-endian file; the description says header or record by the bytes present', async () => {
  const init = { linkType: LinkType.raw, byteOrder: 'big' as const }
  const whole = Buffer.concat([pcapGlobalHeader(init), pcapRecord(init, udpFrame, 1), pcapRecord(init, udpFrame, 2)])
  const tails: TruncatedTail[] = []
  const packets = await readAll(await file(whole.subarray(0, whole.length - 1)), { onTruncated: (t) => tails.push(t) })
  assert.equal(packets.length, 1)
  const path = join(dir, `f${n - 1}.pcap`)
  assert.deepEqual(tails, [{ file: path, recordIndex: 1, offset: 24 + 49, expectedBytes: 49, presentBytes: 48 }])
  const headerCut: TruncatedTail[] = []
  await readAll(await file(whole.subarray(0, 24 + 49 + 15)), { onTruncated: (t) => headerCut.push(t) })
  assert.deepEqual(headerCut[0], { file: join(dir, `f${n - 1}.pcap`), recordIndex: 1, offset: 73, expectedBytes: 16, presentBytes: 15 })
  // exactly 16 bytes: the header is whole, the record is not
  const sixteen: TruncatedTail[] = []
  await readAll(await file(whole.subarray(0, 24 + 49 + 16)), { onTruncated: (t) => sixteen.push(t) })
  assert.equal(sixteen[0].expectedBytes, 49)
  assert.equal(
    describeTruncatedTail(sixteen[0]),
    'the file ends inside record #1 at byte offset 73: 16 of 49 bytes present; the 1 packets before it are complete'
  )
  assert.equal(
    describeTruncatedTail(headerCut[0]),
    'the file ends inside record header #1 at byte offset 73: 15 of 16 bytes present; the 1 packets before it are complete'
  )
  // a header and nothing else is a valid, empty capture
  const none: TruncatedTail[] = []
  assert.deepEqual(await readAll(await file(pcapGlobalHeader(init)), { onTruncated: (t) => none.push(t) }), [])
  assert.deepEqual(none, [])
})

test('the truncation error carries the description and the --allow-truncated hint', async () => {
  const init = { linkType: LinkType.raw }
  const whole = Buffer.concat([pcapGlobalHeader(init), pcapRecord(init, udpFrame, 1)])
  const path = await file(whole.subarray(0, whole.length - 2))
  assert.deepEqual(await problemOf(() => readAll(path)), {
    location: { file: path },
    path: '',
    message: 'truncated capture: the file ends inside record #0 at byte offset 24: 47 of 49 bytes present; the 0 packets before it are complete',
    hint:
      'the capture was probably cut off (tcpdump killed, or the file copied while written); ' +
      'with `courier pcap --allow-truncated` the complete packets are analysed and this becomes a warning'
  })
})

test('files that cannot be opened or are not regular files: what, expected, and for a FIFO how to read it', async () => {
  const missing = join(dir, 'missing.pcap')
  assert.deepEqual(await problemOf(() => readAll(missing)), {
    location: { file: missing },
    path: '',
    message: 'no such file',
    expected: 'a readable pcap file'
  })
  const underFile = join(await file('x'), 'inside.pcap')
  assert.deepEqual(await problemOf(() => readPcapHeader(underFile)), {
    location: { file: underFile },
    path: '',
    message: 'cannot open (ENOTDIR)',
    expected: 'a readable pcap file'
  })
  assert.deepEqual(await problemOf(() => readAll(dir)), {
    location: { file: dir },
    path: '',
    message: 'is a directory',
    expected: 'a pcap file',
    hint: undefined
  })
  const fifo = join(dir, 'pipe.pcap')
  if (spawnSync('mkfifo', [fifo]).status === 0) {
    assert.deepEqual(await problemOf(() => readAll(fifo)), {
      location: { file: fifo },
      path: '',
      message: 'is a named pipe (FIFO)',
      expected: 'a pcap file',
      hint: 'save the stream to a file first (tcpdump -w capture.pcap), then read that file'
    })
  }
})

test('an aborted signal stops the reader before it opens the file', async () => {
  const controller = new AbortController()
  controller.abort(new Error('stop'))
  await assert.rejects(readAll(join(dir, 'missing-too.pcap'), { signal: controller.signal }), /stop/)
})

// Added after the first mutation run of pcap-reader.ts: the survivors that a file can tell apart.

test('a record with no captured bytes is a packet, also as the last 16 bytes of the file', async () => {
  const init = { linkType: LinkType.raw }
  const path = await file(Buffer.concat([pcapGlobalHeader(init), pcapRecord(init, udpFrame, 1), pcapRecord(init, Buffer.alloc(0), 2, { wireLength: 60 })]))
  const packets = await readAll(path)
  assert.deepEqual(
    packets.map((p) => [p.capturedLength, p.wireLength, p.ip === undefined]),
    [
      [33, 33, false],
      [0, 60, true]
    ]
  )
})

test('a corrupt record after others in the same chunk is located at its own offset', async () => {
  const init = { linkType: LinkType.raw }
  const bytes = Buffer.concat([pcapGlobalHeader(init), pcapRecord(init, udpFrame, 1), pcapRecord(init, udpFrame, 2)])
  bytes.writeUInt32LE(300_000, 24 + 49 + 8)
  const path = await file(bytes)
  assert.equal((await problemOf(() => readAll(path))).message, `corrupt record #1 at byte offset ${24 + 49}`)
})

test('payloads asked for on frames without transport (ICMP, ARP): none, and no failure', async () => {
  const init = { linkType: LinkType.ethernet }
  const icmp = buildFrame({ linkType: LinkType.ethernet, src: '10.0.0.1', dst: '10.0.0.2', protocol: 'icmp' })
  const arp = Buffer.alloc(42)
  arp.writeUInt16BE(0x0806, 12)
  const path = await file(Buffer.concat([pcapGlobalHeader(init), pcapRecord(init, icmp, 1), pcapRecord(init, arp, 2)]))
  const packets = await readAll(path, { payloads: true })
  assert.equal(packets.length, 2)
  assert.deepEqual(
    packets.map((p) => [p.payload, p.frameOffset]),
    [
      [undefined, 24 + 16],
      [undefined, 24 + 16 + icmp.length + 16]
    ]
  )
})

test('the reader closes its file: no descriptor left open after reading, after a header, after an error', async () => {
  const fds = (): number => readdirSync('/proc/self/fd').length
  const init = { linkType: LinkType.raw }
  const good = await file(Buffer.concat([pcapGlobalHeader(init), pcapRecord(init, udpFrame, 1)]))
  const bad = await file(Buffer.concat([pcapGlobalHeader(init), pcapRecord(init, udpFrame, 1)]).subarray(0, 30))
  const before = fds()
  for (let i = 0; i < 5; i++) {
    await readAll(good)
    await readPcapHeader(good)
    await assert.rejects(readAll(bad), InvalidInputError)
  }
  assert.equal(fds(), before)
})

test('text with a carriage return is still shown as text', async () => {
  const path = await file('AB\r\nCD')
  assert.equal((await problemOf(() => readAll(path))).found, `41420d0a (text: ${JSON.stringify('AB\r\nCD')})`)
})

test('a file the user may not read is "permission denied" (only checkable when not running as root)', async (t) => {
  if (process.getuid?.() === 0) {
    t.skip('root reads any file')
    return
  }
  const path = await file(Buffer.alloc(24))
  await chmod(path, 0)
  assert.deepEqual(await problemOf(() => readAll(path)), { location: { file: path }, path: '', message: 'permission denied', expected: 'a readable pcap file' })
})

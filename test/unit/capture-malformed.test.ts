import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildFrame, LinkType, pcapGlobalHeader, pcapRecord, readPcap, readPcapHeader, type TruncatedTail } from '../../harness/capture/index.js'
import { InvalidInputError, type CapturedPacket } from '../../harness/interface/index.js'

const dir = await mkdtemp(join(tmpdir(), 'courier-malformed-'))
test.after(async () => {
  await rm(dir, { recursive: true, force: true })
})
const fixture = (name: string): string => fileURLToPath(new URL(`../../../fixtures/pcap/${name}`, import.meta.url))

const init = { linkType: LinkType.raw }
const frame = buildFrame({ linkType: LinkType.raw, src: '10.0.0.1', dst: '10.0.0.2', protocol: 'udp', srcPort: 1, dstPort: 2, payload: 100 })
const good = Buffer.concat([pcapGlobalHeader(init), pcapRecord(init, frame, 1e15), pcapRecord(init, frame, 1e15 + 1), pcapRecord(init, frame, 1e15 + 2)])

async function file(name: string, bytes: Uint8Array | string): Promise<string> {
  const path = join(dir, name)
  await writeFile(path, bytes)
  return path
}

async function readAll(path: string, options: Parameters<typeof readPcap>[1] = {}): Promise<CapturedPacket[]> {
  const packets: CapturedPacket[] = []
  for await (const p of readPcap(path, options)) packets.push(p)
  return packets
}

/** Reading must fail with InvalidInputError naming the file, and the message must say what is wrong. */
async function rejectsWith(path: string, ...patterns: RegExp[]): Promise<InvalidInputError> {
  let caught: unknown
  try {
    await readAll(path)
  } catch (error) {
    caught = error
  }
  assert.ok(caught instanceof InvalidInputError, `expected InvalidInputError, got ${String(caught)}`)
  assert.equal(caught.problems[0].location.file, path)
  assert.ok(caught.message.includes(path), caught.message)
  for (const p of patterns) assert.match(caught.message, p)
  return caught
}

test('the well-formed control file reads completely (so the failures below are about their defects)', async () => {
  assert.equal((await readAll(await file('good.pcap', good))).length, 3)
})

test('empty file', async () => {
  await rejectsWith(await file('empty.pcap', ''), /the file is empty/)
})

test('a file shorter than a magic number', async () => {
  await rejectsWith(await file('tiny.pcap', Buffer.from([0xd4, 0xc3])), /only 2 bytes long/)
})

test('garbage and text files: unknown magic, shown in hex and as text', async () => {
  await rejectsWith(await file('text.pcap', 'hello, this is not a capture\n'), /not a pcap file/, /68656c6c/, /"hello, this is n"/)
  await rejectsWith(await file('random.pcap', Buffer.from([0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 0xff])), /unknown magic/, /deadbeef/)
})

test('pcapng (a real one, from editcap) is refused with how to convert it', async () => {
  const error = await rejectsWith(fixture('loopback/lo.pcapng'), /pcapng/)
  assert.match(error.problems[0].hint ?? '', /editcap -F pcap in\.pcapng out\.pcap/)
  assert.match(error.problems[0].hint ?? '', /tshark .*-F pcap/)
})

test('a global header cut short', async () => {
  await rejectsWith(await file('short-header.pcap', good.subarray(0, 20)), /ends inside the pcap global header \(20 of 24 bytes\)/)
})

test('an unsupported version', async () => {
  const bad = Buffer.from(good)
  bad.writeUInt16LE(3, 4)
  await rejectsWith(await file('version.pcap', bad), /unsupported pcap version/, /version 3\.4/)
})

test('a last record cut inside its data: error by default, with offset and the count of complete packets', async () => {
  const cut = good.subarray(0, good.length - 30)
  const path = await file('cut-body.pcap', cut)
  const recordSize = 16 + frame.length
  const error = await rejectsWith(path, /truncated capture/, /record #2 at byte offset/, /the 2 packets before it are complete/)
  assert.ok(error.message.includes(`offset ${24 + 2 * recordSize}`))
  assert.ok(error.message.includes(`${recordSize - 30} of ${recordSize} bytes present`))
  assert.match(error.problems[0].hint ?? '', /--allow-truncated/)
})

test('a last record cut inside its header', async () => {
  await rejectsWith(await file('cut-header.pcap', good.subarray(0, 24 + 16 + frame.length + 10)), /inside record header #1/, /10 of 16 bytes/)
})

test('with onTruncated the complete packets come through and the tail is reported once', async () => {
  const path = await file('cut-warn.pcap', good.subarray(0, good.length - 1))
  const tails: TruncatedTail[] = []
  const packets = await readAll(path, { onTruncated: (t) => tails.push(t) })
  assert.equal(packets.length, 2)
  assert.equal(tails.length, 1)
  assert.equal(tails[0].recordIndex, 2)
  assert.equal(tails[0].presentBytes, 16 + frame.length - 1)
})

test('a corrupt record length (garbage after a valid header) is caught before buffering it', async () => {
  const bad = Buffer.from(good)
  bad.writeUInt32LE(0x7fffffff, 24 + 16 + frame.length + 8) // second record's captured length
  await rejectsWith(await file('huge.pcap', bad), /corrupt record #1/, /claims 2147483647 captured bytes/)
  const noise = Buffer.concat([pcapGlobalHeader(init), Buffer.from('GARBAGE GARBAGE GARBAGE GARBAGE GARBAGE')])
  await rejectsWith(await file('noise.pcap', noise), /corrupt record #0/)
})

test('an out-of-range timestamp fraction is reported as corruption', async () => {
  const bad = Buffer.from(good)
  bad.writeUInt32LE(1_000_000, 24 + 4)
  await rejectsWith(await file('fraction.pcap', bad), /timestamp fraction 1000000 is out of range/)
})

test('a missing file and a directory', async () => {
  await rejectsWith(join(dir, 'nope.pcap'), /no such file/)
  await rejectsWith(dir, /is a directory/)
})

test('readPcapHeader describes a valid file and rejects an invalid one the same way', async () => {
  const header = await readPcapHeader(fixture('energybox/test1.pcap'))
  assert.deepEqual(header, {
    byteOrder: 'little',
    nanosecond: false,
    versionMajor: 2,
    versionMinor: 4,
    snaplen: 65535,
    linkType: 113,
    linkTypeSupported: true,
    linkTypeName: 'LINUX_SLL (Linux cooked v1)'
  })
  await assert.rejects(readPcapHeader(await file('h.pcap', 'nonsense')), InvalidInputError)
  assert.equal((await readFile(fixture('energybox/test1.pcap'))).length, 21684)
})

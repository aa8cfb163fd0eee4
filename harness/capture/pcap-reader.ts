import { constants } from 'node:fs'
import { open, type FileHandle } from 'node:fs/promises'
import { InvalidInputError, notARegularFile, type CapturedPacket, type InputProblem } from '../interface/index.js'
import { decodeFrame, isSupportedLinkType, linkTypeName } from './decode.js'

/** The global header of a classic pcap file. */
export interface PcapFileHeader {
  byteOrder: 'little' | 'big'
  /** True for the nanosecond-resolution variant (magic a1b23c4d). */
  nanosecond: boolean
  versionMajor: number
  versionMinor: number
  snaplen: number
  /** LINKTYPE_* (the low 16 bits of the header's link field; the rest carries FCS flags). */
  linkType: number
  /** Whether courier decodes this link type down to IP; otherwise frames come without `ip`. */
  linkTypeSupported: boolean
  linkTypeName: string
}

/** A last record cut short: the file ends inside it (a capture stopped without flushing). */
export interface TruncatedTail {
  file: string
  /** 0-based index the cut record would have had, i.e. the number of complete packets. */
  recordIndex: number
  /** Byte offset of the cut record's header. */
  offset: number
  /** Bytes the record needs (header + captured length, when the header itself is complete). */
  expectedBytes: number
  /** Bytes present from `offset` to the end of the file. */
  presentBytes: number
}

/** Options of `readPcap`. */
export interface ReadPcapOptions {
  signal?: AbortSignal
  /**
   * A cut-off last record is an error (`InvalidInputError`) unless this is given: then the
   * complete packets before it are yielded, this is called once, and reading ends normally.
   */
  onTruncated?: (tail: TruncatedTail) => void
  /** Called once with the file header, before the first packet. */
  onHeader?: (header: PcapFileHeader) => void
  /** Read size in bytes (default 1 MiB); memory use is about this, whatever the file size. */
  chunkSize?: number
  /** Attach each TCP/UDP packet's payload bytes (a copy) and its frame's file offset. */
  payloads?: boolean
}

const GLOBAL_HEADER_LENGTH = 24
const RECORD_HEADER_LENGTH = 16
const DEFAULT_CHUNK = 1 << 20
// Wireshark's limit for a sane record (WTAP_MAX_PACKET_SIZE_STANDARD); beyond it a length field
// is garbage, and believing it would make us buffer gigabytes before noticing.
const MAX_SANE_RECORD = 262144

const CONVERT_HINT = 'convert it to classic pcap: `editcap -F pcap in.pcapng out.pcap` or `tshark -r in.pcapng -F pcap -w out.pcap`'

/**
 * Streams the packets of a classic pcap file (either byte order, µs or ns timestamps), decoded
 * down to IP and TCP/UDP, in file order. Memory stays at about one read chunk whatever the file
 * size. Any problem with the file is an `InvalidInputError` naming the file, the offset and what
 * is wrong.
 */
export async function* readPcap(path: string, options: ReadPcapOptions = {}): AsyncGenerator<CapturedPacket, void, undefined> {
  for await (const batch of readPcapBatches(path, options)) {
    for (let i = 0; i < batch.length; i++) yield batch[i]
  }
}

/**
 * Same as `readPcap`, but yields the packets of each read chunk as one array: several times
 * faster for consumers that handle millions of packets (one await per chunk, not per packet).
 */
export async function* readPcapBatches(path: string, options: ReadPcapOptions = {}): AsyncGenerator<CapturedPacket[], void, undefined> {
  const { signal } = options
  signal?.throwIfAborted()
  const handle = await openCapture(path)
  try {
    const head = Buffer.alloc(GLOBAL_HEADER_LENGTH)
    const { bytesRead: headRead } = await handle.read(head, 0, GLOBAL_HEADER_LENGTH, 0)
    const header = parseGlobalHeader(path, head.subarray(0, headRead))
    options.onHeader?.(header)
    const little = header.byteOrder === 'little'
    const fractionToUs = header.nanosecond ? 1000 : 1
    const linkType = header.linkType
    const maxRecord = Math.max(header.snaplen, MAX_SANE_RECORD)

    let buf = Buffer.allocUnsafe(Math.max(options.chunkSize ?? DEFAULT_CHUNK, 64))
    let filled = 0 // valid bytes in buf, starting at 0
    let fileOffset = GLOBAL_HEADER_LENGTH // file offset of buf[0]
    let readOffset = GLOBAL_HEADER_LENGTH // next file offset to read from
    let index = 0
    let eof = false
    while (!eof) {
      signal?.throwIfAborted()
      const { bytesRead } = await handle.read(buf, filled, buf.length - filled, readOffset)
      if (bytesRead === 0) eof = true
      filled += bytesRead
      readOffset += bytesRead

      const batch: CapturedPacket[] = []
      let o = 0
      while (filled - o >= RECORD_HEADER_LENGTH) {
        const seconds = little ? buf.readUInt32LE(o) : buf.readUInt32BE(o)
        const fraction = little ? buf.readUInt32LE(o + 4) : buf.readUInt32BE(o + 4)
        const capturedLength = little ? buf.readUInt32LE(o + 8) : buf.readUInt32BE(o + 8)
        const wireLength = little ? buf.readUInt32LE(o + 12) : buf.readUInt32BE(o + 12)
        if (capturedLength > maxRecord) {
          throw corrupt(
            path,
            index,
            fileOffset + o,
            `record header claims ${capturedLength} captured bytes`,
            `at most ${maxRecord} (the file's snaplen is ${header.snaplen})`
          )
        }
        if (fraction >= (header.nanosecond ? 1e9 : 1e6)) {
          throw corrupt(
            path,
            index,
            fileOffset + o,
            `timestamp fraction ${fraction} is out of range`,
            header.nanosecond ? 'nanoseconds below 1000000000' : 'microseconds below 1000000'
          )
        }
        const recordEnd = o + RECORD_HEADER_LENGTH + capturedLength
        if (recordEnd > filled) {
          if (recordEnd > buf.length && o === 0) {
            // a record bigger than the buffer: grow so it fits, then read on
            const bigger = Buffer.allocUnsafe(recordEnd)
            buf.copy(bigger, 0, 0, filled)
            buf = bigger
          }
          break
        }
        const packet: CapturedPacket = {
          index,
          timestampUs: seconds * 1e6 + Math.floor(fraction / fractionToUs),
          wireLength,
          capturedLength,
          linkType
        }
        decodeFrame(packet, buf, o + RECORD_HEADER_LENGTH, recordEnd, linkType, options.payloads === true)
        if (options.payloads === true) {
          packet.frameOffset = fileOffset + o + RECORD_HEADER_LENGTH
          const from = packet.transport?.payloadOffset
          if (from != null && packet.transport != null && packet.transport.payloadLength > 0) {
            const start = o + RECORD_HEADER_LENGTH + from
            packet.payload = Uint8Array.prototype.slice.call(buf, start, Math.min(recordEnd, start + packet.transport.payloadLength))
          }
        }
        batch.push(packet)
        index++
        o = recordEnd
      }
      if (batch.length > 0) yield batch
      // keep the incomplete tail at the front of the buffer for the next read
      if (o > 0) {
        buf.copyWithin(0, o, filled)
        filled -= o
        fileOffset += o
      }
    }
    if (filled > 0) {
      const expectedBytes = filled >= RECORD_HEADER_LENGTH ? RECORD_HEADER_LENGTH + (little ? buf.readUInt32LE(8) : buf.readUInt32BE(8)) : RECORD_HEADER_LENGTH
      const tail: TruncatedTail = { file: path, recordIndex: index, offset: fileOffset, expectedBytes, presentBytes: filled }
      if (options.onTruncated == null) throw truncatedError(tail)
      options.onTruncated(tail)
    }
  } finally {
    await handle.close()
  }
}

/** Reads only the global header: what the file is, or an `InvalidInputError` saying why it is not a pcap. */
export async function readPcapHeader(path: string): Promise<PcapFileHeader> {
  const handle = await openCapture(path)
  try {
    const head = Buffer.alloc(GLOBAL_HEADER_LENGTH)
    const { bytesRead } = await handle.read(head, 0, GLOBAL_HEADER_LENGTH, 0)
    return parseGlobalHeader(path, head.subarray(0, bytesRead))
  } finally {
    await handle.close()
  }
}

/** The message a truncated tail deserves, for callers that choose to warn instead of fail. */
export function describeTruncatedTail(tail: TruncatedTail): string {
  const what = tail.presentBytes < RECORD_HEADER_LENGTH ? 'record header' : 'record'
  return (
    `the file ends inside ${what} #${tail.recordIndex} at byte offset ${tail.offset}: ` +
    `${tail.presentBytes} of ${tail.expectedBytes} bytes present; the ${tail.recordIndex} packets before it are complete`
  )
}

async function openCapture(path: string): Promise<FileHandle> {
  let handle: FileHandle
  try {
    // without O_NONBLOCK, opening a FIFO waits for a writer forever
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    const message = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : `cannot open (${code ?? String(error)})`
    throw problem(path, message, { expected: 'a readable pcap file' })
  }
  const stat = await handle.stat()
  const kind = notARegularFile(stat)
  if (kind != null) {
    await handle.close()
    // a pipe or a device has no end to read to and no offsets to report
    throw problem(path, `is ${kind}`, {
      expected: 'a pcap file',
      hint: stat.isFIFO() ? 'save the stream to a file first (tcpdump -w capture.pcap), then read that file' : undefined
    })
  }
  return handle
}

function parseGlobalHeader(path: string, head: Buffer): PcapFileHeader {
  if (head.length === 0) {
    throw problem(path, 'the file is empty', {
      expected: 'a pcap file (24-byte header, then records)',
      hint: 'was the capture stopped before tcpdump wrote anything?'
    })
  }
  if (head.length < 4) {
    throw problem(path, `the file is only ${head.length} bytes long`, { expected: 'a pcap file (24-byte header, then records)' })
  }
  const magicBig = head.readUInt32BE(0)
  let byteOrder: 'little' | 'big'
  let nanosecond: boolean
  switch (magicBig) {
    case 0xa1b2c3d4:
      byteOrder = 'big'
      nanosecond = false
      break
    case 0xd4c3b2a1:
      byteOrder = 'little'
      nanosecond = false
      break
    case 0xa1b23c4d:
      byteOrder = 'big'
      nanosecond = true
      break
    case 0x4d3cb2a1:
      byteOrder = 'little'
      nanosecond = true
      break
    case 0x0a0d0d0a:
      throw problem(path, 'this is a pcapng file; courier reads classic pcap only', {
        expected: 'classic pcap (magic a1b2c3d4 or a1b23c4d)',
        found: 'pcapng (magic 0a0d0d0a)',
        hint: CONVERT_HINT
      })
    case 0xa1b2cd34:
    case 0x34cdb2a1:
      throw problem(path, 'this is a "modified" (Kuznetzov) pcap file, which courier does not read', {
        expected: 'classic pcap (magic a1b2c3d4 or a1b23c4d)',
        found: `magic ${hex(magicBig)}`,
        hint: CONVERT_HINT.replace(/pcapng/g, 'pcap')
      })
    default:
      throw problem(path, 'not a pcap file (unknown magic number)', {
        expected: 'magic a1b2c3d4, d4c3b2a1 (µs) or a1b23c4d, 4d3cb2a1 (ns)',
        found: `${hex(magicBig)}${looksLikeText(head) ? ` (text: ${JSON.stringify(head.toString('latin1').slice(0, 16))})` : ''}`
      })
  }
  if (head.length < GLOBAL_HEADER_LENGTH) {
    throw problem(path, `the file ends inside the pcap global header (${head.length} of ${GLOBAL_HEADER_LENGTH} bytes)`, {
      expected: 'a complete 24-byte header'
    })
  }
  const little = byteOrder === 'little'
  const u16 = (o: number): number => (little ? head.readUInt16LE(o) : head.readUInt16BE(o))
  const u32 = (o: number): number => (little ? head.readUInt32LE(o) : head.readUInt32BE(o))
  const versionMajor = u16(4)
  const versionMinor = u16(6)
  if (versionMajor !== 2) {
    throw problem(path, 'unsupported pcap version', { expected: 'version 2.4', found: `version ${versionMajor}.${versionMinor}` })
  }
  const linkType = u32(20) & 0xffff
  return {
    byteOrder,
    nanosecond,
    versionMajor,
    versionMinor,
    snaplen: u32(16),
    linkType,
    linkTypeSupported: isSupportedLinkType(linkType),
    linkTypeName: linkTypeName(linkType)
  }
}

function truncatedError(tail: TruncatedTail): InvalidInputError {
  return new InvalidInputError([
    {
      location: { file: tail.file },
      path: '',
      message: `truncated capture: ${describeTruncatedTail(tail)}`,
      hint:
        'the capture was probably cut off (tcpdump killed, or the file copied while written); ' +
        'with `courier pcap --allow-truncated` the complete packets are analysed and this becomes a warning'
    }
  ])
}

function corrupt(path: string, index: number, offset: number, found: string, expected: string): InvalidInputError {
  return problem(path, `corrupt record #${index} at byte offset ${offset}`, {
    expected,
    found,
    hint: 'the file is damaged or not a pcap past this point'
  })
}

function problem(file: string, message: string, extra: Pick<InputProblem, 'expected' | 'found' | 'hint'> = {}): InvalidInputError {
  return new InvalidInputError([{ location: { file }, path: '', message, ...extra }])
}

function hex(n: number): string {
  return n.toString(16).padStart(8, '0')
}

function looksLikeText(head: Buffer): boolean {
  return head.every((b) => b === 9 || b === 10 || b === 13 || (b >= 32 && b < 127))
}

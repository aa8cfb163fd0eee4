import { createWriteStream, type WriteStream } from 'node:fs'
import { once } from 'node:events'
import { isIP } from 'node:net'
import { LinkType } from './decode.js'

/** How a classic pcap file is laid out. */
export interface PcapWriterInit {
  linkType: number
  /** Default little (what x86 tcpdump writes). */
  byteOrder?: 'little' | 'big'
  /** Nanosecond timestamps (magic a1b23c4d). Default false. */
  nanosecond?: boolean
  /** Default 262144, tcpdump's. */
  snaplen?: number
}

/** The 24-byte global header. */
export function pcapGlobalHeader(init: PcapWriterInit): Buffer {
  const header = Buffer.alloc(24)
  const little = (init.byteOrder ?? 'little') === 'little'
  const u32 = (v: number, o: number): number => (little ? header.writeUInt32LE(v, o) : header.writeUInt32BE(v, o))
  const u16 = (v: number, o: number): number => (little ? header.writeUInt16LE(v, o) : header.writeUInt16BE(v, o))
  u32(init.nanosecond === true ? 0xa1b23c4d : 0xa1b2c3d4, 0)
  u16(2, 4)
  u16(4, 6)
  u32(init.snaplen ?? 262144, 16)
  u32(init.linkType, 20)
  return header
}

/**
 * One record: header and frame. `timestampUs` is microseconds since the epoch; `timestampNs`,
 * when given, is the sub-second part in nanoseconds for ns files. `wireLength` defaults to the
 * frame length; `capturedLength` below it simulates a snaplen.
 */
export function pcapRecord(
  init: PcapWriterInit,
  frame: Uint8Array,
  timestampUs: number,
  options: { wireLength?: number; capturedLength?: number; subsecondNs?: number } = {}
): Buffer {
  const captured = Math.min(options.capturedLength ?? frame.length, frame.length)
  const record = Buffer.alloc(16 + captured)
  const little = (init.byteOrder ?? 'little') === 'little'
  const u32 = (v: number, o: number): number => (little ? record.writeUInt32LE(v, o) : record.writeUInt32BE(v, o))
  const seconds = Math.floor(timestampUs / 1e6)
  const micros = timestampUs - seconds * 1e6
  u32(seconds, 0)
  u32(init.nanosecond === true ? (options.subsecondNs ?? micros * 1000) : micros, 4)
  u32(captured, 8)
  u32(options.wireLength ?? frame.length, 12)
  record.set(frame.subarray(0, captured), 16)
  return record
}

/** Writes a pcap file record by record, honouring the stream's backpressure. */
export class PcapFileWriter {
  private constructor(
    private readonly init: PcapWriterInit,
    private readonly stream: WriteStream
  ) {}

  static async open(path: string, init: PcapWriterInit): Promise<PcapFileWriter> {
    const stream = createWriteStream(path)
    await once(stream, 'open')
    const writer = new PcapFileWriter(init, stream)
    await writer.raw(pcapGlobalHeader(init))
    return writer
  }

  async write(frame: Uint8Array, timestampUs: number, options?: { wireLength?: number; capturedLength?: number }): Promise<void> {
    await this.raw(pcapRecord(this.init, frame, timestampUs, options))
  }

  /** Appends bytes as they are (e.g. many records encoded at once). */
  async raw(bytes: Uint8Array): Promise<void> {
    if (!this.stream.write(bytes)) await once(this.stream, 'drain')
  }

  async close(): Promise<void> {
    this.stream.end()
    await once(this.stream, 'close')
  }
}

/** What `buildFrame` puts in a frame; lengths in the headers are computed from the payload. */
export interface FrameSpec {
  linkType: number
  src: string
  dst: string
  protocol: 'tcp' | 'udp' | 'icmp'
  srcPort?: number
  dstPort?: number
  /** Payload bytes, or a length to fill with zeros. */
  payload?: Uint8Array | number
  tcp?: { seq?: number; ack?: number; flags?: number; optionBytes?: number }
  /** 802.1Q tags on Ethernet, outermost first. */
  vlanIds?: number[]
  /** IPv6 extension headers before the transport header, in order. */
  ipv6Extensions?: Array<'hop-by-hop' | 'routing' | 'destination' | 'fragment'>
  /** NULL link type only: family field byte order (default little, as on x86 BSDs). */
  nullByteOrder?: 'little' | 'big'
  /** AF_INET6 value for NULL/LOOP (default 30, macOS). */
  nullInet6Family?: number
}

export const TcpFlags = { fin: 0x01, syn: 0x02, rst: 0x04, psh: 0x08, ack: 0x10 } as const

/**
 * Builds one frame of the given link type. Checksums are left zero: courier's reader ignores
 * them, and so does tshark unless asked to validate.
 */
export function buildFrame(spec: FrameSpec): Buffer {
  const version = isIP(spec.src)
  if (version === 0 || isIP(spec.dst) !== version) throw new Error(`buildFrame: bad addresses ${spec.src} ${spec.dst}`)
  const payload = typeof spec.payload === 'number' ? Buffer.alloc(spec.payload) : Buffer.from(spec.payload ?? new Uint8Array(0))
  const transport = transportHeader(spec, payload.length)
  const ip = version === 4 ? ipv4Header(spec, transport.length + payload.length) : ipv6Header(spec, transport.length + payload.length)
  const link = linkHeader(spec, version === 4 ? 4 : 6)
  return Buffer.concat([link, ip, transport, payload])
}

function transportHeader(spec: FrameSpec, payloadLength: number): Buffer {
  if (spec.protocol === 'tcp') {
    const optionBytes = spec.tcp?.optionBytes ?? 0
    if (optionBytes % 4 !== 0 || optionBytes > 40) throw new Error('buildFrame: TCP options must be a multiple of 4, at most 40')
    const header = Buffer.alloc(20 + optionBytes, 1) // option bytes are NOPs (kind 1)
    header.writeUInt16BE(spec.srcPort ?? 0, 0)
    header.writeUInt16BE(spec.dstPort ?? 0, 2)
    header.writeUInt32BE((spec.tcp?.seq ?? 0) >>> 0, 4)
    header.writeUInt32BE((spec.tcp?.ack ?? 0) >>> 0, 8)
    header[12] = ((20 + optionBytes) / 4) << 4
    header[13] = spec.tcp?.flags ?? TcpFlags.ack
    header.writeUInt16BE(65535, 14)
    header.writeUInt32BE(0, 16)
    return header
  }
  if (spec.protocol === 'udp') {
    const header = Buffer.alloc(8)
    header.writeUInt16BE(spec.srcPort ?? 0, 0)
    header.writeUInt16BE(spec.dstPort ?? 0, 2)
    header.writeUInt16BE(8 + payloadLength, 4)
    return header
  }
  return Buffer.from([8, 0, 0, 0, 0, 0, 0, 0]) // ICMP echo request
}

function ipv4Header(spec: FrameSpec, innerLength: number): Buffer {
  const header = Buffer.alloc(20)
  header[0] = 0x45
  header.writeUInt16BE(20 + innerLength, 2)
  header[6] = 0x40 // don't fragment
  header[8] = 64
  header[9] = spec.protocol === 'tcp' ? 6 : spec.protocol === 'udp' ? 17 : 1
  Buffer.from(spec.src.split('.').map(Number)).copy(header, 12)
  Buffer.from(spec.dst.split('.').map(Number)).copy(header, 16)
  return header
}

function ipv6Header(spec: FrameSpec, innerLength: number): Buffer {
  const extensions = spec.ipv6Extensions ?? []
  const transportNumber = spec.protocol === 'tcp' ? 6 : spec.protocol === 'udp' ? 17 : 58
  const numberOf = { 'hop-by-hop': 0, routing: 43, destination: 60, fragment: 44 } as const
  const blocks: Buffer[] = []
  for (let i = 0; i < extensions.length; i++) {
    const next = i + 1 < extensions.length ? numberOf[extensions[i + 1]] : transportNumber
    // lengths above the 8-byte minimum show that a reader honours the length field
    const kind = extensions[i]
    const block = Buffer.alloc(kind === 'fragment' ? 8 : kind === 'routing' ? 24 : 16)
    block[0] = next
    block[1] = block.length / 8 - 1
    if (kind === 'hop-by-hop' || kind === 'destination') {
      block[2] = 1 // one PadN option filling the rest
      block[3] = block.length - 4
    } else if (kind === 'routing') {
      // type 0 with no segments left and one address: what tcpdump shows as srcrt
      block[2] = 0
      block[3] = 0
      parseIpv6('2001:db8::99').copy(block, 8)
    }
    blocks.push(block)
  }
  const extensionBytes = blocks.reduce((n, b) => n + b.length, 0)
  const header = Buffer.alloc(40)
  header[0] = 0x60
  header.writeUInt16BE(extensionBytes + innerLength, 4)
  header[6] = extensions.length > 0 ? numberOf[extensions[0]] : transportNumber
  header[7] = 64
  parseIpv6(spec.src).copy(header, 8)
  parseIpv6(spec.dst).copy(header, 24)
  return Buffer.concat([header, ...blocks])
}

function linkHeader(spec: FrameSpec, version: 4 | 6): Buffer {
  const etherType = version === 4 ? 0x0800 : 0x86dd
  switch (spec.linkType) {
    case LinkType.ethernet: {
      const tags = spec.vlanIds ?? []
      const header = Buffer.alloc(14 + 4 * tags.length)
      header.set([2, 0, 0, 0, 0, 2], 0)
      header.set([2, 0, 0, 0, 0, 1], 6)
      let o = 12
      for (const id of tags) {
        header.writeUInt16BE(0x8100, o)
        header.writeUInt16BE(id & 0x0fff, o + 2)
        o += 4
      }
      header.writeUInt16BE(etherType, o)
      return header
    }
    case LinkType.linuxSll: {
      const header = Buffer.alloc(16)
      header.writeUInt16BE(0, 0) // packet type: to us
      header.writeUInt16BE(772, 2) // ARPHRD_LOOPBACK
      header.writeUInt16BE(6, 4)
      header.writeUInt16BE(etherType, 14)
      return header
    }
    case LinkType.linuxSll2: {
      const header = Buffer.alloc(20)
      header.writeUInt16BE(etherType, 0)
      header.writeUInt32BE(1, 4) // interface index
      header.writeUInt16BE(772, 8)
      header[11] = 6
      return header
    }
    case LinkType.null:
    case LinkType.loop: {
      const family = version === 4 ? 2 : (spec.nullInet6Family ?? 30)
      const header = Buffer.alloc(4)
      if (spec.linkType === LinkType.null && (spec.nullByteOrder ?? 'little') === 'little') header.writeUInt32LE(family)
      else header.writeUInt32BE(family)
      return header
    }
    case LinkType.raw:
    case LinkType.rawDlt12:
    case LinkType.rawDlt14:
    case LinkType.ipv4:
    case LinkType.ipv6:
      return Buffer.alloc(0)
    default:
      throw new Error(`buildFrame: no link header for linktype ${spec.linkType}`)
  }
}

function parseIpv6(text: string): Buffer {
  const out = Buffer.alloc(16)
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined]
  const groups = (s: string): number[] => (s === '' ? [] : s.split(':').map((g) => parseInt(g, 16)))
  const front = groups(head)
  const back = tail === undefined ? [] : groups(tail)
  for (const [i, g] of front.entries()) out.writeUInt16BE(g, 2 * i)
  for (const [i, g] of back.entries()) out.writeUInt16BE(g, 16 - 2 * (back.length - i))
  return out
}

import type { CapturedPacket, TransportProtocol } from '../interface/index.js'

/** pcap LINKTYPE_* values courier decodes down to IP. */
export const LinkType = {
  null: 0,
  ethernet: 1,
  /** DLT_RAW as most systems number it; appears in files written without the LINKTYPE mapping. */
  rawDlt12: 12,
  /** DLT_RAW on OpenBSD. */
  rawDlt14: 14,
  raw: 101,
  loop: 108,
  linuxSll: 113,
  ipv4: 228,
  ipv6: 229,
  linuxSll2: 276
} as const

/** Human names for link types, for messages and the report header. */
export function linkTypeName(linkType: number): string {
  switch (linkType) {
    case LinkType.null:
      return 'NULL (BSD loopback)'
    case LinkType.ethernet:
      return 'EN10MB (Ethernet)'
    case LinkType.rawDlt12:
    case LinkType.rawDlt14:
    case LinkType.raw:
      return 'RAW (IP)'
    case LinkType.loop:
      return 'LOOP (OpenBSD loopback)'
    case LinkType.linuxSll:
      return 'LINUX_SLL (Linux cooked v1)'
    case LinkType.ipv4:
      return 'IPV4'
    case LinkType.ipv6:
      return 'IPV6'
    case LinkType.linuxSll2:
      return 'LINUX_SLL2 (Linux cooked v2)'
    default:
      return `linktype ${linkType}`
  }
}

export function isSupportedLinkType(linkType: number): boolean {
  return linkTypeName(linkType) !== `linktype ${linkType}`
}

const ETHERTYPE_IPV4 = 0x0800
const ETHERTYPE_IPV6 = 0x86dd
const ETHERTYPE_VLAN = 0x8100
const ETHERTYPE_QINQ = 0x88a8
const ETHERTYPE_QINQ_OLD = 0x9100

/**
 * Decodes the link, IP and transport headers of one frame `buf[start, end)` into `packet.ip` and
 * `packet.transport`. Lengths come from the IP header, not from the captured bytes, so payload
 * sizes stay right when the capture was cut by a snaplen. Frames courier does not understand (ARP,
 * LLC, unknown link types) are left without `ip`, never rejected: a capture is a record of what
 * happened, and its frame count must stay true.
 */
export function decodeFrame(packet: CapturedPacket, buf: Buffer, start: number, end: number, linkType: number, payloadOffsets = false): void {
  let o: number
  let version = 0
  switch (linkType) {
    case LinkType.ethernet: {
      if (end - start < 14) return
      let etherType = (buf[start + 12] << 8) | buf[start + 13]
      o = start + 14
      while (etherType === ETHERTYPE_VLAN || etherType === ETHERTYPE_QINQ || etherType === ETHERTYPE_QINQ_OLD) {
        if (o + 4 > end) return
        etherType = (buf[o + 2] << 8) | buf[o + 3]
        o += 4
      }
      version = etherType === ETHERTYPE_IPV4 ? 4 : etherType === ETHERTYPE_IPV6 ? 6 : 0
      break
    }
    case LinkType.linuxSll: {
      if (end - start < 16) return
      const protocol = (buf[start + 14] << 8) | buf[start + 15]
      version = protocol === ETHERTYPE_IPV4 ? 4 : protocol === ETHERTYPE_IPV6 ? 6 : 0
      o = start + 16
      break
    }
    case LinkType.linuxSll2: {
      if (end - start < 20) return
      const protocol = (buf[start] << 8) | buf[start + 1]
      version = protocol === ETHERTYPE_IPV4 ? 4 : protocol === ETHERTYPE_IPV6 ? 6 : 0
      o = start + 20
      break
    }
    case LinkType.null:
    case LinkType.loop: {
      if (end - start < 4) return
      // NULL stores the address family in the byte order of the machine that wrote it, which need
      // not be the file's; families are small, so the order that gives a small number is right.
      let family = buf.readUInt32BE(start)
      if (linkType === LinkType.null && family > 0xffff) family = buf.readUInt32LE(start)
      // AF_INET is 2 everywhere; AF_INET6 is 10 (Linux), 24 (NetBSD/OpenBSD), 28 (FreeBSD), 30 (macOS)
      version = family === 2 ? 4 : family === 10 || family === 24 || family === 28 || family === 30 ? 6 : 0
      o = start + 4
      break
    }
    case LinkType.raw:
    case LinkType.rawDlt12:
    case LinkType.rawDlt14:
    case LinkType.ipv4:
    case LinkType.ipv6:
      if (end - start < 1) return
      o = start
      version = buf[o] >> 4
      break
    default:
      return
  }
  if (version === 4) decodeIpv4(packet, buf, o, end, o - start)
  else if (version === 6) decodeIpv6(packet, buf, o, end, o - start)
  // only on request: the figures' hot path keeps the packet's shape it always had
  if (payloadOffsets && packet.transport != null) packet.transport.payloadOffset = payloadStart - start
}

/** Where decodeTransport found the payload of the frame it decoded last (one frame at a time, synchronously). */
let payloadStart = 0

function decodeIpv4(packet: CapturedPacket, buf: Buffer, o: number, end: number, linkHeaderLength: number): void {
  if (o + 20 > end || buf[o] >> 4 !== 4) return
  const headerLength = (buf[o] & 0x0f) * 4
  if (headerLength < 20) return
  // TSO super-frames carry total length 0; the frame itself is then the only length there is
  const room = packet.wireLength - linkHeaderLength
  const claimed = (buf[o + 2] << 8) | buf[o + 3] || room
  // a header claiming more than the frame carried would count payload bytes that never crossed
  // the wire (76 kB of payload in 15 kB of frames): the frame's length is the truth, and it is said
  const totalLength = Math.min(claimed, room)
  const fragmentOffset = ((buf[o + 6] & 0x1f) << 8) | buf[o + 7]
  const protocolNumber = buf[o + 9]
  const protocol = transportName(protocolNumber, false)
  packet.ip = {
    version: 4,
    src: `${buf[o + 12]}.${buf[o + 13]}.${buf[o + 14]}.${buf[o + 15]}`,
    dst: `${buf[o + 16]}.${buf[o + 17]}.${buf[o + 18]}.${buf[o + 19]}`,
    protocol,
    length: totalLength,
    ...(claimed > room ? { lengthExceedsFrame: true as const } : {})
  }
  // only the first fragment holds the transport header
  if (fragmentOffset !== 0) return
  decodeTransport(packet, buf, o + headerLength, end, protocolNumber, totalLength - headerLength)
}

function decodeIpv6(packet: CapturedPacket, buf: Buffer, o: number, end: number, linkHeaderLength: number): void {
  if (o + 40 > end || buf[o] >> 4 !== 6) return
  const payloadLength = (buf[o + 4] << 8) | buf[o + 5]
  // payload length 0 means a jumbogram (RFC 2675); the frame length is then the truth
  const room = packet.wireLength - linkHeaderLength
  const claimed = payloadLength === 0 ? room : 40 + payloadLength
  const length = Math.min(claimed, room)
  let next = buf[o + 6]
  let t = o + 40
  let remaining = length - 40
  let firstFragment = true
  // Walk the extension header chain. Each has its next-header in byte 0; lengths differ by type.
  for (;;) {
    if (next === 0 || next === 43 || next === 60 || next === 135 || next === 139 || next === 140 || next === 253 || next === 254) {
      if (t + 2 > end) {
        next = -1
        break
      }
      const extLength = (buf[t + 1] + 1) * 8
      next = buf[t]
      t += extLength
      remaining -= extLength
    } else if (next === 44) {
      if (t + 8 > end) {
        next = -1
        break
      }
      firstFragment = ((buf[t + 2] << 8) | buf[t + 3]) >> 3 === 0
      next = buf[t]
      t += 8
      remaining -= 8
    } else if (next === 51) {
      // AH counts its length in 4-octet units, minus 2
      if (t + 2 > end) {
        next = -1
        break
      }
      const extLength = (buf[t + 1] + 2) * 4
      next = buf[t]
      t += extLength
      remaining -= extLength
    } else {
      break
    }
  }
  packet.ip = {
    version: 6,
    src: formatIpv6(buf, o + 8),
    dst: formatIpv6(buf, o + 24),
    protocol: next < 0 ? 'other' : transportName(next, true),
    length,
    ...(claimed > room ? { lengthExceedsFrame: true as const } : {})
  }
  if (next < 0 || !firstFragment) return
  decodeTransport(packet, buf, t, end, next, remaining)
}

function transportName(protocolNumber: number, v6: boolean): TransportProtocol {
  if (protocolNumber === 6) return 'tcp'
  if (protocolNumber === 17) return 'udp'
  if (protocolNumber === (v6 ? 58 : 1)) return 'icmp'
  return 'other'
}

function decodeTransport(packet: CapturedPacket, buf: Buffer, t: number, end: number, protocolNumber: number, ipPayloadLength: number): void {
  if (protocolNumber === 6) {
    if (t + 20 > end) return
    const dataOffset = (buf[t + 12] >> 4) * 4
    payloadStart = t + dataOffset
    packet.transport = {
      srcPort: (buf[t] << 8) | buf[t + 1],
      dstPort: (buf[t + 2] << 8) | buf[t + 3],
      payloadLength: Math.max(0, ipPayloadLength - dataOffset),
      tcp: {
        seq: buf.readUInt32BE(t + 4),
        ack: buf.readUInt32BE(t + 8),
        flags: ((buf[t + 12] & 1) << 8) | buf[t + 13]
      }
    }
  } else if (protocolNumber === 17) {
    if (t + 8 > end) return
    payloadStart = t + 8
    packet.transport = {
      srcPort: (buf[t] << 8) | buf[t + 1],
      dstPort: (buf[t + 2] << 8) | buf[t + 3],
      payloadLength: Math.max(0, ipPayloadLength - 8)
    }
  }
}

/** RFC 5952 text form: lower case, leading zeros dropped, the longest run of zero groups as `::`. */
export function formatIpv6(buf: Buffer | Uint8Array, o: number): string {
  const groups = new Array<number>(8)
  for (let i = 0; i < 8; i++) groups[i] = (buf[o + 2 * i] << 8) | buf[o + 2 * i + 1]
  // IPv4-mapped addresses read better, and are conventionally shown, with a dotted tail
  if (groups[0] === 0 && groups[1] === 0 && groups[2] === 0 && groups[3] === 0 && groups[4] === 0 && groups[5] === 0xffff) {
    return `::ffff:${buf[o + 12]}.${buf[o + 13]}.${buf[o + 14]}.${buf[o + 15]}`
  }
  let bestStart = -1
  let bestLength = 1
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++
      continue
    }
    let j = i
    while (j < 8 && groups[j] === 0) j++
    if (j - i > bestLength) {
      bestStart = i
      bestLength = j - i
    }
    i = j
  }
  if (bestStart < 0) return groups.map((g) => g.toString(16)).join(':')
  const head = groups
    .slice(0, bestStart)
    .map((g) => g.toString(16))
    .join(':')
  const tail = groups
    .slice(bestStart + bestLength)
    .map((g) => g.toString(16))
    .join(':')
  return `${head}::${tail}`
}

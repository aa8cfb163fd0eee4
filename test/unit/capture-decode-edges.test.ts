import { test } from 'node:test'
import assert from 'node:assert/strict'
import { decodeFrame, formatIpv6, LinkType, linkTypeName } from '../../harness/capture/index.js'
import { isSupportedLinkType } from '../../harness/capture/decode.js'
import type { CapturedPacket } from '../../harness/interface/index.js'

// The edges of the frame decoder, one byte at a time: every frame here is written out by hand
// (header bytes from RFC 791, 8200, 793, 768 and the link-layer formats), so what a test expects
// is what the standard says the bytes mean, not what the decoder printed once. Found by mutation
// testing (npm run mutation, scope capture): each test fails if a length check, a mask or a
// protocol number in decode.ts is changed.

function decode(frame: Buffer | number[], linkType: number, wireLength?: number, payloadOffsets = false): CapturedPacket {
  const buf = Buffer.from(frame)
  const packet: CapturedPacket = { index: 0, timestampUs: 0, wireLength: wireLength ?? buf.length, capturedLength: buf.length, linkType }
  decodeFrame(packet, buf, 0, buf.length, linkType, payloadOffsets)
  return packet
}

/** An IPv4 header of 20 bytes (IHL 5) from 10.1.2.3 to 192.168.7.9; `total` is the total length field. */
function ipv4(protocol: number, total: number, opts: { flagsAndOffset?: [number, number]; versionIhl?: number } = {}): number[] {
  const [f0, f1] = opts.flagsAndOffset ?? [0x40, 0x00]
  return [opts.versionIhl ?? 0x45, 0, total >> 8, total & 0xff, 0, 0, f0, f1, 64, protocol, 0, 0, 10, 1, 2, 3, 192, 168, 7, 9]
}

/** A UDP header from port 0x1234 (4660) to 0x0035 (53). */
const udp = [0x12, 0x34, 0x00, 0x35, 0, 0, 0, 0]

/** A TCP header: ports 40000 -> 443, seq 0x01020304, ack 0xa0b0c0d0, data offset `words`, flags byte `flags`, NS bit `ns`. */
function tcp(words: number, flags: number, ns = 0): number[] {
  const header = [0x9c, 0x40, 0x01, 0xbb, 1, 2, 3, 4, 0xa0, 0xb0, 0xc0, 0xd0, (words << 4) | ns, flags, 0xff, 0xff, 0, 0, 0, 0]
  for (let i = 20; i < words * 4; i++) header.push(1)
  return header
}

/** An IPv6 header from 2001:db8::1 to fe80::2 with the given next header and payload length field. */
function ipv6(next: number, payloadLength: number): number[] {
  const src = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]
  const dst = [0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]
  return [0x60, 0, 0, 0, payloadLength >> 8, payloadLength & 0xff, next, 64, ...src, ...dst]
}

const ether = (etherType: number): number[] => [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, etherType >> 8, etherType & 0xff]

test('every link type courier decodes has its name; any other number is named by its value and unsupported', () => {
  const names: Array<[number, string]> = [
    [0, 'NULL (BSD loopback)'],
    [1, 'EN10MB (Ethernet)'],
    [12, 'RAW (IP)'],
    [14, 'RAW (IP)'],
    [101, 'RAW (IP)'],
    [108, 'LOOP (OpenBSD loopback)'],
    [113, 'LINUX_SLL (Linux cooked v1)'],
    [228, 'IPV4'],
    [229, 'IPV6'],
    [276, 'LINUX_SLL2 (Linux cooked v2)']
  ]
  for (const [linkType, name] of names) {
    assert.equal(linkTypeName(linkType), name)
    assert.equal(isSupportedLinkType(linkType), true, name)
  }
  for (const linkType of [2, 13, 105, 127, 192]) {
    assert.equal(linkTypeName(linkType), `linktype ${linkType}`)
    assert.equal(isSupportedLinkType(linkType), false)
  }
})

test('a frame of an unsupported link type, or shorter than its link header, has no IP', () => {
  const ip = [...ipv4(17, 28), ...udp]
  assert.equal(decode(ip, 105).ip, undefined)
  assert.equal(decode(ether(0x0800).slice(0, 13), LinkType.ethernet).ip, undefined)
  assert.equal(decode(new Array(15).fill(0), LinkType.linuxSll).ip, undefined)
  assert.equal(decode(new Array(19).fill(0), LinkType.linuxSll2).ip, undefined)
  assert.equal(decode([2, 0, 0], LinkType.null).ip, undefined)
  assert.equal(decode([], LinkType.raw).ip, undefined)
  // the same bytes, whole, do decode: the shortness was the reason
  assert.equal(decode(ip, LinkType.raw).ip?.dst, '192.168.7.9')
})

test('Ethernet: the ether type picks the IP version; each VLAN tag kind is skipped; a cut tag stops decoding', () => {
  const v4 = [...ipv4(17, 28), ...udp]
  const v6 = [...ipv6(17, 8), ...udp]
  assert.equal(decode([...ether(0x0800), ...v4], LinkType.ethernet).ip?.version, 4)
  assert.equal(decode([...ether(0x86dd), ...v6], LinkType.ethernet).ip?.version, 6)
  // ARP, and IPv4 bytes under the IPv6 ether type (the version nibble must agree)
  assert.equal(decode([...ether(0x0806), ...v4], LinkType.ethernet).ip, undefined)
  assert.equal(decode([...ether(0x86dd), ...v4], LinkType.ethernet).ip, undefined)
  assert.equal(decode([...ether(0x0800), ...v6], LinkType.ethernet).ip, undefined)
  for (const tag of [0x8100, 0x88a8, 0x9100]) {
    const tagged = decode([...ether(tag), 0x00, 0x07, 0x08, 0x00, ...v4], LinkType.ethernet)
    assert.equal(tagged.ip?.src, '10.1.2.3', tag.toString(16))
    assert.equal(tagged.transport?.dstPort, 53)
  }
  // two tags, outer 802.1ad then 802.1Q
  assert.equal(decode([...ether(0x88a8), 0, 1, 0x81, 0x00, 0, 2, 0x08, 0x00, ...v4], LinkType.ethernet).ip?.version, 4)
  // a tag whose four bytes are not all there
  assert.equal(decode([...ether(0x8100), 0x00, 0x07, 0x08], LinkType.ethernet).ip, undefined)
})

test('Linux cooked v1 and v2: the protocol field (bytes 14-15, or 0-1) and the header length (16, or 20)', () => {
  const v4 = [...ipv4(17, 28), ...udp]
  const v6 = [...ipv6(17, 8), ...udp]
  const sll = (protocol: number): number[] => [0, 0, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0, protocol >> 8, protocol & 0xff]
  const sll2 = (protocol: number): number[] => [protocol >> 8, protocol & 0xff, 0, 0, 0, 0, 0, 2, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0]
  assert.equal(decode([...sll(0x0800), ...v4], LinkType.linuxSll).transport?.srcPort, 4660)
  assert.equal(decode([...sll(0x86dd), ...v6], LinkType.linuxSll).ip?.dst, 'fe80::2')
  assert.equal(decode([...sll(0x0806), ...v4], LinkType.linuxSll).ip, undefined)
  assert.equal(decode([...sll2(0x0800), ...v4], LinkType.linuxSll2).transport?.srcPort, 4660)
  assert.equal(decode([...sll2(0x86dd), ...v6], LinkType.linuxSll2).ip?.dst, 'fe80::2')
  assert.equal(decode([...sll2(0x0806), ...v4], LinkType.linuxSll2).ip, undefined)
})

test('NULL reads the family in either byte order, LOOP only big-endian; AF_INET is 2, AF_INET6 any of 10, 24, 28, 30', () => {
  const v4 = [...ipv4(17, 28), ...udp]
  const v6 = [...ipv6(17, 8), ...udp]
  const be = (n: number): number[] => [0, 0, 0, n]
  const le = (n: number): number[] => [n, 0, 0, 0]
  assert.equal(decode([...be(2), ...v4], LinkType.null).ip?.version, 4)
  assert.equal(decode([...le(2), ...v4], LinkType.null).ip?.version, 4)
  assert.equal(decode([...be(2), ...v4], LinkType.loop).ip?.version, 4)
  // LOOP is always network order: a little-endian 2 is 0x02000000, no family
  assert.equal(decode([...le(2), ...v4], LinkType.loop).ip, undefined)
  for (const family of [10, 24, 28, 30]) {
    assert.equal(decode([...le(family), ...v6], LinkType.null).ip?.version, 6, `family ${family}`)
    assert.equal(decode([...be(family), ...v6], LinkType.loop).ip?.version, 6, `family ${family}`)
  }
  for (const family of [0, 1, 3, 6, 23, 29]) assert.equal(decode([...be(family), ...v6], LinkType.null).ip, undefined, `family ${family}`)
})

test('raw IP: the version nibble decides; an IPv4 header of 20 bytes with nothing after it is IP without transport', () => {
  assert.equal(decode([...ipv6(17, 8), ...udp], LinkType.raw).ip?.version, 6)
  for (const linkType of [LinkType.rawDlt12, LinkType.rawDlt14, LinkType.ipv4]) assert.equal(decode([...ipv4(17, 28), ...udp], linkType).ip?.version, 4)
  assert.equal(decode([...ipv6(17, 8), ...udp], LinkType.ipv6).ip?.version, 6)
  const bare = decode(ipv4(17, 20), LinkType.raw)
  assert.equal(bare.ip?.length, 20)
  assert.equal(bare.transport, undefined)
  // one byte short of a header: nothing
  assert.equal(decode(ipv4(17, 20).slice(0, 19), LinkType.raw).ip, undefined)
  // a version nibble of 5 is neither
  assert.equal(decode([0x55, ...ipv4(17, 20).slice(1)], LinkType.raw).ip, undefined)
})

test('IPv4: addresses byte by byte, IHL below 5 rejected, IHL above 5 skipped, protocol names', () => {
  const packet = decode([...ipv4(17, 28), ...udp], LinkType.raw)
  assert.deepEqual(packet.ip, { version: 4, src: '10.1.2.3', dst: '192.168.7.9', protocol: 'udp', length: 28 })
  assert.deepEqual(packet.transport, { srcPort: 4660, dstPort: 53, payloadLength: 0 })
  assert.equal(decode([...ipv4(17, 28, { versionIhl: 0x44 }), ...udp], LinkType.raw).ip, undefined)
  // IHL 6: four option bytes, then the UDP header
  const withOptions = [...ipv4(17, 32, { versionIhl: 0x46 }), 1, 1, 1, 1, ...udp]
  assert.equal(decode(withOptions, LinkType.raw).transport?.srcPort, 4660)
  const protocolOf = (n: number): string | undefined => decode([...ipv4(n, 28), ...udp], LinkType.raw).ip?.protocol
  assert.equal(protocolOf(1), 'icmp')
  assert.equal(protocolOf(6), 'tcp')
  assert.equal(protocolOf(17), 'udp')
  // 58 is ICMP only for IPv6
  assert.equal(protocolOf(58), 'other')
  assert.equal(protocolOf(2), 'other')
})

test('IPv4 lengths: total length 0 (TSO) is the frame; a claim beyond the frame is cut and flagged, an exact one is not', () => {
  const frame = [...ether(0x0800), ...ipv4(17, 0), ...udp, ...new Array(100).fill(0)]
  const tso = decode(frame, LinkType.ethernet)
  assert.equal(tso.ip?.length, 128)
  assert.equal(tso.ip?.lengthExceedsFrame, undefined)
  assert.equal(tso.transport?.payloadLength, 100)
  // a snaplen cut the frame to 50 bytes of its 142: the wire length is the room, not the bytes held
  const cut = decode(frame.slice(0, 50), LinkType.ethernet, 142)
  assert.equal(cut.ip?.length, 128)
  const exact = decode([...ether(0x0800), ...ipv4(17, 128), ...udp, ...new Array(100).fill(0)], LinkType.ethernet)
  assert.equal(exact.ip?.length, 128)
  assert.equal(exact.ip?.lengthExceedsFrame, undefined)
  const over = decode([...ether(0x0800), ...ipv4(17, 129), ...udp, ...new Array(100).fill(0)], LinkType.ethernet)
  assert.equal(over.ip?.length, 128)
  assert.equal(over.ip?.lengthExceedsFrame, true)
})

test('IPv4 fragments: the 13-bit offset decides, not the flags; only offset 0 carries the transport header', () => {
  const fragment = (flagsAndOffset: [number, number]): CapturedPacket => decode([...ipv4(17, 28, { flagsAndOffset }), ...udp], LinkType.raw)
  // more-fragments set, offset 0: the first fragment
  assert.equal(fragment([0x20, 0x00]).transport?.dstPort, 53)
  // reserved + DF + MF all set, offset 0
  assert.equal(fragment([0xe0, 0x00]).transport?.dstPort, 53)
  // offset 1 (8 bytes), in the low byte; offset 256, in the high bits
  assert.equal(fragment([0x00, 0x01]).transport, undefined)
  assert.equal(fragment([0x01, 0x00]).transport, undefined)
  assert.equal(fragment([0x10, 0x00]).transport, undefined)
  assert.equal(fragment([0x00, 0x01]).ip?.protocol, 'udp')
})

test('TCP: ports, sequence numbers, the flags with the NS bit, the data offset and a header cut short', () => {
  const segment = [...tcp(6, 0x18, 1), ...new Array(10).fill(7)]
  const packet = decode([...ipv4(6, 20 + segment.length), ...segment], LinkType.raw, undefined, true)
  assert.deepEqual(packet.transport, {
    srcPort: 40000,
    dstPort: 443,
    payloadLength: 10,
    tcp: { seq: 0x01020304, ack: 0xa0b0c0d0, flags: 0x118 },
    payloadOffset: 20 + 24
  })
  // a data offset beyond the IP payload: no negative payload
  const bogus = decode(
    [...ipv4(6, 40), ...tcp(5, 0x10)].map((b, i) => (i === 32 ? 0xf0 : b)),
    LinkType.raw
  )
  assert.equal(bogus.transport?.payloadLength, 0)
  // a TCP header of exactly 20 bytes decodes; 19 bytes do not
  assert.equal(decode([...ipv4(6, 40), ...tcp(5, 0x02)], LinkType.raw).transport?.tcp?.flags, 0x02)
  assert.equal(decode([...ipv4(6, 40), ...tcp(5, 0x02)].slice(0, 39), LinkType.raw, 40).transport, undefined)
})

test('UDP: payload after 8 bytes, never negative; 8 bytes decode and 7 do not; the payload offset only on request', () => {
  const packet = decode([...ether(0x0800), ...ipv4(17, 33), ...udp, 1, 2, 3, 4, 5], LinkType.ethernet, undefined, true)
  assert.equal(packet.transport?.payloadLength, 5)
  assert.equal(packet.transport?.payloadOffset, 14 + 20 + 8)
  assert.equal(decode([...ether(0x0800), ...ipv4(17, 33), ...udp, 1, 2, 3, 4, 5], LinkType.ethernet).transport?.payloadOffset, undefined)
  // an IP total length that leaves less than a UDP header
  assert.equal(decode([...ipv4(17, 24), ...udp], LinkType.raw).transport?.payloadLength, 0)
  assert.equal(decode([...ipv4(17, 28), ...udp].slice(0, 27), LinkType.raw, 28).transport, undefined)
  // ICMP has no ports
  assert.equal(decode([...ipv4(1, 28), 8, 0, 0, 0, 0, 0, 0, 0], LinkType.raw).transport, undefined)
})

test('IPv6: every extension header with an 8-octet length field is skipped by it; AH by its 4-octet one', () => {
  // a block of 16 bytes: next header, length 1 (2 x 8 octets), padding
  const ext = (next: number): number[] => [next, 1, ...new Array(14).fill(0)]
  for (const kind of [0, 43, 60, 135, 139, 140, 253, 254]) {
    const packet = decode([...ipv6(kind, 16 + 8 + 3), ...ext(17), ...udp, 9, 9, 9], LinkType.raw, undefined, true)
    assert.equal(packet.ip?.protocol, 'udp', `header ${kind}`)
    assert.equal(packet.transport?.payloadLength, 3, `header ${kind}`)
    assert.equal(packet.transport?.payloadOffset, 40 + 16 + 8, `header ${kind}`)
  }
  // AH with length field 2: (2 + 2) x 4 = 16 bytes
  const ah = [17, 2, ...new Array(14).fill(0)]
  const viaAh = decode([...ipv6(51, 16 + 8 + 3), ...ah, ...udp, 9, 9, 9], LinkType.raw, undefined, true)
  assert.equal(viaAh.transport?.payloadLength, 3)
  assert.equal(viaAh.transport?.payloadOffset, 40 + 16 + 8)
  // two in a row: hop-by-hop then destination options
  const two = decode([...ipv6(0, 32 + 8), ...ext(60), ...ext(17), ...udp], LinkType.raw)
  assert.equal(two.transport?.dstPort, 53)
  // ICMPv6 is 58; 1 is not ICMP in IPv6
  assert.equal(decode([...ipv6(58, 8), ...udp], LinkType.raw).ip?.protocol, 'icmp')
  assert.equal(decode([...ipv6(1, 8), ...udp], LinkType.raw).ip?.protocol, 'other')
  assert.equal(decode([...ipv6(6, 20), ...tcp(5, 0x10)], LinkType.raw).ip?.protocol, 'tcp')
})

test('IPv6 fragments: offset 0 carries the transport, any other does not, whatever the M flag', () => {
  const fragment = (offsetHigh: number, offsetLow: number): CapturedPacket =>
    decode([...ipv6(44, 8 + 8), 17, 0, offsetHigh, offsetLow, 0, 0, 0, 1, ...udp], LinkType.raw)
  // M flag set (bit 0 of byte 3), offset 0
  assert.equal(fragment(0, 1).transport?.dstPort, 53)
  assert.equal(fragment(0, 0).transport?.dstPort, 53)
  // offset 1 (low bits of byte 3 above the flags), offset 32 (byte 2)
  assert.equal(fragment(0, 8).transport, undefined)
  assert.equal(fragment(1, 0).transport, undefined)
  assert.equal(fragment(1, 0).ip?.protocol, 'udp')
})

test('IPv6 extension headers cut short: protocol "other", no transport', () => {
  for (const [kind, body] of [
    [0, [17]],
    [44, [17, 0, 0, 0, 0, 0, 0]],
    [51, [17]]
  ] as Array<[number, number[]]>) {
    const packet = decode([...ipv6(kind, 40), ...body], LinkType.raw, 80)
    assert.equal(packet.ip?.protocol, 'other', `header ${kind}`)
    assert.equal(packet.transport, undefined, `header ${kind}`)
  }
  // exactly the bytes the walk needs are enough: a 2-byte stub of hop-by-hop or AH naming UDP as
  // next, or a whole 8-byte fragment header, ends the frame (too short for the UDP header itself)
  assert.equal(decode([...ipv6(0, 8), 17, 0], LinkType.raw, 48).ip?.protocol, 'udp')
  assert.equal(decode([...ipv6(51, 8), 17, 0], LinkType.raw, 48).ip?.protocol, 'udp')
  assert.equal(decode([...ipv6(44, 8), 17, 0, 0, 0, 0, 0, 0, 0], LinkType.raw).ip?.protocol, 'udp')
  assert.equal(decode([...ipv6(44, 8), 17, 0, 0, 0, 0, 0, 0, 0], LinkType.raw).transport, undefined)
})

test('IPv6 lengths: payload length 0 (jumbogram) is the frame; beyond the frame is cut and flagged; exact is not', () => {
  const body = [...udp, ...new Array(12).fill(0)]
  const jumbo = decode([...ipv6(17, 0), ...body], LinkType.raw)
  assert.equal(jumbo.ip?.length, 60)
  assert.equal(jumbo.transport?.payloadLength, 12)
  const exact = decode([...ipv6(17, 20), ...body], LinkType.raw)
  assert.equal(exact.ip?.length, 60)
  assert.equal(exact.ip?.lengthExceedsFrame, undefined)
  const over = decode([...ipv6(17, 21), ...body], LinkType.raw)
  assert.equal(over.ip?.length, 60)
  assert.equal(over.ip?.lengthExceedsFrame, true)
  assert.equal(decode([...ipv6(17, 8), ...udp].slice(0, 39), LinkType.raw).ip, undefined)
  // exactly 40 bytes: the header alone
  assert.equal(decode(ipv6(59, 0), LinkType.raw).ip?.length, 40)
})

test('formatIpv6 follows RFC 5952: the longest zero run (the first of equals) becomes ::, a single zero group does not', () => {
  const fmt = (groups: number[]): string => {
    const b = Buffer.alloc(18)
    for (const [i, g] of groups.entries()) b.writeUInt16BE(g, 2 + 2 * i)
    return formatIpv6(b, 2)
  }
  assert.equal(fmt([0, 0, 0, 0, 0, 0, 0, 0]), '::')
  assert.equal(fmt([0, 0, 0, 0, 0, 0, 0, 1]), '::1')
  assert.equal(fmt([1, 0, 0, 0, 0, 0, 0, 0]), '1::')
  assert.equal(fmt([0x2001, 0xdb8, 0, 1, 1, 1, 1, 1]), '2001:db8:0:1:1:1:1:1')
  assert.equal(fmt([0x2001, 0xdb8, 0, 0, 1, 0, 0, 1]), '2001:db8::1:0:0:1')
  assert.equal(fmt([0x2001, 0, 0, 1, 0, 0, 0, 1]), '2001:0:0:1::1')
  assert.equal(fmt([0xfe80, 0, 0, 0, 0xabcd, 0xef, 0x1234, 0x5]), 'fe80::abcd:ef:1234:5')
  assert.equal(fmt([1, 2, 3, 4, 5, 6, 7, 8]), '1:2:3:4:5:6:7:8')
  assert.equal(fmt([0, 0, 0, 0, 0, 0xffff, 0x0102, 0x0304]), '::ffff:1.2.3.4')
  // an address mapped only in part is printed in hex
  assert.equal(fmt([0, 0, 0, 0, 0, 0xfffe, 0x0102, 0x0304]), '::fffe:102:304')
  assert.equal(fmt([0, 0, 0, 0, 1, 0xffff, 0x0102, 0x0304]), '::1:ffff:102:304')
  assert.equal(fmt([0, 0, 0, 1, 0, 0xffff, 0x0102, 0x0304]), '::1:0:ffff:102:304')
  assert.equal(fmt([0, 0, 1, 0, 0, 0xffff, 0x0102, 0x0304]), '::1:0:0:ffff:102:304')
  assert.equal(fmt([0, 1, 0, 0, 0, 0xffff, 0x0102, 0x0304]), '0:1::ffff:102:304')
  assert.equal(fmt([1, 0, 0, 0, 0, 0xffff, 0x0102, 0x0304]), '1::ffff:102:304')
})

// Added after the first mutation run of decode.ts: the survivors that a frame can tell apart.

test('only the IPv6 ether type or protocol makes IPv6: an unknown one over IPv6-looking bytes is not decoded', () => {
  const v6 = [...ipv6(17, 8), ...udp]
  const sll = (protocol: number): number[] => [0, 0, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0, protocol >> 8, protocol & 0xff]
  const sll2 = (protocol: number): number[] => [protocol >> 8, protocol & 0xff, 0, 0, 0, 0, 0, 2, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0]
  // LLDP (0x88cc) and ARP (0x0806)
  assert.equal(decode([...ether(0x88cc), ...v6], LinkType.ethernet).ip, undefined)
  assert.equal(decode([...sll(0x0806), ...v6], LinkType.linuxSll).ip, undefined)
  assert.equal(decode([...sll2(0x0806), ...v6], LinkType.linuxSll2).ip, undefined)
})

test('the version nibble must match the link layer: IPv4 bytes under the IPv6 type, and the reverse, are not decoded', () => {
  // 0x65: version 6 with an IHL of 5 that an IPv4 parser would accept
  const v6ish = [0x65, ...ipv4(17, 28).slice(1), ...udp]
  assert.equal(decode([...ether(0x0800), ...v6ish], LinkType.ethernet).ip, undefined)
  // 48 bytes of IPv4 (long enough for an IPv6 header) under the IPv6 ether type
  const v4long = [...ipv4(17, 48), ...udp, ...new Array(20).fill(0)]
  assert.equal(decode([...ether(0x86dd), ...v4long], LinkType.ethernet).ip, undefined)
})

test('the payload offset is off by default and harmless on a frame without transport', () => {
  const buf = Buffer.from([...ipv4(17, 33), ...udp, 1, 2, 3, 4, 5])
  const packet: CapturedPacket = { index: 0, timestampUs: 0, wireLength: buf.length, capturedLength: buf.length, linkType: LinkType.raw }
  decodeFrame(packet, buf, 0, buf.length, LinkType.raw)
  assert.equal(packet.transport?.payloadLength, 5)
  assert.equal(packet.transport?.payloadOffset, undefined)
  // ICMP asked for offsets: no transport, no throw
  const icmp = decode([...ipv4(1, 28), 8, 0, 0, 0, 0, 0, 0, 0], LinkType.raw, undefined, true)
  assert.equal(icmp.ip?.protocol, 'icmp')
  assert.equal(icmp.transport, undefined)
})

test('IPv6 payload lengths after a fragment header (8 bytes) and an AH of 20 bytes', () => {
  const viaFragment = decode([...ipv6(44, 8 + 8 + 3), 17, 0, 0, 0, 0, 0, 0, 1, ...udp, 9, 9, 9], LinkType.raw)
  assert.equal(viaFragment.transport?.payloadLength, 3)
  // AH length field 3: (3 + 2) x 4 = 20 bytes
  const ah = [17, 3, ...new Array(18).fill(0)]
  const viaAh = decode([...ipv6(51, 20 + 8 + 3), ...ah, ...udp, 9, 9, 9], LinkType.raw, undefined, true)
  assert.equal(viaAh.transport?.payloadLength, 3)
  assert.equal(viaAh.transport?.payloadOffset, 40 + 20 + 8)
})

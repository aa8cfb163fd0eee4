import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import type { CapturedPacket } from '../../harness/interface/index.js'
import { buildFrame, CaptureAnalyzer, decodeFrame, LinkType } from '../../harness/capture/index.js'

// Numbers that cannot be true: an IP header that claims more bytes than its frame carried made
// courier count payload that never crossed the wire (76 286 B of payload in 14 996 B of frames).

function decoded(frame: Buffer): CapturedPacket {
  const packet: CapturedPacket = { index: 0, timestampUs: 1, wireLength: frame.length, capturedLength: frame.length, linkType: LinkType.ethernet }
  decodeFrame(packet, frame, 0, frame.length, LinkType.ethernet)
  return packet
}

test("an IPv4 total length larger than the frame is counted at the frame's length and flagged", () => {
  const frame = buildFrame({ linkType: LinkType.ethernet, src: '127.0.0.1', dst: '127.0.0.2', protocol: 'tcp', srcPort: 1, dstPort: 2, payload: 100 })
  frame.writeUInt16BE(60_000, 14 + 2)
  const packet = decoded(frame)
  assert.equal(packet.ip?.length, frame.length - 14)
  assert.equal(packet.ip?.lengthExceedsFrame, true)
  assert.equal(packet.transport?.payloadLength, 100)
  const analyzer = new CaptureAnalyzer()
  analyzer.add(packet)
  const { totals } = analyzer.finish()
  assert.equal(totals.impossibleLengths, 1)
  assert.ok(totals.payloadBytes <= totals.wireBytes)
  // an honest frame is not flagged
  assert.equal(
    decoded(buildFrame({ linkType: LinkType.ethernet, src: '127.0.0.1', dst: '127.0.0.2', protocol: 'tcp', srcPort: 1, dstPort: 2, payload: 100 })).ip
      ?.lengthExceedsFrame,
    undefined
  )
})

test("an IPv6 payload length larger than the frame is counted at the frame's length and flagged", () => {
  const frame = buildFrame({ linkType: LinkType.ethernet, src: '::1', dst: '::2', protocol: 'udp', srcPort: 1, dstPort: 2, payload: 50 })
  frame.writeUInt16BE(65_000, 14 + 4)
  const packet = decoded(frame)
  assert.equal(packet.ip?.length, frame.length - 14)
  assert.equal(packet.ip?.lengthExceedsFrame, true)
  assert.equal(packet.transport?.payloadLength, 50)
})

test('whatever the IP length fields say, payload bytes never exceed wire bytes', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.boolean(), fc.nat({ max: 1400 }), fc.nat({ max: 0xffff })), { minLength: 1, maxLength: 30 }), (frames) => {
      const analyzer = new CaptureAnalyzer()
      for (const [v6, payload, claimed] of frames) {
        const frame = buildFrame({
          linkType: LinkType.ethernet,
          src: v6 ? '::1' : '127.0.0.1',
          dst: v6 ? '::2' : '127.0.0.2',
          protocol: 'tcp',
          srcPort: 1,
          dstPort: 2,
          payload
        })
        frame.writeUInt16BE(claimed, 14 + (v6 ? 4 : 2))
        analyzer.add(decoded(frame))
      }
      const { totals } = analyzer.finish()
      assert.ok(totals.payloadBytes <= totals.wireBytes, `payload ${totals.payloadBytes} > wire ${totals.wireBytes}`)
    }),
    { seed: 20261206, numRuns: 300 }
  )
})

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { decodePayload, encodePayload, hexToBytes, messageHashHex, WakuMessage } from '../../harness/protocol/index.js'

// Test vectors of 14/WAKU2-MESSAGE (deterministic message hashing); the spec computes them on the
// pubsub topic /waku/2/default-waku/proto.
const pubsubTopic = '/waku/2/default-waku/proto'
const base = {
  payload: hexToBytes('0x010203045445535405060708'),
  contentTopic: '/waku/2/default-content/proto',
  meta: hexToBytes('0x73757065722d736563726574'),
  timestamp: BigInt('0x175789bfa23f8400')
}

test('spec vector: 12-byte meta', () => {
  assert.equal(messageHashHex(pubsubTopic, base), '64cce733fed134e83da02b02c6f689814872b1a0ac97ea56b76095c3c72bfe05')
})

test('spec vector: 64-byte meta', () => {
  const meta = hexToBytes(Array.from({ length: 64 }, (_, i) => i.toString(16).padStart(2, '0')).join(''))
  assert.equal(messageHashHex(pubsubTopic, { ...base, meta }), '7158b6498753313368b9af8f6e0a0a05104f68f972981da42a43bc53fb0c1b27')
})

test('spec vector: meta absent', () => {
  assert.equal(messageHashHex(pubsubTopic, { ...base, meta: undefined }), 'a2554498b31f5bcdfcbf7fa58ad1c2d45f0254f3f8110a85588ec3cf10720fd8')
})

test('spec vector: empty payload', () => {
  assert.equal(messageHashHex(pubsubTopic, { ...base, payload: new Uint8Array() }), '483ea950cb63f9b9d6926b262bb36194d3f40a0463ce8446228350bd44e96de4')
})

test("absent timestamp: courier pins the spec rule (8 zero bytes); js-waku's vector omits them", () => {
  const noTimestamp = { ...base, payload: new Uint8Array(), timestamp: undefined }
  const jsWakuVector = 'e1a9596237dbe2cc8aaf4b838c46a7052df6bc0d42ba214b998a8bfdbe8487d6'
  assert.equal(messageHashHex(pubsubTopic, noTimestamp, { omitZeroTimestamp: true }), jsWakuVector)
  const expected = createHash('sha256')
    .update(pubsubTopic)
    .update(new Uint8Array())
    .update(base.contentTopic)
    .update(base.meta)
    .update(Buffer.alloc(8))
    .digest('hex')
  assert.equal(messageHashHex(pubsubTopic, noTimestamp), expected)
  assert.notEqual(expected, jsWakuVector)
})

test('a WakuMessage survives its protobuf round trip with the same hash', () => {
  const decoded = WakuMessage.decode(WakuMessage.encode(base))
  assert.equal(messageHashHex(pubsubTopic, decoded), messageHashHex(pubsubTopic, base))
})

test('courier payloads are padded to the asked size and decode back; foreign payloads are ignored', () => {
  const bytes = encodePayload({ id: 'alice-1', from: 'alice', sentAt: 12.5, text: 'hi <b>' }, 500)
  assert.equal(bytes.length, 500)
  assert.deepEqual(decodePayload(bytes), { id: 'alice-1', from: 'alice', sentAt: 12.5, text: 'hi <b>' })
  assert.equal(decodePayload(new TextEncoder().encode('hello world\n')), undefined)
  assert.equal(decodePayload(new Uint8Array([1, 2, 3])), undefined)
})

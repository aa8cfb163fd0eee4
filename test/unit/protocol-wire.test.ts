// Pinned encodings of every Waku request and response the fleet speaks. The bytes were read field by
// field against the specs' field numbers (WakuMessage: payload 1, content_topic 2, version 3,
// timestamp 10 -> tag 0x50, meta 11 -> 0x5a; STORE v3: pubsub_topic 10, content_topics 11,
// time_start 12, time_end 13, pagination_cursor 51 -> 0x9a 0x03, forward 52, limit 53; LIGHTPUSH v3
// response: status_code 10, status_desc 11, relay_peer_count 12; METADATA: cluster_id 1, shards 2;
// PEER-EXCHANGE: query 1 { num_peers 1 }, response 2 { peer_infos 1 { enr 1 } }). A codec upgrade
// that changes any byte fails here, before an outside client sees it.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { proto_metadata, proto_peer_exchange } from '@waku/proto'
import { EnrDecoder } from '@waku/enr'
import {
  encodeMultiaddrsField,
  encodeRelayShardField,
  FilterSubscribeRequest,
  FilterSubscribeResponse,
  FilterSubscribeType,
  identityPrivateKey,
  LightPushRequest,
  LightPushResponse,
  MessagePush,
  nodeEnr,
  StoreQueryRequest,
  StoreQueryResponse,
  WakuMessage
} from '../../harness/protocol/index.js'
import { multiaddr } from '@multiformats/multiaddr'

const golden = JSON.parse(readFileSync(new URL('../../../fixtures/wire/golden.json', import.meta.url), 'utf8')) as Record<string, string>
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex')
const PUBSUB = '/waku/2/rs/16/32'
const message = {
  payload: new Uint8Array([1, 2, 3]),
  contentTopic: '/courier/1/x/proto',
  version: 0,
  timestamp: 1700000000000000000n,
  meta: new Uint8Array([9])
}

const cases: Array<[string, Uint8Array]> = [
  ['wakuMessage', WakuMessage.encode(message)],
  [
    'storeQueryRequest',
    StoreQueryRequest.encode({
      requestId: 'r1',
      includeData: true,
      pubsubTopic: PUBSUB,
      contentTopics: ['/courier/1/x/proto'],
      timeStart: 1n,
      timeEnd: 2n,
      messageHashes: [],
      paginationCursor: new Uint8Array([0xaa]),
      paginationForward: true,
      paginationLimit: 20n
    })
  ],
  [
    'storeQueryResponse',
    StoreQueryResponse.encode({
      requestId: 'r1',
      statusCode: 200,
      statusDesc: 'OK',
      messages: [{ messageHash: new Uint8Array([0xbb]), message, pubsubTopic: PUBSUB }],
      paginationCursor: new Uint8Array([0xbb])
    })
  ],
  [
    'filterSubscribeRequest',
    FilterSubscribeRequest.encode({
      requestId: 'f1',
      filterSubscribeType: FilterSubscribeType.SUBSCRIBE,
      pubsubTopic: PUBSUB,
      contentTopics: ['/courier/1/x/proto']
    })
  ],
  ['filterSubscribeResponse', FilterSubscribeResponse.encode({ requestId: 'f1', statusCode: 200, statusDesc: 'OK' })],
  ['messagePush', MessagePush.encode({ wakuMessage: message, pubsubTopic: PUBSUB })],
  ['lightPushRequest', LightPushRequest.encode({ requestId: 'l1', pubsubTopic: PUBSUB, message })],
  ['lightPushResponse', LightPushResponse.encode({ requestId: 'l1', statusCode: 200, statusDesc: 'OK', relayPeerCount: 3 })],
  ['metadataRequest', proto_metadata.WakuMetadataRequest.encode({ clusterId: 16, shards: [] })],
  ['metadataResponse', proto_metadata.WakuMetadataResponse.encode({ clusterId: 16, shards: [32, 64] })],
  ['peerExchangeQuery', proto_peer_exchange.PeerExchangeRPC.encode({ query: { numPeers: 60n } })],
  ['peerExchangeResponse', proto_peer_exchange.PeerExchangeRPC.encode({ response: { peerInfos: [{ enr: new Uint8Array([0xc0, 0xde]) }] } })]
]

for (const [name, bytes] of cases) {
  test(`wire encoding of ${name} is the pinned one`, () => {
    assert.equal(hex(bytes), golden[name])
  })
}

test('hand-derived: metadata answers cluster 16 with shards 32 and 64 as field 1 = 16, field 2 = 32, field 2 = 64', () => {
  assert.equal(golden.metadataResponse, '08' + '10' + '10' + '20' + '10' + '40')
  assert.equal(golden.peerExchangeQuery, '0a' + '02' + '08' + '3c')
})

test('ENR rs field: cluster 16 and shards [32, 64] as uint16, count, uint16s (31/WAKU2-ENR)', () => {
  assert.equal(hex(encodeRelayShardField(16, [32, 64])), '0010' + '02' + '0020' + '0040')
  const ws = multiaddr('/ip4/127.0.0.1/tcp/4001/ws').bytes
  assert.equal(hex(encodeMultiaddrsField([ws])), '000a' + hex(ws))
})

test("a node's ENR decodes with js-waku's decoder: peer id, TCP location, WebSocket multiaddr, waku2 bits, shards, a valid signature", async () => {
  const privateKey = identityPrivateKey('enr-test')
  const { text, bytes } = await nodeEnr({
    privateKey,
    host: '127.0.0.1',
    tcpPort: 4000,
    wsPort: 4001,
    clusterId: 16,
    shards: [32],
    capabilities: { relay: true, store: true, filter: true, lightPush: false }
  })
  assert.ok(text.startsWith('enr:'))
  const enr = await EnrDecoder.fromString(text)
  assert.equal(enr.peerId?.toString(), (await import('@libp2p/peer-id')).peerIdFromPrivateKey(privateKey).toString())
  assert.equal(enr.ip, '127.0.0.1')
  assert.equal(enr.tcp, 4000)
  assert.deepEqual(enr.multiaddrs?.map(String), ['/ip4/127.0.0.1/tcp/4001/ws'])
  assert.deepEqual(enr.waku2, { relay: true, store: true, filter: true, lightPush: false })
  assert.deepEqual(enr.shardInfo, { clusterId: 16, shards: [32] })
  assert.equal(enr.id, 'v4')
  assert.deepEqual(hex((await EnrDecoder.fromRLP(bytes)).publicKey!), hex(enr.publicKey!))
  // the decoder verifies the signature: one flipped byte of the record is refused
  const tampered = new Uint8Array(bytes)
  tampered[tampered.length - 1] ^= 1
  await assert.rejects(async () => {
    await EnrDecoder.fromRLP(tampered)
  })
})

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { answerStoreQuery, bytesToHex, insertOrdered, messageHash, type ArchivedMessage, type StoreQueryRequest } from '../../harness/protocol/index.js'

const pubsubTopic = '/waku/2/rs/16/32'
function archived(n: number, contentTopic = '/courier/1/lobby/proto'): ArchivedMessage {
  const message = { payload: new Uint8Array([n]), contentTopic, timestamp: BigInt(n) * 1_000_000n }
  const hash = messageHash(pubsubTopic, message)
  return { hash, hashHex: bytesToHex(hash), pubsubTopic, message }
}
const request = (over: Partial<StoreQueryRequest>): StoreQueryRequest => ({
  requestId: 'r',
  includeData: true,
  pubsubTopic,
  contentTopics: ['/courier/1/lobby/proto'],
  messageHashes: [],
  paginationForward: true,
  ...over
})

const archive: ArchivedMessage[] = []
for (const n of [5, 1, 3, 2, 4, 6, 7]) insertOrdered(archive, archived(n))
insertOrdered(archive, archived(8, '/courier/1/other/proto'))

test('the archive stays in timestamp order whatever the arrival order', () => {
  assert.deepEqual(
    archive.map((e) => Number(e.message.timestamp) / 1e6),
    [1, 2, 3, 4, 5, 6, 7, 8]
  )
})

test('forward paging walks every match once with an exclusive cursor', () => {
  const seen: number[] = []
  let cursor: Uint8Array | undefined
  let pages = 0
  do {
    const response = answerStoreQuery(archive, request({ paginationLimit: 3n, paginationCursor: cursor }))
    assert.equal(response.statusCode, 200)
    seen.push(...response.messages.map((m) => m.message?.payload[0] ?? -1))
    cursor = response.paginationCursor
    pages++
  } while (cursor != null)
  assert.deepEqual(seen, [1, 2, 3, 4, 5, 6, 7])
  assert.equal(pages, 3)
})

test('backward paging starts from the newest', () => {
  const response = answerStoreQuery(archive, request({ paginationForward: false, paginationLimit: 2n }))
  assert.deepEqual(
    response.messages.map((m) => m.message?.payload[0]),
    [7, 6]
  )
})

test('time range bounds are inclusive and in nanoseconds', () => {
  const response = answerStoreQuery(archive, request({ timeStart: 3_000_000n, timeEnd: 5_000_000n }))
  assert.deepEqual(
    response.messages.map((m) => m.message?.payload[0]),
    [3, 4, 5]
  )
})

test('hash-only queries return hashes without data, for audits', () => {
  const wanted = [archive[1].hash, archive[7].hash]
  const response = answerStoreQuery(archive, request({ includeData: false, messageHashes: wanted, contentTopics: [] }))
  assert.deepEqual(
    response.messages.map((m) => bytesToHex(m.messageHash ?? new Uint8Array())),
    wanted.map(bytesToHex)
  )
  assert.ok(response.messages.every((m) => m.message == null))
})

test('a query with neither hashes nor a pubsub topic, or an unknown cursor, is a 400', () => {
  assert.equal(answerStoreQuery(archive, request({ pubsubTopic: undefined, contentTopics: [] })).statusCode, 400)
  assert.equal(answerStoreQuery(archive, request({ paginationCursor: new Uint8Array(32) })).statusCode, 400)
})

test('a pubsub topic without content topics means every message on it (what store sync asks for)', () => {
  const response = answerStoreQuery(archive, request({ contentTopics: [], includeData: false, paginationLimit: 100n }))
  assert.equal(response.messages.length, 8, 'both content topics')
  assert.equal(answerStoreQuery(archive, request({ paginationLimit: 100n })).messages.length, 7, 'content topics still narrow it')
})

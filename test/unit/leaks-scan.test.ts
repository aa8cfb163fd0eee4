import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { entropyToMnemonic } from '@scure/bip39'
import { wordlist } from '@scure/bip39/wordlists/english.js'
import { privateKeyFromRaw } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { buildFrame, LinkType, pcapGlobalHeader, pcapRecord, readPcap, TcpFlags } from '../../harness/capture/index.js'
import { findMnemonics, redactRun, scanRun, type Hit } from '../../harness/leaks/index.js'
import { parseScenario } from '../../harness/scenario/index.js'
import { InvalidInputError, type CourierEvent, type LeakFinding } from '../../harness/interface/index.js'

// every planted value is made here, from fixed bytes: nothing in this file is anyone's secret
const MNEMONIC = entropyToMnemonic(new Uint8Array(16).fill(0x5a), wordlist)
const MNEMONIC_24 = entropyToMnemonic(new Uint8Array(32).fill(0x17), wordlist)
/** The same twelve words with the last one swapped for another list word: the checksum no longer holds. */
const BAD_CHECKSUM = (() => {
  const words = MNEMONIC.split(' ')
  for (const candidate of wordlist) {
    const trial = [...words.slice(0, 11), candidate].join(' ')
    if (candidate !== words[11] && findMnemonicsIn(trial).length === 0) return trial
  }
  throw new Error('no word breaks the checksum')
})()
const KEY = '4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318'
const PEER_KEY = '1f'.repeat(32)
const PEER_ID = peerIdFromPrivateKey(privateKeyFromRaw(Buffer.from(PEER_KEY, 'hex'))).toString()
const HASH = 'a3f1c2d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90'
const KEYSTORE = JSON.stringify({
  version: 3,
  id: 'x',
  address: '00',
  crypto: {
    ciphertext: 'ab12cd34ef56ab12cd34ef56ab12cd34',
    cipherparams: { iv: '00' },
    cipher: 'aes-128-ctr',
    kdf: 'scrypt',
    kdfparams: { n: 8192 },
    mac: 'ff00'
  }
})
const PASSWORD = 'correct-Horse-9!'
const TOKEN = 'sk_live_0123456789abcdefABCDEF01'

function findMnemonicsIn(text: string): Hit[] {
  const out: Hit[] = []
  findMnemonics(text, out)
  return out
}

async function plantedRun(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'courier-leaks-'))
  const events: unknown[] = [
    { t: 0, type: 'run.start', runId: 'x', scenario: { name: 'leaky' }, scenarioFile: 'leaky.yaml', seed: 1, tool: {}, wallClockMs: 0 },
    { t: 1, type: 'device.up', device: 'alice', driver: 'simulated', peerId: PEER_ID },
    // a message hash: 64 hex, in range, the run names it: never a finding, wherever it appears
    { t: 2, type: 'msg.sent', device: 'alice', msgId: 'm1', hash: HASH, topic: 't', bytes: 10 },
    { t: 3, type: 'harness.error', component: 'alice', error: `login failed for password ${PASSWORD}; seed was "${MNEMONIC}"` },
    { t: 4, type: 'harness.error', component: 'alice', error: `privateKey=0x${KEY} bad checksum words: ${BAD_CHECKSUM} hash ${HASH}` }
  ]
  await writeFile(join(dir, 'events.ndjson'), events.map((e) => JSON.stringify(e)).join('\n') + '\n')
  await mkdir(join(dir, 'devices', 'phone'), { recursive: true })
  await mkdir(join(dir, 'devices', 'web'), { recursive: true })
  // an appium device log: JSON lines with the words as a JSON array
  await writeFile(
    join(dir, 'devices', 'phone', 'logcat.ndjson'),
    [
      JSON.stringify({ t: 1, message: 'starting' }),
      JSON.stringify({ t: 2, message: `restore ${JSON.stringify(MNEMONIC_24.split(' '))}` }),
      JSON.stringify({ t: 3, message: `keystore ${KEYSTORE}` }),
      JSON.stringify({ t: 4, message: `node identity ${PEER_KEY}` })
    ].join('\n') + '\n'
  )
  // a page source (XML), a browser console log, a QA flow's output: one kind in each, and a pattern
  await writeFile(
    join(dir, 'devices', 'phone', 'failed-page-source.xml'),
    `<hierarchy>\n<node text="${MNEMONIC}" />\n<node text="api ${TOKEN}" />\n</hierarchy>\n`
  )
  await writeFile(join(dir, 'devices', 'web', 'console.log'), `[log] wallet ${KEYSTORE}\n[log] secret: ${KEY}\n`)
  await writeFile(join(dir, 'devices', 'phone', 'flow-open-chat.txt'), `typed ${encodeURIComponent(PASSWORD)} into the password field\n`)
  await writeFile(join(dir, 'devices', 'phone', 'failed-screenshot.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0]))
  // a capture: an HTTP request whose body is split over two segments, the mnemonic across the cut
  const body = `POST /backup HTTP/1.1\r\nHost: third.example\r\n\r\nwords=${MNEMONIC}&token=${TOKEN}`
  const cut = body.indexOf(MNEMONIC) + 20
  const init = { linkType: LinkType.ethernet }
  const frame = (payload: string, seq: number): Buffer =>
    buildFrame({
      linkType: LinkType.ethernet,
      src: '127.0.0.1',
      dst: '127.0.0.9',
      protocol: 'tcp',
      srcPort: 40000,
      dstPort: 8080,
      payload: Buffer.from(payload, 'latin1'),
      tcp: { seq, flags: TcpFlags.ack | TcpFlags.psh }
    })
  const noise = buildFrame({
    linkType: LinkType.ethernet,
    src: '127.0.0.9',
    dst: '127.0.0.1',
    protocol: 'tcp',
    srcPort: 8080,
    dstPort: 40000,
    payload: Buffer.from(`HTTP/1.1 200 OK\r\n\r\n${HASH}`),
    tcp: { flags: TcpFlags.ack }
  })
  await writeFile(
    join(dir, 'capture.pcap'),
    Buffer.concat([
      pcapGlobalHeader(init),
      pcapRecord(init, frame(body.slice(0, cut), 1), 1e6),
      pcapRecord(init, noise, 1.1e6),
      pcapRecord(init, frame(body.slice(cut), 1 + cut), 1.2e6)
    ])
  )
  return dir
}

async function readEvents(dir: string): Promise<CourierEvent[]> {
  return (await readFile(join(dir, 'events.ndjson'), 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as CourierEvent)
}

const where = (findings: LeakFinding[]): string[] => findings.map((f) => `${f.kind} ${f.file}`).sort()

test('every kind of secret is found in every kind of artifact; hashes, peer ids and a bad checksum are not', async () => {
  const dir = await plantedRun()
  try {
    const { results, all } = await scanRun({
      runDir: dir,
      events: await readEvents(dir),
      secrets: [{ name: 'COURIER_PASSWORD', value: PASSWORD }],
      patterns: [{ name: 'live token', regex: 'sk_live_[0-9a-zA-Z]{24}' }]
    })
    assert.deepEqual(where(all), [
      'configured-secret devices/phone/flow-open-chat.txt',
      'configured-secret events.ndjson',
      'keystore devices/phone/logcat.ndjson',
      'keystore devices/web/console.log',
      'mnemonic capture.pcap',
      'mnemonic devices/phone/failed-page-source.xml',
      'mnemonic devices/phone/logcat.ndjson',
      'mnemonic events.ndjson',
      'pattern capture.pcap',
      'pattern devices/phone/failed-page-source.xml',
      'private-key devices/phone/logcat.ndjson',
      'private-key devices/web/console.log',
      'private-key events.ndjson'
    ])
    assert.equal(results.count, 13)
    // the peer's key stood without any key-like word: found because it derives alice's peer id
    assert.match(all.find((f) => f.kind === 'private-key' && f.file.endsWith('logcat.ndjson'))!.detail, /identity key of alice/)
    assert.match(all.find((f) => f.kind === 'mnemonic' && f.file.endsWith('logcat.ndjson'))!.detail, /^24 words/)
    // the split mnemonic is reported with both pieces of the file it spans
    const split = all.find((f) => f.kind === 'mnemonic' && f.file === 'capture.pcap')!
    assert.equal(split.ranges?.length, 2)
    assert.equal(split.packet, 0)
    // lines are the file's lines
    assert.equal(all.find((f) => f.kind === 'keystore' && f.file.endsWith('logcat.ndjson'))!.line, 3)
    assert.equal(all.find((f) => f.kind === 'private-key' && f.file === 'events.ndjson')!.line, 5)
    assert.deepEqual(
      results.skipped.map((s) => s.file),
      ['devices/phone/failed-screenshot.png']
    )
    // no excerpt holds a secret, in any form
    const excerpts = JSON.stringify(results.findings)
    for (const secret of [
      PASSWORD,
      encodeURIComponent(PASSWORD),
      KEY,
      PEER_KEY,
      MNEMONIC.split(' ').slice(0, 3).join(' '),
      TOKEN,
      'ab12cd34ef56ab12cd34ef56ab12cd34'
    ])
      assert.ok(!excerpts.includes(secret), `an excerpt holds ${secret.slice(0, 6)}...`)
    // the hash stood beside the key and in the capture: dismissed each time
    assert.ok(results.hexDismissed >= 3)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})

test('a valid mnemonic is found, the same words with a bad checksum are not', () => {
  assert.equal(findMnemonicsIn(MNEMONIC).length, 1)
  assert.equal(findMnemonicsIn(BAD_CHECKSUM).length, 0)
  assert.equal(findMnemonicsIn(MNEMONIC.split(' ').slice(0, 11).join(' ')).length, 0)
  // inside ordinary text, after other list words, in JSON: the 12 words themselves
  const hits = findMnemonicsIn(`the about ${JSON.stringify(MNEMONIC.split(' '))} end`)
  assert.equal(hits.length, 1)
})

test('a key with no key-like word before it, and not a peer identity, is not reported; a hash named by the run never is', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'courier-leaks-'))
  try {
    await writeFile(
      join(dir, 'events.ndjson'),
      [
        JSON.stringify({ t: 0, type: 'msg.sent', hash: HASH }),
        JSON.stringify({ t: 1, type: 'note', text: `digest ${KEY}` }),
        JSON.stringify({ t: 2, type: 'note', text: `privateKey: ${HASH}` })
      ].join('\n') + '\n'
    )
    const { results } = await scanRun({ runDir: dir, events: await readEvents(dir) })
    assert.equal(results.count, 0)
    assert.equal(results.hexDismissed, 3)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})

test('redact masks every finding in place: the event log stays JSON lines, the capture a readable pcap, and a second scan finds nothing', async () => {
  const dir = await plantedRun()
  try {
    const init = {
      runDir: dir,
      events: await readEvents(dir),
      secrets: [{ name: 'COURIER_PASSWORD', value: PASSWORD }],
      patterns: [{ name: 'token', regex: 'sk_live_[0-9a-zA-Z]{24}' }]
    }
    const first = await scanRun(init)
    const before = (await readFile(join(dir, 'events.ndjson'))).length
    await redactRun(dir, first.all)
    assert.equal((await readFile(join(dir, 'events.ndjson'))).length, before)
    const events = await readEvents(dir) // throws if a line broke
    assert.equal(events.length, 5)
    for (const line of (await readFile(join(dir, 'devices/phone/logcat.ndjson'), 'utf8')).trim().split('\n')) JSON.parse(line)
    let packets = 0
    for await (const _ of readPcap(join(dir, 'capture.pcap'))) packets++
    assert.equal(packets, 3)
    const second = await scanRun({ ...init, events })
    assert.deepEqual(where(second.all), [])
    const all = await Promise.all(
      ['events.ndjson', 'capture.pcap', 'devices/web/console.log', 'devices/phone/failed-page-source.xml'].map(
        async (f) => await readFile(join(dir, f), 'latin1')
      )
    )
    for (const text of all) for (const secret of [PASSWORD, KEY, TOKEN]) assert.ok(!text.includes(secret))
    // the hash the run named is left alone
    assert.ok(all[0].includes(HASH))
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})

test('a leaks pattern that is not a regular expression is refused with its line and field', () => {
  const yaml = 'name: x\nduration: 1s\nleaks:\n  patterns:\n    - "sk_[a-z"\n'
  assert.throws(
    () => parseScenario(yaml, 'bad.yaml'),
    (error: unknown) => {
      assert.ok(error instanceof InvalidInputError)
      const p = error.problems[0]
      assert.equal(p.location.line, 5)
      assert.equal(p.path, 'leaks.patterns[0]')
      assert.match(p.message, /not a valid regular expression/)
      return true
    }
  )
  assert.throws(() => parseScenario('name: x\nduration: 1s\nleaks:\n  allow: ["a*"]\n', 'bad.yaml'), /matches empty text/)
})

test('a configured secret and a pattern with non-ASCII characters are found at their byte offsets, after other UTF-8 text', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'courier-leaks-'))
  try {
    const prefix = 'ünïcödé → '
    await writeFile(join(dir, 'device.log'), `${prefix}pässwört-123 and geheimnis-Ä7\n`)
    const { all } = await scanRun({ runDir: dir, secrets: [{ name: 'PW', value: 'pässwört-123' }], patterns: [{ name: 'de', regex: 'geheimnis-Ä\\d' }] })
    assert.deepEqual(
      all.map((f) => [f.kind, f.offset, f.length]),
      [
        ['configured-secret', Buffer.byteLength(prefix), Buffer.byteLength('pässwört-123')],
        ['pattern', Buffer.byteLength(`${prefix}pässwört-123 and `), Buffer.byteLength('geheimnis-Ä7')]
      ]
    )
    assert.equal(all[0].excerpt, `${prefix}[configured-secret] and [pattern]`)
    await redactRun(dir, all)
    assert.equal(
      await readFile(join(dir, 'device.log'), 'utf8'),
      `${prefix}${'*'.repeat(Buffer.byteLength('pässwört-123'))} and ${'*'.repeat(Buffer.byteLength('geheimnis-Ä7'))}\n`
    )
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})

test('without scenario patterns (the capture shortcut for ciphertext on), the split mnemonic and a short configured secret in a capture are still found', async () => {
  const dir = await plantedRun()
  try {
    const { all } = await scanRun({ runDir: dir, events: await readEvents(dir), secrets: [{ name: 'T', value: TOKEN.slice(0, 12) }] })
    assert.deepEqual(
      all
        .filter((f) => f.file === 'capture.pcap')
        .map((f) => f.kind)
        .sort(),
      ['configured-secret', 'mnemonic']
    )
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})

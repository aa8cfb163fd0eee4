import { test } from 'node:test'
import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import fc from 'fast-check'
import { stringify } from 'yaml'
import { InvalidInputError } from '../../harness/interface/index.js'
import { analyzePcapFile, pcapGlobalHeader } from '../../harness/capture/index.js'
import { loadScenarioFile, parseScenario } from '../../harness/scenario/index.js'
import { tempDir } from '../helpers/cli.js'

// Property-based passes over the two parsers that read whatever a user hands courier: whatever
// the input, the only thing they may throw is the documented user error (InvalidInputError,
// exit 2), and they always finish. Seeds are fixed so a failure replays; fast-check prints the
// counterexample and its seed.

const GOOD = `name: fuzz
duration: 10s
network: { relays: 3, stores: 1, degree: 2 }
crowd: { topic: lobby, users: 10, rate: 30/min, size: { median: 300B, p99: 4kB } }
devices:
  alice: { driver: simulated, link: { latency: 50ms, loss: 1% } }
  bob: { driver: simulated, account: alice }
timeline:
  - { at: 1s, send: { from: alice, count: 2, every: 1s } }
  - { at: 2s, offline: { device: bob, for: 3s } }
  - { at: 3s, kill: { node: store-1, for: 2s } }
  - { at: 4s, partition: { groups: [[relay-1], [rest]], for: 1s } }
expect:
  delivery.latency.p95: "< 2s"
`

function onlyUserErrors(parse: () => unknown): void {
  try {
    parse()
  } catch (error) {
    if (error instanceof InvalidInputError) {
      // a user error is always printable: located, no undefined text
      assert.ok(error.problems.length > 0)
      assert.doesNotMatch(error.message, /undefined|\[object Object\]/)
      return
    }
    throw error
  }
}

const scenarioKeys = [
  'name',
  'duration',
  'grace',
  'seed',
  'network',
  'crowd',
  'devices',
  'timeline',
  'expect',
  'capture',
  'push',
  'harness',
  'relays',
  'stores',
  'degree',
  'at',
  'send',
  'from',
  'count',
  'every',
  'size',
  'topic',
  'driver',
  'link',
  'constructor',
  '__proto__',
  'toString'
]
const scalar = fc.oneof(
  fc.constantFrom(
    '10s',
    '600h',
    '1ms',
    '0s',
    '-1s',
    '150kB',
    '10GB',
    '30/min',
    '1%',
    'simulated',
    'appium',
    'relay-1',
    'store-1',
    'rest',
    '',
    '~',
    'null',
    '1e400',
    '99999999999999999999h'
  ),
  fc.string({ maxLength: 12 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null)
)
const yamlish = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, scalar, tie('list'), tie('map')),
  list: fc.array(tie('value'), { maxLength: 4 }),
  map: fc.dictionary(fc.constantFrom(...scenarioKeys), tie('value'), { maxKeys: 5 })
})).map

test('the scenario loader throws nothing but InvalidInputError on random YAML-ish documents', () => {
  fc.assert(
    fc.property(yamlish, (doc) => {
      onlyUserErrors(() => parseScenario(stringify(doc), 'fuzz.yaml'))
    }),
    { seed: 20261206, numRuns: 400 }
  )
})

test('the scenario loader throws nothing but InvalidInputError on a good scenario with random edits', () => {
  const edit = fc.tuple(
    fc.nat({ max: GOOD.length }),
    fc.nat({ max: 8 }),
    fc.oneof(
      fc.string({ maxLength: 8 }),
      fc.constantFrom('&a ', '*a', '[', '{', ': ', '\n  ', '"', "'", '#', '!!binary ', '<<: ', '- ', '\t', '\u0000', '\u001b[31m')
    )
  )
  fc.assert(
    fc.property(fc.array(edit, { minLength: 1, maxLength: 4 }), (edits) => {
      let text = GOOD
      for (const [at, cut, insert] of edits) text = text.slice(0, at) + insert + text.slice(Math.min(text.length, at + cut))
      onlyUserErrors(() => parseScenario(text, 'fuzz.yaml'))
    }),
    { seed: 20261206, numRuns: 400 }
  )
})

test('the scenario file reader throws nothing but InvalidInputError on random bytes', async () => {
  const dir = await tempDir('courier-fuzz-')
  let n = 0
  await fc.assert(
    fc.asyncProperty(fc.uint8Array({ maxLength: 400 }), async (bytes) => {
      const file = join(dir, `f${n++}.yaml`)
      await writeFile(file, bytes)
      try {
        await loadScenarioFile(file)
      } catch (error) {
        if (!(error instanceof InvalidInputError)) throw error
      }
    }),
    { seed: 20261206, numRuns: 200 }
  )
})

/** A pcap whose records are random: a valid global header, then bytes that may or may not be records. */
const pcapish = fc.oneof(
  fc.uint8Array({ maxLength: 300 }),
  fc.tuple(fc.constantFrom(1, 0, 113, 276, 101, 12345), fc.boolean(), fc.uint8Array({ maxLength: 600 })).map(([linkType, nano, rest]) => {
    const header = pcapGlobalHeader({ linkType, nanosecond: nano })
    return Uint8Array.from([...header, ...rest])
  }),
  // a plausible record header with a huge or inconsistent length, then a few bytes
  fc.tuple(fc.nat(), fc.nat(), fc.uint8Array({ maxLength: 100 })).map(([incl, orig, rest]) => {
    const record = Buffer.alloc(16)
    record.writeUInt32LE(incl, 8)
    record.writeUInt32LE(orig, 12)
    return Uint8Array.from([...pcapGlobalHeader({ linkType: 1 }), ...record, ...rest])
  })
)

test('the pcap reader neither hangs nor throws anything but InvalidInputError on random bytes', async () => {
  const dir = await tempDir('courier-fuzz-')
  let n = 0
  await fc.assert(
    fc.asyncProperty(pcapish, fc.boolean(), async (bytes, allowTruncated) => {
      const file = join(dir, `c${n++}.pcap`)
      await writeFile(file, bytes)
      let timer: NodeJS.Timeout | undefined
      const hang = new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => {
          reject(new Error(`no answer within 2 s for ${file}`))
        }, 2000)
      })
      try {
        await Promise.race([analyzePcapFile(file, { allowTruncated }), hang])
      } catch (error) {
        if (!(error instanceof InvalidInputError)) throw error
      } finally {
        clearTimeout(timer)
      }
    }),
    { seed: 20261206, numRuns: 300 }
  )
})

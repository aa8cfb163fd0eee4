import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFile, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { parse } from 'yaml'
import { Ajv2020 } from 'ajv/dist/2020.js'
import addFormats from 'ajv-formats'
import { parseScenario, scenarioJsonSchema } from '../../harness/scenario/index.js'
import { REPO_ROOT } from '../helpers/cli.js'

// A drift check, not a correctness check: it only says the committed file is what the code
// generates today. When it fails, regenerate the file; the checks below say whether it is right.
test('drift check: the shipped JSON Schema is what the zod schema generates now (regenerate: `courier schema -o schema/scenario.schema.json`)', async () => {
  const shipped = JSON.parse(await readFile(`${REPO_ROOT}schema/scenario.schema.json`, 'utf8')) as Record<string, unknown>
  const { title, ...rest } = shipped
  assert.equal(title, 'courier scenario')
  assert.deepEqual(rest, JSON.parse(JSON.stringify(scenarioJsonSchema())))
})

test('the JSON Schema describes the fields editors complete, with units as strings', () => {
  const schema = scenarioJsonSchema() as { properties: Record<string, { type?: string; description?: string }>; required: string[] }
  assert.ok(schema.required.includes('name') && schema.required.includes('duration'))
  assert.equal(schema.properties.duration.type, 'string')
  assert.match(schema.properties.duration.description ?? '', /30s/)
  for (const key of ['network', 'crowd', 'devices', 'timeline', 'expect']) assert.ok(key in schema.properties, key)
})

// The correctness check: an independent validator (ajv, JSON Schema 2020-12, as editors use it)
// with the shipped file must agree with courier's own loader, on good and on bad scenarios.
const ajv = new Ajv2020({ strict: false, allErrors: true })
;(addFormats as unknown as (a: Ajv2020) => void)(ajv)
const shippedSchema = JSON.parse(await readFile(`${REPO_ROOT}schema/scenario.schema.json`, 'utf8')) as object
const editorCheck = ajv.compile(shippedSchema)

test('an editor using the shipped schema file accepts every shipped scenario, as courier does', async () => {
  let checked = 0
  for (const dir of ['scenarios', 'scenarios/nightly', 'scenarios/problems']) {
    for (const name of (await readdir(join(REPO_ROOT, dir))).filter((n) => n.endsWith('.yaml'))) {
      const text = await readFile(join(REPO_ROOT, dir, name), 'utf8')
      assert.equal(editorCheck(parse(text)), true, `${dir}/${name}: ${JSON.stringify(editorCheck.errors)}`)
      parseScenario(text, join(dir, name))
      checked++
    }
  }
  assert.ok(checked >= 20, `${checked} scenarios`)
})

test('an editor using the shipped schema file flags the structural mistakes courier refuses', () => {
  const good = 'name: t\nduration: 10s\nnetwork: { relays: 3, stores: 1 }\ndevices:\n  alice: { driver: simulated }\n'
  assert.equal(editorCheck(parse(good)), true, JSON.stringify(editorCheck.errors))
  const bad = [
    good.replace('name: t\n', ''), // a required field missing
    good.replace('relays: 3', 'relays: three'), // a wrong type
    good.replace('relays: 3', 'relays: 0'), // out of range
    good.replace('relays: 3', 'relais: 3'), // a misspelt key
    good + 'extra: 1\n', // an unknown top-level key
    good.replace('driver: simulated', 'driver: carrier-pigeon'), // not a driver
    good.replace('network: { relays: 3, stores: 1 }', 'network: { relays: 3, stores: 1, host: "999.1.1.1" }') // not an IPv4 address
  ]
  for (const text of bad) {
    assert.equal(editorCheck(parse(text)), false, `the editor accepted:\n${text}`)
    assert.throws(() => parseScenario(text, 'scenario.yaml'), { name: 'InvalidInputError' }, `courier accepted:\n${text}`)
  }
})

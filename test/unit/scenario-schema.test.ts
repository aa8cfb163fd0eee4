import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { scenarioJsonSchema } from '../../harness/scenario/index.js'
import { REPO_ROOT } from '../helpers/cli.js'

test('the shipped JSON Schema is the one the zod schema generates (run `courier schema -o schema/scenario.schema.json`)', async () => {
  const shipped = JSON.parse(await readFile(`${REPO_ROOT}schema/scenario.schema.json`, 'utf8')) as Record<string, unknown>
  const { title, ...rest } = shipped
  assert.equal(title, 'courier scenario')
  assert.deepEqual(rest, JSON.parse(JSON.stringify(scenarioJsonSchema())))
})

test('the JSON Schema describes the fields editors complete, with units as strings', () => {
  const schema = scenarioJsonSchema() as { properties: Record<string, { type?: string, description?: string }>, required: string[] }
  assert.ok(schema.required.includes('name') && schema.required.includes('duration'))
  assert.equal(schema.properties.duration.type, 'string')
  assert.match(schema.properties.duration.description ?? '', /30s/)
  for (const key of ['network', 'crowd', 'devices', 'timeline', 'expect']) assert.ok(key in schema.properties, key)
})

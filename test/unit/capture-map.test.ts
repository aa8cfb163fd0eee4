import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadEndpointMap, normaliseEndpointKey, parseEndpointMap } from '../../harness/capture/index.js'
import { InvalidInputError } from '../../harness/interface/index.js'

function problemsOf(text: string): InvalidInputError['problems'] {
  try {
    parseEndpointMap(text, 'fleet.yaml')
  } catch (error) {
    assert.ok(error instanceof InvalidInputError, String(error))
    return error.problems
  }
  assert.fail('the map was accepted')
}

test('a valid map: keys normalised, ports keyed by transport', () => {
  const map = parseEndpointMap(
    [
      'endpoints:',
      '  "127.0.0.1:60001": { name: store-1, role: store }',
      '  "[0:0:0:0:0:0:0:1]:60002": { name: relay-6 }',
      '  "::1": { name: local6 }',
      'protocols:',
      '  60001: waku-store',
      '  tcp/60000: libp2p',
      '  udp/9000: discv5'
    ].join('\n'),
    'fleet.yaml'
  )
  assert.deepEqual(
    [...map.endpoints],
    [
      ['127.0.0.1:60001', { name: 'store-1', role: 'store' }],
      ['[::1]:60002', { name: 'relay-6' }],
      ['::1', { name: 'local6' }]
    ]
  )
  assert.deepEqual(
    [...map.protocols],
    [
      ['*/60001', 'waku-store'],
      ['tcp/60000', 'libp2p'],
      ['udp/9000', 'discv5']
    ]
  )
})

test('an empty file is an empty map', () => {
  const map = parseEndpointMap('', 'fleet.yaml')
  assert.equal(map.endpoints.size + map.protocols.size, 0)
})

test('a bad endpoint key is reported at its line with what was expected', () => {
  const [p] = problemsOf('endpoints:\n  "127.0.0.1:60001": { name: a }\n  "store-one": { name: b }\n')
  assert.equal(p.location.line, 3)
  assert.equal(p.path, 'endpoints.store-one')
  assert.match(p.message, /not an endpoint address/)
  assert.match(p.expected ?? '', /IP:PORT/)
})

test('an unknown field names the nearest valid one', () => {
  const problems = problemsOf('endpoint:\n  "127.0.0.1:1": { name: a }\n')
  assert.equal(problems[0].location.line, 1)
  assert.match(problems[0].hint ?? '', /endpoints/)
  const [q] = problemsOf('endpoints:\n  "127.0.0.1:1":\n    name: a\n    rol: store\n')
  assert.equal(q.location.line, 4)
  assert.equal(q.path, 'endpoints.127.0.0.1:1.rol')
  assert.match(q.hint ?? '', /role/)
})

test('a missing name and a wrong type are reported with their field path', () => {
  const [missing] = problemsOf('endpoints:\n  "127.0.0.1:1": { role: store }\n')
  assert.equal(missing.path, 'endpoints.127.0.0.1:1.name')
  assert.equal(missing.location.line, 2)
  const [wrong] = problemsOf('endpoints:\n  "127.0.0.1:1":\n    name: [a, b]\n')
  assert.equal(wrong.path, 'endpoints.127.0.0.1:1.name')
  assert.equal(wrong.location.line, 3)
  assert.equal(wrong.expected, 'string')
  assert.equal(wrong.found, 'a list')
})

test('a bad port key and a YAML syntax error', () => {
  const [port] = problemsOf('protocols:\n  http: web\n  70000: big\n')
  assert.equal(port.location.line, 2)
  const all = problemsOf('protocols:\n  http: web\n  70000: big\n')
  assert.equal(all.length, 2)
  assert.equal(all[1].location.line, 3)
  const [syntax] = problemsOf('endpoints:\n  "127.0.0.1:1": { name: a\n')
  assert.match(syntax.message, /YAML syntax/)
  assert.ok(syntax.location.line !== undefined)
})

test('loadEndpointMap reports a missing file as invalid input', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'courier-map-'))
  try {
    await assert.rejects(loadEndpointMap(join(dir, 'none.yaml')), (e: unknown) => e instanceof InvalidInputError && /no such file/.test(e.message))
    await writeFile(join(dir, 'ok.yaml'), 'endpoints: { "10.0.0.1": { name: x } }\n')
    assert.equal((await loadEndpointMap(join(dir, 'ok.yaml'))).endpoints.get('10.0.0.1')?.name, 'x')
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})

test('normaliseEndpointKey', () => {
  assert.equal(normaliseEndpointKey('10.0.0.1:80'), '10.0.0.1:80')
  assert.equal(normaliseEndpointKey('[2001:DB8:0::1]:80'), '[2001:db8::1]:80')
  assert.equal(normaliseEndpointKey('2001:db8::1'), '2001:db8::1')
  assert.equal(normaliseEndpointKey('10.0.0.1:99999'), null)
  assert.equal(normaliseEndpointKey('host:80'), null)
})

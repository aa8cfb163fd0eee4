import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { loadProfileFile, parseProfile, renderFleetTemplate, FLEET_TEMPLATE_ROOTS } from '../../devices/appium/index.js'
import { InvalidInputError, type FleetFile, type InputProblem } from '../../harness/interface/index.js'
import { REPO_ROOT } from '../helpers/cli.js'

const FILE: FleetFile = {
  version: 1,
  name: 'demo',
  scenario: 'demo.yaml',
  seed: 1,
  host: '127.0.0.1',
  cluster: 16,
  shards: [32],
  pubsubTopics: ['/waku/2/rs/16/32'],
  contentTopics: ['/courier/1/chat/proto'],
  topics: { chat: '/courier/1/chat/proto' },
  boot: ['/ip4/127.0.0.1/tcp/60000/p2p/A', '/ip4/127.0.0.1/tcp/60002/p2p/B'],
  relay: ['/ip4/127.0.0.1/tcp/60000/p2p/A', '/ip4/127.0.0.1/tcp/60002/p2p/B', '/ip4/127.0.0.1/tcp/60004/p2p/S'],
  store: ['/ip4/127.0.0.1/tcp/60004/p2p/S'],
  lightpush: [],
  filter: [],
  peerExchange: [],
  nodes: [
    {
      name: 'relay-1',
      role: 'relay',
      peerId: 'A',
      multiaddrs: ['/ip4/127.0.0.1/tcp/60000/p2p/A', '/ip4/127.0.0.1/tcp/60001/ws/p2p/A'],
      enr: 'enr:-abc',
      services: ['relay']
    }
  ]
}

const PROFILE = (fleet: string): string => `name: phone
platform: android
app: { id: im.status.ethereum }
screen:
  usable: "~chat-list"
  chatOpener: "//*[@text='{topic}']"
  messageInput: "~input"
  sendButton: "~send"
  messageItem: "~item"
  messageText: "~text"
fleet:
${fleet}`

const GOOD_FLEET = `  open: [ { tap: "~Settings" } ]
  current: "~fleet-current"
  expect: "{{fleet.boot[0]}}"
  steps:
    - { type: "~boot", text: "{{fleet.boot[0]}}" }
    - { type: "~cluster", text: "{{ fleet.cluster }}" }
    - { tap: "~save" }
`

function problemsOf(text: string): InputProblem[] {
  try {
    parseProfile(text, 'phone.yaml')
  } catch (error) {
    assert.ok(error instanceof InvalidInputError, String(error))
    return error.problems
  }
  assert.fail('the profile was accepted')
}

test('fleet templates fill values of the fleet file: list items, numbers, nested fields, whole lists', () => {
  assert.equal(renderFleetTemplate('{{fleet.boot[0]}}', FILE), '/ip4/127.0.0.1/tcp/60000/p2p/A')
  assert.equal(renderFleetTemplate('{{fleet.store[0]}}', FILE), '/ip4/127.0.0.1/tcp/60004/p2p/S')
  assert.equal(renderFleetTemplate('cluster {{ fleet.cluster }}, shard {{fleet.shards[0]}}', FILE), 'cluster 16, shard 32')
  assert.equal(renderFleetTemplate('{{fleet.nodes[0].multiaddrs[1]}}', FILE), '/ip4/127.0.0.1/tcp/60001/ws/p2p/A')
  assert.equal(renderFleetTemplate('{{fleet.nodes[0].enr}}', FILE), 'enr:-abc')
  assert.equal(renderFleetTemplate('{{fleet.boot}}', FILE), FILE.boot.join(','))
  assert.equal(renderFleetTemplate('{{fleet.topics.chat}}', FILE), '/courier/1/chat/proto')
  assert.equal(renderFleetTemplate('no template here', FILE), 'no template here')
})

test('a fleet value the run does not have is an error naming it, never an empty text typed into the app', () => {
  assert.throws(
    () => renderFleetTemplate('{{fleet.store[1]}}', FILE),
    /\{\{fleet\.store\[1\]\}\}: the run's fleet has no fleet\.store\[1\] \(fleet\.store has 1 entry\)/
  )
  assert.throws(() => renderFleetTemplate('{{fleet.lightpush[0]}}', FILE), /has 0 entries/)
  assert.throws(() => renderFleetTemplate('{{fleet.nodes[0].enr}}', { ...FILE, nodes: [{ ...FILE.nodes[0], enr: null }] }), /no fleet\.nodes\[0\]\.enr/)
  assert.throws(() => renderFleetTemplate('{{fleet.nodes[0]}}', FILE), /not a text or number/)
})

test('a profile with fleet: steps loads, and the shipped CI fleet profile is valid', async () => {
  const profile = parseProfile(PROFILE(GOOD_FLEET), 'phone.yaml')
  assert.equal(profile.fleet?.steps.length, 3)
  assert.deepEqual(profile.fleet?.close, [])
  const shipped = await loadProfileFile(join(REPO_ROOT, 'devices/profiles/courier-ci-fleet.yaml'))
  assert.equal(shipped.profile.fleet?.expect, '{{fleet.boot[0]}}')
  assert.ok(shipped.profile.fleet?.steps.some((step) => 'text' in step && step.text === '{{fleet.store[0]}}'))
})

test('an unknown fleet field in a template fails validation with the file, line and the field', () => {
  const problems = problemsOf(PROFILE(GOOD_FLEET.replace('text: "{{fleet.boot[0]}}"', 'text: "{{fleet.bot[0]}}"')))
  const problem = problems.find((p) => p.path === 'fleet.steps[0].text')
  assert.ok(problem != null, JSON.stringify(problems))
  assert.match(problem.message, /\{\{fleet\.bot\[0\]\}\}: fleet\.json has no "bot"/)
  assert.equal(problem.location.file, 'phone.yaml')
  assert.equal(problem.location.line, 16)
  assert.equal(problem.location.column, 30)
  const shape = problemsOf(PROFILE(GOOD_FLEET.replace('expect: "{{fleet.boot[0]}}"', 'expect: "{{boot[0]}}"')))
  assert.ok(
    shape.some((p) => p.path === 'fleet.expect' && /not a fleet path/.test(p.message)),
    JSON.stringify(shape)
  )
  assert.ok(FLEET_TEMPLATE_ROOTS.includes('store'))
})

test('fleet: needs at least one step and a current selector', () => {
  assert.ok(problemsOf(PROFILE(GOOD_FLEET.replace(/ {2}steps:\n(.*\n){3}/, '  steps: []\n'))).some((p) => p.path === 'fleet.steps'))
  assert.ok(problemsOf(PROFILE(GOOD_FLEET.replace('  current: "~fleet-current"\n', ''))).some((p) => p.path === 'fleet.current'))
})

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { InvalidInputError, type InputProblem } from '../../harness/interface/index.js'
import { parseScenario } from '../../harness/scenario/index.js'
import { validateExpectations } from '../../harness/gate/index.js'

const GOOD = `name: t
duration: 10s
network: { relays: 3, stores: 2 }
crowd: { topic: lobby, users: 10, rate: 30/min }
devices:
  alice: { driver: simulated }
  alice-2: { account: alice }
timeline:
  - { at: 1s, send: { from: alice, count: 2 } }
  - { at: 2s, offline: { device: alice-2, for: 3s } }
  - { at: 3s, kill: { node: store-1, for: 2s } }
expect:
  delivery.latency.p95: "< 2s"
`

function problemsOf(text: string): InputProblem[] {
  try {
    const scenario = parseScenario(text, 'scenario.yaml')
    validateExpectations(scenario)
  } catch (error) {
    assert.ok(error instanceof InvalidInputError, `expected InvalidInputError, got ${String(error)}`)
    return error.problems
  }
  assert.fail('the scenario was accepted')
}

test('a good scenario loads with defaults resolved and units in base units', () => {
  const scenario = parseScenario(GOOD, 'scenario.yaml')
  assert.equal(scenario.config.duration, 10_000)
  assert.equal(scenario.config.grace, 5000)
  assert.equal(scenario.config.seed, 1)
  assert.equal(scenario.config.crowd?.rate, 0.5)
  assert.equal(scenario.config.crowd?.size, 300)
  assert.equal(scenario.config.timeline[0].send?.every, 1000)
  assert.equal(scenario.config.devices['alice-2'].driver, 'simulated')
  assert.deepEqual(scenario.nodes.stores, ['store-1', 'store-2'])
  assert.deepEqual(scenario.topics, ['lobby'])
  assert.equal(validateExpectations(scenario)[0].target, 2000)
})

test('an unknown key names its line and column and suggests the right one', () => {
  const [problem] = problemsOf(GOOD.replace('network: { relays: 3', 'network: { relais: 3'))
  assert.equal(problem.path, 'network.relais')
  assert.equal(problem.location.line, 3)
  assert.equal(problem.location.column, 12)
  assert.match(problem.hint ?? '', /did you mean "relays"/)
})

test('an unknown top-level key is caught too', () => {
  const [problem] = problemsOf(GOOD.replace('duration: 10s', 'duration: 10s\ndurration: 5s'))
  assert.equal(problem.location.line, 3)
  assert.match(problem.hint ?? '', /did you mean "duration"/)
})

test('a bad unit says what was expected and what was found, at the value', () => {
  const [problem] = problemsOf(GOOD.replace('duration: 10s', 'duration: 10 parsecs'))
  assert.equal(problem.path, 'duration')
  assert.equal(problem.location.line, 2)
  assert.equal(problem.location.column, 11)
  assert.match(problem.expected ?? '', /30s/)
  assert.match(problem.found ?? '', /10 parsecs/)
})

test('a wrong type is reported with expected and found', () => {
  const [problem] = problemsOf(GOOD.replace('relays: 3', 'relays: many'))
  assert.equal(problem.path, 'network.relays')
  assert.equal(problem.expected, 'number')
  assert.match(problem.found ?? '', /many/)
})

test('a missing required field is reported at its parent', () => {
  const [problem] = problemsOf(GOOD.replace('duration: 10s\n', ''))
  assert.equal(problem.path, 'duration')
  assert.match(problem.message, /missing/)
})

test('a reference to a device that does not exist suggests the closest one', () => {
  const [problem] = problemsOf(GOOD.replace('from: alice,', 'from: alcie,'))
  assert.equal(problem.path, 'timeline[0].send.from')
  assert.equal(problem.location.line, 9)
  assert.match(problem.hint ?? '', /did you mean "alice"/)
})

test('a node that does not exist is named with the valid ones', () => {
  const [problem] = problemsOf(GOOD.replace('node: store-1', 'node: store-9'))
  assert.equal(problem.path, 'timeline[2].kill')
  assert.match(problem.expected ?? '', /store-1, store-2/)
})

test('an action after the end of the scenario is refused', () => {
  const [problem] = problemsOf(GOOD.replace('at: 3s, kill', 'at: 30s, kill'))
  assert.equal(problem.path, 'timeline[2].at')
})

test('two actions in one timeline entry are refused', () => {
  const [problem] = problemsOf(GOOD.replace('{ at: 1s, send: { from: alice, count: 2 } }', '{ at: 1s, send: { from: alice }, restart: relay-1 }'))
  assert.equal(problem.path, 'timeline[0]')
  assert.match(problem.message, /one action per entry/)
})

test('broken YAML names the line of the syntax error', () => {
  const [problem] = problemsOf('name: t\nduration: 10s\ndevices:\n  alice: { driver: simulated\n')
  assert.match(problem.message, /YAML syntax/)
  assert.ok((problem.location.line ?? 0) >= 4, `line ${String(problem.location.line)}`)
})

test('a duplicate key is a YAML error, not a silent overwrite', () => {
  const [problem] = problemsOf('name: t\nduration: 10s\nduration: 20s\n')
  assert.equal(problem.location.line, 3)
})

test('a threshold on an unknown metric is rejected before anything starts, with the nearest name', () => {
  const [problem] = problemsOf(GOOD.replace('delivery.latency.p95', 'delivery.latncy.p95'))
  assert.equal(problem.path, 'expect.delivery.latncy.p95')
  assert.equal(problem.location.line, 13)
  assert.match(problem.hint ?? '', /did you mean "delivery.latency.p95"/)
})

test('a threshold whose unit does not fit the metric is rejected', () => {
  const [problem] = problemsOf(GOOD.replace('"< 2s"', '"< 2kB"'))
  assert.match(problem.expected ?? '', /duration/)
})

test('per-device metrics exist for declared devices only', () => {
  assert.doesNotThrow(() => validateExpectations(parseScenario(GOOD.replace('delivery.latency.p95', 'delivery.alice-2.latency.p95'), 's.yaml')))
  const [problem] = problemsOf(GOOD.replace('delivery.latency.p95', 'delivery.carol.latency.p95'))
  assert.match(problem.message, /unknown metric/)
})

test('a browser device takes its defaults, an unknown driver lists the browser among the accepted ones, and a link on a browser device is refused', () => {
  const loaded = parseScenario(GOOD.replace('alice: { driver: simulated }', 'alice: { driver: browser }'), 's.yaml')
  assert.deepEqual(loaded.config.devices.alice, { driver: 'browser', relays: 2, syncMargin: 5000 })
  const [unknown] = problemsOf(GOOD.replace('alice: { driver: simulated }', 'alice: { driver: chrome }'))
  assert.equal(unknown.path, 'devices.alice.driver')
  assert.match(unknown.expected ?? '', /"browser"/)
  const [drop] = problemsOf(GOOD.replace('alice: { driver: simulated }', 'alice: { driver: browser, dropEvery: 1 }'))
  assert.equal(drop.path, 'devices.alice.dropEvery')
  const [link] = problemsOf(
    GOOD.replace('alice: { driver: simulated }', 'alice: { driver: browser }').replace(
      'for: 2s } }\n',
      'for: 2s } }\n  - { at: 4s, link: { device: alice, to: { latency: 100ms } } }\n'
    )
  )
  assert.equal(link?.path, 'timeline[3].link.device')
  assert.match(link.message, /browser device/)
})

test('an appium device needs a profile, and its keys get did-you-mean', () => {
  const [missing] = problemsOf(GOOD.replace('alice: { driver: simulated }', 'alice: { driver: appium }'))
  assert.equal(missing.path, 'devices.alice.profile')
  assert.match(missing.message, /missing/)
  const typo = problemsOf(GOOD.replace('alice: { driver: simulated }', 'alice: { driver: appium, profle: p.yaml }')).find(
    (p) => p.path === 'devices.alice.profle'
  )
  assert.equal(typo?.hint, 'did you mean "profile"?')
  const loaded = parseScenario(GOOD.replace('alice: { driver: simulated }', 'alice: { driver: appium, profile: p.yaml }'), 's.yaml')
  assert.equal(loaded.config.devices.alice.driver, 'appium')
})

test("the reference client's and the fleet's switches say what they accept where they are written", () => {
  const [sync] = problemsOf(GOOD.replace('network: { relays: 3, stores: 2 }', 'network: { relays: 3, stores: 2, storeSync: fast }'))
  assert.equal(sync.path, 'network.storeSync')
  assert.deepEqual([sync.location.line, sync.location.column], [3, 45])
  assert.match(sync.expected ?? '', /off, or how often stores sync/)
  const [switchAfter] = problemsOf(GOOD.replace('alice: { driver: simulated }', 'alice: { driver: simulated, switchAfter: sometimes }'))
  assert.equal(switchAfter.path, 'devices.alice.switchAfter')
  assert.match(switchAfter.expected ?? '', /1 to 10, or never/)
  const [check] = problemsOf(GOOD.replace('alice: { driver: simulated }', 'alice: { driver: simulated, missingChek: full }'))
  assert.match(check.hint ?? '', /did you mean "missingCheck"/)
  const [checkpoint] = problemsOf(GOOD.replace('  - { at: 1s, send: { from: alice, count: 2 } }', '  - { at: 1s, checkpoint: After Catchup }'))
  assert.equal(checkpoint.path, 'timeline[0].checkpoint')
  const good = parseScenario(
    GOOD.replace('network: { relays: 3, stores: 2 }', 'network: { relays: 3, stores: 2, storeSync: 3s }').replace(
      'alice: { driver: simulated }',
      'alice: { driver: simulated, switchAfter: never, upToDate: optimistic, confirmSent: false, missingCheck: full, wakeOnPush: true }'
    ),
    'scenario.yaml'
  ).config
  assert.equal(good.network.storeSync, 3000)
  assert.deepEqual(
    good.devices.alice.driver === 'simulated'
      ? [
          good.devices.alice.switchAfter,
          good.devices.alice.upToDate,
          good.devices.alice.confirmSent,
          good.devices.alice.missingCheck,
          good.devices.alice.wakeOnPush
        ]
      : [],
    ['never', 'optimistic', false, 'full', true]
  )
})

test('a js-waku device is a light node; relay mode and simulated-only switches are refused where written', () => {
  const loaded = parseScenario(GOOD.replace('alice: { driver: simulated }', 'alice: { driver: js-waku, syncInterval: 5s }'), 's.yaml')
  const alice = loaded.config.devices.alice
  assert.ok(alice.driver === 'js-waku')
  assert.equal(alice.mode, 'light')
  assert.equal(alice.relays, 2)
  assert.equal(alice.syncInterval, 5000)
  const [relay] = problemsOf(GOOD.replace('alice: { driver: simulated }', 'alice: { driver: js-waku, mode: relay }'))
  assert.equal(relay.path, 'devices.alice.mode')
  assert.equal(relay.expected, 'one of: "light"')
  assert.equal(relay.location?.line, 6)
  const [simulatedOnly] = problemsOf(GOOD.replace('alice: { driver: simulated }', 'alice: { driver: js-waku, missingCheck: full }'))
  assert.equal(simulatedOnly.path, 'devices.alice.missingCheck')
  const [typo] = problemsOf(GOOD.replace('alice: { driver: simulated }', 'alice: { driver: jswaku }'))
  assert.match(typo.expected ?? '', /"js-waku"/)
})

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { SaxesParser } from 'saxes'
import { renderConsoleSummary, renderJUnit } from '../../reports/index.js'
import { craftedResults } from '../helpers/reports/crafted-results.js'

interface Element {
  name: string
  attributes: Record<string, string>
  children: Element[]
  text: string
}

/** Parses with saxes, a strict XML 1.0 parser: any well-formedness error throws. */
function parseXml(xml: string): Element {
  const parser = new SaxesParser()
  const root: Element = { name: '#document', attributes: {}, children: [], text: '' }
  const stack = [root]
  let error: Error | null = null
  parser.on('error', (e) => {
    error ??= e
  })
  parser.on('opentag', (tag) => {
    const el: Element = { name: tag.name, attributes: tag.attributes as Record<string, string>, children: [], text: '' }
    stack.at(-1)!.children.push(el)
    stack.push(el)
  })
  parser.on('closetag', () => {
    stack.pop()
  })
  parser.on('text', (text) => {
    stack.at(-1)!.text += text
  })
  parser.write(xml).close()
  if (error != null) throw error
  return root.children[0]!
}

function child(el: Element, name: string): Element | undefined {
  return el.children.find((c) => c.name === name)
}

interface Case {
  classname: string
  name: string
  time: string
  failure?: { message: string; type: string; text: string }
  error?: { message: string; text: string }
}

function parse(xml: string): { suites: Element; suite: Element; cases: Case[]; props: Record<string, string> } {
  const suites = parseXml(xml)
  assert.equal(suites.name, 'testsuites')
  const suite = child(suites, 'testsuite')!
  const cases = suite.children
    .filter((c) => c.name === 'testcase')
    .map((c): Case => {
      const failure = child(c, 'failure')
      const error = child(c, 'error')
      return {
        classname: c.attributes.classname!,
        name: c.attributes.name!,
        time: c.attributes.time!,
        ...(failure == null ? {} : { failure: { message: failure.attributes.message!, type: failure.attributes.type!, text: failure.text } }),
        ...(error == null ? {} : { error: { message: error.attributes.message!, text: error.text } })
      }
    })
  const props = Object.fromEntries(child(suite, 'properties')!.children.map((p) => [p.attributes.name!, p.attributes.value!]))
  return { suites, suite, cases, props }
}

test('one testcase per threshold and per failed device; failure messages name the measured value', () => {
  const { suite, cases } = parse(renderJUnit(craftedResults()))
  assert.equal(suite.attributes.name, 'courier.prague-crowded-topic')
  const names = cases.map((c) => c.name)
  assert.deepEqual(names, ['delivery.latency.p95 < 2s', 'delivery.loss == 0', 'bytes.alice.down.perMessage < 2kB', 'delivery.duplicates.rate < 1%', 'bob'])
  const latency = cases[0]!
  assert.equal(latency.failure?.message, 'delivery.latency.p95 = 2.81 s, wanted < 2s')
  assert.equal(latency.failure?.type, 'threshold')
  assert.match(latency.failure!.text, /measured 2\.81 s/)
  assert.equal(cases[1]!.failure?.message, 'delivery.loss = 1.5 %, wanted == 0')
  assert.equal(cases[2]!.failure, undefined, 'a passed threshold has no failure')
  const bob = cases[4]!
  assert.equal(bob.classname, 'courier.prague-crowded-topic.devices')
  assert.equal(bob.time, '301.000')
  assert.match(bob.failure!.message, /device bob failed at 5m 01s: driver session lost: socket hang up/)
  assert.match(bob.failure!.text, /delivered 197 of 200 expected messages, lost 3/)
  assert.equal(names.includes('alice'), false, 'a healthy device gets no testcase')
})

test('counts and timings on testsuites and testsuite agree with the testcases', () => {
  const { suites, suite, props } = parse(renderJUnit(craftedResults()))
  for (const node of [suites, suite]) {
    assert.equal(node.attributes.tests, '5')
    assert.equal(node.attributes.failures, '3')
    assert.equal(node.attributes.errors, '0')
  }
  assert.equal(suite.attributes.time, '642.500')
  assert.equal(props.seed, '42')
  assert.equal(props.replay, "npx courier run 'scenarios/prague crowded.yaml' --seed 42")
})

test('an inconclusive run is an error in CI, not a green build', () => {
  const base = craftedResults()
  const xml = renderJUnit(
    craftedResults({
      verdict: 'inconclusive',
      verdictReasons: ['harness event-loop lag p99 450 ms exceeded the limit of 200 ms'],
      thresholds: base.thresholds.map((t) => ({ ...t, passed: true })),
      delivery: { ...base.delivery, devices: { alice: base.delivery.devices.alice! } },
      harness: { ...base.harness, saturated: true, lagP99Ms: 450 }
    })
  )
  const { suite, cases } = parse(xml)
  assert.equal(suite.attributes.errors, '1')
  assert.equal(suite.attributes.failures, '0')
  const run = cases.find((c) => c.error != null)!
  assert.match(run.error!.message, /run inconclusive: harness event-loop lag p99 450 ms exceeded/)
})

test('hostile strings from the run stay well-formed XML and come back unchanged', () => {
  const nasty = 'a&b <c> "d" \'e\' ]]> </failure><x/>'
  const base = craftedResults()
  const xml = renderJUnit(
    craftedResults({
      scenario: { ...base.scenario, name: nasty },
      thresholds: [{ metric: 'delivery.loss', expression: `< 1 ${nasty}`, value: 0.5, unit: 'ratio', passed: false, message: `loss ${nasty}\u0000\u001b[31m` }]
    })
  )
  const { suite, cases } = parse(xml)
  assert.equal(suite.attributes.name, `courier.${nasty}`)
  assert.equal(cases[0]!.failure!.message, `loss ${nasty}\ufffd\ufffd[31m`)
})

test('the parser used above rejects what a careless escaper would produce', () => {
  const xml = renderJUnit(craftedResults())
  assert.throws(() => parseXml(xml.replace('name="delivery.latency.p95 &lt; 2s"', 'name="delivery.latency.p95 < 2s"')), /disallowed character/)
  assert.throws(() => parseXml(xml.replace('</system-out>', '\u0001</system-out>')), /disallowed character/)
  assert.throws(() => parseXml(xml.replace('&lt; 2s', '&lt 2s')), /./)
})

test('the clients the devices reported are JUnit properties and a summary line; a device that could not read its version says so', () => {
  const results = craftedResults()
  results.clients = {
    phone: { name: 'im.status.ethereum', version: '2.29.0', build: '2024051501', source: 'dumpsys package (the installed app)' },
    tablet: {
      name: 'im.status.ethereum',
      version: null,
      source: 'the installed version is read with dumpsys package, which needs battery.batterystats (adb_shell)'
    }
  }
  const { props } = parse(renderJUnit(results))
  assert.equal(props['client.phone.name'], 'im.status.ethereum')
  assert.equal(props['client.phone.version'], '2.29.0')
  assert.equal(props['client.phone.build'], '2024051501')
  assert.equal(props['client.tablet.name'], 'im.status.ethereum')
  assert.equal(props['client.tablet.version'], undefined, 'no version property when the version is unknown')
  assert.match(
    renderConsoleSummary(results, { color: false }),
    /\n {2}clients: phone im\.status\.ethereum 2\.29\.0 \(2024051501\); tablet im\.status\.ethereum version unknown\n/
  )
})

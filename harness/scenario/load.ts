import { existsSync } from 'node:fs'
import { dirname, extname, isAbsolute, resolve } from 'node:path'
import { InvalidInputError, type InputProblem, type SourceLocation } from '../interface/index.js'
import { FLOW_NAME, flowName, MAX_MESSAGE_BYTES, scenarioSchema, TIMELINE_ACTIONS, type ScenarioConfig } from './schema.js'
import { formatPath, parseYamlSource, readUserFile, suggest, zodProblems, type FieldPath } from './yaml-source.js'

/** A validated scenario with its defaults resolved, and a way back to where each field was written. */
export interface LoadedScenario {
  file: string
  config: ScenarioConfig
  /** Node names the timeline may address. */
  nodes: { relays: string[]; stores: string[]; gateways: string[] }
  /** Every topic in the scenario: the crowd's, the devices', the sends'. */
  topics: string[]
  /** Line and column of a field (or its nearest written parent) in the scenario file. */
  locate(path: FieldPath, which?: 'key' | 'value'): SourceLocation
}

/** Device names that would collide with metric name segments. */
const RESERVED_DEVICE_NAMES = new Set(['latency', 'renderlatency', 'loss', 'lost', 'expected', 'delivered', 'duplicates', 'crowd', 'all'])

export async function loadScenarioFile(file: string): Promise<LoadedScenario> {
  const text = await readUserFile(file, { kind: 'scenario file', hint: 'pass the path of a scenario YAML file, e.g. scenarios/smoke.yaml' })
  return parseScenario(text, file)
}

export function parseScenario(text: string, file: string): LoadedScenario {
  const source = parseYamlSource(text, file, { kind: 'scenario', expectedKeys: 'name, duration, network, devices, timeline, expect' })
  const { locate } = source
  const parsed = scenarioSchema.safeParse(source.raw)
  if (!parsed.success) throw new InvalidInputError(zodProblems(parsed.error.issues, scenarioSchema, source, { union: unionWords }))
  const config = parsed.data
  const nodes = {
    relays: range(config.network.relays).map((i) => `relay-${i}`),
    stores: range(config.network.stores).map((i) => `store-${i}`),
    gateways: config.crowd == null ? [] : range(config.crowd.gateways).map((i) => `crowd-${i}`)
  }
  const problems = [...checkLimits(config, source.raw, locate), ...checkReferences(config, nodes, locate), ...checkFlows(config, file, locate)]
  if (problems.length > 0) throw new InvalidInputError(problems)

  const topics = new Set<string>()
  if (config.crowd != null) topics.add(config.crowd.topic)
  for (const device of Object.values(config.devices)) for (const topic of device.topics ?? []) topics.add(topic)
  for (const entry of config.timeline) if (entry.send?.topic != null) topics.add(entry.send.topic)
  if (topics.size === 0) topics.add('default')
  return { file, config, nodes, topics: [...topics], locate }
}

/** Crowd posts a run may plan: the plan is held in memory, and ~1000 deliveries/s saturate one process anyway. */
export const MAX_CROWD_POSTS = 1_000_000

/**
 * Figures that are each valid alone but cannot all hold: what was asked must be what runs, never
 * clamped in silence.
 */
function checkLimits(config: ScenarioConfig, raw: unknown, locate: LoadedScenario['locate']): InputProblem[] {
  const problems: InputProblem[] = []
  const problem = (path: FieldPath, message: string, expected: string, found: string, hint?: string): void => {
    problems.push({ location: locate(path), path: formatPath(path), message, expected, found, hint })
  }
  const { relays, degree } = config.network
  // the default degree (3) is a wish a small fleet may not meet; a written one is a promise
  const degreeWritten = (raw as { network?: { degree?: unknown } }).network?.degree !== undefined
  if (degreeWritten && degree > relays - 1) {
    problem(
      ['network', 'degree'],
      `a relay cannot dial ${degree} other relays when there are ${relays - 1}`,
      `at most relays - 1 (${relays - 1})`,
      String(degree),
      relays === 1 ? 'leave degree: out with a single relay' : 'lower degree: or add relays'
    )
  }
  if (config.crowd != null) {
    const { size } = config.crowd
    const tooBig = (path: FieldPath, bytes: number): void => {
      if (bytes > MAX_MESSAGE_BYTES)
        problem(
          path,
          'larger than the network carries',
          `at most ${MAX_MESSAGE_BYTES / 1000}kB (Waku's message size limit, 64/WAKU2-NETWORK)`,
          `${bytes} bytes`
        )
    }
    if (typeof size === 'number') tooBig(['crowd', 'size'], size)
    else {
      tooBig(['crowd', 'size', 'median'], size.median)
      tooBig(['crowd', 'size', 'p99'], size.p99)
      if (size.median > size.p99)
        problem(
          ['crowd', 'size', 'median'],
          'the median is above the 99th percentile',
          'median at most p99',
          `median ${size.median} bytes, p99 ${size.p99} bytes`
        )
    }
    const posts = (config.crowd.rate * config.duration) / 1000
    if (posts > MAX_CROWD_POSTS)
      problem(
        ['crowd', 'rate'],
        `the crowd would post about ${Math.round(posts)} messages in the run`,
        `at most ${MAX_CROWD_POSTS} crowd messages per run (rate x duration)`,
        `${config.crowd.rate}/s for ${config.duration / 1000}s`,
        'lower the rate or shorten duration: (one process saturates near 1000 deliveries/s)'
      )
  }
  config.timeline.forEach((entry, index) => {
    const send = entry.send
    if (send == null || entry.at > config.duration) return
    const last = entry.at + (send.count - 1) * send.every
    if (last >= config.duration) {
      problem(
        ['timeline', index, 'send'],
        `the sends do not fit in the traffic phase: the last of ${send.count} (every ${send.every / 1000}s from ${entry.at / 1000}s) would be at ${last / 1000}s`,
        `at + (count - 1) x every before the end of the traffic phase (duration: ${config.duration / 1000}s)`,
        `count: ${send.count}, every: ${send.every / 1000}s`,
        'lengthen duration:, lower count: or shorten every:'
      )
    }
  })
  return problems
}

function checkReferences(config: ScenarioConfig, nodes: LoadedScenario['nodes'], locate: LoadedScenario['locate']): InputProblem[] {
  const problems: InputProblem[] = []
  const devices = Object.keys(config.devices)
  const nodeNames = [...nodes.relays, ...nodes.stores, ...nodes.gateways]
  const problem = (path: FieldPath, message: string, expected: string, found: string, hint?: string): void => {
    problems.push({ location: locate(path), path: formatPath(path), message, expected, found, hint })
  }
  const basePort = config.network.ports
  if (basePort != null && basePort + 2 * nodeNames.length - 1 > 65535) {
    problem(
      ['network', 'ports'],
      `${nodeNames.length} nodes need ports ${basePort}..${basePort + 2 * nodeNames.length - 1}, past 65535`,
      `a base port at most ${65536 - 2 * nodeNames.length}`,
      String(basePort),
      'each node takes two ports (TCP, WebSocket): lower the base port'
    )
  }
  for (const device of devices) {
    const deviceConfig = config.devices[device]
    const preferred = deviceConfig.driver === 'simulated' ? deviceConfig.store : undefined
    if (preferred != null && !nodes.stores.includes(preferred))
      problem(
        ['devices', device, 'store'],
        `no store node named "${preferred}"`,
        `one of: ${nodes.stores.join(', ') || '(no stores)'}`,
        preferred,
        suggest(preferred, nodes.stores)
      )
    if (deviceConfig.driver === 'simulated' && deviceConfig.service != null) {
      const services = [...nodes.relays, ...nodes.stores]
      if (deviceConfig.mode !== 'light')
        problem(
          ['devices', device, 'service'],
          'service: is for light mode (a relay-mode device has no service node)',
          'mode: light beside it, or no service:',
          deviceConfig.service,
          'add mode: light, or remove service:'
        )
      else if (!services.includes(deviceConfig.service))
        problem(
          ['devices', device, 'service'],
          `no relay or store node named "${deviceConfig.service}"`,
          `one of: ${services.join(', ')}`,
          deviceConfig.service,
          suggest(deviceConfig.service, services)
        )
    }
    if (RESERVED_DEVICE_NAMES.has(device.toLowerCase()))
      problem(['devices', device], `"${device}" is reserved (it names a metric)`, 'another device name', device)
    if (nodeNames.includes(device)) problem(['devices', device], `"${device}" is also the name of a fleet node`, 'a name not used by a node', device)
  }
  const needDevice = (path: FieldPath, name: string): void => {
    if (!devices.includes(name))
      problem(
        path,
        `no device named "${name}"`,
        devices.length > 0 ? `one of: ${devices.join(', ')}` : 'a device declared under devices:',
        name,
        suggest(name, devices)
      )
  }
  const needNode = (path: FieldPath, name: string): void => {
    if (!nodeNames.includes(name))
      problem(
        path,
        `no node named "${name}"`,
        `one of: ${nodeNames.join(', ')}`,
        name,
        suggest(name, nodeNames) ?? 'nodes are named relay-1..N, store-1..N and crowd-1..N after network: and crowd:'
      )
  }
  config.timeline.forEach((entry, index) => {
    const actions = TIMELINE_ACTIONS.filter((key) => entry[key] !== undefined)
    if (actions.length !== 1) {
      problem(
        ['timeline', index],
        actions.length === 0 ? 'a timeline entry needs an action' : `one action per entry, found ${actions.join(' and ')}`,
        `exactly one of: ${TIMELINE_ACTIONS.join(', ')}`,
        actions.length === 0 ? 'none' : actions.join(', '),
        'split it into one entry per action'
      )
    }
    if (entry.at > config.duration)
      problem(
        ['timeline', index, 'at'],
        'action is after the end of the scenario',
        `at most the duration (${config.duration / 1000}s)`,
        `${entry.at / 1000}s`,
        'lengthen duration: or move the action earlier'
      )
    if (entry.send != null) {
      needDevice(['timeline', index, 'send', 'from'], entry.send.from)
      if (entry.send.topic == null && config.crowd == null)
        problem(['timeline', index, 'send'], 'send has no topic and the scenario has no crowd topic to default to', 'a topic: field', 'none')
    }
    if (entry.offline != null) needDevice(['timeline', index, 'offline', 'device'], entry.offline.device)
    if (entry.online != null) needDevice(['timeline', index, 'online', 'device'], entry.online.device)
    if (entry.kill != null) needNode(['timeline', index, 'kill'], typeof entry.kill === 'string' ? entry.kill : entry.kill.node)
    if (entry.restart != null) needNode(['timeline', index, 'restart'], entry.restart)
    const stores = nodes.stores
    const needStore = (path: FieldPath, store: string): void => {
      if (!stores.includes(store))
        problem(
          path,
          `no store node named "${store}"`,
          stores.length > 0 ? `one of: ${stores.join(', ')}` : 'a store (network.stores > 0)',
          store,
          suggest(store, stores)
        )
    }
    if (entry.desync != null) needStore(['timeline', index, 'desync', 'store'], entry.desync.store)
    if (entry.slow != null) needStore(['timeline', index, 'slow', 'store'], entry.slow.store)
    if (entry.skew != null) needDevice(['timeline', index, 'skew', 'device'], entry.skew.device)
    if (entry.link != null) {
      const { device, node } = entry.link
      if ((device == null) === (node == null)) {
        problem(
          ['timeline', index, 'link'],
          device == null ? 'link needs a device or a node to change' : 'link changes one device or one node, not both',
          'device: <a device> or node: <a fleet node>',
          device == null ? 'neither' : 'both',
          'split it into one entry each'
        )
      }
      if (device != null) needDevice(['timeline', index, 'link', 'device'], device)
      if (device != null && config.devices[device]?.driver === 'browser')
        problem(
          ['timeline', index, 'link', 'device'],
          `"${device}" is a browser device: courier's link shaper sits on TCP ports the browser's WebSockets do not use`,
          'a simulated device',
          device,
          'browser devices cannot be shaped yet: DevTools throttling does not delay WebSocket frames (README: A web client in Chromium)'
        )
      if (node != null) needNode(['timeline', index, 'link', 'node'], node)
    }
    if (entry.flow != null) needDevice(['timeline', index, 'flow', 'device'], entry.flow.device)
    if (entry.block != null) {
      needDevice(['timeline', index, 'block', 'device'], entry.block.device)
      const { nodes: blocked, addresses } = entry.block
      if ((blocked == null) === (addresses == null))
        problem(
          ['timeline', index, 'block'],
          blocked == null ? 'block needs nodes or addresses' : 'block takes nodes or addresses, not both',
          'nodes: bootstrap, nodes: [relay-1], or addresses: ["127.0.0.1:60001"]',
          blocked == null ? 'neither' : 'both'
        )
      if (blocked == null) {
        // addresses are matched when the block starts: free ports are known only then
      } else if (blocked === 'bootstrap') {
        const device = config.devices[entry.block.device]
        if (device != null && device.driver !== 'simulated')
          problem(
            ['timeline', index, 'block', 'nodes'],
            `"${entry.block.device}" is a ${device.driver} device: courier knows the bootstrap list of simulated devices only`,
            'a list of nodes',
            'bootstrap',
            'name the nodes: nodes: [relay-1, relay-2]'
          )
      } else {
        blocked.forEach((node, n) => {
          needNode(['timeline', index, 'block', 'nodes', n], node)
        })
      }
    }
    entry.partition?.groups.forEach((group, g) => {
      group.forEach((member, m) => {
        if (member === 'rest' || devices.includes(member) || nodeNames.includes(member)) return
        problem(
          ['timeline', index, 'partition', 'groups', g, m],
          `no node or device named "${member}"`,
          'a node, a device, or rest',
          member,
          suggest(member, [...devices, ...nodeNames])
        )
      })
    })
  })
  problems.push(...checkNodeLinks(config, nodeNames, locate))
  return problems
}

/** `network.links` names fleet nodes that exist, and each pair of nodes at most once. */
function checkNodeLinks(config: ScenarioConfig, nodeNames: string[], locate: LoadedScenario['locate']): InputProblem[] {
  const links = config.network.links
  if (links == null) return []
  const problems: InputProblem[] = []
  const expected = `one of: ${nodeNames.join(', ')}`
  const fallback = 'nodes are named relay-1..N, store-1..N and crowd-1..N after network: and crowd:'
  for (const node of Object.keys(links.nodes)) {
    if (nodeNames.includes(node)) continue
    const path = ['network', 'links', 'nodes', node]
    problems.push({
      location: locate(path, 'key'),
      path: formatPath(path),
      message: `no node named "${node}"`,
      expected,
      found: node,
      hint: suggest(node, nodeNames) ?? fallback
    })
  }
  const seen = new Map<string, number>()
  links.between.forEach((entry, index) => {
    for (const end of ['a', 'b'] as const) {
      const path = ['network', 'links', 'between', index, end]
      if (!nodeNames.includes(entry[end]))
        problems.push({
          location: locate(path),
          path: formatPath(path),
          message: `no node named "${entry[end]}"`,
          expected,
          found: entry[end],
          hint: suggest(entry[end], nodeNames) ?? fallback
        })
    }
    const path = ['network', 'links', 'between', index]
    if (entry.a === entry.b)
      problems.push({
        location: locate([...path, 'b']),
        path: formatPath([...path, 'b']),
        message: 'a link joins two different nodes',
        expected: `a node other than ${entry.a}`,
        found: entry.b
      })
    const key = [entry.a, entry.b].sort().join(' ')
    const earlier = seen.get(key)
    if (earlier != null)
      problems.push({
        location: locate(path),
        path: formatPath(path),
        message: `${entry.a} and ${entry.b} already have a link (between[${earlier}])`,
        expected: 'each pair of nodes once',
        found: `${entry.a}, ${entry.b} again`,
        hint: "a preset's up and down already give the two directions; remove one entry"
      })
    else seen.set(key, index)
  })
  return problems
}

/**
 * Where a path named in a scenario (a device profile, a flow spec) may be: relative to the
 * scenario file's folder first, then to the current directory.
 */
export function userFileCandidates(path: string, scenarioFile: string): string[] {
  if (isAbsolute(path)) return [path]
  return [...new Set([resolve(dirname(scenarioFile), path), resolve(path)])]
}

/** The first of `userFileCandidates` that exists. */
export function findUserFile(path: string, scenarioFile: string): string | undefined {
  return userFileCandidates(path, scenarioFile).find((candidate) => existsSync(candidate))
}

const FLOW_EXTENSIONS = ['.js', '.mjs', '.cjs']

/** Flows run on appium devices only, from a spec file that exists, within the traffic phase, one name per spec. */
function checkFlows(config: ScenarioConfig, file: string, locate: LoadedScenario['locate']): InputProblem[] {
  const problems: InputProblem[] = []
  const specOfName = new Map<string, string>()
  config.timeline.forEach((entry, index) => {
    const flow = entry.flow
    if (flow == null) return
    const at = (...rest: Array<string | number>): { location: SourceLocation; path: string } => {
      const path = ['timeline', index, 'flow', ...rest]
      return { location: locate(path), path: formatPath(path) }
    }
    const device = config.devices[flow.device]
    if (device != null && device.driver !== 'appium') {
      const appium = Object.entries(config.devices)
        .filter(([, d]) => d.driver === 'appium')
        .map(([n]) => n)
      problems.push({
        ...at('device'),
        message: `flows run on appium devices only; "${flow.device}" is a ${device.driver} device`,
        expected: "an appium device (driver: appium): a flow drives an app's UI through WebdriverIO",
        found: `${flow.device} (driver: ${device.driver})`,
        hint:
          appium.length > 0
            ? `appium devices here: ${appium.join(', ')}`
            : 'add a device with driver: appium and a profile (devices/profiles/courier-ci.yaml runs without a phone)'
      })
    }
    const ext = extname(flow.spec).toLowerCase()
    if (!FLOW_EXTENSIONS.includes(ext)) {
      problems.push({
        ...at('spec'),
        message: 'not a JavaScript spec file',
        expected: `a Mocha spec ending in ${FLOW_EXTENSIONS.join(', ')}`,
        found: flow.spec,
        hint: ext === '.ts' || ext === '.mts' || ext === '.cts' ? 'compile TypeScript flows first (tsc) and name the .js file here' : undefined
      })
    } else if (findUserFile(flow.spec, file) == null) {
      problems.push({
        ...at('spec'),
        message: 'flow spec not found',
        expected: 'a Mocha spec file',
        found: flow.spec,
        hint: `looked for ${userFileCandidates(flow.spec, file).join(' and ')}`
      })
    }
    const name = flowName(flow)
    if (!FLOW_NAME.test(name)) {
      problems.push({
        ...at('spec'),
        message: `the flow's name "${name}" (from its file name) cannot name a metric`,
        expected: 'letters, digits, - and _',
        found: name,
        hint: 'give the flow a name: { name: sign-in, ... }'
      })
    } else {
      const other = specOfName.get(name)
      if (other != null && other !== flow.spec)
        problems.push({
          ...at(flow.name != null ? 'name' : 'spec'),
          message: `two different specs are both named "${name}"`,
          expected: 'one name per spec (flow.<name>.duration must mean one flow)',
          found: `${other} and ${flow.spec}`,
          hint: 'give one of them another name: { name: ..., spec: ... }'
        })
      specOfName.set(name, flow.spec)
    }
    if (flow.timeout != null && entry.at + flow.timeout > config.duration) {
      problems.push({
        ...at('timeout'),
        message: 'the flow could run past the end of the traffic phase',
        expected: `at most ${(config.duration - entry.at) / 1000}s (duration minus at)`,
        found: `${flow.timeout / 1000}s`,
        hint: 'lengthen duration:, start the flow earlier, or shorten its timeout'
      })
    }
  })
  return problems
}

function unionWords(path: FieldPath, _found: unknown): { expected?: string; message?: string } | undefined {
  if (path.at(-1) === 'driver') {
    return { expected: 'one of: "simulated", "appium", "browser", "js-waku"', message: 'not an accepted driver' }
  }
  return { expected: unionHint(path) }
}

function unionHint(path: FieldPath): string | undefined {
  const last = path.at(-1)
  if (last === 'size') return 'a size such as 300B, or { median: 300B, p99: 4kB }'
  if (last === 'kill') return 'a node name (store-1) or { node: store-1, for: 30s }'
  if (last === 'storeSync') return 'off, or how often stores sync, such as 3s'
  if (last === 'switchAfter') return 'a number of failed requests from 1 to 10, or never'
  if (last === 'link' || last === 'to' || last === 'default') return 'a preset (3g, lte, wifi, congested-wifi, perfect) or { latency, jitter, loss, bandwidth }'
  return undefined
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i + 1)
}

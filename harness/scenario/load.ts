import { readFile } from 'node:fs/promises'
import { closest, distance } from 'fastest-levenshtein'
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node as YamlNode } from 'yaml'
import type { z } from 'zod'
import { InvalidInputError, type InputProblem, type SourceLocation } from '../interface/index.js'
import { scenarioSchema, TIMELINE_ACTIONS, type ScenarioConfig } from './schema.js'

export type FieldPath = ReadonlyArray<string | number>

/** A validated scenario with its defaults resolved, and a way back to where each field was written. */
export interface LoadedScenario {
  file: string
  config: ScenarioConfig
  /** Node names the timeline may address. */
  nodes: { relays: string[], stores: string[], gateways: string[] }
  /** Every topic in the scenario: the crowd's, the devices', the sends'. */
  topics: string[]
  /** Line and column of a field (or its nearest written parent) in the scenario file. */
  locate(path: FieldPath, which?: 'key' | 'value'): SourceLocation
}

/** Device names that would collide with metric name segments. */
const RESERVED_DEVICE_NAMES = new Set(['latency', 'renderlatency', 'loss', 'lost', 'expected', 'delivered', 'duplicates', 'crowd', 'all'])

export async function loadScenarioFile (file: string): Promise<LoadedScenario> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw new InvalidInputError([{
      location: { file },
      path: '',
      message: code === 'ENOENT' ? 'file not found' : code === 'EISDIR' ? 'is a directory, not a scenario file' : `cannot read the file (${code ?? String(error)})`,
      hint: 'pass the path of a scenario YAML file, e.g. scenarios/smoke.yaml'
    }])
  }
  return parseScenario(text, file)
}

export function parseScenario (text: string, file: string): LoadedScenario {
  const lineCounter = new LineCounter()
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true })
  const locateOffset = (offset: number): SourceLocation => {
    const { line, col } = lineCounter.linePos(offset)
    return { file, line, column: col }
  }
  if (doc.errors.length > 0) {
    throw new InvalidInputError(doc.errors.map((error) => ({
      location: locateOffset(error.pos[0]),
      path: '',
      message: `YAML syntax: ${error.message.split('\n')[0]}`,
      hint: error.code === 'DUPLICATE_KEY' ? 'remove one of the two keys' : 'check indentation and quoting around this line'
    })))
  }
  const raw: unknown = doc.toJS()
  const locate = (path: FieldPath, which: 'key' | 'value' = 'value'): SourceLocation => locateIn(doc, path, which, locateOffset, file)

  if (raw == null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new InvalidInputError([{ location: { file, line: 1, column: 1 }, path: '', message: 'a scenario must be a YAML mapping', expected: 'keys such as name, duration, network, devices, timeline, expect', found: describe(raw) }])
  }

  const parsed = scenarioSchema.safeParse(raw)
  if (!parsed.success) {
    throw new InvalidInputError(parsed.error.issues.flatMap((issue) => problemsFromIssue(issue, raw, locate)))
  }
  const config = parsed.data
  const nodes = {
    relays: range(config.network.relays).map((i) => `relay-${i}`),
    stores: range(config.network.stores).map((i) => `store-${i}`),
    gateways: config.crowd == null ? [] : range(config.crowd.gateways).map((i) => `crowd-${i}`)
  }
  const problems = checkReferences(config, nodes, locate)
  if (problems.length > 0) throw new InvalidInputError(problems)

  const topics = new Set<string>()
  if (config.crowd != null) topics.add(config.crowd.topic)
  for (const device of Object.values(config.devices)) for (const topic of device.topics ?? []) topics.add(topic)
  for (const entry of config.timeline) if (entry.send?.topic != null) topics.add(entry.send.topic)
  if (topics.size === 0) topics.add('default')
  return { file, config, nodes, topics: [...topics], locate }
}

function checkReferences (config: ScenarioConfig, nodes: LoadedScenario['nodes'], locate: LoadedScenario['locate']): InputProblem[] {
  const problems: InputProblem[] = []
  const devices = Object.keys(config.devices)
  const nodeNames = [...nodes.relays, ...nodes.stores, ...nodes.gateways]
  const problem = (path: FieldPath, message: string, expected: string, found: string, hint?: string): void => {
    problems.push({ location: locate(path), path: formatPath(path), message, expected, found, hint })
  }
  for (const device of devices) {
    const deviceConfig = config.devices[device]
    const preferred = deviceConfig.driver === 'simulated' ? deviceConfig.store : undefined
    if (preferred != null && !nodes.stores.includes(preferred)) problem(['devices', device, 'store'], `no store node named "${preferred}"`, `one of: ${nodes.stores.join(', ') || '(no stores)'}`, preferred, suggest(preferred, nodes.stores))
    if (RESERVED_DEVICE_NAMES.has(device.toLowerCase())) problem(['devices', device], `"${device}" is reserved (it names a metric)`, 'another device name', device)
    if (nodeNames.includes(device)) problem(['devices', device], `"${device}" is also the name of a fleet node`, 'a name not used by a node', device)
  }
  const needDevice = (path: FieldPath, name: string): void => {
    if (!devices.includes(name)) problem(path, `no device named "${name}"`, devices.length > 0 ? `one of: ${devices.join(', ')}` : 'a device declared under devices:', name, suggest(name, devices))
  }
  const needNode = (path: FieldPath, name: string): void => {
    if (!nodeNames.includes(name)) problem(path, `no node named "${name}"`, `one of: ${nodeNames.join(', ')}`, name, suggest(name, nodeNames) ?? 'nodes are named relay-1..N, store-1..N and crowd-1..N after network: and crowd:')
  }
  config.timeline.forEach((entry, index) => {
    const actions = TIMELINE_ACTIONS.filter((key) => entry[key] !== undefined)
    if (actions.length !== 1) {
      problem(['timeline', index], actions.length === 0 ? 'a timeline entry needs an action' : `one action per entry, found ${actions.join(' and ')}`, `exactly one of: ${TIMELINE_ACTIONS.join(', ')}`, actions.length === 0 ? 'none' : actions.join(', '), 'split it into one entry per action')
    }
    if (entry.at > config.duration) problem(['timeline', index, 'at'], 'action is after the end of the scenario', `at most the duration (${config.duration / 1000}s)`, `${entry.at / 1000}s`, 'lengthen duration: or move the action earlier')
    if (entry.send != null) {
      needDevice(['timeline', index, 'send', 'from'], entry.send.from)
      if (entry.send.topic == null && config.crowd == null) problem(['timeline', index, 'send'], 'send has no topic and the scenario has no crowd topic to default to', 'a topic: field', 'none')
    }
    if (entry.offline != null) needDevice(['timeline', index, 'offline', 'device'], entry.offline.device)
    if (entry.online != null) needDevice(['timeline', index, 'online', 'device'], entry.online.device)
    if (entry.kill != null) needNode(['timeline', index, 'kill'], typeof entry.kill === 'string' ? entry.kill : entry.kill.node)
    if (entry.restart != null) needNode(['timeline', index, 'restart'], entry.restart)
    const stores = nodes.stores
    const needStore = (path: FieldPath, store: string): void => {
      if (!stores.includes(store)) problem(path, `no store node named "${store}"`, stores.length > 0 ? `one of: ${stores.join(', ')}` : 'a store (network.stores > 0)', store, suggest(store, stores))
    }
    if (entry.desync != null) needStore(['timeline', index, 'desync', 'store'], entry.desync.store)
    if (entry.slow != null) needStore(['timeline', index, 'slow', 'store'], entry.slow.store)
    if (entry.skew != null) needDevice(['timeline', index, 'skew', 'device'], entry.skew.device)
    if (entry.link != null) needDevice(['timeline', index, 'link', 'device'], entry.link.device)
    entry.partition?.groups.forEach((group, g) => {
      group.forEach((member, m) => {
        if (member === 'rest' || devices.includes(member) || nodeNames.includes(member)) return
        problem(['timeline', index, 'partition', 'groups', g, m], `no node or device named "${member}"`, 'a node, a device, or rest', member, suggest(member, [...devices, ...nodeNames]))
      })
    })
  })
  return problems
}

function problemsFromIssue (issue: z.core.$ZodIssue, raw: unknown, locate: LoadedScenario['locate']): InputProblem[] {
  const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol')
  if (issue.code === 'unrecognized_keys') {
    const known = knownKeysAt(path)
    return issue.keys.map((key) => {
      const suggestion = suggest(key, known)
      return {
        location: locate([...path, key], 'key'),
        path: formatPath([...path, key]),
        message: `unknown key "${key}"`,
        expected: known.length > 0 ? `one of: ${known.join(', ')}` : undefined,
        found: key,
        hint: suggestion
      }
    })
  }
  const found = valueAt(raw, path)
  let expected: string | undefined
  let message = issue.message
  if (issue.code === 'invalid_type') {
    expected = issue.expected
    message = found === undefined ? 'required field is missing' : `wrong type: expected ${issue.expected}, found ${describe(found)}`
  } else if (issue.code === 'custom') {
    expected = (issue.params as { expected?: string } | undefined)?.expected
  } else if (issue.code === 'too_small' || issue.code === 'too_big') {
    const bound = issue.code === 'too_small' ? `at least ${String(issue.minimum)}` : `at most ${String(issue.maximum)}`
    expected = bound
    message = `out of range: ${bound}`
  } else if (issue.code === 'invalid_value') {
    expected = `one of: ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`
    message = 'not an accepted value'
  } else if (issue.code === 'invalid_union') {
    message = 'does not match any accepted form'
    expected = unionHint(path)
    if (path.at(-1) === 'driver') {
      expected = 'one of: "simulated", "appium"'
      message = found === 'browser' ? 'driver "browser" is not available in this version of courier' : 'not an accepted driver'
    }
  } else if (issue.code === 'invalid_format') {
    expected = issue.message
    message = 'wrong format'
  }
  return [{
    location: locate(path),
    path: formatPath(path),
    message,
    expected,
    found: found === undefined ? undefined : describe(found)
  }]
}

function unionHint (path: FieldPath): string | undefined {
  const last = path.at(-1)
  if (last === 'size') return 'a size such as 300B, or { median: 300B, p99: 4kB }'
  if (last === 'kill') return 'a node name (store-1) or { node: store-1, for: 30s }'
  return undefined
}

/** The keys an object schema accepts at `path`, for did-you-mean. */
function knownKeysAt (path: FieldPath): string[] {
  let schema: unknown = unwrap(scenarioSchema)
  for (const segment of path) {
    const def = defOf(schema)
    if (def?.type === 'object') schema = (def.shape as Record<string, unknown>)[segment as string]
    else if (def?.type === 'array') schema = def.element
    else if (def?.type === 'record') schema = def.valueType
    else return []
    schema = unwrap(schema)
  }
  const def = defOf(schema)
  return def?.type === 'object' ? Object.keys(def.shape as object) : []
}

/** Sees through wrappers (optional, defaults, transforms) and picks the object form of a union. */
function unwrap (schema: unknown): unknown {
  const def = defOf(schema)
  if (def == null) return schema
  if (def.type === 'optional' || def.type === 'default' || def.type === 'prefault' || def.type === 'nullable') return unwrap(def.innerType)
  if (def.type === 'pipe') return unwrap(def.in)
  if (def.type === 'union') {
    const objectForms = (def.options as unknown[]).map(unwrap).filter((option) => defOf(option)?.type === 'object')
    // a union of several object forms (devices by driver) offers every form's keys for did-you-mean
    if (objectForms.length > 1) return { _zod: { def: { type: 'object', shape: Object.assign({}, ...objectForms.map((form) => defOf(form)?.shape)) } } }
    return objectForms[0] ?? schema
  }
  return schema
}

function defOf (schema: unknown): Record<string, unknown> | undefined {
  return (schema as { _zod?: { def?: Record<string, unknown> } } | undefined)?._zod?.def
}

export function suggest (word: string, candidates: readonly string[]): string | undefined {
  if (candidates.length === 0) return undefined
  const best = closest(word, candidates as string[])
  const limit = Math.max(2, Math.floor(word.length / 3))
  return distance(word, best) <= limit ? `did you mean "${best}"?` : undefined
}

export function formatPath (path: FieldPath): string {
  let text = ''
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`
    else text += text === '' ? segment : `.${segment}`
  }
  return text
}

function valueAt (raw: unknown, path: FieldPath): unknown {
  let value = raw
  for (const segment of path) {
    if (value == null || typeof value !== 'object') return undefined
    value = (value as Record<string | number, unknown>)[segment]
  }
  return value
}

export function describe (value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'a list'
  if (typeof value === 'object') return 'a mapping'
  if (typeof value === 'string') return JSON.stringify(value)
  return `${typeof value} ${String(value)}`
}

export function locateIn (doc: Document, path: FieldPath, which: 'key' | 'value', locateOffset: (offset: number) => SourceLocation, file: string): SourceLocation {
  // walk down as far as the document goes: a missing field is reported at its parent
  let node: YamlNode | null = doc.contents as YamlNode | null
  let keyNode: YamlNode | null = null
  for (const segment of path) {
    if (isMap(node)) {
      const pair = node.items.find((item) => isPair(item) && isScalar(item.key) && String(item.key.value) === String(segment))
      if (pair == null) break
      keyNode = pair.key as YamlNode
      node = (pair.value as YamlNode | null) ?? keyNode
    } else if (isSeq(node) && typeof segment === 'number' && node.items[segment] != null) {
      keyNode = null
      node = node.items[segment] as YamlNode
    } else {
      break
    }
  }
  const target = which === 'key' && keyNode != null ? keyNode : node
  const offset = target?.range?.[0]
  return offset == null ? { file, line: 1, column: 1 } : locateOffset(offset)
}

function range (n: number): number[] {
  return Array.from({ length: n }, (_, i) => i + 1)
}

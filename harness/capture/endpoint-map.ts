import { isIP } from 'node:net'
import { LineCounter, parseDocument, isMap, isPair, isScalar, type Document, type Node } from 'yaml'
import { z } from 'zod'
import { closest } from 'fastest-levenshtein'
import { InvalidInputError, readUserTextFile, type InputProblem } from '../interface/index.js'

/** Who an endpoint is, as a map file names it. */
export interface EndpointName {
  name: string
  role?: string
}

/**
 * A map file, parsed: names for endpoints and labels for ports. Endpoint keys are normalised
 * `ip:port` (IPv6 as `[ip]:port`) or a bare `ip`; protocol keys are `tcp/PORT`, `udp/PORT` or
 * `*\/PORT` (any transport).
 */
export interface EndpointMap {
  endpoints: Map<string, EndpointName>
  protocols: Map<string, string>
}

/** An empty map: nothing is named beyond courier's built-in port labels. */
export function emptyEndpointMap(): EndpointMap {
  return { endpoints: new Map(), protocols: new Map() }
}

const TOP_LEVEL_KEYS = ['endpoints', 'protocols'] as const

const nameSchema = z.string().min(1, 'must not be empty')
const endpointSchema = z
  .object({
    name: nameSchema,
    role: nameSchema.optional()
  })
  .strict()
const mapSchema = z
  .object({
    endpoints: z.record(z.string(), endpointSchema).optional(),
    protocols: z.record(z.string(), nameSchema).optional()
  })
  .strict()

/** Reads and validates a map file; every problem is reported with its line and field. */
export async function loadEndpointMap(file: string): Promise<EndpointMap> {
  return parseEndpointMap(readUserTextFile(file, { kind: 'map file', hint: 'a YAML map file (harness/capture/README.md)' }), file)
}

/**
 * Parses a map file's text:
 * ```yaml
 * endpoints:
 *   "127.0.0.1:60001": { name: store-1, role: store }
 *   "10.0.0.7": { name: phone }            # any port of that address
 * protocols:
 *   60001: waku-store                      # either transport
 *   udp/9000: discv5
 * ```
 */
export function parseEndpointMap(text: string, file: string): EndpointMap {
  const lineCounter = new LineCounter()
  const doc = parseDocument(text, { lineCounter, prettyErrors: false })
  const at = (offset: number | undefined): { file: string; line?: number; column?: number } => {
    if (offset == null) return { file }
    const { line, col } = lineCounter.linePos(offset)
    return { file, line, column: col }
  }
  if (doc.errors.length > 0) {
    throw new InvalidInputError(
      doc.errors.map((e) => ({
        location: at(e.pos[0]),
        path: '',
        message: `YAML syntax: ${e.message.split('\n')[0]}`
      }))
    )
  }
  let value: unknown
  try {
    value = doc.toJS({ maxAliasCount: 100 }) ?? {}
  } catch (error) {
    if (!(error instanceof ReferenceError)) throw error
    throw new InvalidInputError([
      {
        location: { file, line: 1, column: 1 },
        path: '',
        message: /alias count/i.test(error.message) ? 'YAML aliases expand too much (an alias bomb)' : `YAML: ${error.message}`,
        expected: 'at most 100 alias expansions'
      }
    ])
  }
  const problems: InputProblem[] = []
  const parsed = mapSchema.safeParse(value)
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const path = issue.path.map(String)
      if (issue.code === 'unrecognized_keys') {
        for (const key of issue.keys) {
          const allowed: readonly string[] = path.length === 0 ? TOP_LEVEL_KEYS : ['name', 'role']
          problems.push({
            location: at(keyOffset(doc, [...path, key])),
            path: [...path, key].join('.'),
            message: 'unknown field',
            expected: allowed.join(' or '),
            found: key,
            hint: `did you mean \`${closest(key, [...allowed])}\`?`
          })
        }
        continue
      }
      problems.push({
        location: at(valueOffset(doc, path)),
        path: path.join('.'),
        message: issue.message,
        ...(issue.code === 'invalid_type' ? { expected: issue.expected, found: describe(valueAt(value, path)) } : {})
      })
    }
    throw new InvalidInputError(problems)
  }

  const map = emptyEndpointMap()
  for (const [key, entry] of Object.entries(parsed.data.endpoints ?? {})) {
    const normalised = normaliseEndpointKey(key)
    if (normalised == null) {
      problems.push({
        location: at(keyOffset(doc, ['endpoints', key])),
        path: `endpoints.${key}`,
        message: 'not an endpoint address',
        expected: '"IP:PORT" (e.g. "127.0.0.1:60001"), "[IPv6]:PORT" or a bare IP',
        found: JSON.stringify(key)
      })
      continue
    }
    if (map.endpoints.has(normalised)) {
      problems.push({ location: at(keyOffset(doc, ['endpoints', key])), path: `endpoints.${key}`, message: `the same endpoint as another key (${normalised})` })
      continue
    }
    map.endpoints.set(normalised, entry.role == null ? { name: entry.name } : { name: entry.name, role: entry.role })
  }
  for (const [key, label] of Object.entries(parsed.data.protocols ?? {})) {
    const match = /^(?:(tcp|udp|\*)\/)?(\d{1,5})$/.exec(key.trim())
    const port = match == null ? NaN : Number(match[2])
    if (match == null || port < 1 || port > 65535) {
      problems.push({
        location: at(keyOffset(doc, ['protocols', key])),
        path: `protocols.${key}`,
        message: 'not a port',
        expected: 'PORT, tcp/PORT or udp/PORT with PORT in 1..65535',
        found: JSON.stringify(key)
      })
      continue
    }
    map.protocols.set(`${match[1] ?? '*'}/${port}`, label)
  }
  // JavaScript objects list integer-like keys first; report in the order of the file
  problems.sort((x, y) => (x.location.line ?? 0) - (y.location.line ?? 0))
  if (problems.length > 0) throw new InvalidInputError(problems)
  return map
}

/** `ip:port` / `[ip6]:port` / `ip` in the form the analysis keys endpoints by; null if malformed. */
export function normaliseEndpointKey(key: string): string | null {
  const text = key.trim()
  const bracketed = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(text)
  if (bracketed != null) {
    if (isIP(bracketed[1]) !== 6) return null
    return withPort(canonicalIp(bracketed[1]), bracketed[2], true)
  }
  if (isIP(text) !== 0) return canonicalIp(text)
  const hostPort = /^([^:]+):(\d{1,5})$/.exec(text)
  if (hostPort != null && isIP(hostPort[1]) === 4) return withPort(hostPort[1], hostPort[2], false)
  return null
}

/** The key the analysis uses for an endpoint: what a map file names. */
export function endpointKey(ip: string, port: number | undefined): string {
  if (port === undefined) return ip
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`
}

function withPort(ip: string, port: string | undefined, v6: boolean): string | null {
  if (port === undefined) return ip
  const n = Number(port)
  if (n < 0 || n > 65535) return null
  return v6 ? `[${ip}]:${n}` : `${ip}:${n}`
}

function canonicalIp(ip: string): string {
  if (isIP(ip) !== 6) return ip
  // the same text form the reader produces (RFC 5952), via the URL parser's canonicaliser
  return new URL(`http://[${ip}]/`).hostname.slice(1, -1)
}

function keyOffset(doc: Document, path: string[]): number | undefined {
  const parent = path.length === 1 ? doc.contents : doc.getIn(path.slice(0, -1), true)
  if (isMap(parent)) {
    for (const item of parent.items) {
      if (isPair(item) && isScalar(item.key) && String(item.key.value) === path[path.length - 1]) return item.key.range?.[0]
    }
  }
  return valueOffset(doc, path)
}

function valueOffset(doc: Document, path: string[]): number | undefined {
  for (let n = path.length; n >= 0; n--) {
    const node = (n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true)) as Node | null | undefined
    if (node?.range != null) return node.range[0]
  }
  return undefined
}

function valueAt(value: unknown, path: string[]): unknown {
  let v = value
  for (const key of path) v = (v as Record<string, unknown> | null | undefined)?.[key]
  return v
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing'
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'a list'
  if (typeof value === 'object') return 'a mapping'
  return `${typeof value} ${JSON.stringify(value)}`
}

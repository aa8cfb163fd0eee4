import { closest, distance } from 'fastest-levenshtein'
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, visit, type Document, type Node as YamlNode } from 'yaml'
import type { z } from 'zod'
import { InvalidInputError, readUserTextFile, type InputProblem, type SourceLocation } from '../interface/index.js'

/**
 * What every user-written YAML file of courier (scenarios, device profiles) goes through: read,
 * parse with positions, validate with a zod schema, and turn every problem into file:line:column,
 * the field, what was expected, what was found, and a did-you-mean.
 */

export type FieldPath = ReadonlyArray<string | number>
export type Locate = (path: FieldPath, which?: 'key' | 'value') => SourceLocation

export interface YamlSource {
  raw: unknown
  locate: Locate
}

/**
 * Reads a user's file: a regular file of at most 1 MiB of UTF-8 text (README: Limits); anything
 * else (missing, a FIFO, /dev/zero, UTF-16) is an InvalidInputError naming it.
 */
export async function readUserFile(file: string, what: { kind: string; hint: string }): Promise<string> {
  return readUserTextFile(file, what)
}

/** Aliases a document may expand: a "billion laughs" file is refused long before it costs memory. */
export const MAX_YAML_ALIASES = 100

/** Parses YAML keeping positions; syntax errors and a non-mapping document are InvalidInputErrors. */
export function parseYamlSource(text: string, file: string, what: { kind: string; expectedKeys: string }): YamlSource {
  const lineCounter = new LineCounter()
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true })
  const locateOffset = (offset: number): SourceLocation => {
    const { line, col } = lineCounter.linePos(offset)
    return { file, line, column: col }
  }
  if (doc.errors.length > 0) {
    if (doc.errors.some((error) => /call stack/i.test(error.message))) {
      throw new InvalidInputError([
        {
          location: locateOffset(doc.errors[0].pos[0]),
          path: '',
          message: 'YAML nested too deeply for courier to read',
          hint: 'a scenario needs a few levels of nesting; check for runaway [ or { brackets'
        }
      ])
    }
    throw new InvalidInputError(
      doc.errors.map((error) => ({
        location: locateOffset(error.pos[0]),
        path: '',
        message: `YAML syntax: ${error.message.split('\n')[0]}`,
        hint: error.code === 'DUPLICATE_KEY' ? 'remove one of the two keys' : 'check indentation and quoting around this line'
      }))
    )
  }
  const protoKey = findKey(doc, '__proto__')
  if (protoKey != null) {
    // JavaScript would drop it (or change what the map inherits) without a word
    throw new InvalidInputError([
      { location: locateOffset(protoKey), path: '', message: '"__proto__" cannot be a key', expected: 'another name', found: '__proto__' }
    ])
  }
  let raw: unknown
  try {
    raw = doc.toJS({ maxAliasCount: MAX_YAML_ALIASES })
  } catch (error) {
    if (!(error instanceof ReferenceError)) throw error
    // the yaml library's alias-count guard (or an alias to an anchor that does not exist)
    const bomb = /alias count/i.test(error.message)
    throw new InvalidInputError([
      {
        location: { file, line: 1, column: 1 },
        path: '',
        message: bomb ? 'YAML aliases expand too much (an alias bomb)' : `YAML: ${error.message}`,
        expected: bomb ? `at most ${MAX_YAML_ALIASES} alias expansions` : undefined,
        hint: bomb ? 'write the repeated parts out, or use fewer *alias references' : undefined
      }
    ])
  }
  if (raw == null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new InvalidInputError([
      {
        location: { file, line: 1, column: 1 },
        path: '',
        message: `a ${what.kind} must be a YAML mapping`,
        expected: `keys such as ${what.expectedKeys}`,
        found: describe(raw)
      }
    ])
  }
  return { raw, locate: (path, which = 'value') => locateIn(doc, path, which, locateOffset, file) }
}

/** Offset of the first mapping key equal to `key`, anywhere in the document. */
function findKey(doc: Document, key: string): number | undefined {
  let offset: number | undefined
  visit(doc, {
    Pair(_, pair) {
      if (isScalar(pair.key) && pair.key.value === key) {
        offset = pair.key.range?.[0] ?? 0
        return visit.BREAK
      }
      return undefined
    }
  })
  return offset
}

export interface ZodProblemOptions {
  /** What a union field accepts, in words (and a better message), for an error at `path`. */
  union?: (path: FieldPath, found: unknown) => { expected?: string; message?: string } | undefined
}

/** Turns zod's issues into problems a person can act on. */
export function zodProblems(issues: readonly z.core.$ZodIssue[], root: unknown, source: YamlSource, options: ZodProblemOptions = {}): InputProblem[] {
  return issues.flatMap((issue) => problemsOf(issue, root, source, options))
}

function problemsOf(issue: z.core.$ZodIssue, root: unknown, { raw, locate }: YamlSource, options: ZodProblemOptions): InputProblem[] {
  const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol')
  if (issue.code === 'unrecognized_keys') {
    const known = knownKeysAt(root, path)
    return issue.keys.map((key) => ({
      location: locate([...path, key], 'key'),
      path: formatPath([...path, key]),
      message: `unknown key "${key}"`,
      expected: known.length > 0 ? `one of: ${known.join(', ')}` : undefined,
      found: key,
      hint: suggest(key, known)
    }))
  }
  if (issue.code === 'invalid_key') {
    // a map key (a device name, a profile element name) that its pattern refuses: point at the key
    const key = String(path.at(-1) ?? '')
    return [
      { location: locate(path, 'key'), path: formatPath(path), message: `"${key}" is not an accepted name`, expected: issue.issues[0]?.message, found: key }
    ]
  }
  const found = valueAt(raw, path)
  let expected: string | undefined
  let message = issue.message
  let hint: string | undefined
  if (issue.code === 'invalid_type') {
    expected = issue.expected
    message = found === undefined ? 'required field is missing' : `wrong type: expected ${issue.expected}, found ${describe(found)}`
  } else if (issue.code === 'custom') {
    expected = (issue.params as { expected?: string } | undefined)?.expected
  } else if (issue.code === 'too_small' || issue.code === 'too_big') {
    expected = issue.code === 'too_small' ? `at least ${String(issue.minimum)}` : `at most ${String(issue.maximum)}`
    message = found === '' ? 'must not be empty' : `out of range: ${expected}`
  } else if (issue.code === 'invalid_value') {
    const values = issue.values.map(String)
    expected = `one of: ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`
    message = 'not an accepted value'
    hint = typeof found === 'string' ? suggest(found, values) : undefined
  } else if (issue.code === 'invalid_union') {
    const words = options.union?.(path, found)
    message = words?.message ?? 'does not match any accepted form'
    expected = words?.expected
  } else if (issue.code === 'invalid_format') {
    expected = issue.message
    message = 'wrong format'
  }
  return [{ location: locate(path), path: formatPath(path), message, expected, found: found === undefined ? undefined : describe(found), hint }]
}

/** The keys an object schema accepts at `path`, for did-you-mean (every form of a union counts). */
export function knownKeysAt(root: unknown, path: FieldPath): string[] {
  let candidates = forms(root)
  for (const segment of path) {
    candidates = candidates.flatMap((schema) => {
      const def = defOf(schema)
      if (def?.type === 'object') return forms((def.shape as Record<string, unknown>)[segment as string])
      if (def?.type === 'array') return forms(def.element)
      if (def?.type === 'record') return forms(def.valueType)
      return []
    })
  }
  return [
    ...new Set(
      candidates.flatMap((schema) => {
        const def = defOf(schema)
        return def?.type === 'object' ? Object.keys(def.shape as object) : []
      })
    )
  ]
}

/** Sees through wrappers (optional, defaults, transforms); a union gives each of its forms. */
function forms(schema: unknown): unknown[] {
  const def = defOf(schema)
  if (def == null) return schema == null ? [] : [schema]
  if (def.type === 'optional' || def.type === 'default' || def.type === 'prefault' || def.type === 'nullable') return forms(def.innerType)
  if (def.type === 'pipe') return forms(def.in)
  if (def.type === 'union') return (def.options as unknown[]).flatMap(forms)
  return [schema]
}

function defOf(schema: unknown): Record<string, unknown> | undefined {
  return (schema as { _zod?: { def?: Record<string, unknown> } } | undefined)?._zod?.def
}

export function suggest(word: string, candidates: readonly string[]): string | undefined {
  if (candidates.length === 0) return undefined
  const best = closest(word, candidates as string[])
  const limit = Math.max(2, Math.floor(word.length / 3))
  return distance(word, best) <= limit ? `did you mean "${best}"?` : undefined
}

export function formatPath(path: FieldPath): string {
  let text = ''
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`
    else text += text === '' ? segment : `.${segment}`
  }
  return text
}

export function valueAt(raw: unknown, path: FieldPath): unknown {
  let value = raw
  for (const segment of path) {
    if (value == null || typeof value !== 'object') return undefined
    value = (value as Record<string | number, unknown>)[segment]
  }
  return value
}

export function describe(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'a list'
  if (typeof value === 'object') return 'a mapping'
  if (typeof value === 'string') return JSON.stringify(value)
  return `${typeof value} ${String(value)}`
}

export function locateIn(
  doc: Document,
  path: FieldPath,
  which: 'key' | 'value',
  locateOffset: (offset: number) => SourceLocation,
  file: string
): SourceLocation {
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

import { readFile } from 'node:fs/promises'
import { closest, distance } from 'fastest-levenshtein'
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node as YamlNode } from 'yaml'
import type { z } from 'zod'
import { InvalidInputError, type InputProblem, type SourceLocation } from '../interface/index.js'

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

/** Reads a user's file; a missing or unreadable one is an InvalidInputError naming it. */
export async function readUserFile (file: string, what: { kind: string, hint: string }): Promise<string> {
  try {
    return await readFile(file, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw new InvalidInputError([{
      location: { file },
      path: '',
      message: code === 'ENOENT' ? `${what.kind} not found` : code === 'EISDIR' ? `is a directory, not a ${what.kind}` : `cannot read the ${what.kind} (${code ?? String(error)})`,
      hint: what.hint
    }])
  }
}

/** Parses YAML keeping positions; syntax errors and a non-mapping document are InvalidInputErrors. */
export function parseYamlSource (text: string, file: string, what: { kind: string, expectedKeys: string }): YamlSource {
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
  if (raw == null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new InvalidInputError([{ location: { file, line: 1, column: 1 }, path: '', message: `a ${what.kind} must be a YAML mapping`, expected: `keys such as ${what.expectedKeys}`, found: describe(raw) }])
  }
  return { raw, locate: (path, which = 'value') => locateIn(doc, path, which, locateOffset, file) }
}

export interface ZodProblemOptions {
  /** What a union field accepts, in words (and a better message), for an error at `path`. */
  union?: (path: FieldPath, found: unknown) => { expected?: string, message?: string } | undefined
}

/** Turns zod's issues into problems a person can act on. */
export function zodProblems (issues: readonly z.core.$ZodIssue[], root: unknown, source: YamlSource, options: ZodProblemOptions = {}): InputProblem[] {
  return issues.flatMap((issue) => problemsOf(issue, root, source, options))
}

function problemsOf (issue: z.core.$ZodIssue, root: unknown, { raw, locate }: YamlSource, options: ZodProblemOptions): InputProblem[] {
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
    return [{ location: locate(path, 'key'), path: formatPath(path), message: `"${key}" is not an accepted name`, expected: issue.issues[0]?.message, found: key }]
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
export function knownKeysAt (root: unknown, path: FieldPath): string[] {
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
  return [...new Set(candidates.flatMap((schema) => {
    const def = defOf(schema)
    return def?.type === 'object' ? Object.keys(def.shape as object) : []
  }))]
}

/** Sees through wrappers (optional, defaults, transforms); a union gives each of its forms. */
function forms (schema: unknown): unknown[] {
  const def = defOf(schema)
  if (def == null) return schema == null ? [] : [schema]
  if (def.type === 'optional' || def.type === 'default' || def.type === 'prefault' || def.type === 'nullable') return forms(def.innerType)
  if (def.type === 'pipe') return forms(def.in)
  if (def.type === 'union') return (def.options as unknown[]).flatMap(forms)
  return [schema]
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

export function valueAt (raw: unknown, path: FieldPath): unknown {
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

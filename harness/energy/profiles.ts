import { existsSync } from 'node:fs'
import { distance } from 'fastest-levenshtein'
import { LineCounter, parseDocument } from 'yaml'
import type { z } from 'zod'
import { InvalidInputError, readUserTextFile, type InputProblem } from '../interface/index.js'
import { radioProfileSchema, type RadioProfile } from './profile-schema.js'
import lte from './profiles/lte.json' with { type: 'json' }
import lteVideoOptimizer from './profiles/lte-video-optimizer.json' with { type: 'json' }
import umts from './profiles/3g.json' with { type: 'json' }
import umtsHuang from './profiles/3g-huang2012.json' with { type: 'json' }
import wifi from './profiles/wifi.json' with { type: 'json' }
import wifiHuang from './profiles/wifi-huang2012.json' with { type: 'json' }
import nr from './profiles/5g-nsa.json' with { type: 'json' }
import energyBox3g from './profiles/energybox-3g-teliasonera.json' with { type: 'json' }
import energyBoxWifi from './profiles/energybox-wifi-general.json' with { type: 'json' }

const BUILTIN_DATA: Record<string, unknown> = {
  lte,
  'lte-video-optimizer': lteVideoOptimizer,
  '3g': umts,
  '3g-huang2012': umtsHuang,
  wifi,
  'wifi-huang2012': wifiHuang,
  '5g-nsa': nr,
  'energybox-3g-teliasonera': energyBox3g,
  'energybox-wifi-general': energyBoxWifi
}

/** A built-in profile's name and provenance. */
export interface BuiltinProfileInfo {
  name: string
  model: RadioProfile['model']
  technology?: string
  description?: string
  source: string
  verified: boolean
}

const cache = new Map<string, RadioProfile>()

function builtin(name: string): RadioProfile {
  let p = cache.get(name)
  if (p === undefined) {
    p = parseRadioProfile(BUILTIN_DATA[name], `builtin:${name}`)
    cache.set(name, p)
  }
  // A copy, so a caller's edits (a what-if on one timer) do not leak into the next load.
  return structuredClone(p)
}

/** The built-in profiles, with source and verification status. */
export function listBuiltinProfiles(): BuiltinProfileInfo[] {
  return Object.keys(BUILTIN_DATA).map((name) => {
    const p = builtin(name)
    return { name, model: p.model, technology: p.technology, description: p.description, source: p.source, verified: p.verified }
  })
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing'
  const text = JSON.stringify(value)
  return text.length > 60 ? `${text.slice(0, 57)}...` : text
}

function valueAt(root: unknown, path: ReadonlyArray<PropertyKey>): unknown {
  let v = root
  for (const key of path) {
    if (v == null || typeof v !== 'object') return undefined
    v = (v as Record<PropertyKey, unknown>)[key]
  }
  return v
}

function dotted(path: ReadonlyArray<PropertyKey>): string {
  let out = ''
  for (const key of path) out += typeof key === 'number' ? `[${key}]` : `${out === '' ? '' : '.'}${String(key)}`
  return out
}

function expectedOf(issue: z.core.$ZodIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type':
      return issue.expected === 'number' ? 'a number' : `a ${issue.expected}`
    case 'too_small':
      return `${issue.inclusive === false ? '>' : '>='} ${String(issue.minimum)}`
    case 'too_big':
      return `${issue.inclusive === false ? '<' : '<='} ${String(issue.maximum)}`
    case 'invalid_value':
      return issue.values.map((v) => JSON.stringify(v)).join(' | ')
    case 'unrecognized_keys':
      return 'no other keys'
    case 'invalid_union':
      return 'model: "tail", "energybox-3g" or "energybox-wifi"'
    default:
      return undefined
  }
}

/** Validates a profile object; `file` and `text` (the file's JSON) locate problems for the user. */
export function parseRadioProfile(value: unknown, file = '<profile>', text?: string): RadioProfile {
  const result = radioProfileSchema.safeParse(value)
  if (result.success) return result.data
  let locate: (path: ReadonlyArray<PropertyKey>) => number | undefined = () => undefined
  if (text != null) {
    const lineCounter = new LineCounter()
    const doc = parseDocument(text, { lineCounter })
    locate = (path) => {
      // The deepest node that exists on the path (a missing field is reported at its parent).
      for (let depth = path.length; depth >= 0; depth--) {
        const node = doc.getIn(path.slice(0, depth) as Array<string | number>, true) as { range?: [number, number, number] } | undefined
        if (node?.range != null) return lineCounter.linePos(node.range[0]).line
      }
      return undefined
    }
  }
  const problems: InputProblem[] = result.error.issues.map((issue) => {
    const path = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0]] : issue.path
    const found = issue.code === 'unrecognized_keys' ? issue.keys.join(', ') : describe(valueAt(value, issue.path))
    const problem: InputProblem = {
      location: { file, line: locate(path) },
      path: dotted(path),
      message: issue.message,
      expected: expectedOf(issue),
      found
    }
    if (issue.code === 'unrecognized_keys') problem.hint = 'check the spelling against harness/energy/README.md'
    return problem
  })
  const name = typeof (value as { name?: unknown })?.name === 'string' ? ` ${(value as { name: string }).name}` : ''
  throw new InvalidInputError(
    problems,
    `invalid radio profile${name} in ${file}:\n${problems.map((p) => `  ${p.path === '' ? '' : `${p.path}: `}${p.message}`).join('\n')}`
  )
}

/** Reads and validates a JSON profile file. */
export function loadRadioProfileFile(path: string): RadioProfile {
  const text = readUserTextFile(path, { kind: 'radio profile', hint: 'a JSON radio profile (harness/energy/README.md), or a built-in name: lte, 3g, wifi' })
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (err) {
    // JSON.parse gives a position only for some errors; yaml's JSON-schema parser locates the rest.
    const match = /position (\d+)/.exec((err as Error).message)
    const line =
      match != null
        ? text.slice(0, Number(match[1])).split('\n').length
        : parseDocument(text, { schema: 'json', lineCounter: new LineCounter(), prettyErrors: true }).errors[0]?.linePos?.[0].line
    throw new InvalidInputError([
      {
        location: { file: path, line },
        path: '',
        message: `not valid JSON: ${(err as Error).message.split('\n')[0]}`,
        expected: 'a JSON radio profile',
        hint: 'EnergyBox .config files go through loadEnergyBoxProfile(networkConfig, deviceConfig)'
      }
    ])
  }
  return parseRadioProfile(value, path, text)
}

/**
 * A built-in profile by name (lte, 3g, wifi, 5g-nsa, ...; see listBuiltinProfiles) or a path to
 * a JSON profile file.
 */
export function loadRadioProfile(nameOrPath: string): RadioProfile {
  if (Object.hasOwn(BUILTIN_DATA, nameOrPath)) return builtin(nameOrPath)
  if (/[\\/]/.test(nameOrPath) || nameOrPath.endsWith('.json') || existsSync(nameOrPath)) return loadRadioProfileFile(nameOrPath)
  const names = Object.keys(BUILTIN_DATA)
  // every name at the least edit distance: of two as near, neither is the better guess
  const distances = names.map((n) => distance(n, nameOrPath))
  const least = Math.min(...distances)
  const nearest = names.filter((_, i) => distances[i] === least).join(' or ')
  throw new InvalidInputError([
    {
      location: { file: '<radio>' },
      path: 'radio',
      message: `unknown radio profile ${JSON.stringify(nameOrPath)}`,
      expected: `one of ${names.join(', ')}, or a path to a JSON profile`,
      found: nameOrPath,
      hint: `did you mean ${nearest}?`
    }
  ])
}

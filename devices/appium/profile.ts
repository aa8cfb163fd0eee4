import { readFile } from 'node:fs/promises'
import { LineCounter, parseDocument } from 'yaml'
import { z } from 'zod'
import { InvalidInputError, type InputProblem, type SourceLocation } from '../../harness/interface/index.js'
import { appiumServerSchema, describe, duration, formatPath, locateIn, suggest, type FieldPath } from '../../harness/scenario/index.js'

/** A WebdriverIO selector string: `id=...`, `~accessibility id`, `//xpath`, `-android uiautomator:...`, `-ios predicate string:...`. */
const selector = z.string().min(1).describe('A WebdriverIO selector: id=<resource-id>, ~<accessibility id>, //<xpath>, -android uiautomator:<expr>, -ios predicate string:<expr>, -ios class chain:<expr>')

const regex = z.string().min(1).refine((value) => {
  try {
    const re = new RegExp(value)
    return new RegExp(`${re.source}|`).exec('')?.length === 2
  } catch {
    return false
  }
}, { message: 'not a regular expression with exactly one capture group', params: { expected: 'a regular expression with one capture group, e.g. \\[courier:([^\\]\\s]+)\\]' } })

const signInStep = z.union([
  z.strictObject({ tap: selector }),
  z.strictObject({ type: selector, text: z.string().describe('Literal text to type (nothing secret)') }),
  z.strictObject({ type: selector, env: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'an environment variable name').describe('Type the value of this environment variable (a password); it is never logged') }),
  z.strictObject({ waitFor: selector })
]).describe('One sign-in step: { tap: sel }, { type: sel, text: ... }, { type: sel, env: VAR }, { waitFor: sel }')

/** The one source of the device profile format. */
export const profileSchema = z.strictObject({
  $schema: z.string().optional(),
  name: z.string().min(1).describe('Profile name, shown in reports'),
  description: z.string().optional(),
  platform: z.enum(['android', 'ios', 'courier']).describe('android (UiAutomator2), ios (XCUITest) or courier (courier\'s own driver, CI without a phone)'),
  capabilities: z.record(z.string(), z.unknown()).default({}).describe('Session capabilities as Appium takes them (appium:deviceName, appium:udid, vendor options...)'),
  app: z.strictObject({
    id: z.string().min(1).describe('Android package or iOS bundle id'),
    path: z.string().optional().describe('An .apk/.ipa/.app to install (appium:app); omit when the app is installed')
  }),
  server: appiumServerSchema.optional(),
  /** Android: read the app's batterystats (needs the server to allow adb_shell). */
  battery: z.strictObject({
    batterystats: z.boolean().default(false).describe('Reset dumpsys batterystats at start and read the app\'s mAh, radio-active time and bytes at the end (Android; needs adb_shell)')
  }).prefault({}),
  timeouts: z.strictObject({
    start: duration.prefault('90s').describe('Server, session, launch and sign-in must be done within this (real phones: launch alone can take 20 s)'),
    command: duration.prefault('15s').describe('One WebDriver command'),
    upToDate: duration.prefault('30s').describe('How long to wait for the up-to-date indicator after the network comes back')
  }).prefault({}),
  poll: duration.prefault('250ms').describe('How often the message list is read: the resolution of render times'),
  signIn: z.array(signInStep).default([]).describe('Steps from launch to the usable screen, run in order'),
  screen: z.strictObject({
    usable: selector.describe('Shown once the app is usable (after sign-in): time to usable ends when it appears'),
    chatOpener: selector.describe('Opens the chat of a topic; {topic} is replaced by the topic name'),
    messageInput: selector,
    sendButton: selector,
    messageItem: selector.describe('One rendered message in the open chat'),
    messageText: selector.describe('The text of a message, searched inside a message item'),
    upToDate: selector.optional().describe('Shown when the app says it has all history (the sync indicator)'),
    messageId: regex.default('\\[courier:([^\\]\\s]+)\\]').describe('Finds courier\'s message id in a rendered text (one capture group)')
  })
})

export type DeviceProfile = z.output<typeof profileSchema>

export interface LoadedProfile {
  file: string
  profile: DeviceProfile
}

/** Reads and validates a device profile; every problem names the file, line, column and field. */
export async function loadProfileFile (file: string): Promise<LoadedProfile> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw new InvalidInputError([{ location: { file }, path: '', message: code === 'ENOENT' ? 'device profile not found' : `cannot read the device profile (${code ?? String(error)})`, hint: 'profiles live in devices/profiles/*.yaml; see devices/appium/README.md' }])
  }
  return { file, profile: parseProfile(text, file) }
}

export function parseProfile (text: string, file: string): DeviceProfile {
  const lineCounter = new LineCounter()
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true })
  const locateOffset = (offset: number): SourceLocation => {
    const { line, col } = lineCounter.linePos(offset)
    return { file, line, column: col }
  }
  if (doc.errors.length > 0) {
    throw new InvalidInputError(doc.errors.map((error) => ({ location: locateOffset(error.pos[0]), path: '', message: `YAML syntax: ${error.message.split('\n')[0]}`, hint: 'check indentation and quoting around this line' })))
  }
  const raw: unknown = doc.toJS()
  if (raw == null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new InvalidInputError([{ location: { file, line: 1, column: 1 }, path: '', message: 'a device profile must be a YAML mapping', expected: 'keys such as name, platform, capabilities, app, screen', found: describe(raw) }])
  }
  const parsed = profileSchema.safeParse(raw)
  if (parsed.success) return parsed.data
  const locate = (path: FieldPath, which: 'key' | 'value' = 'value'): SourceLocation => locateIn(doc, path, which, locateOffset, file)
  throw new InvalidInputError(parsed.error.issues.flatMap((issue) => problemsOf(issue, raw, locate)))
}

function problemsOf (issue: z.core.$ZodIssue, raw: unknown, locate: (path: FieldPath, which?: 'key' | 'value') => SourceLocation): InputProblem[] {
  const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol')
  if (issue.code === 'unrecognized_keys') {
    const known = keysAt(path)
    return issue.keys.map((key) => ({
      location: locate([...path, key], 'key'),
      path: formatPath([...path, key]),
      message: `unknown key "${key}"`,
      expected: known.length > 0 ? `one of: ${known.join(', ')}` : undefined,
      found: key,
      hint: suggest(key, known)
    }))
  }
  const found = valueAt(raw, path)
  let message = issue.message
  let expected: string | undefined
  let hint: string | undefined
  if (issue.code === 'invalid_type') {
    expected = issue.expected
    message = found === undefined ? 'required field is missing' : `wrong type: expected ${issue.expected}, found ${describe(found)}`
  } else if (issue.code === 'invalid_value') {
    const values = issue.values.map(String)
    expected = `one of: ${values.join(', ')}`
    message = 'not an accepted value'
    hint = typeof found === 'string' ? suggest(found, values) : undefined
  } else if (issue.code === 'custom') {
    expected = (issue.params as { expected?: string } | undefined)?.expected
  } else if (issue.code === 'invalid_union') {
    message = 'does not match any accepted form'
    expected = path.includes('signIn') ? '{ tap: sel }, { type: sel, text: ... }, { type: sel, env: VAR } or { waitFor: sel }' : undefined
  } else if (issue.code === 'too_small') {
    expected = `at least ${String(issue.minimum)}`
    message = found === '' ? 'must not be empty' : `out of range: ${expected}`
  } else if (issue.code === 'invalid_format') {
    expected = issue.message
    message = 'wrong format'
  }
  return [{ location: locate(path), path: formatPath(path), message, expected, found: found === undefined ? undefined : describe(found), hint }]
}

/** The keys the profile schema accepts at `path`, for did-you-mean. */
function keysAt (path: FieldPath): string[] {
  let schema: unknown = profileSchema
  for (const segment of [...path, null]) {
    let def = defOf(schema)
    while (def != null && ['optional', 'default', 'prefault', 'nullable', 'pipe'].includes(def.type as string)) {
      schema = def.type === 'pipe' ? def.in : def.innerType
      def = defOf(schema)
    }
    if (segment === null) return def?.type === 'object' ? Object.keys(def.shape as object) : []
    if (def?.type === 'object') schema = (def.shape as Record<string, unknown>)[segment as string]
    else if (def?.type === 'array') schema = def.element
    else if (def?.type === 'record') schema = def.valueType
    else return []
  }
  return []
}

function defOf (schema: unknown): Record<string, unknown> | undefined {
  return (schema as { _zod?: { def?: Record<string, unknown> } } | undefined)?._zod?.def
}

function valueAt (raw: unknown, path: FieldPath): unknown {
  let value = raw
  for (const segment of path) {
    if (value == null || typeof value !== 'object') return undefined
    value = (value as Record<string | number, unknown>)[segment]
  }
  return value
}

import { z } from 'zod'
import { InvalidInputError } from '../../harness/interface/index.js'
import { appiumServerSchema, duration, parseYamlSource, readUserFile, zodProblems } from '../../harness/scenario/index.js'
import { templateProblems } from './fleet-template.js'

/** A WebdriverIO selector string: `id=...`, `~accessibility id`, `//xpath`, `-android uiautomator:...`, `-ios predicate string:...`. */
const selector = z
  .string()
  .min(1)
  .describe(
    'A WebdriverIO selector: id=<resource-id>, ~<accessibility id>, //<xpath>, -android uiautomator:<expr>, -ios predicate string:<expr>, -ios class chain:<expr>'
  )

const regex = z
  .string()
  .min(1)
  .refine(
    (value) => {
      try {
        const re = new RegExp(value)
        return new RegExp(`${re.source}|`).exec('')?.length === 2
      } catch {
        return false
      }
    },
    {
      message: 'not a regular expression with exactly one capture group',
      params: { expected: 'a regular expression with one capture group, e.g. \\[courier:([^\\]\\s]+)\\]' }
    }
  )

const signInStep = z
  .union([
    z.strictObject({ tap: selector }),
    z.strictObject({ type: selector, text: z.string().describe('Literal text to type (nothing secret)') }),
    z.strictObject({
      type: selector,
      env: z
        .string()
        .regex(/^[A-Z_][A-Z0-9_]*$/, 'an environment variable name')
        .describe('Type the value of this environment variable (a password); it is never logged')
    }),
    z.strictObject({ waitFor: selector })
  ])
  .describe('One sign-in step: { tap: sel }, { type: sel, text: ... }, { type: sel, env: VAR }, { waitFor: sel }')

const fleetSteps = z
  .array(signInStep)
  .describe('Steps as in signIn:; texts and selectors may hold {{fleet.boot[0]}}, {{fleet.store[0]}}, {{fleet.cluster}}... (any value of fleet.json)')

/**
 * How to point the app at the run's fleet through its own settings, and how to tell whether it
 * already is: the steps run only when the current fleet the app shows differs from the run's.
 */
const fleetSchema = z
  .strictObject({
    open: fleetSteps.default([]).describe('Steps from the usable screen to where the app shows its current fleet (e.g. Settings > Advanced > Fleet)'),
    current: selector.describe("The element whose text is the app's current fleet"),
    expect: z.string().min(1).describe('What `current` shows (contains) when the app is on the run\'s fleet, e.g. "{{fleet.boot[0]}}"'),
    steps: fleetSteps.min(1).describe("Enter the run's fleet; run only when `current` does not show `expect`, which it must show afterwards"),
    close: fleetSteps.default([]).describe('Back to the usable screen, whether the steps ran or not')
  })
  .describe("Point the app at the run's fleet through its settings, when it is on another one")

/** The one source of the device profile format. */
export const profileSchema = z
  .strictObject({
    $schema: z.string().optional(),
    name: z.string().min(1).describe('Profile name, shown in reports'),
    description: z.string().optional(),
    platform: z.enum(['android', 'ios', 'courier']).describe("android (UiAutomator2), ios (XCUITest) or courier (courier's own driver, CI without a phone)"),
    capabilities: z
      .record(z.string(), z.unknown())
      .default({})
      .describe('Session capabilities as Appium takes them (appium:deviceName, appium:udid, vendor options...)'),
    app: z.strictObject({
      id: z.string().min(1).describe('Android package or iOS bundle id'),
      path: z.string().optional().describe('An .apk/.ipa/.app to install (appium:app); omit when the app is installed')
    }),
    server: appiumServerSchema.optional(),
    /** Android: read the app's batterystats (needs the server to allow adb_shell). */
    battery: z
      .strictObject({
        batterystats: z
          .boolean()
          .default(false)
          .describe("Reset dumpsys batterystats at start and read the app's mAh, radio-active time and bytes at the end (Android; needs adb_shell)")
      })
      .prefault({}),
    timeouts: z
      .strictObject({
        start: duration.prefault('90s').describe('Server, session, launch and sign-in must be done within this (real phones: launch alone can take 20 s)'),
        command: duration.prefault('15s').describe('One WebDriver command'),
        upToDate: duration.prefault('30s').describe('How long to wait for the up-to-date indicator after the network comes back')
      })
      .prefault({}),
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
      messageId: regex.default('\\[courier:([^\\]\\s]+)\\]').describe("Finds courier's message id in a rendered text (one capture group)")
    }),
    fleet: fleetSchema.optional(),
    elements: z
      .record(z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/, "a name of letters, digits and _ (flows use it: screen.tap('backButton'))"), selector)
      .default({})
      .describe(
        "More named selectors for QA flows (sign-in, onboarding), beside the screen map: a flow's `screen` helper finds both, so selectors live in the profile only"
      )
  })
  .superRefine((profile, ctx) => {
    for (const name of Object.keys(profile.elements)) {
      if (SCREEN_NAMES.includes(name) || name === 'messageId')
        ctx.addIssue({
          code: 'custom',
          path: ['elements', name],
          message: `"${name}" is already a screen: selector`,
          params: { expected: 'a name not used by screen:' }
        })
    }
    // a template is checked against the fleet file's fields now, not when a phone is half-way through its settings
    const checkTemplates = (text: string, path: Array<string | number>): void => {
      for (const { template, problem } of templateProblems(text))
        ctx.addIssue({
          code: 'custom',
          path,
          message: `${template}: ${problem}`,
          params: {
            expected:
              '{{fleet.<field>}} with a field of fleet.json: boot, relay, store, lightpush, filter, cluster, shards, pubsubTopics, contentTopics, nodes...'
          }
        })
    }
    const fleet = profile.fleet
    if (fleet != null) {
      checkTemplates(fleet.expect, ['fleet', 'expect'])
      checkTemplates(fleet.current, ['fleet', 'current'])
      for (const part of ['open', 'steps', 'close'] as const) {
        fleet[part].forEach((step, index) => {
          for (const [key, value] of Object.entries(step)) if (key !== 'env') checkTemplates(value, ['fleet', part, index, key])
        })
      }
    }
  })

export type DeviceProfile = z.output<typeof profileSchema>

/** The screen map's selector names (not messageId, a pattern); flows' `screen` helper knows these and `elements:`. */
export const SCREEN_NAMES: readonly string[] = ['usable', 'chatOpener', 'messageInput', 'sendButton', 'messageItem', 'messageText', 'upToDate']

export interface LoadedProfile {
  file: string
  profile: DeviceProfile
}

/** Reads and validates a device profile; every problem names the file, line, column and field. */
export async function loadProfileFile(file: string): Promise<LoadedProfile> {
  const text = await readUserFile(file, { kind: 'device profile', hint: 'profiles live in devices/profiles/*.yaml; see devices/appium/README.md' })
  return { file, profile: parseProfile(text, file) }
}

export function parseProfile(text: string, file: string): DeviceProfile {
  const source = parseYamlSource(text, file, { kind: 'device profile', expectedKeys: 'name, platform, capabilities, app, screen' })
  const parsed = profileSchema.safeParse(source.raw)
  if (parsed.success) return parsed.data
  throw new InvalidInputError(
    zodProblems(parsed.error.issues, profileSchema, source, {
      union: (path) =>
        path.includes('signIn') || path.includes('fleet')
          ? { expected: '{ tap: sel }, { type: sel, text: ... }, { type: sel, env: VAR } or { waitFor: sel }' }
          : undefined
    })
  )
}

import { z } from 'zod'
import { parseBandwidth, parseDuration, parseRate, parseRatio, parseSize, type Parsed } from './units.js'

/**
 * The one source of the scenario format. Types come from it (z.output), the JSON Schema for
 * editors comes from it (`z.toJSONSchema`, written to schema/scenario.schema.json), and so do
 * the validation errors.
 */

function unit(parse: (input: unknown) => Parsed, example: string, description: string) {
  return z
    .string()
    .transform((value, ctx) => {
      const parsed = parse(value)
      if (parsed.ok) return parsed.value
      ctx.addIssue({ code: 'custom', message: `not ${parsed.expected.replace(/^a /, 'a valid ')}`, params: { expected: parsed.expected } })
      return z.NEVER
    })
    .describe(`${description}, e.g. ${example}`)
}

/** A field description that keeps the unit's example, so editors show both. */
function about<T extends z.ZodType>(schema: T, text: string): T {
  return schema.describe(`${text}. ${schema.description ?? ''}`.trim())
}

/**
 * The longest wait courier schedules: Node's timers hold a signed 32-bit count of milliseconds,
 * and a longer delay fires after 1 ms instead (a run "of 600 h" would end at once and pass).
 */
export const MAX_TIMER_MS = 2 ** 31 - 1
const MAX_TIMER_WORDS = `at most ${MAX_TIMER_MS}ms (about 596h, 24.8 days: the longest wait Node.js timers allow)`

/** Waku's limit on a message (64/WAKU2-NETWORK); a larger one is refused by every node. */
export const MAX_MESSAGE_BYTES = 150_000

export const duration = unit(parseDuration, '30s', 'A duration (ms, s, m, h)').check((ctx) => {
  if (ctx.value > MAX_TIMER_MS)
    ctx.issues.push({ code: 'custom', message: 'longer than courier can wait', params: { expected: MAX_TIMER_WORDS }, input: ctx.value, continue: false })
})
export const size = unit(parseSize, '2kB', 'A size (B, kB, MB, KiB)')
/** A message's size: at most the network's limit, never clamped to it in silence. */
const messageSize = size.check((ctx) => {
  if (ctx.value > MAX_MESSAGE_BYTES)
    ctx.issues.push({
      code: 'custom',
      message: 'larger than the network carries',
      params: { expected: `at most ${MAX_MESSAGE_BYTES / 1000}kB (Waku's message size limit, 64/WAKU2-NETWORK)` },
      input: ctx.value,
      continue: false
    })
})
export const rate = unit(parseRate, '30/min', 'A rate (/s, /min, /h)')
export const ratio = z
  .union([z.number(), z.string()])
  .describe('A percentage such as 1%, or a ratio 0..1')
  .transform((value, ctx) => {
    const parsed = parseRatio(value)
    if (parsed.ok) return parsed.value
    ctx.addIssue({ code: 'custom', message: `not ${parsed.expected}`, params: { expected: parsed.expected } })
    return z.NEVER
  })

const name = z.string().regex(/^[a-z][a-z0-9-]{0,39}$/, 'lower-case letters, digits and dashes, starting with a letter')

/** Size of crowd messages: a fixed size, or a log-normal by median and 99th percentile. */
// (the limits on these sizes are checked after parsing: a union would hide them behind "does not match")
const sizeDistribution = z
  .union([size, z.strictObject({ median: size, p99: size })])
  .describe('Message size: a fixed size (300B) or { median: 300B, p99: 4kB }')

export const networkSchema = z
  .strictObject({
    relays: z.number().int().min(1).max(64).default(4).describe('Relay nodes (gossipsub)'),
    stores: z.number().int().min(0).max(16).default(1).describe('Store nodes (history, "mailservers")'),
    degree: z.number().int().min(1).max(12).default(3).describe('Each relay is linked to at least this many other relays (a ring plus seeded chords)'),
    storeSync: z
      .union([z.literal('off'), duration])
      .default('off')
      .describe(
        'Store nodes compare archives with each other this often and fetch what they lack (Waku store sync), e.g. 3s; off: stores never repair a missed window, as in the seed problems'
      ),
    pubsubTopic: z
      .string()
      .regex(
        /^\/waku\/2\/rs\/\d{1,5}\/\d{1,4}$/,
        'a static-sharding pubsub topic /waku/2/rs/<cluster>/<shard>, e.g. /waku/2/rs/16/32 (Status: cluster 16, shards 32 and 64)'
      )
      .default('/waku/2/rs/16/32')
      .describe(
        'Waku pubsub topic (shard) of the fleet: /waku/2/rs/<cluster>/<shard>; nodes announce that cluster and shard in 66/WAKU2-METADATA and their ENRs'
      ),
    ports: z
      .number()
      .int()
      .min(1024)
      .max(65535)
      .optional()
      .describe(
        'Base port for stable addresses: node i (relays, then stores, then crowd gateways) listens on TCP base+2i and WebSocket base+2i+1, so a phone configured once keeps working run after run; absent: free ports, new every run'
      ),
    host: z
      .ipv4()
      .default('127.0.0.1')
      .describe('IPv4 address the fleet listens on: loopback, or an interface a real phone can reach (courier run --fleet-host)'),
    // a getter because the link schema is declared further down, beside the devices' link
    get links() {
      return nodeLinksSchema.optional().describe('Links between fleet nodes (devices take their own link:): latency, jitter, loss, bandwidth')
    }
  })
  .describe('The simulated peer network')

export const crowdSchema = z
  .strictObject({
    topic: z.string().min(1).describe('Topic the crowd posts on'),
    users: z.number().int().min(1).max(1_000_000).describe('Virtual users'),
    rate: about(rate, 'Total posting rate of the whole crowd, e.g. 30/min'),
    size: sizeDistribution.prefault('300B'),
    gateways: z.number().int().min(1).max(16).default(2).describe('Real libp2p nodes the crowd is injected through')
  })
  .describe('Virtual users posting on one topic')

/** A device's last-mile link: a preset, or explicit figures (applied in both directions). */
export const linkSpec = z.union([
  z.string().describe('A preset: 3g, lte, wifi, congested-wifi, perfect'),
  z.strictObject({
    latency: about(duration, 'One-way delay').prefault('0ms'),
    jitter: about(duration, 'Spread around the delay (never reorders bytes)').prefault('0ms'),
    loss: ratio.default(0).describe('Share of ~1460-byte segments lost (each costs a retransmission timeout)'),
    bandwidth: z
      .string()
      .default('0bit')
      .describe('e.g. 1mbit; 0 for unlimited')
      .transform((value, ctx) => {
        const parsed = parseBandwidth(value)
        if (parsed.ok) return parsed.value
        ctx.addIssue({ code: 'custom', message: 'not a valid bandwidth', params: { expected: parsed.expected } })
        return z.NEVER
      })
  })
])
export type LinkSpec = z.output<typeof linkSpec>

/** Links between fleet nodes; semantics in README (Faults and the seed problems). */
const nodeLinksSchema = z.strictObject({
  default: linkSpec.optional().describe('The access link of every node that nodes: does not name'),
  nodes: z
    .record(name, linkSpec)
    .default({})
    .describe("A node's own access link (a store far away, a relay on a slow uplink); a preset's up is the node's uplink"),
  between: z
    .array(
      z.strictObject({
        a: name.describe('A fleet node'),
        b: name.describe('Another fleet node'),
        link: linkSpec.describe("The whole path between a and b, instead of their access links; a preset's up is a to b")
      })
    )
    .default([])
    .describe('Links between two particular nodes')
})
export type NodeLinksConfig = z.output<typeof nodeLinksSchema>

const simulatedDevice = z.strictObject({
  driver: z.literal('simulated').default('simulated'),
  account: name.optional().describe("Devices with the same account are one person's devices"),
  topics: z.array(z.string().min(1)).optional().describe('Topics to join; default: the crowd topic and every topic sent to'),
  relays: z.number().int().min(1).max(8).default(2).describe('Relay nodes this device connects to'),
  radio: z.string().optional().describe('Radio energy model: lte, 3g, wifi or a profile file'),
  syncInterval: about(duration, 'Periodic missing-message check against the store (Status: 1m)').optional(),
  link: linkSpec.optional().describe("The device's network: latency, jitter, loss and bandwidth to every fleet node"),
  push: z.boolean().default(false).describe('Receive push notifications for messages on its topics (a simulated push service outside the p2p network)'),
  store: name.optional().describe('The store node this device asks first (default: a seeded random order, as Status picks among the fastest)'),
  storeTimeout: about(duration, 'A history request taking longer fails over to the next store (status-go: 30s)').prefault('30s'),
  switchAfter: z
    .union([z.number().int().min(1).max(10), z.literal('never')])
    .default(2)
    .describe('Failed history requests to one store before switching to the next (status-go: 2); never: keep asking the same store'),
  upToDate: z
    .enum(['honest', 'optimistic'])
    .default('honest')
    .describe('The device\'s "up to date" signal: honest says failed when a history request failed; optimistic says up to date anyway (the seed problem)'),
  confirmSent: z
    .boolean()
    .default(true)
    .describe('Ask the store 3 s after sending whether a message arrived, and resend what is still missing after 10 s (status-go)'),
  missingCheck: z
    .enum(['hashes', 'full'])
    .default('hashes')
    .describe(
      'Periodic missing-message checks ask the store for hashes first and fetch only what is missing (status-go), or fetch every message in the window again (full: the duplicate waste the seed problems describe)'
    ),
  wakeOnPush: z.boolean().default(false).describe('A push wakes the app in the background to fetch the announced message from a store (a data push)'),
  mode: z
    .enum(['relay', 'light'])
    .default('relay')
    .describe('relay: the device runs gossipsub; light: no relay, FILTER subscriptions and LIGHTPUSH through `relays` service nodes (Status light mode)'),
  service: name
    .optional()
    .describe("Light mode: the service node (relay or store) subscribed and pushed through first (default: the device's seeded relay order)"),
  bootstrap: z
    .number()
    .int()
    .min(1)
    .max(64)
    .optional()
    .describe('Relay nodes the device is told about at start (the first n of its seeded order), as an app ships a bootstrap list; default: every relay'),
  peerExchange: z
    .boolean()
    .default(true)
    .describe(
      'With bootstrap: ask the bootstrap nodes for more peers (34/WAKU2-PEER-EXCHANGE) and dial those when the bootstrap nodes are out of reach; false: the bootstrap list is all the device ever knows (the broken variant)'
    ),
  telemetry: z
    .url({ protocol: /^https?$/ })
    .optional()
    .describe(
      "Post the device's counters as JSON to this telemetry server every 2 s while online (status-go's TelemetryServerURL): a contact outside the p2p network, shown in results.destinations"
    )
})

/** An environment variable's name: secrets are named in files, never written in them. */
const envName = z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'an environment variable name such as COURIER_APPIUM_KEY')

/** An existing Appium server, a device grid or a device cloud; credentials come from environment variables. */
export const appiumServerSchema = z
  .strictObject({
    url: z.url({ protocol: /^https?$/ }).describe('WebDriver endpoint, e.g. http://127.0.0.1:4723 (no credentials in the URL)'),
    user: envName.optional().describe('Name of the environment variable holding the user name'),
    key: envName.optional().describe('Name of the environment variable holding the access key')
  })
  .describe('Use this Appium server instead of starting one')

const appiumDevice = z.strictObject({
  driver: z.literal('appium'),
  profile: z
    .string()
    .min(1)
    .describe(
      'Device profile YAML: platform, capabilities, app and screen map (e.g. devices/profiles/courier-ci.yaml); relative to the scenario file, then to the current directory'
    ),
  account: name.optional().describe("Devices with the same account are one person's devices"),
  topics: z.array(z.string().min(1)).optional().describe('Topics to join; default: the crowd topic and every topic sent to'),
  radio: z.string().optional().describe('Radio energy model: lte, 3g, wifi or a profile file'),
  server: appiumServerSchema.optional(),
  capabilities: z.record(z.string(), z.unknown()).optional().describe("Capabilities merged over the profile's (e.g. appium:udid of one phone)")
})

const browserDevice = z.strictObject({
  driver: z.literal('browser'),
  account: name.optional().describe("Devices with the same account are one person's devices"),
  topics: z.array(z.string().min(1)).optional().describe('Topics to join; default: the crowd topic and every topic sent to'),
  radio: z.string().optional().describe("Radio energy model for the page's WebSocket bytes: lte, 3g, wifi or a profile file"),
  relays: z
    .number()
    .int()
    .min(1)
    .max(8)
    .default(2)
    .describe("Service nodes the page's js-waku light node uses at once for FILTER and LIGHTPUSH (its numPeersToUse)"),
  syncMargin: about(duration, 'History asked for after being offline starts this long before going offline').prefault('5s'),
  dropEvery: z.number().int().min(2).optional().describe("Broken variant, to show courier's figures catch it: the page loses every n-th message that arrives")
})

const jsWakuDevice = z
  .strictObject({
    driver: z.literal('js-waku'),
    mode: z
      .literal('light')
      .default('light')
      .describe('light: FILTER, LIGHTPUSH and STORE through service nodes; relay is not offered by the @waku/sdk 0.0.36 line'),
    account: name.optional().describe("Devices with the same account are one person's devices"),
    topics: z.array(z.string().min(1)).optional().describe('Topics to join; default: the crowd topic and every topic sent to'),
    relays: z.number().int().min(1).max(8).default(2).describe('Filter subscriptions js-waku keeps at once (its numPeersToUse)'),
    radio: z.string().optional().describe('Radio energy model: lte, 3g, wifi or a profile file'),
    link: linkSpec.optional().describe("The device's network: latency, jitter, loss and bandwidth to every fleet node"),
    storeTimeout: about(duration, 'A history request taking longer is recorded as failed (js-waku may first need to reconnect)').prefault('30s'),
    syncInterval: about(duration, "The app's periodic history check: a store query since the last good one").optional()
  })
  .describe('js-waku (@waku/sdk 0.0.36) as a light node in a process of its own')

export const deviceSchema = z.discriminatedUnion('driver', [simulatedDevice, appiumDevice, browserDevice, jsWakuDevice]).describe('A device under test')

const sendAction = z.strictObject({
  from: name.describe('Device that sends'),
  topic: z.string().min(1).optional().describe('Default: the crowd topic'),
  count: z.number().int().min(1).max(100_000).default(1),
  every: duration.prefault('1s'),
  size: messageSize.prefault('300B'),
  text: z.string().max(4096).optional()
})
const offlineAction = z.strictObject({ device: name, for: about(duration, 'Come back online after this long').optional() })
const onlineAction = z.strictObject({ device: name })
const nodeAction = z.union([name, z.strictObject({ node: name, for: about(duration, 'Restart after this long').optional() })])

const partitionAction = z.strictObject({
  groups: z
    .array(z.array(name.or(z.literal('rest'))).min(1))
    .min(2)
    .describe('Groups of node and device names; `rest` is everyone not listed'),
  for: about(duration, 'Heal after this long').optional()
})
const blockAction = z.strictObject({
  device: name.describe('The device that is censored'),
  nodes: z
    .union([z.literal('bootstrap'), z.array(name).min(1)])
    .optional()
    .describe('bootstrap: every node the device was told about at start; or a list of fleet nodes (each by all its addresses)'),
  addresses: z
    .array(
      z
        .string()
        .regex(/^(\d{1,3}(\.\d{1,3}){3})?(:\d{1,5})?$/)
        .refine((a) => a !== '' && a !== ':', 'an address')
    )
    .min(1)
    .optional()
    .describe(
      'Instead of nodes: what a censor matches on: "127.0.0.1" (an address, every port), "127.0.0.1:60001" (one address and port) or ":60001" (a port on any address)'
    ),
  for: about(duration, 'Lift the block after this long (default: for good)').optional()
})
const storeWindowAction = z.strictObject({ store: name, for: about(duration, 'How long the store misses messages') })
const slowAction = z.strictObject({
  store: name,
  delay: about(duration, 'Added to every answer'),
  for: about(duration, 'Back to normal after this long').optional()
})
const signedDuration = z
  .string()
  .transform((value, ctx) => {
    const match = /^\s*([-+]?)\s*(.+)$/.exec(value)
    const parsed = parseDuration(match?.[2] ?? '')
    if (match != null && parsed.ok) return match[1] === '-' ? -parsed.value : parsed.value
    ctx.addIssue({ code: 'custom', message: 'not a valid signed duration', params: { expected: 'a signed duration such as +90s or -2m' } })
    return z.NEVER
  })
  .describe('A signed duration, e.g. +90s or -2m')
const linkAction = z.strictObject({
  device: name.optional().describe('A device: its last mile'),
  node: name.optional().describe('A fleet node: its access link'),
  to: linkSpec.describe('The new link: a preset or explicit figures')
})
const skewAction = z.strictObject({ device: name, by: about(signedDuration, 'Clock skew') })
/** A flow's name is a metric name segment (`flow.<name>.duration`): no dots. */
export const FLOW_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/
const flowAction = z.strictObject({
  device: name.describe('An appium device: the flow runs against its live session'),
  spec: z.string().min(1).describe('A Mocha spec (.js, .mjs or .cjs; compile TypeScript first), relative to the scenario file, then to the current directory'),
  name: z
    .string()
    .regex(FLOW_NAME, 'letters, digits, - and _ (it names metrics: flow.<name>.duration)')
    .optional()
    .describe('Name in results and metrics; default: the spec file name without .spec.js'),
  timeout: about(duration, 'The whole flow must finish within this (default: the rest of the traffic phase)').optional()
})

export const TIMELINE_ACTIONS = [
  'send',
  'offline',
  'online',
  'kill',
  'restart',
  'partition',
  'heal',
  'desync',
  'slow',
  'skew',
  'link',
  'checkpoint',
  'flow',
  'block'
] as const

export const timelineEntrySchema = z.strictObject({
  at: about(duration, 'Scenario time of the action'),
  send: sendAction.optional().describe('A burst of messages from a device'),
  offline: offlineAction.optional().describe('Take a device off the network'),
  online: onlineAction.optional().describe('Bring a device back'),
  kill: nodeAction.optional().describe('Kill a relay or store node (abruptly)'),
  restart: name.optional().describe('Restart a killed node'),
  partition: partitionAction.optional().describe('Split the network into groups that cannot reach each other'),
  heal: z.literal(true).optional().describe('End the current partition'),
  desync: storeWindowAction.optional().describe('A store node archives nothing for a while (it misses a time window)'),
  slow: slowAction.optional().describe('A store node answers history requests late'),
  skew: skewAction.optional().describe("Skew a device's clock"),
  link: linkAction.optional().describe("Change a device's link (a handover from WiFi to 3G, say) or a fleet node's access link"),
  checkpoint: name.optional().describe("Compare the histories of each account's devices now (history.checkpoints), by this name"),
  block: blockAction
    .optional()
    .describe('Censor a device: the named nodes (or its bootstrap list) refuse its connections and drop the ones it has, by address, for a time or for good'),
  flow: flowAction.optional().describe("Run a QA flow (a WebdriverIO + Mocha spec using the profile's screen map) on an appium device and time it")
})

/** A JavaScript regular expression, checked to compile and to match something. */
const regexSource = z
  .string()
  .min(1)
  .check((ctx) => {
    let regex: RegExp
    try {
      regex = new RegExp(ctx.value)
    } catch (error) {
      ctx.issues.push({
        code: 'custom',
        message: `not a valid regular expression (${error instanceof Error ? error.message : String(error)})`,
        params: { expected: 'a JavaScript regular expression, e.g. "sk_live_[0-9a-zA-Z]{24}"' },
        input: ctx.value,
        continue: false
      })
      return
    }
    if (regex.test(''))
      ctx.issues.push({
        code: 'custom',
        message: 'matches empty text, so it would match everywhere',
        params: { expected: 'a regular expression that needs at least one character' },
        input: ctx.value,
        continue: false
      })
  })

export const leaksSchema = z
  .strictObject({
    patterns: z
      .array(regexSource)
      .default([])
      .describe('More secrets to look for: regular expressions matched against every text artifact and cleartext payload, e.g. "sk_live_[0-9a-zA-Z]{24}"'),
    allow: z
      .array(regexSource)
      .default([])
      .describe(
        'A finding whose matched text matches one of these is not reported (a test vector, a documented public key); configured secrets are always reported'
      ),
    secrets: z
      .array(envName)
      .default([])
      .describe(
        'More environment variables whose values must appear in no artifact (cloud keys, tokens), beside the ones device profiles and appium servers name'
      )
  })
  .describe(
    'The secrets scanner: courier always looks for BIP39 mnemonics, hex private keys, keystore JSON and the configured secrets (their values, from the environment variables the scenario and device profiles name)'
  )

export const destinationsSchema = z
  .strictObject({
    allow: z
      .array(
        z
          .string()
          .regex(/^(\*\.)?[A-Za-z0-9.:-]+$|^\[[0-9a-fA-F:]+\](:\d+)?$/, 'a host name (*.example.com for its subdomains), an IP address, or either with :port')
      )
      .default([])
      .describe(
        'Remote endpoints a device may contact besides the fleet, e.g. push.example.com, *.status.im:443, 127.0.0.53:53; anything else counts in destinations.thirdParty'
      )
  })
  .describe('Every remote endpoint the capture shows being contacted outside the fleet, named by DNS answers or TLS server names in the capture')

/** A scenario name names a run directory too (runs/<name>-<time>): well under a file name's 255 bytes. */
export const MAX_SCENARIO_NAME = 100

export const scenarioSchema = z.strictObject({
  $schema: z.string().optional(),
  name: z.string().min(1).max(MAX_SCENARIO_NAME).describe('Scenario name, used in reports and run directories'),
  description: z.string().optional(),
  seed: z.number().int().min(0).default(1).describe('Same seed, same topology, crowd schedule and sizes'),
  duration: about(duration, 'How long traffic runs'),
  grace: about(duration, 'Time after the traffic for late deliveries before loss is counted').prefault('5s'),
  network: networkSchema.prefault({}),
  crowd: crowdSchema.optional(),
  devices: z.record(name, deviceSchema).default({}),
  timeline: z.array(timelineEntrySchema).default([]),
  capture: z
    .enum(['auto', 'tcpdump', 'socket', 'off'])
    .default('auto')
    .describe('Byte capture: tcpdump packets on every interface plus socket accounting (auto: tcpdump when usable), socket accounting only, or none'),
  expect: z
    .record(z.string(), z.union([z.string(), z.number(), z.boolean()]))
    .default({})
    .describe('Thresholds: metric -> "< 2s", "== 0", "< 1%"'),
  regress: z
    .record(z.string(), z.union([z.string(), z.number()]))
    .default({})
    .describe('For courier compare and run --baseline: metric name or glob -> the relative change allowed before it counts, "10%"'),
  push: z
    .strictObject({
      delay: about(duration, 'From a message reaching a store to the push arriving at a device').prefault('300ms'),
      bound: about(duration, 'A push whose message is not on screen this long after it arrived is phantom').prefault('5s')
    })
    .prefault({})
    .describe('The simulated push service'),
  leaks: leaksSchema.prefault({}),
  destinations: destinationsSchema.prefault({}),
  harness: z
    .strictObject({
      maxLagP99: about(duration, 'Event-loop delay p99 beyond which the run is inconclusive').prefault('50ms')
    })
    .prefault({})
})

export type ScenarioInput = z.input<typeof scenarioSchema>
export type ScenarioConfig = z.output<typeof scenarioSchema>
export type DeviceConfig = z.output<typeof deviceSchema>
export type AppiumDeviceConfig = Extract<DeviceConfig, { driver: 'appium' }>
export type BrowserDeviceConfig = Extract<DeviceConfig, { driver: 'browser' }>
export type TimelineEntry = z.output<typeof timelineEntrySchema>
export type FlowAction = NonNullable<TimelineEntry['flow']>

/** A flow's name in results and metrics: its `name:`, or the spec's file name without `.spec.js` (or .mjs, .cjs, .js). */
export function flowName(flow: Pick<FlowAction, 'name' | 'spec'>): string {
  if (flow.name != null) return flow.name
  const base = flow.spec.split(/[\\/]/).at(-1) ?? flow.spec
  return base.replace(/(\.(spec|test|flow))?\.(m|c)?[jt]s$/i, '')
}

/** Every flow name a scenario's timeline runs, once each (the metric catalogue needs them). */
export function flowNames(config: Pick<ScenarioConfig, 'timeline'>): string[] {
  return [...new Set(config.timeline.flatMap((entry) => (entry.flow == null ? [] : [flowName(entry.flow)])))]
}

export function scenarioJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(scenarioSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>
}

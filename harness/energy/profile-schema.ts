import { z } from 'zod'

// One schema per model. Units are SI throughout (seconds, watts, bytes); W/Mbps for the transfer
// slopes, so Huang's mW/Mbps table values are divided by 1000. Strict objects so that a misspelt
// key in a user's profile is an error rather than a silently ignored default.

const seconds = z.number().finite().nonnegative()
const positiveSeconds = z.number().finite().positive()
const watts = z.number().finite().nonnegative()
const bytes = z.number().finite().nonnegative()
const stateName = z.string().regex(/^[a-z][a-z0-9-]*$/, 'a lower-case state name such as long-drx')

const common = {
  name: z.string().min(1),
  description: z.string().optional(),
  technology: z.enum(['lte', '3g', 'wifi', '5g-nsa', 'other']).optional(),
  /** Where the numbers come from: paper and table, or file. */
  source: z.string().min(1),
  /** Whether the numbers were checked against the primary source. */
  verified: z.boolean(),
  notes: z.string().optional()
}

/** A low-duty on/off pattern (DRX on-durations, idle paging, WiFi beacons) priced as its average. */
export const pulseSchema = z
  .strictObject({
    cycleSeconds: positiveSeconds,
    onSeconds: seconds,
    onWatts: watts
  })
  .refine((p) => p.onSeconds <= p.cycleSeconds, { message: 'onSeconds must not exceed cycleSeconds', path: ['onSeconds'] })

export const phaseSchema = z.strictObject({
  state: stateName,
  /** Omitted on the last tail phase only: it then lasts until tailSeconds. */
  seconds: seconds.optional(),
  /** Base power of the phase; a pulse adds its on-duration on top. */
  watts,
  pulse: pulseSchema.optional()
})

export const tailModelSchema = z
  .strictObject({
    ...common,
    model: z.literal('tail'),
    /** Paid before the first packet of a burst after the radio went idle. */
    promotion: z.strictObject({ state: stateName.default('promotion'), seconds, watts }).optional(),
    active: z.strictObject({
      state: stateName.default('connected'),
      /** Gaps up to this long keep the radio in continuous transfer (LTE's DRX inactivity timer Ti). */
      inactivitySeconds: seconds,
      betaWatts: watts,
      alphaUpWattsPerMbps: watts.default(0),
      alphaDownWattsPerMbps: watts.default(0),
      /** Throughput is measured in windows of this length (Huang: 0.5 s). */
      windowSeconds: positiveSeconds.default(0.5)
    }),
    /** Total time from the last packet until idle; phases are laid in order from the last packet. */
    tailSeconds: seconds.optional(),
    tail: z.array(phaseSchema).min(1),
    idle: z.strictObject({ state: stateName.default('idle'), watts, pulse: pulseSchema.optional() })
  })
  .superRefine((p, ctx) => {
    const last = p.tail.length - 1
    let sum = 0
    let open = false
    p.tail.forEach((phase, i) => {
      if (phase.seconds == null && (i !== last || p.tailSeconds == null)) {
        open = true
        ctx.addIssue({
          code: 'custom',
          path: ['tail', i, 'seconds'],
          message: i === last ? 'the last tail phase needs seconds unless tailSeconds is given' : 'only the last tail phase may omit seconds'
        })
      }
      sum += phase.seconds ?? 0
    })
    if (p.tailSeconds != null && sum > p.tailSeconds + 1e-9) {
      ctx.addIssue({ code: 'custom', path: ['tailSeconds'], message: `tail phases add up to ${sum} s, more than tailSeconds` })
    }
    const total = p.tailSeconds ?? sum
    // With a phase length missing the tail's length is unknown: the error above says why.
    if (!open && p.active.inactivitySeconds > total + 1e-9) {
      ctx.addIssue({ code: 'custom', path: ['active', 'inactivitySeconds'], message: `inactivitySeconds exceeds the whole tail (${total} s)` })
    }
  })

const promotionCost = z.strictObject({ seconds, watts })
const directionBytes = z.strictObject({ upBytes: bytes, downBytes: bytes })

export const energyBox3gSchema = z.strictObject({
  ...common,
  model: z.literal('energybox-3g'),
  dchTailSeconds: seconds,
  fachTailSeconds: seconds,
  /** In IDLE, a single packet larger than this goes straight to DCH; otherwise to FACH. */
  idleToDchBytes: directionBytes,
  /** In FACH, an RLC buffer larger than this promotes to DCH. */
  fachToDchBytes: directionBytes,
  /** Uplink buffer drains in this many seconds per buffered byte. */
  uplinkDrainSecondsPerByte: seconds,
  /** Downlink buffer drains after this constant time. */
  downlinkDrainSeconds: seconds,
  /** EnergyBox delays the IDLE->DCH switch of a large uplink packet by this (its IDLE_TO_DCH_TRANSITION_TIME). */
  idleToDchDelaySeconds: seconds.default(0),
  power: z.strictObject({ idleWatts: watts, fachWatts: watts, dchWatts: watts }),
  /** Promotion costs (Video Optimizer); EnergyBox promotes instantly and has none. */
  promotion: z
    .strictObject({
      idleToFach: promotionCost.optional(),
      idleToDch: promotionCost.optional(),
      fachToDch: promotionCost.optional()
    })
    .optional(),
  /** Window used only to share active energy between packets by bytes. */
  attributionWindowSeconds: positiveSeconds.default(0.5)
})

export const energyBoxWifiSchema = z.strictObject({
  ...common,
  model: z.literal('energybox-wifi'),
  camTailSeconds: seconds,
  windowSeconds: positiveSeconds,
  /** Bytes (both directions) per window above which CAM becomes high CAM. */
  highThresholdBytes: bytes,
  power: z.strictObject({ psmWatts: watts, camWatts: watts, camhWatts: watts }),
  attributionWindowSeconds: positiveSeconds.default(0.5)
})

export const radioProfileSchema = z.discriminatedUnion('model', [tailModelSchema, energyBox3gSchema, energyBoxWifiSchema])

/** A radio energy profile: parameters, their source, and whether they were checked. */
export type RadioProfile = z.output<typeof radioProfileSchema>
/** What a user writes in a profile file (defaults not yet applied). */
export type RadioProfileInput = z.input<typeof radioProfileSchema>
export type TailModelProfile = z.output<typeof tailModelSchema>
export type EnergyBox3gProfile = z.output<typeof energyBox3gSchema>
export type EnergyBoxWifiProfile = z.output<typeof energyBoxWifiSchema>
export type RadioModel = RadioProfile['model']
export type PulseSpec = z.output<typeof pulseSchema>
export type PhaseSpec = z.output<typeof phaseSchema>

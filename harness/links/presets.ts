// Radio presets as data. Every figure is typical of the technology as published elsewhere (cited
// in `source`), not measured on these machines; where courier had to choose a number (jitter, and
// everything about congested WiFi) the source says so.
import { closest, distance } from 'fastest-levenshtein'
import { InvalidInputError, type SourceLocation } from '../interface/index.js'
import type { LinkProfile } from './profile.js'

/** A named pair of profiles with where its numbers come from. */
export interface LinkPreset {
  name: string
  description: string
  /** Dialer (device) to network. */
  up: LinkProfile
  /** Network to dialer (device). */
  down: LinkProfile
  /** Where the numbers come from; always typical values, never measured here. */
  source: string
}

const WPT = 'WebPageTest connectivity profiles (WPO-Foundation/webpagetest www/settings/connectivity.ini.sample)'

const PRESETS: readonly LinkPreset[] = [
  {
    name: 'perfect',
    description: 'no shaping at all: the relay only measures',
    up: { latencyMs: 0, jitterMs: 0, lossRate: 0, bandwidthBps: 0 },
    down: { latencyMs: 0, jitterMs: 0, lossRate: 0, bandwidthBps: 0 },
    source: "none: the identity link, for measuring the shaper's own overhead"
  },
  {
    name: '3g',
    description: 'UMTS/HSPA: 1.6 Mbit/s down, 768 kbit/s up, 300 ms RTT',
    up: { latencyMs: 150, jitterMs: 20, lossRate: 0, bandwidthBps: 768_000 },
    down: { latencyMs: 150, jitterMs: 20, lossRate: 0, bandwidthBps: 1_600_000 },
    source:
      `typical, not measured here: rates and RTT from ${WPT} "3G (1.6 Mbps/768 Kbps 300ms RTT)", split evenly per direction, plr=0 there; ` +
      'loss 0 because 3G radio links retransmit at the RLC layer (acknowledged mode), so radio loss shows up as delay variation instead; ' +
      "the +-20 ms jitter is courier's assumption"
  },
  {
    name: 'lte',
    description: 'LTE: 12 Mbit/s both ways, 70 ms RTT',
    up: { latencyMs: 35, jitterMs: 5, lossRate: 0, bandwidthBps: 12_000_000 },
    down: { latencyMs: 35, jitterMs: 5, lossRate: 0, bandwidthBps: 12_000_000 },
    source:
      `typical, not measured here: rates and RTT from ${WPT} "LTE (12 Mbps, 70ms RTT)", plr=0 there; ` +
      'loss 0 is consistent with 3GPP TS 23.203 Table 6.1.7 (QCI 6-9, TCP-based services: packet error loss rate 1e-6 after HARQ/RLC); ' +
      "the +-5 ms jitter is courier's assumption"
  },
  {
    name: 'wifi',
    description: 'a good home or office WiFi: 30 Mbit/s down, 15 Mbit/s up, ~2 ms to the access network',
    up: { latencyMs: 1, jitterMs: 1, lossRate: 0, bandwidthBps: 15_000_000 },
    down: { latencyMs: 1, jitterMs: 1, lossRate: 0, bandwidthBps: 30_000_000 },
    source:
      'typical, not measured here: Firefox DevTools network throttling "Wi-Fi" (30 Mbps down, 15 Mbps up, 2 ms minimum latency; ' +
      "devtools/client/shared/components/throttling/profiles.js), the 2 ms split as 1 ms each way; the +-1 ms jitter is courier's assumption"
  },
  {
    name: 'congested-wifi',
    description: 'a conference hall WiFi shared by hundreds: slow, very variable, some loss',
    up: { latencyMs: 40, jitterMs: 35, lossRate: 0.02, bandwidthBps: 500_000 },
    down: { latencyMs: 40, jitterMs: 35, lossRate: 0.02, bandwidthBps: 1_000_000 },
    source:
      "courier's assumption, typical of the conditions described (not measured here, no figures copied): " +
      'Jardosh et al., "Understanding Congestion in IEEE 802.11b Wireless Networks", IMC 2005 (the IETF 62 meeting network) and ' +
      'Rodrig et al., "Measurement-based Characterization of 802.11 in a Hotspot Setting", SIGCOMM E-WIND 2005 (SIGCOMM 2004 network) ' +
      'report heavy contention, many link-layer retransmissions and throughput collapsing under load; hence a rate of a few hundred kbit/s ' +
      'per user, delay varying by tens of ms, and 2% of segments reaching TCP as losses'
  }
]

/** The built-in presets (copies: editing one does not change the next call's). */
export function listLinkPresets(): LinkPreset[] {
  return PRESETS.map(copyPreset)
}

/** Built-in preset names. */
export const LINK_PRESET_NAMES: readonly string[] = Object.freeze(PRESETS.map((p) => p.name))

/**
 * A built-in preset by name. An unknown name throws InvalidInputError naming the known ones, at
 * `location` and `path` when the caller knows where the name came from (a scenario field).
 */
export function getLinkPreset(name: string, where: { location?: SourceLocation; path?: string } = {}): LinkPreset {
  const found = PRESETS.find((p) => p.name === name)
  if (found != null) return copyPreset(found)
  const near = closest(
    String(name).toLowerCase(),
    PRESETS.map((p) => p.name)
  )
  throw new InvalidInputError([
    {
      location: where.location ?? { file: '<link presets>' },
      path: where.path ?? '',
      message: `unknown link preset "${name}"`,
      expected: `one of ${PRESETS.map((p) => p.name).join(', ')}`,
      found: name,
      hint: distance(String(name).toLowerCase(), near) <= 3 ? `did you mean "${near}"?` : 'or give latency, jitter, loss and bandwidth explicitly'
    }
  ])
}

function copyPreset(p: LinkPreset): LinkPreset {
  return { ...p, up: { ...p.up }, down: { ...p.down } }
}

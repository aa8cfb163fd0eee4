// Link shaping: latency, jitter, loss and bandwidth on the TCP connections courier owns, without
// kernel netem. See README.md in this folder.
export { startShapedLink, createBottleneck } from './shaped-link.js'
export type { Bottleneck, ShapedLink, ShapedLinkInit, ShapedLinkStats, DirectionStats, BlockOptions, LinkTarget } from './shaped-link.js'
export {
  PERFECT_PROFILE,
  SEGMENT_BYTES,
  MIN_RTO_MS,
  retransmissionTimeoutMs,
  linkProfileProblems,
  checkLinkProfile,
  worseProfile,
  isPerfectProfile
} from './profile.js'
export type { LinkProfile, LinkProfiles } from './profile.js'
export { getLinkPreset, listLinkPresets, LINK_PRESET_NAMES } from './presets.js'
export type { LinkPreset } from './presets.js'
export { schedulePiece, maxPieceBytes } from './schedule.js'
export type { ScheduledPiece, Serializer, StreamState } from './schedule.js'
export { streamRandom } from '../interface/random.js'
export type { Random } from '../interface/random.js'
export { kernelShapingSupport, netemAvailability, linkBackends, selectLinkBackend } from './kernel.js'
export type { Availability, KernelShapingSupport, LinkBackendInfo } from './kernel.js'

import type { CapturedPacket, RadioPacket } from '../interface/index.js'

// From captured frames to the packet timeline an energy model needs, with EnergyBox's conventions
// (they are what its oracles were produced with): every frame counts, in the order given (file
// order); time is relative to the first frame; the size is the wire length including the link
// header; uplink means the frame's source address is the device's, anything else (including
// frames without IP) is downlink.

/** Which rule picked the device address. */
export type DeviceAddressRule = 'http-requests' | 'dns-queries' | 'most-frequent'

export interface DeviceAddressChoice {
  address: string
  rule: DeviceAddressRule
  /** Requests, queries or occurrences that decided it. */
  count: number
}

const HTTP_PORTS = new Set([80, 8080])

// Insertion-ordered counting, so that ties go to the address seen first.
function leader(counts: Map<string, number>): { address: string; count: number } | null {
  let best: { address: string; count: number } | null = null
  for (const [address, count] of counts) if (best == null || count > best.count) best = { address, count }
  return best
}

function bump(counts: Map<string, number>, key: string): void {
  counts.set(key, (counts.get(key) ?? 0) + 1)
}

/**
 * Picks the device's address as EnergyBox does: the source of the most HTTP requests, else of the
 * most DNS queries, else the address seen most often as source or destination; ties go to the
 * address seen first. Without payloads, an HTTP request is approximated by a TCP segment with
 * payload to port 80 or 8080, and a DNS query by a UDP datagram to port 53.
 */
export function chooseDeviceAddress(packets: Iterable<CapturedPacket>): DeviceAddressChoice | null {
  const http = new Map<string, number>()
  const dns = new Map<string, number>()
  const seen = new Map<string, number>()
  for (const p of packets) {
    if (p.ip == null) continue
    bump(seen, p.ip.src)
    bump(seen, p.ip.dst)
    const tr = p.transport
    if (tr == null) continue
    if (p.ip.protocol === 'tcp' && HTTP_PORTS.has(tr.dstPort) && tr.payloadLength > 0) bump(http, p.ip.src)
    if (p.ip.protocol === 'udp' && tr.dstPort === 53) bump(dns, p.ip.src)
  }
  const byHttp = leader(http)
  if (byHttp != null) return { ...byHttp, rule: 'http-requests' }
  const byDns = leader(dns)
  if (byDns != null) return { ...byDns, rule: 'dns-queries' }
  const byCount = leader(seen)
  return byCount == null ? null : { ...byCount, rule: 'most-frequent' }
}

/** Options of radioPacketsFromCapture. */
export interface CaptureTimelineOptions {
  /** The device's address; chosen by chooseDeviceAddress when absent. */
  deviceAddress?: string
  /** Label for attribution; default: protocol and the remote end, e.g. `tcp 173.194.69.109:443`. */
  label?: (packet: CapturedPacket, direction: 'up' | 'down') => string | undefined
}

export interface CaptureTimeline {
  deviceAddress: string | null
  rule: DeviceAddressRule | 'given' | null
  packets: RadioPacket[]
}

function defaultLabel(p: CapturedPacket, direction: 'up' | 'down'): string {
  if (p.ip == null) return 'non-ip'
  const remote = direction === 'up' ? p.ip.dst : p.ip.src
  if (p.transport == null) return `${p.ip.protocol} ${remote}`
  const port = direction === 'up' ? p.transport.dstPort : p.transport.srcPort
  return `${p.ip.protocol} ${remote.includes(':') ? `[${remote}]` : remote}:${port}`
}

/** Turns captured frames (in file order) into the radio timeline of the device. */
export function radioPacketsFromCapture(frames: readonly CapturedPacket[], options: CaptureTimelineOptions = {}): CaptureTimeline {
  const choice = options.deviceAddress == null ? chooseDeviceAddress(frames) : null
  const device = options.deviceAddress ?? choice?.address ?? null
  const label = options.label ?? defaultLabel
  const t0 = frames.length > 0 ? frames[0].timestampUs : 0
  const packets: RadioPacket[] = frames.map((p) => {
    const direction = device != null && p.ip?.src === device ? 'up' : 'down'
    const packet: RadioPacket = { time: (p.timestampUs - t0) / 1e6, bytes: p.wireLength, direction }
    const l = label(p, direction)
    if (l !== undefined) packet.label = l
    return packet
  })
  return { deviceAddress: device, rule: options.deviceAddress != null ? 'given' : (choice?.rule ?? null), packets }
}

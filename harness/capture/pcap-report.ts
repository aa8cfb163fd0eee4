import { formatPcapBytes } from '../interface/index.js'
import type { CaptureAnalysis, Conversation, EndpointRef, EndpointStats } from './flows.js'
import type { PcapFileHeader, TruncatedTail } from './pcap-reader.js'

/** Version tag of `courier pcap --json`; bumped only on an incompatible change. */
export const PCAP_JSON_SCHEMA = 'courier.pcap/1'

/**
 * The document `courier pcap --json` prints. Stable within one `schema` value: fields may be
 * added, none removed or changed in meaning. Times are µs since the epoch, sizes bytes.
 */
export interface PcapJson {
  schema: typeof PCAP_JSON_SCHEMA
  file: {
    path: string
    bytes: number
    format: Pick<PcapFileHeader, 'byteOrder' | 'nanosecond' | 'snaplen' | 'linkType' | 'linkTypeName' | 'linkTypeSupported'>
    /** Set when the last record was cut off and `--allow-truncated` let the rest be analysed. */
    truncated: TruncatedTail | null
  }
  totals: CaptureAnalysis['totals']
  /** Largest first; at most `--top` of them when given (totals.conversations tells how many exist). */
  conversations: Conversation[]
  endpoints: EndpointStats[]
  /** Only with `--per-second`. */
  timeline?: CaptureAnalysis['timeline']
  /** Sections added by packet sinks (e.g. a radio energy model), by name. */
  extensions: Record<string, unknown>
}

/** Builds the `--json` document; `top` limits conversations, endpoints and timeline conversations. */
export function toPcapJson(analysis: CaptureAnalysis, file: PcapJson['file'], top?: number): PcapJson {
  const limit = <T>(items: T[]): T[] => (top === undefined ? items : items.slice(0, top))
  const doc: PcapJson = {
    schema: PCAP_JSON_SCHEMA,
    file,
    totals: analysis.totals,
    conversations: limit(analysis.conversations),
    endpoints: limit(analysis.endpoints),
    extensions: analysis.extensions
  }
  if (analysis.timeline !== undefined) doc.timeline = analysis.timeline
  return doc
}

/** The human report: totals, conversations and endpoints by bytes, optionally the timeline. */
export function formatPcapText(doc: PcapJson, top: number): string {
  const t = doc.totals
  const f = doc.file
  const out: string[] = []
  out.push(`capture ${f.path}`)
  out.push(
    `  ${f.format.linkTypeName}, ${f.format.nanosecond ? 'ns' : 'µs'} timestamps, ${f.format.byteOrder}-endian, snaplen ${f.format.snaplen}, ${f.bytes} bytes`
  )
  if (!f.format.linkTypeSupported) out.push('  note: courier does not decode this link type; frames are counted but not attributed')
  if (t.impossibleLengths > 0)
    out.push(
      `  warning: ${t.impossibleLengths} IP packet(s) claimed more bytes than their frame carried (forged or corrupt headers); counted at the frame's length`
    )
  if (f.truncated !== null)
    out.push(`  warning: truncated capture: the last record (#${f.truncated.recordIndex}, offset ${f.truncated.offset}) is cut off and was skipped`)
  out.push('')
  out.push(`packets    ${t.packets} (tcp ${t.tcpPackets}, udp ${t.udpPackets}, other ip ${t.otherIpPackets}, non-ip ${t.nonIpPackets})`)
  out.push(`wire       ${formatPcapBytes(t.wireBytes)}   payload ${formatPcapBytes(t.payloadBytes)}`)
  out.push(`retrans    ${t.retransmittedPackets} tcp segments, ${formatPcapBytes(t.retransmittedBytes)} of payload sent again`)
  out.push(`time       ${t.firstUs === null ? '-' : iso(t.firstUs)} .. ${t.lastUs === null ? '-' : iso(t.lastUs)} (${t.durationSeconds.toFixed(3)} s)`)
  out.push(`flows      ${t.conversations} conversations, ${t.endpoints} endpoints`)

  const conversations = doc.conversations.slice(0, top)
  if (conversations.length > 0) {
    out.push('')
    out.push(`Conversations by wire bytes (${conversations.length} of ${t.conversations}; A initiated, up = A->B)`)
    out.push(
      table(
        ['proto', 'A', 'B', 'label', 'pkts', 'wire A->B', 'wire B->A', 'payload A->B', 'payload B->A', 'retrans', 'seconds'],
        conversations.map((c) => [
          c.protocol,
          who(c.a),
          who(c.b),
          c.label ?? '',
          String(c.packets),
          String(c.aToB.wireBytes),
          String(c.bToA.wireBytes),
          String(c.aToB.payloadBytes),
          String(c.bToA.payloadBytes),
          retrans(c),
          ((c.lastUs - c.firstUs) / 1e6).toFixed(3)
        ]),
        [false, false, false, false, true, true, true, true, true, true, true]
      )
    )
  }
  const endpoints = doc.endpoints.slice(0, top)
  if (endpoints.length > 0) {
    out.push('')
    out.push(`Endpoints by wire bytes (${endpoints.length} of ${t.endpoints})`)
    out.push(
      table(
        ['endpoint', 'role', 'conv', 'pkts out', 'pkts in', 'wire out', 'wire in', 'payload out', 'payload in'],
        endpoints.map((e) => [
          who(e),
          e.role ?? '',
          String(e.conversations),
          String(e.packetsSent),
          String(e.packetsReceived),
          String(e.wireBytesSent),
          String(e.wireBytesReceived),
          String(e.payloadBytesSent),
          String(e.payloadBytesReceived)
        ]),
        [false, false, true, true, true, true, true, true, true]
      )
    )
  }
  if (doc.timeline !== undefined && doc.timeline.seconds.length > 0) {
    out.push('')
    const busy = doc.timeline.seconds.filter((s) => s.packets > 0)
    const idle = doc.timeline.seconds.length - busy.length
    out.push(`Per second (wire bytes; second 0 starts ${iso(doc.timeline.originUs)}${idle > 0 ? `; ${idle} idle seconds not shown` : ''})`)
    const flows = doc.timeline.conversations
    const header = ['second', 'up', 'down', 'pkts', ...flows.map((_, i) => `#${i + 1} up/down`)]
    out.push(
      table(
        header,
        busy.map((s) => [
          String(s.second),
          String(s.up),
          String(s.down),
          String(s.packets),
          ...flows.map((c) => `${c.seconds[s.second].up}/${c.seconds[s.second].down}`)
        ]),
        header.map(() => true)
      )
    )
    for (const [i, c] of flows.entries()) out.push(`  #${i + 1} ${c.key}`)
  }
  for (const [name, section] of Object.entries(doc.extensions)) {
    out.push('')
    out.push(`${name}`)
    out.push(
      JSON.stringify(section, null, 2)
        .split('\n')
        .map((l) => `  ${l}`)
        .join('\n')
    )
  }
  return out.join('\n') + '\n'
}

function who(e: EndpointRef): string {
  return e.name === undefined ? e.key : `${e.name} (${e.key})`
}

function retrans(c: Conversation): string {
  const packets = c.aToB.retransmittedPackets + c.bToA.retransmittedPackets
  return packets === 0 ? '0' : `${packets} (${c.aToB.retransmittedBytes + c.bToA.retransmittedBytes} B)`
}

function iso(us: number): string {
  return new Date(Math.floor(us / 1000)).toISOString().replace(/\.(\d{3})Z$/, `.$1${String(Math.floor(us % 1000)).padStart(3, '0')}Z`)
}

function table(header: string[], rows: string[][], right: boolean[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)))
  const line = (cells: string[]): string =>
    '  ' +
    cells
      .map((c, i) => (right[i] ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd()
  return [line(header), ...rows.map(line)].join('\n')
}

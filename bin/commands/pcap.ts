import { InvalidArgumentError, type Command } from 'commander'
import { compareRadios, loadRadioProfile, priceTimeline, radioPacketsFromCapture, type EnergyReport, type RadioProfile } from '../../harness/energy/index.js'
import { InvalidInputError, type CapturedPacket } from '../../harness/interface/index.js'
import { analyzePcapFile, describeTruncatedTail, formatPcapText, loadEndpointMap, toPcapJson, type PacketSink } from '../../harness/capture/index.js'

interface PcapFlags {
  radio?: string
  device?: string
  map?: string
  json?: boolean
  top?: number
  perSecond?: boolean
  allowTruncated?: boolean
}

const HELP_AFTER = `
Reads a classic pcap file (tcpdump -w; either byte order, µs or ns timestamps) in one streaming
pass. Link types: Ethernet (with 802.1Q tags), Linux cooked v1/v2, NULL/LOOP, raw IP.
pcapng is refused: convert it first with \`editcap -F pcap in.pcapng out.pcap\`.

Conversations merge both directions of a 5-tuple. A is the initiator (the first sender, or the
receiver of a first SYN-ACK); "up" is A->B. Wire bytes include link-layer headers; payload bytes
count each TCP byte once; retransmitted TCP payload (a sequence range seen again) is counted apart.

Map file (YAML) naming endpoints and ports:
  endpoints:
    "127.0.0.1:60001": { name: store-1, role: store }
    "10.0.0.7": { name: phone }        # every port of that address
  protocols:
    60001: waku-store                  # or tcp/60001, udp/9000

--json prints one document, schema "courier.pcap/1":
  { schema, file: { path, bytes, format, truncated }, totals: { packets, wireBytes, payloadBytes,
    retransmittedPackets, retransmittedBytes, conversations, endpoints, firstUs, lastUs, ... },
    conversations: [{ key, protocol, a, b, label?, aToB, bToA, packets, wireBytes, payloadBytes,
    firstUs, lastUs }], endpoints: [...], timeline?: { originUs, seconds: [{ second, up, down,
    packets }], conversations: [{ key, seconds }] }, extensions: {} }
  Times are µs since the epoch, sizes bytes. Fields may be added, never removed, within a schema.

Exit codes: 0 analysed, 2 the file (or map file, or a flag) is invalid.

Examples:
  courier pcap run/capture.pcap
  courier pcap run/capture.pcap --map fleet-map.yaml --top 5 --per-second
  courier pcap run/capture.pcap --json > capture.json
`

/** `courier pcap FILE`: flows, endpoints, bytes and retransmissions of a capture. */
export function registerPcapCommand(program: Command): void {
  program
    .command('pcap')
    .description('analyse a packet capture: conversations, endpoints, wire and payload bytes, TCP retransmissions')
    .argument('<file>', 'classic pcap file (e.g. from tcpdump -w)')
    .option('--map <file>', 'YAML file naming endpoints ("ip:port" -> name, role) and ports (-> protocol label)')
    .option('--json', 'print one JSON document (schema courier.pcap/1) instead of tables')
    .option('--top <n>', 'show the N largest conversations and endpoints (table default 10; JSON default all)', positiveInteger)
    .option('--per-second', 'add a per-second timeline of bytes up/down, overall and for the top conversations')
    .option('--allow-truncated', 'if the last record is cut off, analyse the packets before it and warn instead of failing')
    .option('--radio <profile>', 'price the capture on a radio energy model: lte, 3g, wifi, 5g-nsa, ... or a JSON profile file')
    .option('--device <ip>', 'with --radio: the address of the device whose radio is priced (default: chosen as EnergyBox does)')
    .addHelpText('after', HELP_AFTER)
    .action(async (file: string, flags: PcapFlags) => {
      const sinks: PacketSink[] = []
      if (flags.radio != null) sinks.push(radioSink(radioFromFlag(flags.radio), flags.device))
      const map = flags.map === undefined ? undefined : await loadEndpointMap(flags.map)
      const top = flags.top ?? (flags.json === true ? undefined : 10)
      const result = await analyzePcapFile(file, {
        map,
        sinks,
        perSecond: flags.perSecond === true,
        timelineTop: Math.min(top ?? 5, 5),
        allowTruncated: flags.allowTruncated === true
      })
      if (result.truncated !== null) process.stderr.write(`warning: ${file}: truncated capture: ${describeTruncatedTail(result.truncated)}\n`)
      const impossible = result.analysis.totals.impossibleLengths
      if (impossible > 0)
        process.stderr.write(`warning: ${file}: ${impossible} IP packet(s) claimed more bytes than their frame carried; counted at the frame's length\n`)
      const { header } = result
      const doc = toPcapJson(
        result.analysis,
        {
          path: file,
          bytes: result.bytes,
          format: {
            byteOrder: header.byteOrder,
            nanosecond: header.nanosecond,
            snaplen: header.snaplen,
            linkType: header.linkType,
            linkTypeName: header.linkTypeName,
            linkTypeSupported: header.linkTypeSupported
          },
          truncated: result.truncated
        },
        top
      )
      if (flags.json === true) {
        process.stdout.write(JSON.stringify(doc, null, 2) + '\n')
        return
      }
      const { radio, ...others } = doc.extensions as Record<string, unknown>
      process.stdout.write(formatPcapText({ ...doc, extensions: others }, top ?? 10))
      if (radio != null) process.stdout.write(formatRadio(radio as RadioSection))
    })
}

function radioFromFlag(value: string): RadioProfile {
  try {
    return loadRadioProfile(value)
  } catch (error) {
    if (!(error instanceof InvalidInputError)) throw error
    throw new InvalidInputError(error.problems.map((p) => (p.location.file === '<radio>' ? { ...p, location: { file: '--radio' }, path: '' } : p)))
  }
}

/** Keeps each packet's timing, size and addresses, then prices the device's radio timeline. */
function radioSink(profile: RadioProfile, deviceAddress?: string): PacketSink {
  const frames: CapturedPacket[] = []
  return {
    name: 'radio',
    add: (packet) => {
      frames.push({
        index: packet.index,
        timestampUs: packet.timestampUs,
        wireLength: packet.wireLength,
        capturedLength: packet.capturedLength,
        linkType: packet.linkType,
        ip: packet.ip,
        transport: packet.transport
      })
    },
    finish: () => {
      const timeline = radioPacketsFromCapture(frames, deviceAddress == null ? {} : { deviceAddress })
      const { timeline: _spans, ...report } = priceTimeline(timeline.packets, profile, { timeline: false })
      const whatIf = compareRadios(
        timeline.packets,
        ['lte', '3g', 'wifi'].map((name) => loadRadioProfile(name)),
        { timeline: false }
      ).rows
      return { deviceAddress: timeline.deviceAddress, rule: timeline.rule, report, whatIf }
    }
  }
}

type RadioSection = {
  deviceAddress: string | null
  rule: string | null
  report: Omit<EnergyReport, 'timeline'>
  whatIf: Array<{ profile: string; totalJoules: number; mAhPerHour: number | null; tailShare: number }>
}

function formatRadio({ deviceAddress, rule, report, whatIf }: RadioSection): string {
  const pct = (x: number): string => `${(x * 100).toFixed(1)}%`
  const lines = [
    '',
    `radio energy (${report.profile.name}${report.profile.verified ? '' : ', unverified profile'}) of device ${deviceAddress ?? '?'} (chosen by ${rule ?? '?'})`,
    `  total ${report.totalJoules.toFixed(2)} J = ${report.mAh.toFixed(3)} mAh at ${report.voltage} V over ${report.durationSeconds.toFixed(1)} s; radio active ${report.radioActiveSeconds.toFixed(1)} s; ${report.promotions} promotions`,
    `  tails ${pct(report.tailShare)} and promotions ${pct(report.promotionShare)} of the energy; ${report.joulesPerKB == null ? '' : `${report.joulesPerKB.toFixed(3)} J per kB`}`,
    '  same traffic on other radios: ' + whatIf.map((row) => `${row.profile} ${row.totalJoules.toFixed(1)} J (tails ${pct(row.tailShare)})`).join(', '),
    ''
  ]
  return lines.join('\n')
}

function positiveInteger(value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number of at least 1')
  return n
}

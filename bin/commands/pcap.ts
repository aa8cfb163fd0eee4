import { InvalidArgumentError, type Command } from 'commander'
import { analyzePcapFile, describeTruncatedTail, formatPcapText, loadEndpointMap, toPcapJson, type PacketSink } from '../../harness/capture/index.js'

interface PcapFlags {
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
export function registerPcapCommand (program: Command): void {
  program
    .command('pcap')
    .description('analyse a packet capture: conversations, endpoints, wire and payload bytes, TCP retransmissions')
    .argument('<file>', 'classic pcap file (e.g. from tcpdump -w)')
    .option('--map <file>', 'YAML file naming endpoints ("ip:port" -> name, role) and ports (-> protocol label)')
    .option('--json', 'print one JSON document (schema courier.pcap/1) instead of tables')
    .option('--top <n>', 'show the N largest conversations and endpoints (table default 10; JSON default all)', positiveInteger)
    .option('--per-second', 'add a per-second timeline of bytes up/down, overall and for the top conversations')
    .option('--allow-truncated', 'if the last record is cut off, analyse the packets before it and warn instead of failing')
    // Extension point: `--radio <profile>` belongs to the energy module (harness/energy). It will
    // add an option here and push a PacketSink into `sinks` below that prices the packet
    // timeline; its result then appears as `extensions.radio` in --json and as a text section.
    .addHelpText('after', HELP_AFTER)
    .action(async (file: string, flags: PcapFlags) => {
      const sinks: PacketSink[] = []
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
      const { header } = result
      const doc = toPcapJson(result.analysis, {
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
      }, top)
      process.stdout.write(flags.json === true ? JSON.stringify(doc, null, 2) + '\n' : formatPcapText(doc, top ?? 10))
    })
}

function positiveInteger (value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number of at least 1')
  return n
}

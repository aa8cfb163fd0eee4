export { readPcap, readPcapBatches, readPcapHeader, describeTruncatedTail } from './pcap-reader.js'
export type { PcapFileHeader, ReadPcapOptions, TruncatedTail } from './pcap-reader.js'
export { decodeFrame, formatIpv6, LinkType, linkTypeName } from './decode.js'
export { PcapFileWriter, pcapGlobalHeader, pcapRecord, buildFrame, TcpFlags } from './pcap-writer.js'
export type { PcapWriterInit, FrameSpec } from './pcap-writer.js'
export { loadEndpointMap, parseEndpointMap, emptyEndpointMap, endpointKey, normaliseEndpointKey } from './endpoint-map.js'
export type { EndpointMap, EndpointName } from './endpoint-map.js'
export { CaptureAnalyzer, analyzePackets, SeqTracker } from './flows.js'
export type {
  AnalyzeOptions,
  CaptureAnalysis,
  CaptureTotals,
  CaptureTimeline,
  Conversation,
  DirectionStats,
  EndpointRef,
  EndpointStats,
  PacketSink,
  SecondBucket
} from './flows.js'
export { analyzePcapFile } from './analyze-file.js'
export type { AnalyzePcapFileOptions, PcapFileAnalysis } from './analyze-file.js'
export { toPcapJson, formatPcapText, PCAP_JSON_SCHEMA } from './pcap-report.js'
export type { PcapJson } from './pcap-report.js'
export { startTcpdump, tcpdumpAvailability, tcpdumpArgs, tcpdumpFilter, parseTcpdumpStats } from './tcpdump.js'
export type { TcpdumpInit, TcpdumpCapture, TcpdumpStats } from './tcpdump.js'
export { captureDestinations } from './destinations.js'
export type { CapturedDestination, DestinationsInit } from './destinations.js'
export { clientHelloServerName, dnsAddressAnswers } from './names.js'
export { startSocketOwners, parseSs, normaliseEndpoint, ownerOf } from './socket-owners.js'
export type { SocketOwners, SocketOwner, SocketOwnerPoller, SocketOwnerInit, SsSocket } from './socket-owners.js'

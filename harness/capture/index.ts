export { readPcap, readPcapBatches, readPcapHeader, describeTruncatedTail } from './pcap-reader.js'
export type { PcapFileHeader, ReadPcapOptions, TruncatedTail } from './pcap-reader.js'
export { decodeFrame, formatIpv6, LinkType, linkTypeName } from './decode.js'

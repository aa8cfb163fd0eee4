/** Packet-level types shared by capture (which produces them) and energy/analysis (which consume them). */

export type TransportProtocol = 'tcp' | 'udp' | 'icmp' | 'other'

/** One frame of a capture file, decoded as far as courier understands it. */
export interface CapturedPacket {
  /** 0-based position in the file; files need not be time-ordered, so order of record is this. */
  index: number
  /** Capture timestamp in whole microseconds since the Unix epoch (nanosecond files are truncated). */
  timestampUs: number
  /** Length on the wire, link-layer header included. */
  wireLength: number
  /** Bytes actually stored in the file (may be less than wireLength with a snaplen). */
  capturedLength: number
  /** pcap LINKTYPE_* number of the file. */
  linkType: number
  /** Present when the frame carries IPv4 or IPv6. */
  ip?: {
    version: 4 | 6
    src: string
    dst: string
    protocol: TransportProtocol
    /** IP total length (header + payload) as the header states it, but never more than the frame's wire length allows. */
    length: number
    /** The header claimed more than the frame can hold (a forged or corrupt packet): `length` is the frame's instead. */
    lengthExceedsFrame?: true
  }
  /** Present for TCP and UDP. */
  transport?: {
    srcPort: number
    dstPort: number
    /** Application payload bytes in this segment or datagram. */
    payloadLength: number
    tcp?: { seq: number; ack: number; flags: number }
    /** Where the payload starts, counted from the start of the frame (the secrets scanner reads and masks payload bytes). */
    payloadOffset?: number
  }
  /** File offset of the frame's first byte (after the record header). */
  frameOffset?: number
  /** The payload bytes the file holds (fewer than payloadLength after a snaplen); only with `readPcap(..., { payloads: true })`. */
  payload?: Uint8Array
}

/** One packet as a radio sees it: what energy models are driven by. */
export interface RadioPacket {
  /** Seconds, any origin; models use differences only. */
  time: number
  /** Bytes on the air interface (wire length). */
  bytes: number
  direction: 'up' | 'down'
  /** Who caused it, for attribution (a flow key, protocol name or node name). */
  label?: string
}

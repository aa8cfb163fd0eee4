const FIN = 0x01
const SYN = 0x02
const RST = 0x04
const ACK = 0x10

/** The part of a decoded TCP header these rules read. */
interface TcpHeader {
  seq: number
  flags: number
}

/**
 * What a tracker remembers of one TCP connection on a 4-tuple, to tell when the same tuple
 * carries the next connection. The kernel reuses a client port soon after a connection on it
 * closed, so a capture can hold two connections with the same addresses and ports; counting them
 * as one would undercount connections (a destination contacted twice would show once).
 */
export interface TcpSessionMarks {
  /** A FIN or RST was seen in either direction. */
  closing: boolean
  /** Sequence number of the connection's SYN, when the capture saw it. */
  synSeq: number | undefined
}

export function newTcpSessionMarks(): TcpSessionMarks {
  return { closing: false, synSeq: undefined }
}

/**
 * Whether `tcp`, seen on a tuple whose connection so far is `marks`, opens a new connection: a
 * SYN without ACK after that connection began closing, or with another initial sequence number
 * than its SYN (the close was not captured). A retransmitted SYN keeps its sequence number and
 * stays in its connection. The rule is tshark's for its `tcp.stream` index.
 */
export function opensNewConnection(marks: TcpSessionMarks, tcp: TcpHeader): boolean {
  if ((tcp.flags & (SYN | ACK)) !== SYN) return false
  return marks.closing || (marks.synSeq !== undefined && marks.synSeq !== tcp.seq >>> 0)
}

/** Records what `tcp` says about its connection; call it for every packet after `opensNewConnection`. */
export function noteTcpSegment(marks: TcpSessionMarks, tcp: TcpHeader): void {
  if ((tcp.flags & (FIN | RST)) !== 0) marks.closing = true
  if ((tcp.flags & (SYN | ACK)) === SYN && marks.synSeq === undefined) marks.synSeq = tcp.seq >>> 0
}

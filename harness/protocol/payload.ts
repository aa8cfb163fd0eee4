/**
 * courier's own envelope inside a Waku message payload: a header line that names the message
 * (so one message can be followed across re-encodings and store round trips), then filler up to
 * the size the scenario asked for. Real apps encrypt; the fleet only ever sees opaque bytes, so
 * the size is what matters for bandwidth.
 */
export interface CourierPayload {
  /** courier's message id, unique in a run. */
  id: string
  /** Sender: a device name, or `crowd/<user>`. */
  from: string
  /** Sender's send time, ms on the run clock. */
  sentAt: number
  text?: string
}

const MAGIC = 'courier1 '
const encoder = new TextEncoder()
const decoder = new TextDecoder()

export function encodePayload(payload: CourierPayload, size: number): Uint8Array {
  const header = encoder.encode(MAGIC + JSON.stringify(payload) + '\n')
  if (header.length >= size) return header
  const out = new Uint8Array(size)
  out.set(header)
  // deterministic filler: '.' compresses like text would, which is fine since nothing compresses here
  out.fill(0x2e, header.length)
  return out
}

/** Returns undefined for payloads courier did not write (foreign Waku traffic). */
export function decodePayload(bytes: Uint8Array): CourierPayload | undefined {
  const end = bytes.indexOf(0x0a)
  if (end < MAGIC.length) return undefined
  const line = decoder.decode(bytes.subarray(0, end))
  if (!line.startsWith(MAGIC)) return undefined
  try {
    const value = JSON.parse(line.slice(MAGIC.length)) as Partial<CourierPayload>
    if (typeof value.id !== 'string' || typeof value.from !== 'string' || typeof value.sentAt !== 'number') return undefined
    return value as CourierPayload
  } catch {
    return undefined
  }
}

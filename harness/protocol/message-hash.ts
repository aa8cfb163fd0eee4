import { createHash } from 'node:crypto'

/** The fields of a Waku message that its deterministic hash covers. */
export interface HashableMessage {
  payload: Uint8Array
  contentTopic: string
  meta?: Uint8Array
  /** Nanoseconds since the epoch. */
  timestamp?: bigint
}

export interface MessageHashOptions {
  /**
   * js-waku leaves out an absent or zero timestamp; nwaku and the spec always append 8 bytes.
   * courier pins the spec's rule (false) and keeps this switch only to show the difference.
   */
  omitZeroTimestamp?: boolean
}

const encoder = new TextEncoder()

/** 14/WAKU2-MESSAGE deterministic hash: sha256(pubsubTopic | payload | contentTopic | meta | timestamp_be64). */
export function messageHash(pubsubTopic: string, message: HashableMessage, options: MessageHashOptions = {}): Uint8Array {
  const hash = createHash('sha256')
  hash.update(encoder.encode(pubsubTopic))
  hash.update(message.payload)
  hash.update(encoder.encode(message.contentTopic))
  if (message.meta != null) hash.update(message.meta)
  const timestamp = message.timestamp ?? 0n
  if (!(options.omitZeroTimestamp === true && timestamp === 0n)) {
    const bytes = Buffer.alloc(8)
    bytes.writeBigUInt64BE(BigInt.asUintN(64, timestamp))
    hash.update(bytes)
  }
  return new Uint8Array(hash.digest())
}

export function messageHashHex(pubsubTopic: string, message: HashableMessage, options?: MessageHashOptions): string {
  return Buffer.from(messageHash(pubsubTopic, message, options)).toString('hex')
}

export function hexToBytes(hex: string): Uint8Array {
  return new Uint8Array(Buffer.from(hex.startsWith('0x') ? hex.slice(2) : hex, 'hex'))
}

export function bytesToHex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex')
}

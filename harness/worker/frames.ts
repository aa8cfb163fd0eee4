import type { Duplex } from 'node:stream'

/**
 * Length-prefixed JSON frames over any byte stream: 4 bytes big-endian length, then that many
 * bytes of UTF-8 JSON. The runner and a worker speak it over a pipe today; the same frames go over
 * a TCP socket unchanged when workers move to other hosts (node's IPC channel does not).
 */

/** A frame larger than this is a bug or garbage on the stream, not a message: the stream is dropped. */
export const MAX_FRAME_BYTES = 64 * 1024 * 1024

export function encodeFrame(message: unknown): Buffer {
  const body = Buffer.from(JSON.stringify(message), 'utf8')
  if (body.length > MAX_FRAME_BYTES) throw new Error(`frame of ${body.length} bytes is over the ${MAX_FRAME_BYTES}-byte limit`)
  const frame = Buffer.allocUnsafe(4 + body.length)
  frame.writeUInt32BE(body.length, 0)
  body.copy(frame, 4)
  return frame
}

/** Cuts a byte stream into frames, whatever the chunk boundaries; throws on a frame over the limit or one that is not JSON. */
export class FrameDecoder {
  private pending: Buffer[] = []
  private pendingBytes = 0

  push(chunk: Buffer): unknown[] {
    this.pending.push(chunk)
    this.pendingBytes += chunk.length
    const messages: unknown[] = []
    if (this.pendingBytes < 4) return messages
    let buffer = this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending, this.pendingBytes)
    let offset = 0
    while (buffer.length - offset >= 4) {
      const length = buffer.readUInt32BE(offset)
      if (length > MAX_FRAME_BYTES) throw new Error(`frame length ${length} is over the ${MAX_FRAME_BYTES}-byte limit: not courier's worker protocol`)
      if (buffer.length - offset - 4 < length) break
      messages.push(JSON.parse(buffer.toString('utf8', offset + 4, offset + 4 + length)))
      offset += 4 + length
    }
    buffer = buffer.subarray(offset)
    this.pending = buffer.length === 0 ? [] : [buffer]
    this.pendingBytes = buffer.length
    return messages
  }

  /** Bytes of a frame begun and not finished: non-zero when a stream ends mid-frame. */
  get buffered(): number {
    return this.pendingBytes
  }
}

/** One framed connection: `send` writes a frame, `onMessage` gets each decoded one, `onClose` once when the stream ends or fails. */
export class FramedChannel {
  private readonly decoder = new FrameDecoder()
  private closed = false
  private readonly closeListeners: Array<(reason: string) => void> = []

  constructor(
    private readonly stream: Duplex,
    onMessage: (message: unknown) => void
  ) {
    stream.on('data', (chunk: Buffer) => {
      let messages: unknown[]
      try {
        messages = this.decoder.push(chunk)
      } catch (error) {
        this.close(`bad frame: ${error instanceof Error ? error.message : String(error)}`)
        return
      }
      for (const message of messages) onMessage(message)
    })
    stream.on('end', () => {
      this.close(this.decoder.buffered > 0 ? 'the stream ended mid-frame' : 'the stream ended')
    })
    stream.on('close', () => {
      this.close('the stream closed')
    })
    stream.on('error', (error) => {
      this.close(`stream error: ${error.message}`)
    })
  }

  get isClosed(): boolean {
    return this.closed
  }

  send(message: unknown): void {
    if (this.closed) return
    this.stream.write(encodeFrame(message))
  }

  onClose(listener: (reason: string) => void): void {
    this.closeListeners.push(listener)
  }

  close(reason = 'closed'): void {
    if (this.closed) return
    this.closed = true
    this.stream.destroy()
    for (const listener of this.closeListeners) listener(reason)
  }
}

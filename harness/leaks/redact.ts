import { open } from 'node:fs/promises'
import { join } from 'node:path'
import type { LeakFinding } from '../interface/index.js'

/**
 * Overwrites every finding's bytes with `*`, in place: lengths and offsets stay, so the event
 * log stays one JSON object a line (a masked secret was inside a string, and `*` needs no
 * escaping) and a capture stays a valid pcap (only payload bytes change). Returns the files changed.
 */
export async function redactRun(runDir: string, findings: readonly LeakFinding[]): Promise<string[]> {
  const byFile = new Map<string, Array<[number, number]>>()
  for (const f of findings) {
    const ranges = byFile.get(f.file) ?? []
    ranges.push(...(f.ranges ?? [[f.offset, f.length]]))
    byFile.set(f.file, ranges)
  }
  for (const [file, ranges] of byFile) {
    const handle = await open(join(runDir, ...file.split('/')), 'r+')
    const capture = file.endsWith('.pcap')
    try {
      for (const [offset, length] of ranges) {
        const bytes = Buffer.alloc(length)
        await handle.read(bytes, 0, length, offset)
        await handle.write(capture ? Buffer.alloc(length, '*') : masked(bytes), 0, length, offset)
      }
    } finally {
      await handle.close()
    }
  }
  return [...byFile.keys()]
}

const KEPT = new Set([...'"\\,:{}[]\n\r'].map((c) => c.charCodeAt(0)))
const BACKSLASH = 0x5c

/**
 * `*` for every byte but JSON's structure: a pattern that matched `"password":"..."` must not
 * join two strings of an event line into one broken line, and the character after a backslash
 * stays whole (`\n` masked to `\*` would be an invalid escape).
 */
function masked(bytes: Buffer): Buffer {
  const out = Buffer.from(bytes)
  for (let i = 0; i < out.length; i++) {
    if (bytes[i] === BACKSLASH) {
      // the escape stays whole: \n, \\, \" or \u and its four hex digits
      i += bytes[i + 1] === 0x75 ? 5 : 1
      continue
    }
    if (!KEPT.has(bytes[i])) out[i] = 0x2a
  }
  return out
}

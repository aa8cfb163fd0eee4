import { open, readdir } from 'node:fs/promises'
import { extname, join, relative, sep } from 'node:path'
import { performance } from 'node:perf_hooks'
import { readPcapBatches } from '../capture/index.js'
import { printable, secretForms, StringIds, type CourierEvent, type LeakFinding, type LeakKind, type LeakResults } from '../interface/index.js'
import { detectAll, type Detectors, type Hit, type Knowledge } from './detect.js'

/** What `scanRun` needs: the run directory, the scenario's `leaks:` block, the configured secrets and the run's events. */
export interface ScanInit {
  runDir: string
  /** The scenario's extra patterns (already checked to compile: the schema does). */
  patterns?: ReadonlyArray<{ name: string; regex: string }>
  /** A finding whose text matches one of these is not reported. */
  allow?: readonly string[]
  /** Secrets the run was configured with: an environment variable's name and its value. Values never leave this module. */
  secrets?: ReadonlyArray<{ name: string; value: string }>
  /** The run's events: what they name as hashes and peers is not taken for a secret. */
  events?: readonly CourierEvent[]
  /** What the events name, gathered while they were read (knowledgeCollector); instead of `events`. */
  knowledge?: Knowledge
  signal?: AbortSignal
}

export interface Scan {
  results: LeakResults
  /** Every finding (results lists at most MAX_LISTED), for `redactRun`. */
  all: LeakFinding[]
}

/** Written after the scan from what it read: scanning them again would list each finding twice. */
const DERIVED = new Set(['results.json', 'report.html'])
const IMAGES = new Set(['.png', '.jpg', '.jpeg', '.gif', '.webp', '.mp4', '.webm', '.zip', '.apk', '.ipa'])
const MAX_LISTED = 1000
const CHUNK = 1 << 20
/** Longer than any secret the built-in detectors find (a 24-word mnemonic is at most 215 characters). */
const OVERLAP = 4096
/** A capture is read per flow direction; a secret split over segments is found if it is at most this long. */
const PCAP_OVERLAP = 1024
const CONTEXT = 24

/**
 * Scans every file of a run directory for secrets: text files (event log, device logs, page
 * sources, console logs, the scenario copy) in 1 MiB pieces, and the cleartext payloads of
 * capture files flow by flow. Memory stays bounded whatever the run's size.
 */
export async function scanRun(init: ScanInit): Promise<Scan> {
  const started = performance.now()
  const knowledge = init.knowledge ?? knowledgeFromEvents(init.events ?? [])
  const named = (init.secrets ?? []).filter((s) => s.value.length > 0)
  const detectors: Detectors = {
    secrets: named.flatMap(({ name, value }) => secretForms([value]).map((form) => ({ name, form: latin1(form) }))),
    patterns: (init.patterns ?? []).map(({ name, regex }) => ({ name, regex: new RegExp(latin1Pattern(regex), 'g') })),
    allow: (init.allow ?? []).map((a) => new RegExp(latin1Pattern(a))),
    knowledge,
    stats: { hexDismissed: 0, derivations: 0 }
  }
  const { stats } = detectors
  // the excerpt around a finding is masked too: a configured secret may sit beside another
  const masks = detectors.secrets.map((s) => s.form)
  const all: LeakFinding[] = []
  const skipped: LeakResults['skipped'] = []
  const scanned = { files: 0, bytes: 0, packets: 0, ms: 0 }
  for (const path of await listFiles(init.runDir)) {
    init.signal?.throwIfAborted()
    const rel = relative(init.runDir, path).split(sep).join('/')
    if (DERIVED.has(rel)) continue
    const kind = await fileKind(path)
    if (kind === 'image' || IMAGES.has(extname(path).toLowerCase())) {
      skipped.push({ file: rel, reason: 'not text (an image or archive): not scanned' })
      continue
    }
    if (kind === 'binary') {
      skipped.push({ file: rel, reason: 'binary, not a capture: not scanned' })
      continue
    }
    scanned.files++
    if (kind === 'pcap') {
      const { bytes, packets, problem } = await scanPcap(path, rel, detectors, masks, all, init.signal)
      scanned.bytes += bytes
      scanned.packets += packets
      if (problem != null) skipped.push({ file: rel, reason: problem })
    } else {
      scanned.bytes += await scanText(path, rel, detectors, masks, all)
    }
  }
  scanned.ms = Math.round(performance.now() - started)
  const byKind: Partial<Record<LeakKind, number>> = {}
  for (const f of all) byKind[f.kind] = (byKind[f.kind] ?? 0) + 1
  return {
    results: {
      findings: all.slice(0, MAX_LISTED),
      count: all.length,
      byKind,
      scanned,
      skipped,
      configured: [...new Set(named.map((s) => s.name))],
      hexDismissed: stats.hexDismissed
    },
    all
  }
}

/** Every regular file under the run directory, in a stable order; links are not followed. */
async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = []
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => [])
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  for (const entry of entries) {
    const path = join(dir, entry.name)
    // a loop, not push(...): a directory of screenshots or traces may hold more files than a call takes arguments
    if (entry.isDirectory()) for (const file of await listFiles(path)) out.push(file)
    else if (entry.isFile()) out.push(path)
  }
  return out
}

async function fileKind(path: string): Promise<'pcap' | 'text' | 'binary' | 'image'> {
  const handle = await open(path, 'r')
  try {
    const head = Buffer.alloc(4096)
    const { bytesRead } = await handle.read(head, 0, head.length, 0)
    const magic = bytesRead >= 4 ? head.readUInt32LE(0) : 0
    if (magic === 0xa1b2c3d4 || magic === 0xd4c3b2a1 || magic === 0xa1b23c4d || magic === 0x4d3cb2a1) return 'pcap'
    if (head.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image'
    return head.subarray(0, bytesRead).includes(0) ? 'binary' : 'text'
  } finally {
    await handle.close()
  }
}

/**
 * Reads a text file in 1 MiB pieces, each scanned with the previous piece's tail. Text is read as
 * Latin-1, one character a byte, like captures: offsets are byte offsets without counting, and a
 * UTF-8 character is never cut in two. The detectors look for ASCII; configured secrets and
 * patterns are matched as their UTF-8 bytes (see latin1Pattern).
 */
async function scanText(path: string, rel: string, d: Detectors, masks: readonly string[], out: LeakFinding[]): Promise<number> {
  const handle = await open(path, 'r')
  const buf = Buffer.allocUnsafe(CHUNK)
  let position = 0
  let carry = ''
  let carryLine = 1
  try {
    for (;;) {
      const { bytesRead } = await handle.read(buf, 0, CHUNK, position)
      const eof = bytesRead < CHUNK
      const carryByte = position - carry.length
      position += bytesRead
      const text = carry + buf.toString('latin1', 0, bytesRead)
      const limit = eof ? text.length : Math.max(0, text.length - OVERLAP)
      const hits = detectAll(text, d, limit)
      for (const hit of hits) {
        out.push({
          kind: hit.kind,
          detail: hit.detail,
          file: rel,
          line: carryLine + countLines(text, hit.start),
          offset: carryByte + hit.start,
          length: hit.end - hit.start,
          excerpt: excerpt(text, hit, hits, masks)
        })
      }
      carryLine += countLines(text, limit)
      carry = text.slice(limit)
      if (eof) return position
    }
  } finally {
    await handle.close()
  }
}

function countLines(text: string, end: number): number {
  let n = 0
  for (let i = text.indexOf('\n'); i >= 0 && i < end; i = text.indexOf('\n', i + 1)) n++
  return n
}

/** A flow direction's unscanned tail; each segment maps text from `at` on to file offsets of one packet. */
interface FlowState {
  carry: string
  segments: Segment[]
}
interface Segment {
  at: number
  offset: number
  packet: number
}

/** The payload bytes of every TCP and UDP packet, read per flow direction as Latin-1 (one character a byte). */
async function scanPcap(
  path: string,
  rel: string,
  d: Detectors,
  masks: readonly string[],
  out: LeakFinding[],
  signal?: AbortSignal
): Promise<{ bytes: number; packets: number; problem?: string }> {
  const flows = new Map<string, FlowState>()
  let bytes = 0
  let packets = 0
  let problem: string | undefined
  const quiet = quietText(d)
  const scan = (key: string, state: FlowState, text: string, segments: Segment[], final: boolean): void => {
    const limit = final ? text.length : Math.max(0, text.length - PCAP_OVERLAP)
    const segmentAt = (i: number): Segment => {
      let k = segments.length - 1
      while (k > 0 && segments[k].at > i) k--
      return segments[k]
    }
    const offsetAt = (i: number): number => {
      const seg = segmentAt(i)
      return seg.offset + i - seg.at
    }
    // ciphertext (most of a libp2p capture) seldom holds a printable run long enough for any detector
    const hits = quiet?.(text) === true ? [] : detectAll(text, d, limit)
    for (const hit of hits) {
      const ranges: Array<[number, number]> = []
      for (let i = hit.start; i < hit.end; i++) {
        const at = offsetAt(i)
        const last = ranges.at(-1)
        if (last != null && last[0] + last[1] === at) last[1]++
        else ranges.push([at, 1])
      }
      out.push({
        kind: hit.kind,
        detail: hit.detail,
        file: rel,
        offset: ranges[0][0],
        length: hit.end - hit.start,
        packet: segmentAt(hit.start).packet,
        flow: key,
        ...(ranges.length > 1 ? { ranges } : {}),
        excerpt: excerpt(text, hit, hits, masks, true)
      })
    }
    // what is left starts at `limit`: the segments from the one holding it, shifted to start at 0
    const first = segmentAt(limit)
    state.segments = segments
      .filter((seg) => seg.at >= limit || seg === first)
      .map((seg) =>
        seg === first ? { at: 0, offset: seg.offset + limit - seg.at, packet: seg.packet } : { at: seg.at - limit, offset: seg.offset, packet: seg.packet }
      )
    state.carry = text.slice(limit)
  }
  try {
    for await (const batch of readPcapBatches(path, {
      payloads: true,
      signal,
      onTruncated: (tail) => {
        problem = `cut short at byte ${tail.offset}: the packets before it were scanned`
      }
    })) {
      for (const packet of batch) {
        packets++
        const payload = packet.payload
        if (payload == null || payload.length === 0 || packet.ip == null || packet.transport == null || packet.frameOffset == null) continue
        bytes += payload.length
        const key = `${packet.ip.src}:${packet.transport.srcPort} > ${packet.ip.dst}:${packet.transport.dstPort}`
        const state = flows.get(key) ?? { carry: '', segments: [] }
        flows.set(key, state)
        const segment = { at: state.carry.length, offset: packet.frameOffset + (packet.transport.payloadOffset ?? 0), packet: packet.index }
        const text = state.carry + Buffer.from(payload.buffer, payload.byteOffset, payload.length).toString('latin1')
        scan(key, state, text, state.carry.length === 0 ? [segment] : [...state.segments, segment], false)
      }
    }
  } catch (error) {
    problem = `not read to the end (${error instanceof Error ? error.message.split('\n')[0] : String(error)})`
  }
  for (const [key, state] of flows) {
    if (state.carry.length === 0) continue
    scan(key, state, state.carry, state.segments, true)
  }
  return { bytes, packets, ...(problem == null ? {} : { problem }) }
}

/**
 * A test that a payload text cannot hold anything the detectors look for: no run of printable
 * ASCII as long as the shortest of them (a 12-word mnemonic is 47 characters at least, a key 64,
 * a keystore's ciphertext key 20, a configured secret as long as its shortest form). Undefined
 * (no shortcut) when a scenario pattern could match anything, or a secret is not ASCII.
 */
function quietText(d: Detectors): ((text: string) => boolean) | undefined {
  if (d.patterns.length > 0) return undefined
  // eslint-disable-next-line no-control-regex
  if (d.secrets.some((s) => /[^\x20-\x7e]/.test(s.form))) return undefined
  const shortest = Math.min(20, ...d.secrets.map((s) => s.form.length))
  const run = new RegExp(`[\\x20-\\x7e\\t\\n\\r]{${shortest},}`)
  return (text) => !run.test(text)
}

/** A text's UTF-8 bytes as Latin-1 characters: how the scanner sees files and payloads. */
function latin1(text: string): string {
  return Buffer.from(text, 'utf8').toString('latin1')
}

/** A pattern's non-ASCII characters as their UTF-8 bytes, so `passwört` finds the bytes a file holds (as literal text only: not inside a character class). */
function latin1Pattern(source: string): string {
  // eslint-disable-next-line no-control-regex
  return source.replace(/[^\x00-\x7f]+/g, (run) => `(?:${[...Buffer.from(run, 'utf8')].map((b) => `\\x${b.toString(16).padStart(2, '0')}`).join('')})`)
}

/** The line around a finding, the finding itself replaced by [kind], anything secret-looking near it masked too. */
function excerpt(text: string, hit: Hit, others: readonly Hit[], masks: readonly string[], binary = false): string {
  const lineStart = text.lastIndexOf('\n', hit.start - 1) + 1
  const nextBreak = text.indexOf('\n', hit.end)
  const lineEnd = nextBreak < 0 ? text.length : nextBreak
  const from = Math.max(lineStart, hit.start - CONTEXT)
  const to = Math.min(lineEnd, hit.end + CONTEXT)
  const mask = (part: string): string => {
    let out = part
    for (const form of masks) if (out.includes(form)) out = out.split(form).join('***')
    out = out.replace(/[0-9a-fA-F]{16,}/g, '[hex]')
    // eslint-disable-next-line no-control-regex
    out = binary ? out.replace(/[^\x20-\x7e]/g, '.') : out
    return Buffer.from(out, 'latin1').toString('utf8')
  }
  // this finding and any other in the window are replaced by their kind
  let shown = ''
  let at = from
  for (const h of others) {
    if (h.end <= from || h.start >= to || h.start < at) continue
    shown += `${mask(text.slice(at, h.start))}[${h.kind}]`
    at = h.end
  }
  return printable(shown + mask(text.slice(Math.min(at, to), to)), 200)
}

/** What the events name: 64-hex values under hash-like fields, and peer ids with their owners. */
export function knowledgeFromEvents(events: readonly CourierEvent[]): Knowledge {
  const collector = knowledgeCollector()
  for (const event of events) collector.add(event)
  return collector.finish()
}

/**
 * knowledgeFromEvents one event at a time, for a log read as a stream. `known`: hashes another
 * reader of the same events has already gathered (the analysis folds' message hashes, from each
 * event's `hash` field, which this visits too) and keeps for as long as the scan: a hash found
 * there is not kept twice.
 */
export function knowledgeCollector(known?: { has(hex: string): boolean }): { add(event: CourierEvent): void; finish(): Knowledge } {
  // a run names a hash per message: a million of them as 32 bytes each in a pool, not a Set of strings
  const own = new StringIds()
  const hashes = known == null ? own : { has: (hex: string): boolean => own.has(hex) || known.has(hex) }
  const peers = new Map<string, string>()
  const HASH_FIELD = /hash|sha256|digest|commit/i
  const visit = (value: unknown, field: string, depth: number): void => {
    if (depth > 6 || value == null) return
    if (typeof value === 'string') {
      if (HASH_FIELD.test(field) && /^(0x)?[0-9a-fA-F]{64}$/.test(value)) {
        const hex = value.replace(/^0x/, '').toLowerCase()
        if (known?.has(hex) !== true) own.id(hex)
      }
      return
    }
    if (Array.isArray(value)) {
      for (const item of value) visit(item, field, depth + 1)
      return
    }
    if (typeof value === 'object') for (const [key, inner] of Object.entries(value)) visit(inner, key, depth + 1)
  }
  return {
    add(event: CourierEvent): void {
      visit(event, '', 0)
      const e = event as unknown as Record<string, unknown>
      if (typeof e.peerId === 'string') peers.set(e.peerId, String(e.device ?? e.node ?? 'a peer'))
    },
    finish: () => ({ hashes, peers })
  }
}

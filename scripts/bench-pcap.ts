// Benchmark of courier's capture analysis against tshark on the same files, in the same run.
// Usage: node dist/scripts/bench-pcap.js [--mb 200] [--profiles chat,bulk,tcpdump] [--keep DIR]
// Prints one JSON document. Each analysis runs in its own process so peak RSS is its own.
//   chat:    synthetic Ethernet capture, messenger-like: small payloads (60-1200 B), many flows
//   bulk:    synthetic, full-size 1448 B segments and their ACKs
//   tcpdump: a real tcpdump of loopback TCP ping-pong traffic this script generates
import { spawn, spawnSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { createReadStream } from 'node:fs'
import { mkdtemp, rm, stat } from 'node:fs/promises'
import { once } from 'node:events'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import net from 'node:net'
import {
  analyzePcapFile,
  buildFrame,
  CaptureAnalyzer,
  decodeFrame,
  LinkType,
  PcapFileWriter,
  readPcap,
  startTcpdump,
  tcpdumpAvailability,
  TcpFlags
} from '../harness/capture/index.js'
import type { CapturedPacket } from '../harness/interface/index.js'

const SELF = fileURLToPath(import.meta.url)

interface WorkerResult {
  seconds: number
  packets: number
  tcpConversations: number
  payloadBytes: number
  peakRssMb: number
}

const argv = process.argv.slice(2)
if (argv[0] === '--worker') {
  process.stdout.write(JSON.stringify(await worker(argv[1], argv[2])) + '\n')
} else {
  await main()
}

async function main(): Promise<void> {
  const mb = Number(option('--mb') ?? 200)
  const profiles = (option('--profiles') ?? 'chat,bulk,tcpdump').split(',')
  const keep = option('--keep')
  const dir = keep ?? (await mkdtemp(join(tmpdir(), 'courier-bench-pcap-')))
  const tshark = ensureTshark()
  const results: unknown[] = []
  let tsharkStartupSeconds: number | null = null
  try {
    if (tshark.ok) {
      // tshark spends a fixed time registering dissectors; measured on an empty capture so the
      // ratio below can be read with and without it
      const empty = join(dir, 'empty.pcap')
      await (await PcapFileWriter.open(empty, { linkType: LinkType.ethernet })).close()
      tsharkStartupSeconds = round((await runTshark(empty)).seconds, 3)
    }
    for (const profile of profiles) {
      const file = join(dir, `${profile}.pcap`)
      const started = performance.now()
      const made = profile === 'tcpdump' ? await tcpdumpCapture(file, mb) : await synthetic(file, mb, profile === 'bulk')
      if (typeof made === 'string') {
        results.push({ profile, skipped: made })
        continue
      }
      const generateSeconds = (performance.now() - started) / 1000
      const bytes = (await stat(file)).size
      const courier = await runWorker('batches', file)
      const perPacket = await runWorker('per-packet', file)
      const pcapParser = await runWorker('pcap-parser', file)
      const figures = (r: WorkerResult): Record<string, number> => ({
        seconds: round(r.seconds, 3),
        mbPerSec: round(bytes / 1e6 / r.seconds, 1),
        packetsPerSec: Math.round(r.packets / r.seconds),
        peakRssMb: round(r.peakRssMb, 1)
      })
      const entry: Record<string, unknown> = {
        profile,
        file: { mb: round(bytes / 1e6, 1), packets: courier.packets, tcpConversations: courier.tcpConversations, generateSeconds: round(generateSeconds, 1) },
        courier: figures(courier),
        courierPerPacketIterator: figures(perPacket),
        pcapParserFraming: figures(pcapParser)
      }
      if (tshark.ok) {
        const t = await runTshark(file)
        entry.tshark = {
          seconds: round(t.seconds, 3),
          mbPerSec: round(bytes / 1e6 / t.seconds, 1),
          packetsPerSec: Math.round(courier.packets / t.seconds),
          peakRssMb: round(t.peakRssMb, 1),
          tcpConversations: t.conversations
        }
        entry.speedupVsTshark = round(t.seconds / courier.seconds, 2)
        entry.speedupVsTsharkWithoutItsStartup = round((t.seconds - (tsharkStartupSeconds ?? 0)) / courier.seconds, 2)
        entry.tcpConversationsAgree = t.conversations === courier.tcpConversations
      } else {
        entry.tshark = { skipped: tshark.reason }
      }
      results.push(entry)
      if (keep === undefined) await rm(file, { force: true })
    }
  } finally {
    if (keep === undefined) await rm(dir, { recursive: true, force: true })
  }
  process.stdout.write(
    JSON.stringify(
      {
        benchmark: 'courier pcap analysis vs tshark -q -z conv,tcp',
        node: process.version,
        tshark: tshark.ok ? tshark.version : null,
        tsharkStartupSeconds,
        note: 'courier and pcap-parser times exclude node start-up (~0.1 s); tshark times include its start-up',
        results
      },
      null,
      2
    ) + '\n'
  )
}

/** One analysis in this process: the figures a separate process reports on itself. */
async function worker(mode: string, file: string): Promise<WorkerResult> {
  const started = performance.now()
  let analysis: Awaited<ReturnType<typeof analyzePcapFile>>['analysis']
  if (mode === 'batches') {
    analysis = (await analyzePcapFile(file)).analysis
  } else if (mode === 'per-packet') {
    const analyzer = new CaptureAnalyzer()
    for await (const p of readPcap(file)) analyzer.add(p)
    analysis = analyzer.finish()
  } else {
    analysis = await withPcapParser(file)
  }
  const seconds = (performance.now() - started) / 1000
  return {
    seconds,
    packets: analysis.totals.packets,
    tcpConversations: analysis.conversations.filter((c) => c.protocol === 'tcp').length,
    payloadBytes: analysis.totals.payloadBytes,
    peakRssMb: process.resourceUsage().maxRSS / 1024
  }
}

/** The same decode and analysis, framed by the pcap-parser package instead of courier's reader. */
async function withPcapParser(file: string): Promise<ReturnType<CaptureAnalyzer['finish']>> {
  const require = createRequire(import.meta.url)
  const pcapParser = require('pcap-parser') as { parse: (input: NodeJS.ReadableStream) => NodeJS.EventEmitter }
  const parser = pcapParser.parse(createReadStream(file))
  const analyzer = new CaptureAnalyzer()
  let linkType = 1
  let index = 0
  parser.on('globalHeader', (h: { linkLayerType: number }) => {
    linkType = h.linkLayerType
  })
  parser.on(
    'packet',
    (p: { header: { timestampSeconds: number; timestampMicroseconds: number; capturedLength: number; originalLength: number }; data: Buffer }) => {
      const packet: CapturedPacket = {
        index: index++,
        timestampUs: p.header.timestampSeconds * 1e6 + p.header.timestampMicroseconds,
        wireLength: p.header.originalLength,
        capturedLength: p.header.capturedLength,
        linkType
      }
      decodeFrame(packet, p.data, 0, p.data.length, linkType)
      analyzer.add(packet)
    }
  )
  await new Promise<void>((resolve, reject) => {
    parser.on('end', resolve)
    parser.on('error', reject)
  })
  return analyzer.finish()
}

async function runWorker(mode: string, file: string): Promise<WorkerResult> {
  const child = spawn(process.execPath, ['--import', new URL('../harness/polyfill.js', import.meta.url).href, SELF, '--worker', mode, file], {
    stdio: ['ignore', 'pipe', 'inherit']
  })
  let out = ''
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString()
  })
  const [code] = (await once(child, 'close')) as [number]
  if (code !== 0) throw new Error(`worker ${mode} failed (exit ${code})`)
  return JSON.parse(out) as WorkerResult
}

/** tshark's time and peak RSS (GNU time's %M) for `-q -z conv,tcp`, and its TCP conversation count. */
async function runTshark(file: string): Promise<{ seconds: number; peakRssMb: number; conversations: number }> {
  const started = performance.now()
  const useTime = spawnSync('/usr/bin/time', ['-f', '%M', 'true']).status === 0
  const args = ['-r', file, '-q', '-z', 'conv,tcp']
  const child = useTime
    ? spawn('/usr/bin/time', ['-f', 'peak-rss-kb %M', 'tshark', ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn('tshark', args, { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString()
  })
  child.stderr.on('data', (chunk: Buffer) => {
    err += chunk.toString()
  })
  const [code] = (await once(child, 'close')) as [number]
  const seconds = (performance.now() - started) / 1000
  if (code !== 0) throw new Error(`tshark failed (exit ${code}): ${err}`)
  const rss = /peak-rss-kb (\d+)/.exec(err)
  return { seconds, peakRssMb: rss == null ? NaN : Number(rss[1]) / 1024, conversations: out.split('\n').filter((l) => l.includes('<->')).length }
}

function ensureTshark(): { ok: true; version: string } | { ok: false; reason: string } {
  const version = (): string | undefined => {
    const r = spawnSync('tshark', ['-v'], { encoding: 'utf8' })
    return r.status === 0 ? r.stdout.split('\n')[0] : undefined
  }
  let v = version()
  if (v === undefined && process.getuid?.() === 0) {
    process.stderr.write('bench-pcap: installing tshark (Debian package) for the comparison\n')
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
    spawnSync('apt-get', ['update', '-qq'], { stdio: 'ignore', env })
    spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'tshark'], { stdio: 'ignore', env })
    v = version()
  }
  return v === undefined
    ? { ok: false, reason: 'tshark is not installed and could not be installed (needs root and the Debian archive); no ratio' }
    : { ok: true, version: v }
}

/**
 * A synthetic capture: `flows` TCP conversations (client 10.1.x.y -> servers on 10.0.0.1..8)
 * with handshakes, data both ways, ACKs and ~0.5% resent segments, plus 3% UDP. Frames are
 * written by patching templates in a large buffer, so generation is not the bottleneck.
 */
async function synthetic(file: string, mb: number, bulk: boolean): Promise<void> {
  const writer = await PcapFileWriter.open(file, { linkType: LinkType.ethernet })
  const flows = bulk ? 200 : 5000
  let seed = 12345
  const random = (): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff
    return seed / 0x7fffffff
  }
  interface Flow {
    up: Buffer
    down: Buffer
    seqUp: number
    seqDown: number
    lastLen: number
  }
  const flowList: Flow[] = []
  for (let i = 0; i < flows; i++) {
    const client = `10.1.${(i >> 8) & 255}.${i & 255}`
    const server = `10.0.0.${1 + (i % 8)}`
    const cport = 20000 + (i % 40000)
    const sport = [443, 60000, 8000, 30303][i % 4]
    flowList.push({
      up: buildFrame({ linkType: LinkType.ethernet, src: client, dst: server, protocol: 'tcp', srcPort: cport, dstPort: sport, tcp: { optionBytes: 12 } }),
      down: buildFrame({ linkType: LinkType.ethernet, src: server, dst: client, protocol: 'tcp', srcPort: sport, dstPort: cport, tcp: { optionBytes: 12 } }),
      seqUp: Math.floor(random() * 2 ** 32),
      seqDown: Math.floor(random() * 2 ** 32),
      lastLen: 0
    })
  }
  const udp = buildFrame({ linkType: LinkType.ethernet, src: '10.1.0.1', dst: '10.0.0.9', protocol: 'udp', srcPort: 9000, dstPort: 9000, payload: 0 })
  const target = mb * 1e6
  const chunk = Buffer.alloc(8 << 20)
  let used = 0
  let written = 24
  let t = 1_700_000_000_000_000
  const emit = (template: Buffer, payload: number, seq: number, flags: number): void => {
    const frameLength = template.length + payload
    if (used + 16 + frameLength > chunk.length) flush()
    t += 1 + Math.floor(random() * 200)
    chunk.writeUInt32LE(Math.floor(t / 1e6), used)
    chunk.writeUInt32LE(t % 1e6, used + 4)
    chunk.writeUInt32LE(frameLength, used + 8)
    chunk.writeUInt32LE(frameLength, used + 12)
    template.copy(chunk, used + 16)
    chunk.writeUInt16BE(frameLength - 14, used + 16 + 16) // IPv4 total length
    if (flags !== 0) {
      chunk.writeUInt32BE(seq >>> 0, used + 16 + 34 + 4)
      chunk[used + 16 + 34 + 13] = flags
    } else {
      chunk.writeUInt16BE(frameLength - 34, used + 16 + 34 + 4) // UDP length
    }
    chunk.fill(0x5a, used + 16 + template.length, used + 16 + frameLength)
    used += 16 + frameLength
    written += 16 + frameLength
  }
  const pending: Buffer[] = []
  const flush = (): void => {
    pending.push(Buffer.from(chunk.subarray(0, used)))
    used = 0
  }
  // handshakes first, so every conversation has a known initiator
  for (const f of flowList) {
    emit(f.up, 0, f.seqUp++, TcpFlags.syn)
    emit(f.down, 0, f.seqDown++, TcpFlags.syn | TcpFlags.ack)
  }
  while (written < target) {
    for (let k = 0; k < 2000 && written < target; k++) {
      const r = random()
      if (r < 0.03) {
        emit(udp, 20 + Math.floor(random() * 300), 0, 0)
        continue
      }
      const f = flowList[Math.floor(random() * flows)]
      const payload = bulk ? 1448 : 60 + Math.floor(random() ** 2 * 1140)
      if (random() < 0.005 && f.lastLen > 0) {
        emit(f.down, f.lastLen, f.seqDown - f.lastLen, TcpFlags.ack | TcpFlags.psh) // resend
      } else if (r < (bulk ? 0.6 : 0.45)) {
        emit(f.down, payload, f.seqDown, TcpFlags.ack | TcpFlags.psh)
        f.seqDown += payload
        f.lastLen = payload
      } else if (r < (bulk ? 0.65 : 0.7)) {
        emit(f.up, payload, f.seqUp, TcpFlags.ack | TcpFlags.psh)
        f.seqUp += payload
      } else {
        emit(f.up, 0, f.seqUp, TcpFlags.ack)
      }
    }
    flush()
    for (const b of pending.splice(0)) await writer.raw(b)
  }
  flush()
  for (const b of pending.splice(0)) await writer.raw(b)
  await writer.close()
}

/** A real tcpdump capture of loopback TCP ping-pong (messages of 100-4000 bytes on 8 connections). */
async function tcpdumpCapture(file: string, mb: number): Promise<string | undefined> {
  const availability = await tcpdumpAvailability()
  if (!availability.usable) return availability.reason ?? 'tcpdump not usable'
  const server = net.createServer((s) => {
    s.setNoDelay(true)
    s.pipe(s)
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const port = (server.address() as net.AddressInfo).port
  const capture = await startTcpdump({ file, ports: [port], bufferKb: 65536 })
  let done = false
  const target = mb * 1e6
  const watcher = setInterval(() => {
    stat(file)
      .then((s) => {
        if (s.size >= target) done = true
      })
      .catch(() => {})
  }, 100)
  let seed = 7
  const random = (): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff
    return seed / 0x7fffffff
  }
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      const socket = net.connect(port, '127.0.0.1')
      socket.setNoDelay(true)
      await once(socket, 'connect')
      while (!done) {
        const size = 100 + Math.floor(random() * 3900)
        let got = 0
        const back = new Promise<void>((resolve) => {
          const onData = (d: Buffer): void => {
            got += d.length
            if (got >= size) {
              socket.off('data', onData)
              resolve()
            }
          }
          socket.on('data', onData)
        })
        socket.write(Buffer.alloc(size, 1))
        await back
      }
      socket.end()
      await once(socket, 'close')
    })
  )
  clearInterval(watcher)
  const stats = await capture.stop()
  server.close()
  if (stats.dropped > 0) process.stderr.write(`bench-pcap: tcpdump dropped ${stats.dropped} packets\n`)
  return undefined
}

function option(name: string): string | undefined {
  const i = argv.indexOf(name)
  return i >= 0 ? argv[i + 1] : undefined
}

function round(n: number, digits: number): number {
  const f = 10 ** digits
  return Math.round(n * f) / f
}

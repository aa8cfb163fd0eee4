import { spawn, type ChildProcessByStdio } from 'node:child_process'
import { isIP } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Readable, Writable } from 'node:stream'
import { InfrastructureError } from '../interface/index.js'

/** Options of `startTcpdump`. */
export interface TcpdumpInit {
  /** Output pcap file (tcpdump -w). */
  file: string
  /** Default `lo`. */
  interface?: string
  /** Capture only TCP/UDP traffic to or from these ports. */
  ports?: number[]
  /**
   * With `ports`: also capture traffic that is not between two of these addresses (the fleet's),
   * so a device's contact with anything else (a resolver, a telemetry server on another loopback
   * address: Linux sends from 127.0.0.1 to 127.0.0.2) is in the file, while other programs'
   * traffic on the fleet's own address stays out.
   */
  outsideOf?: string[]
  /** Bytes kept per packet (tcpdump -s); default tcpdump's 262144. */
  snaplen?: number
  /** Kernel capture buffer in KiB (tcpdump -B); default 8192. */
  bufferKb?: number
  /**
   * tcpdump --immediate-mode (default true): every packet reaches tcpdump as it is captured, at
   * the price of a wakeup per packet (measured: about 1.1 s more CPU per 10 s of an 80 msg/s
   * crowd). Without it packets reach tcpdump in blocks, and `stop` waits out libpcap's block
   * timeout first so the last packets are not left in the kernel's ring.
   */
  immediate?: boolean
  /** Aborting stops tcpdump (cleanly, so the file stays readable). */
  signal?: AbortSignal
  /** How long to wait for tcpdump to report it is capturing; default 10 s. */
  startTimeoutMs?: number
  /** Executable; default `tcpdump` on PATH. */
  tcpdumpPath?: string
}

/** tcpdump's own statistics, printed when it stops. */
export interface TcpdumpStats {
  /** Packets written to the file. */
  packets: number
  /** Packets that matched the filter (may exceed `packets` when some were dropped). */
  received: number
  /** Packets the kernel dropped for lack of buffer space: the capture is incomplete if > 0. */
  dropped: number
  /** Drops reported by the interface, where the platform reports them. */
  droppedByInterface?: number
}

/** A running tcpdump. */
export interface TcpdumpCapture {
  file: string
  /** tcpdump's process id. */
  pid: number
  /** The argv tcpdump was started with, for the run's record. */
  argv: string[]
  /** Stops tcpdump with SIGINT, so it flushes the tail, and returns its statistics. Idempotent. */
  stop: () => Promise<TcpdumpStats>
}

const DEFAULT_BUFFER_KB = 8192
const STOP_TIMEOUT_MS = 5000
// tcpdump opens its capture with a 1000 ms timeout; outside immediate mode that is how long a
// TPACKET_V3 block may hold packets before the kernel hands it over. SIGINT stops tcpdump without
// reading a block not yet handed over, so a stop waits this long after the last packet it needs.
export const BLOCK_TIMEOUT_WAIT_MS = 1100

// tcpdump runs under a small sh watchdog holding the read end of a pipe from us: when courier
// stops it, or dies in any way (even SIGKILL), the pipe closes and the watchdog stops tcpdump
// with SIGINT. An exit handler alone cannot cover a killed parent. Background jobs of a
// non-interactive sh get /dev/null as stdin, hence the copy of the pipe to fd 3.
const WATCHDOG = [
  'exec 3<&0',
  '"$@" 3<&- </dev/null &',
  'pid=$!',
  'echo "$pid"',
  '( cat <&3 >/dev/null; kill -INT "$pid" 2>/dev/null ) &',
  'exec 3<&-',
  'wait "$pid"',
  'status=$?',
  'kill $! 2>/dev/null',
  'exit $status'
].join('\n')

/** The BPF filter `startTcpdump` uses. */
export function tcpdumpFilter(iface: string, ports?: number[], outsideOf: readonly string[] = []): string | undefined {
  if (ports !== undefined && ports.length > 0) {
    for (const p of ports) if (!Number.isInteger(p) || p < 1 || p > 65535) throw new RangeError(`not a port: ${p}`)
    for (const a of outsideOf) if (isIP(a) === 0) throw new RangeError(`not an IP address: ${a}`)
    const any = (side: 'src' | 'dst'): string => outsideOf.map((a) => `${side} host ${a}`).join(' or ')
    const outside = outsideOf.length === 0 ? [] : [`not ((${any('src')}) and (${any('dst')}))`]
    return `(tcp or udp) and (${[...[...new Set(ports)].map((p) => `port ${p}`), ...outside].join(' or ')})`
  }
  return iface === 'lo' ? 'tcp or udp' : undefined
}

/** Builds tcpdump's argv for these options. */
export function tcpdumpArgs(init: TcpdumpInit): string[] {
  const iface = init.interface ?? 'lo'
  const args = [
    '-i',
    iface,
    '-n',
    // without it packets wait in the kernel buffer until a block fills or times out (see stop)
    ...(init.immediate === false ? [] : ['--immediate-mode']),
    // each packet reaches the file as it is captured, so even a killed tcpdump leaves a readable file
    '-U',
    '-B',
    String(init.bufferKb ?? DEFAULT_BUFFER_KB),
    '-w',
    init.file
  ]
  if (init.snaplen !== undefined) args.push('-s', String(init.snaplen))
  // as root tcpdump would switch to its own user before writing; keep the file ours
  if (process.getuid?.() === 0) args.push('-Z', 'root')
  const filter = tcpdumpFilter(iface, init.ports, init.outsideOf)
  if (filter !== undefined) args.push(filter)
  return args
}

/**
 * Starts tcpdump writing `file`; resolves once tcpdump reports it is capturing ("listening on"),
 * so traffic sent after this resolves is in the file. Rejects with `InfrastructureError` when
 * tcpdump cannot start, and with the abort reason when `signal` fires first.
 */
export async function startTcpdump(init: TcpdumpInit): Promise<TcpdumpCapture> {
  const { signal } = init
  signal?.throwIfAborted()
  const argv = [init.tcpdumpPath ?? 'tcpdump', ...tcpdumpArgs(init)]
  const child: ChildProcessByStdio<Writable, Readable, Readable> = spawn('sh', ['-c', WATCHDOG, 'courier-tcpdump', ...argv], {
    stdio: ['pipe', 'pipe', 'pipe']
  })
  let stderr = ''
  let stdout = ''
  let tcpdumpPid = 0
  let listening = false
  let exited = false
  let exitStatus: number | null = null
  const closed = new Promise<void>((resolve) => {
    child.on('close', (code, sig) => {
      exited = true
      exitStatus = code ?? (sig === null ? null : 128)
      resolve()
    })
  })
  child.stdin.on('error', () => {}) // EPIPE when the watchdog is already gone
  child.stderr.setEncoding('utf8')
  child.stdout.setEncoding('utf8')

  // the last resort for a parent that exits normally without stopping us
  const onExit = (): void => {
    if (tcpdumpPid > 0 && !exited) {
      try {
        process.kill(tcpdumpPid, 'SIGINT')
      } catch {}
    }
  }
  process.on('exit', onExit)

  let stopping: Promise<TcpdumpStats> | undefined
  const stop = async (): Promise<TcpdumpStats> => {
    stopping ??= (async () => {
      if (init.immediate === false && !exited) await sleep(BLOCK_TIMEOUT_WAIT_MS)
      child.stdin.end()
      const timer = setTimeout(() => {
        if (tcpdumpPid > 0) {
          try {
            process.kill(tcpdumpPid, 'SIGKILL')
          } catch {}
        }
        child.kill('SIGKILL')
      }, STOP_TIMEOUT_MS)
      await closed
      clearTimeout(timer)
      process.off('exit', onExit)
      signal?.removeEventListener('abort', onAbort)
      const stats = parseTcpdumpStats(stderr)
      if (stats === undefined) {
        throw new InfrastructureError(`tcpdump (${argv.join(' ')}) ended without its statistics (exit ${String(exitStatus)}): ${lastLines(stderr)}`)
      }
      return stats
    })()
    return await stopping
  }
  const onAbort = (): void => {
    stop().catch(() => {})
  }
  signal?.addEventListener('abort', onAbort, { once: true })

  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new InfrastructureError(`tcpdump did not start capturing within ${init.startTimeoutMs ?? 10000} ms: ${lastLines(stderr) || 'no output'}`))
      }, init.startTimeoutMs ?? 10000)
      const check = (): void => {
        if (!listening && tcpdumpPid > 0 && /listening on /.test(stderr)) {
          listening = true
          clearTimeout(timer)
          resolve()
        }
      }
      child.stdout.on('data', (chunk: string) => {
        stdout += chunk
        const match = /^(\d+)\n/.exec(stdout)
        if (match != null && tcpdumpPid === 0) tcpdumpPid = Number(match[1])
        check()
      })
      child.stderr.on('data', (chunk: string) => {
        stderr += chunk
        check()
      })
      closed
        .then(() => {
          clearTimeout(timer)
          if (!listening) reject(new InfrastructureError(`tcpdump could not start (exit ${String(exitStatus)}): ${lastLines(stderr) || 'no output'}`))
        })
        .catch(() => {})
      signal?.addEventListener(
        'abort',
        () => {
          clearTimeout(timer)
          reject(signal.reason)
        },
        { once: true }
      )
      child.on('error', (error) => {
        clearTimeout(timer)
        reject(new InfrastructureError(`cannot run sh for tcpdump: ${error.message}`, { cause: error }))
      })
    })
  } catch (error) {
    await stop().catch(() => {})
    throw error
  }
  return { file: init.file, pid: tcpdumpPid, argv, stop }
}

/** Parses the statistics tcpdump prints on stderr when it stops; undefined if they are missing. */
export function parseTcpdumpStats(stderr: string): TcpdumpStats | undefined {
  const count = (what: string): number | undefined => {
    const match = new RegExp(`^(\\d+) packets? ${what}$`, 'm').exec(stderr)
    return match == null ? undefined : Number(match[1])
  }
  const packets = count('captured')
  const received = count('received by filter')
  const dropped = count('dropped by kernel')
  if (packets === undefined || received === undefined || dropped === undefined) return undefined
  const stats: TcpdumpStats = { packets, received, dropped }
  const byInterface = count('dropped by interface')
  if (byInterface !== undefined) stats.droppedByInterface = byInterface
  return stats
}

let availability: Promise<{ usable: boolean; reason?: string }> | undefined

/**
 * Whether tcpdump is installed and may capture here (root or CAP_NET_RAW), found by really
 * starting a capture on `lo` for a moment: a root user in a container may still lack the right.
 * The answer is cached for the process.
 */
export async function tcpdumpAvailability(): Promise<{ usable: boolean; reason?: string }> {
  availability ??= probe()
  return await availability
}

async function probe(): Promise<{ usable: boolean; reason?: string }> {
  const installed = await new Promise<boolean>((resolve) => {
    const p = spawn('tcpdump', ['--version'], { stdio: 'ignore' })
    p.on('error', () => resolve(false))
    p.on('close', (code) => resolve(code === 0))
  })
  if (!installed) {
    return { usable: false, reason: 'tcpdump is not installed (Debian package tcpdump; `node scripts/setup-system.mjs` installs it as root)' }
  }
  try {
    const capture = await startTcpdump({ file: '/dev/null', interface: 'lo', startTimeoutMs: 5000 })
    await capture.stop()
    return { usable: true }
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error)
    const hint = process.getuid?.() === 0 ? '' : ' (not root: run as root or `setcap cap_net_raw,cap_net_admin=eip $(command -v tcpdump)`)'
    return { usable: false, reason: `tcpdump cannot capture on lo: ${why}${hint}` }
  }
}

function lastLines(text: string): string {
  return text.trim().split('\n').slice(-3).join(' | ')
}

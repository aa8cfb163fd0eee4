import { spawn } from 'node:child_process'
import { readFile } from 'node:fs/promises'

/**
 * Which processes held the host's sockets during a run, so a capture on every interface can tell
 * a device's contacts from another program's. The capture sees packets, not processes; `ss -p`
 * (iproute2, already needed for links) names the process behind each socket but only while it
 * is open, so it is asked every `intervalMs`. A connection that opened and closed between two
 * polls is not seen: it stays unattributed, and unattributed traffic is counted as the run's
 * (the careful side for a leak check).
 */
export interface SocketOwners {
  /** `ip:port` (or `*:port` for a socket bound to every address) -> who held it. */
  endpoints: Record<string, SocketOwner>
  polls: number
  intervalMs: number
  /** Set when `ss` could not be run: nothing is attributed then. */
  error?: string
}

export interface SocketOwner {
  /** Held by courier or one of its descendants (devices' processes, browsers) at some poll. */
  ours: boolean
  /** Process names seen holding it, for the record. */
  commands: string[]
}

export interface SocketOwnerPoller {
  stop: () => Promise<SocketOwners>
}

export interface SocketOwnerInit {
  /** The process whose descendants are "ours"; default this process. */
  rootPid?: number
  intervalMs?: number
  /** `ss` executable; default `ss` on PATH. */
  ssPath?: string
}

const DEFAULT_INTERVAL_MS = 500
const MARK = '--courier-poll--'

/**
 * Starts the polls in one long-lived shell loop beside courier (one fork for the run: forking
 * courier's big process twice a second would stall its event loop). The loop ends by itself
 * when courier is gone, Ctrl-C or SIGKILL alike. `stop` waits for one more complete poll, so
 * sockets still open at the end are in the table, and returns it.
 */
export function startSocketOwners(init: SocketOwnerInit = {}): SocketOwnerPoller {
  const rootPid = init.rootPid ?? process.pid
  const intervalMs = init.intervalMs ?? DEFAULT_INTERVAL_MS
  const table: SocketOwners = { endpoints: {}, polls: 0, intervalMs }
  const ancestry = new Map<number, Promise<boolean>>()
  const ss = init.ssPath ?? 'ss'
  const loop = `while kill -0 ${process.pid} 2>/dev/null; do "$0" -tuanpH || exit 3; echo ${MARK}; sleep ${intervalMs / 1000}; done`
  // its own process group, so a stop takes the loop's `sleep` with it
  const child = spawn('sh', ['-c', loop, ss], { stdio: ['ignore', 'pipe', 'pipe'], detached: true })
  let pending = ''
  let stderr = ''
  let work: Promise<void> = Promise.resolve()
  const waiting: Array<() => void> = []
  const absorb = async (block: string): Promise<void> => {
    table.polls++
    for (const socket of parseSs(block)) {
      let ours = false
      for (const pid of socket.pids) {
        if (!ancestry.has(pid)) ancestry.set(pid, descendsFrom(pid, rootPid))
        ours ||= (await ancestry.get(pid)) === true
      }
      const entry = (table.endpoints[socket.local] ??= { ours: false, commands: [] })
      entry.ours ||= ours
      for (const command of socket.commands) if (!entry.commands.includes(command)) entry.commands.push(command)
    }
  }
  child.stdout.setEncoding('utf8')
  child.stdout.on('data', (chunk: string) => {
    pending += chunk
    let at: number
    while ((at = pending.indexOf(`${MARK}\n`)) >= 0) {
      const block = pending.slice(0, at)
      pending = pending.slice(at + MARK.length + 1)
      work = work
        .then(async () => {
          await absorb(block)
        })
        .then(() => {
          for (const wake of waiting.splice(0)) wake()
        })
    }
  })
  child.stderr.setEncoding('utf8')
  child.stderr.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-2000)
  })
  let exited = false
  const closed = new Promise<void>((resolve) => {
    child.on('error', (error) => {
      table.error ??= `${ss}: ${error.message}`
    })
    child.on('close', (code) => {
      exited = true
      if (code !== 0 && code !== null) table.error ??= `${ss} -tuanpH failed (exit ${code})${stderr.trim() === '' ? '' : `: ${stderr.trim()}`}`
      for (const wake of waiting.splice(0)) wake()
      resolve()
    })
  })
  let stopping: Promise<SocketOwners> | undefined
  return {
    stop: async () => {
      stopping ??= (async () => {
        if (!exited) {
          const nextPoll = new Promise<void>((resolve) => {
            waiting.push(resolve)
          })
          const bound = setTimeout(() => {
            for (const wake of waiting.splice(0)) wake()
          }, intervalMs + 2000)
          await nextPoll
          clearTimeout(bound)
          try {
            if (child.pid != null) process.kill(-child.pid, 'SIGTERM')
          } catch {
            child.kill('SIGTERM')
          }
        }
        await closed
        await work
        return table
      })()
      return await stopping
    }
  }
}

export interface SsSocket {
  protocol: 'tcp' | 'udp'
  local: string
  pids: number[]
  commands: string[]
}

/** Lines of `ss -tuanpH`: `tcp ESTAB 0 0 10.0.0.1:5000 10.0.0.2:80 users:(("node",pid=1,fd=20))`. */
export function parseSs(text: string): SsSocket[] {
  const sockets: SsSocket[] = []
  for (const line of text.split('\n')) {
    const fields = line.trim().split(/\s+/)
    if (fields.length < 5 || (fields[0] !== 'tcp' && fields[0] !== 'udp')) continue
    const local = normaliseEndpoint(fields[4])
    if (local == null || !line.includes('users:')) continue
    const users = line.slice(line.indexOf('users:'))
    const pids = [...users.matchAll(/pid=(\d+)/g)].map((m) => Number(m[1]))
    const commands = [...new Set([...users.matchAll(/\("([^"]*)"/g)].map((m) => m[1]))]
    sockets.push({ protocol: fields[0], local, pids, commands })
  }
  return sockets
}

/** `ss` spells endpoints `127.0.0.53%lo:53`, `[::ffff:10.0.0.1]:80`, `0.0.0.0:68`, `*:5353`; the capture spells them `10.0.0.1:80`. */
export function normaliseEndpoint(text: string): string | null {
  const colon = text.lastIndexOf(':')
  if (colon <= 0) return null
  const port = Number(text.slice(colon + 1))
  if (!Number.isInteger(port)) return null
  let host = text
    .slice(0, colon)
    .replace(/^\[|\]$/g, '')
    .replace(/%.*$/, '')
  if (host.startsWith('::ffff:') && host.includes('.')) host = host.slice(7)
  if (host === '*' || host === '0.0.0.0' || host === '::') host = '*'
  return `${host}:${port}`
}

/** The owner of a captured local endpoint: its exact address, else a socket bound to every address on its port. */
export function ownerOf(owners: SocketOwners, endpoint: string): SocketOwner | undefined {
  return owners.endpoints[endpoint] ?? owners.endpoints[`*:${endpoint.slice(endpoint.lastIndexOf(':') + 1)}`]
}

async function descendsFrom(pid: number, root: number): Promise<boolean> {
  let current = pid
  for (let depth = 0; depth < 64; depth++) {
    if (current === root) return true
    if (current <= 1) return false
    const parent = await parentOf(current)
    if (parent == null) return false
    current = parent
  }
  return false
}

async function parentOf(pid: number): Promise<number | null> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8')
    // the command name is in parentheses and may hold spaces or parentheses itself
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return Number(fields[1])
  } catch {
    return null
  }
}

import { existsSync } from 'node:fs'
import { readdir, readFile, readlink, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { fileURLToPath } from 'node:url'
import { join } from 'node:path'

/** Debian's Chromium (or $COURIER_CHROMIUM, as `courier doctor` reads it): playwright-core drives it, no downloaded browser. */
export const CHROMIUM_PATH = process.env.COURIER_CHROMIUM ?? '/usr/bin/chromium'

/**
 * Headless on a shared CI box: no sandbox (root in containers), no GPU, no QUIC (all traffic is
 * loopback TCP here), and nothing that phones home or updates itself mid-run, so every byte the
 * DevTools protocol counts is the page's.
 */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync'
]

/** Where `npm run build` puts the page (scripts/build-page.mjs): beside this module in dist/. */
export const PAGE_DIR = fileURLToPath(new URL('./page/', import.meta.url))

export interface BrowserProbe {
  ok: boolean
  detail: string
  hint?: string
}

/** For `courier doctor`: was the web chat page bundled? */
export function probePageBundle(dir = PAGE_DIR): BrowserProbe {
  const missing = ['index.html', 'chat.js'].filter((file) => !existsSync(join(dir, file)))
  if (missing.length === 0) return { ok: true, detail: dir }
  return { ok: false, detail: `${missing.join(', ')} missing in ${dir}`, hint: 'npm run build (it bundles devices/browser/page with esbuild)' }
}

/**
 * The browser's main process: the one whose command line names this profile directory and is not
 * a renderer, GPU or utility child (those carry --type=). Playwright does not expose the pid.
 */
export async function chromiumPids(userDataDir: string): Promise<{ main?: number; all: number[] }> {
  const all: number[] = []
  let main: number | undefined
  for (const entry of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry)) continue
    // Chromium's children rewrite their command line as one space-separated string
    const argv = (await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '')).split(/[\0 ]/)
    if (!argv.some((arg) => arg === `--user-data-dir=${userDataDir}`)) continue
    all.push(Number(entry))
    if (!argv.some((arg) => arg.startsWith('--type='))) main = Number(entry)
  }
  return { main, all }
}

/** Prefix of the profile directories browser devices create in the temp folder. */
export const PROFILE_PREFIX = 'courier-chromium-'

/**
 * Removes profile directories a killed courier (SIGKILL: no teardown ran) left in the temp folder:
 * older than a minute and used by no process. Chromium itself exits with its controlling pipe.
 */
export async function removeStaleProfiles(dir = tmpdir()): Promise<string[]> {
  const removed: string[] = []
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    if (!name.startsWith(PROFILE_PREFIX)) continue
    const path = join(dir, name)
    const info = await stat(path).catch(() => undefined)
    if (info == null || Date.now() - info.mtimeMs < 60_000) continue
    if ((await chromiumPids(path)).all.length > 0) continue
    await rm(path, { recursive: true, force: true }).catch(() => {})
    removed.push(path)
  }
  return removed
}

/**
 * Local ports of this browser's established TCP connections to `remotePort` on loopback, read from
 * /proc (the DevTools protocol does not tell a WebSocket's local port, and a packet capture needs
 * it to know the browser's packets from the fleet's).
 */
export async function browserLocalPorts(userDataDir: string, remotePort: number): Promise<number[]> {
  const inodes = new Set<string>()
  for (const pid of (await chromiumPids(userDataDir)).all) {
    for (const fd of await readdir(`/proc/${pid}/fd`).catch(() => [] as string[])) {
      const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '')
      const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1]
      if (inode != null) inodes.add(inode)
    }
  }
  const ports: number[] = []
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of (await readFile(table, 'utf8').catch(() => '')).split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/)
      if (fields.length < 10 || fields[3] !== '01' || !inodes.has(fields[9])) continue
      const local = Number.parseInt(fields[1].split(':').at(-1) ?? '', 16)
      const remote = Number.parseInt(fields[2].split(':').at(-1) ?? '', 16)
      if (remote === remotePort) ports.push(local)
    }
  }
  return ports
}

import { existsSync } from 'node:fs'
import { readdir, readFile, rm, stat } from 'node:fs/promises'
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

export interface BrowserProbe { ok: boolean, detail: string, hint?: string }

/** For `courier doctor`: was the web chat page bundled? */
export function probePageBundle (dir = PAGE_DIR): BrowserProbe {
  const missing = ['index.html', 'chat.js'].filter((file) => !existsSync(join(dir, file)))
  if (missing.length === 0) return { ok: true, detail: dir }
  return { ok: false, detail: `${missing.join(', ')} missing in ${dir}`, hint: 'npm run build (it bundles devices/browser/page with esbuild)' }
}

/**
 * The browser's main process: the one whose command line names this profile directory and is not
 * a renderer, GPU or utility child (those carry --type=). Playwright does not expose the pid.
 */
export async function chromiumPids (userDataDir: string): Promise<{ main?: number, all: number[] }> {
  const all: number[] = []
  let main: number | undefined
  for (const entry of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry)) continue
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '')
    const argv = cmdline.split('\0')
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
export async function removeStaleProfiles (dir = tmpdir()): Promise<string[]> {
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

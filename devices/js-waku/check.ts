import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { ClientIdentity } from '../../harness/interface/index.js'

/** What `courier doctor` reports for the js-waku driver. */
export interface JsWakuCheck {
  ok: boolean
  found: string
  fix: string | null
}

const PINNED = '0.0.36'

/**
 * The js-waku driver needs @waku/sdk at the version it was measured with, the libp2p 2 line TCP
 * transport and yamux muxer that version can use, and its compiled child entry.
 */
export function jsWakuCheck(root: string): JsWakuCheck {
  // package.json straight from node_modules: @waku/sdk is ESM only and resolves for no require()
  const version = (name: string): string | undefined => {
    try {
      return (JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')) as { version?: string }).version
    } catch {
      return undefined
    }
  }
  const sdk = version('@waku/sdk')
  const tcp = version('@libp2p/tcp-v10')
  const yamux = version('@chainsafe/libp2p-yamux-v7')
  const child = existsSync(fileURLToPath(new URL('./child.js', import.meta.url)))
  const missing = [
    sdk == null ? '@waku/sdk' : undefined,
    tcp == null ? '@libp2p/tcp-v10' : undefined,
    yamux == null ? '@chainsafe/libp2p-yamux-v7' : undefined
  ].filter((m) => m != null)
  if (missing.length > 0) return { ok: false, found: `not installed: ${missing.join(', ')}`, fix: 'npm install (package.json pins them)' }
  if (!child) return { ok: false, found: 'dist/devices/js-waku/child.js is missing', fix: 'npm run build' }
  const found = `@waku/sdk ${sdk ?? '?'}, @libp2p/tcp ${tcp ?? '?'}, yamux ${yamux ?? '?'}`
  if (sdk !== PINNED) return { ok: false, found: `${found} (courier measured ${PINNED})`, fix: `npm install @waku/sdk@${PINNED}` }
  return { ok: true, found, fix: null }
}

/**
 * The version of the package `specifier` resolves to from courier's dist/devices folder: the copy
 * the js-waku child loads and the browser page was bundled from (read where it was resolved, not
 * from package.json's range).
 */
export function installedClient(specifier: string): ClientIdentity {
  try {
    for (let dir = dirname(fileURLToPath(import.meta.resolve(specifier))); dir !== dirname(dir); dir = dirname(dir)) {
      const file = join(dir, 'package.json')
      if (!existsSync(file)) continue
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string }
      if (pkg.name === specifier) return { name: specifier, version: pkg.version ?? null, source: `${specifier}/package.json` }
    }
  } catch {}
  return { name: specifier, version: null, source: 'not resolvable from courier' }
}

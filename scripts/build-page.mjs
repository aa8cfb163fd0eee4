// Builds the browser device's web chat page (devices/browser/page) into dist/devices/browser/page:
// @waku/sdk and the page's script bundled by esbuild for the browser, beside its HTML. Run by
// `npm run build`; the browser driver refuses to start without it and `courier doctor` checks it.
import { build } from 'esbuild'
import { copyFileSync, mkdirSync } from 'node:fs'

const source = 'devices/browser/page'
const out = 'dist/devices/browser/page'
mkdirSync(out, { recursive: true })
const started = Date.now()
await build({
  entryPoints: [`${source}/chat.ts`],
  outfile: `${out}/chat.js`,
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'chrome120',
  sourcemap: true,
  minify: false,
  logLevel: 'warning',
  metafile: false
})
copyFileSync(`${source}/index.html`, `${out}/index.html`)
console.log(`page: built ${out}/chat.js in ${Date.now() - started} ms`)

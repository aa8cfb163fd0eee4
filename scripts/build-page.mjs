// Builds the two pages courier's code runs in a browser, each bundled by esbuild; run by
// `npm run build` after tsc has type-checked each with its own DOM-typed tsconfig.
// - the browser device's web chat page (devices/browser/page) into dist/devices/browser/page:
//   @waku/sdk and the page's script as an ES module, beside its HTML. The browser driver refuses to
//   start without it and `courier doctor` checks it.
// - report.html's page script (reports/html/page) into dist/reports/html/page/report-page.js: one
//   IIFE with no imports left (Chart.js is its own inline script, the global `Chart`), which
//   reports/html/render.ts reads and inlines into every report.html.
import { build } from 'esbuild'
import { copyFileSync, mkdirSync } from 'node:fs'

const source = 'devices/browser/page'
const out = 'dist/devices/browser/page'
mkdirSync(out, { recursive: true })
let started = Date.now()
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

// report.html's page script and the trend page's (courier trend --html): each one classic script
// that the reports inline
for (const [entry, bundle] of [
  ['main.ts', 'report-page.js'],
  ['trend-main.ts', 'trend-page.js']
]) {
  started = Date.now()
  await build({
    entryPoints: [`reports/html/page/${entry}`],
    outfile: `dist/reports/html/page/${bundle}`,
    bundle: true,
    format: 'iife',
    platform: 'browser',
    // the syntax tsc wrote for the page before it was bundled (the project's target)
    target: 'es2022',
    // inlined into the HTML, where a source map would be a file that is not there
    sourcemap: false,
    minify: false,
    logLevel: 'warning',
    metafile: false
  })
  console.log(`page: built dist/reports/html/page/${bundle} in ${Date.now() - started} ms`)
}

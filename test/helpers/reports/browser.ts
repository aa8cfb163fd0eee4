// Headless Chromium for checking report.html the way a reader opens it: from file://, watching
// for console errors, page errors, dialogs and any network request. Used by the browser tests
// and by scripts/bench-report.ts.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { chromium, type BrowserContext, type Page } from 'playwright-core'

export const CHROMIUM_PATH = process.env.COURIER_CHROMIUM ?? '/usr/bin/chromium'
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run'
]

/** A running Chromium with its own throwaway profile. */
export interface ReportBrowser {
  context: BrowserContext
  close(): Promise<void>
}

/**
 * Launches Chromium; a missing or broken browser is an error that says what to install, never a skip.
 * `javaScriptEnabled: false` opens pages as a CI server's HTML publisher that blocks scripts would.
 */
export async function launchChromium(options: { javaScriptEnabled?: boolean } = {}): Promise<ReportBrowser> {
  const userDataDir = await mkdtemp(join(tmpdir(), 'courier-chromium-'))
  let context: BrowserContext
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1400, height: 900 },
      javaScriptEnabled: options.javaScriptEnabled ?? true,
      timeout: 30_000
    })
  } catch (error) {
    await rm(userDataDir, { recursive: true, force: true })
    throw new Error(
      `cannot launch Chromium at ${CHROMIUM_PATH} to check report.html: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}. ` +
        'Install the Debian package `chromium` (npm test does it through scripts/setup-system.mjs when run as root), or point COURIER_CHROMIUM at a Chromium binary.'
    )
  }
  return {
    context,
    async close() {
      await context.close()
      await rm(userDataDir, { recursive: true, force: true })
    }
  }
}

/** What went wrong while a page was open. */
export interface PageWatch {
  consoleErrors: string[]
  pageErrors: string[]
  dialogs: string[]
  /** Requests other than the report file itself and data: URLs. */
  requests: string[]
}

/** Opens a file in a new page, watching it; resolves once the report says it is ready (or the load ends). */
export async function openFile(
  browser: ReportBrowser,
  file: string,
  options: { waitForReady?: boolean; hash?: string } = {}
): Promise<{ page: Page; watch: PageWatch; readyMs: number }> {
  const url = pathToFileURL(file).href
  const watch: PageWatch = { consoleErrors: [], pageErrors: [], dialogs: [], requests: [] }
  const page = await browser.context.newPage()
  page.on('console', (m) => {
    if (m.type() === 'error') watch.consoleErrors.push(m.text())
  })
  page.on('pageerror', (e) => {
    watch.pageErrors.push(e.message)
  })
  page.on('dialog', (d) => {
    watch.dialogs.push(`${d.type()}: ${d.message()}`)
    void d.dismiss().catch(() => {})
  })
  page.on('request', (r) => {
    const u = r.url()
    if (u.split('#')[0] !== url && !u.startsWith('data:')) watch.requests.push(u)
  })
  // anything that tries the network is refused as well as recorded
  await page.route('**/*', (route) =>
    route.request().url().startsWith('file:') || route.request().url().startsWith('data:') ? route.continue() : route.abort()
  )
  const started = performance.now()
  await page.goto(url + (options.hash ?? ''), { waitUntil: 'load' })
  if (options.waitForReady !== false) {
    await page.waitForSelector('body[data-ready="true"]', { timeout: 15_000 })
    // two frames: every chart has painted once
    await page.evaluate(
      () =>
        new Promise<void>((resolve) => {
          const raf = (globalThis as unknown as { requestAnimationFrame: (f: () => void) => void }).requestAnimationFrame
          raf(() => raf(() => resolve()))
        })
    )
  }
  return { page, watch, readyMs: performance.now() - started }
}

/** Per canvas: its chart id and how many of its pixels are not transparent. */
export async function canvasPaint(page: Page): Promise<Array<{ chart: string; width: number; height: number; painted: number }>> {
  return await page.evaluate(() => {
    const doc = (globalThis as unknown as { document: { querySelectorAll: (s: string) => ArrayLike<unknown> } }).document
    return Array.from(doc.querySelectorAll('canvas')).map((node) => {
      const canvas = node as {
        width: number
        height: number
        getAttribute: (n: string) => string | null
        getContext: (k: string) => { getImageData: (x: number, y: number, w: number, h: number) => { data: Uint8ClampedArray } } | null
      }
      const ctx = canvas.getContext('2d')
      let painted = 0
      if (ctx != null && canvas.width > 0 && canvas.height > 0) {
        const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data
        for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) painted++
      }
      return { chart: canvas.getAttribute('data-chart') ?? '', width: canvas.width, height: canvas.height, painted }
    })
  })
}

// Report benchmark: synthesises a large run (1,000,000 events by default), renders report.html
// the way `courier run` does, opens it from file:// in headless Chromium and prints JSON figures:
// render time, file size, time until every chart has painted.
//   node dist/scripts/bench-report.js [--events 1000000] [--keep]
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildReportData, renderHtmlFromData, writeRunReports } from '../reports/index.js'
import { canvasPaint, launchChromium, openFile } from '../test/helpers/reports/browser.js'
import { synthesizeRun } from '../test/helpers/synthetic-run.js'

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? Number(process.argv[i + 1]) : fallback
}

async function main(): Promise<void> {
  const targetEvents = flag('events', 1_000_000)
  const keep = process.argv.includes('--keep')
  // half an hour of traffic: ~65,000 events come from device messages, socket and harness samples,
  // and each crowd message adds ~15.5 (6 relays, 2 stores, 3 receiving devices, renders, duplicates)
  const durationMs = 1_800_000
  const crowdRate = Math.max(0.1, Math.max(0, targetEvents - 65_000) / 15.5 / (durationMs / 1000))
  let t = performance.now()
  const run = synthesizeRun({
    name: 'bench-crowded-topic',
    durationMs,
    crowdRate,
    crowdUsers: 3000,
    relays: 6,
    stores: 2,
    devices: ['alice', 'alice-2', 'bob', 'phone'],
    deviceMessages: 600,
    offline: { atMs: 600_000, forMs: 180_000 },
    killStore: { atMs: 1_000_000, forMs: 120_000 },
    partition: { atMs: 1_300_000, forMs: 60_000 }
  })
  const synthMs = performance.now() - t

  const dir = await mkdtemp(join(tmpdir(), 'courier-bench-report-'))
  try {
    await writeFile(join(dir, 'events.ndjson'), run.events.map((e) => JSON.stringify(e)).join('\n') + '\n')
    await writeFile(join(dir, 'results.json'), JSON.stringify(run.results, null, 2))

    // the parts separately, then the whole as the runner calls it
    t = performance.now()
    const data = buildReportData(run.results, run.events)
    const buildDataMs = performance.now() - t
    t = performance.now()
    renderHtmlFromData(data)
    const serialiseMs = performance.now() - t
    t = performance.now()
    const written = await writeRunReports(dir, run.results, run.events, { junit: true, markdown: true })
    const writeRunReportsMs = performance.now() - t
    const htmlBytes = (await stat(written.html!)).size
    const memory = process.memoryUsage()

    const browser = await launchChromium()
    let page: { readyMs: number; charts: number; unpainted: string[]; problems: number }
    try {
      const loads: number[] = []
      let charts = 0
      let unpainted: string[] = []
      let problems = 0
      // first load is cold (browser caches, JIT); report the median of three
      for (let i = 0; i < 3; i++) {
        const opened = await openFile(browser, written.html!)
        const canvases = await canvasPaint(opened.page)
        loads.push(opened.readyMs)
        charts = canvases.length
        unpainted = canvases.filter((c) => c.painted === 0).map((c) => c.chart)
        problems = opened.watch.consoleErrors.length + opened.watch.pageErrors.length + opened.watch.requests.length
        await opened.page.close()
      }
      loads.sort((a, b) => a - b)
      page = { readyMs: loads[1]!, charts, unpainted, problems }
    } finally {
      await browser.close()
    }

    console.log(
      JSON.stringify(
        {
          events: run.events.length,
          messages: run.results.delivery.messages.sent,
          eventsNdjsonMB: round((await stat(join(dir, 'events.ndjson'))).size / 1e6),
          synthesiseMs: Math.round(synthMs),
          buildDataMs: Math.round(buildDataMs),
          serialiseHtmlMs: Math.round(serialiseMs),
          writeRunReportsMs: Math.round(writeRunReportsMs),
          reportHtmlMB: round(htmlBytes / 1e6),
          reportUnder10MB: htmlBytes < 10e6,
          heapUsedMB: Math.round(memory.heapUsed / 1e6),
          rssMB: Math.round(memory.rss / 1e6),
          explorerMessages: data.explorer.messages.length,
          latencyDownsampled: data.latency.downsampled,
          pageReadyMsMedianOf3: Math.round(page.readyMs),
          pageUnder3s: page.readyMs < 3000,
          charts: page.charts,
          unpaintedCharts: page.unpainted,
          pageProblems: page.problems,
          runDir: keep ? dir : undefined
        },
        null,
        2
      )
    )
  } finally {
    if (!keep) await rm(dir, { recursive: true, force: true })
  }
}

function round(v: number): number {
  return Math.round(v * 100) / 100
}

await main()

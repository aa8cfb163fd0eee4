// report.html opened from file:// in headless Chromium, as a reader would: no console errors, no
// network request, every chart painted, the message explorer follows a known message, and run
// strings that are markup stay text. Each detector is also shown to fire on a broken page.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { CourierEvent, Results } from '../../harness/interface/index.js'
import { readEvents, renderTrendHtml, trendView, writeRunReports } from '../../reports/index.js'
import { trendOf } from '../../harness/history/index.js'
import { historyRun } from '../helpers/history.js'
import { canvasPaint, launchChromium, openFile, type PageWatch, type ReportBrowser } from '../helpers/reports/browser.js'
import { craftedResults } from '../helpers/reports/crafted-results.js'
import { FIXTURE_RUNS, HOSTILE } from '../helpers/reports/fixture-runs.js'
import { synthesizeRun } from '../helpers/synthetic-run.js'

let browser: ReportBrowser
let dir: string
const ARTIFACTS = 'test-artifacts'

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'courier-report-e2e-'))
  await mkdir(ARTIFACTS, { recursive: true })
  browser = await launchChromium()
})

after(async () => {
  await browser?.close()
  await rm(dir, { recursive: true, force: true })
})

async function runDir(name: string, results: Results, events: CourierEvent[]): Promise<string> {
  const d = join(dir, name)
  await mkdir(d, { recursive: true })
  await writeFile(join(d, 'events.ndjson'), events.map((e) => JSON.stringify(e)).join('\n') + '\n')
  await writeFile(join(d, 'results.json'), JSON.stringify(results))
  await writeRunReports(d, results, events)
  return join(d, 'report.html')
}

function assertClean(watch: PageWatch): void {
  assert.deepEqual(watch.pageErrors, [], 'page errors')
  assert.deepEqual(watch.consoleErrors, [], 'console errors')
  assert.deepEqual(watch.requests, [], 'network requests')
  assert.deepEqual(watch.dialogs, [], 'dialogs')
}

const SMALL_FAIL_CHARTS = [
  'latency-cdf',
  'latency-over-time',
  'duplicates-by-path',
  'first-by-path',
  'bytes-over-time',
  'bytes-per-message',
  'bytes-duplicates',
  'bytes-per-day',
  'energy-mah',
  'energy-by-kind',
  'radio-states',
  'store-latency',
  'store-size',
  'harness-lag',
  'harness-cpu',
  'journey'
]

test('a failed run: verdict and thresholds first, every chart painted, nothing fetched, no errors', async () => {
  const run = synthesizeRun(FIXTURE_RUNS['small-fail'])
  const { page, watch } = await openFile(browser, await runDir('small-fail', run.results, run.events))
  try {
    assertClean(watch)
    assert.equal(await page.textContent('#verdict'), 'FAIL')
    assert.equal(await page.textContent('header h1'), 'crowded-topic-small')
    assert.equal(await page.textContent('#replay'), 'npx courier run scenarios/crowded-small.yaml --seed 42')
    const rows = await page.$$eval('#thresholds tbody tr', (trs) => trs.map((tr) => (tr as unknown as { innerText: string }).innerText.split('\t')))
    assert.deepEqual(
      rows.map((r) => r[0]),
      ['FAIL', 'FAIL', 'pass', 'pass', 'pass']
    )
    assert.equal(rows[0]![1], 'delivery.latency.p95')
    const p95 = run.results.thresholds.find((t) => t.metric === 'delivery.latency.p95')!.value as number
    assert.equal(rows[0]![2], `${Number((p95 / 1000).toPrecision(3))} s`)

    const canvases = await canvasPaint(page)
    assert.deepEqual([...new Set(canvases.map((c) => c.chart))].sort(), [...SMALL_FAIL_CHARTS].sort())
    assert.equal(canvases.filter((c) => c.chart === 'bytes-over-time').length, 3, 'one wire-bytes chart per device')
    assert.equal(String(canvases.length), await page.getAttribute('body', 'data-charts'))
    for (const c of canvases) {
      assert.ok(c.width > 100 && c.height > 100, `${c.chart} has a size`)
      assert.ok(c.painted > c.width * c.height * 0.01, `${c.chart} painted (${c.painted} of ${c.width * c.height} pixels)`)
    }
    await page.screenshot({ path: join(ARTIFACTS, 'report-small-fail.png'), fullPage: true })
  } finally {
    await page.close()
  }
})

test('the message explorer shows the whole journey of a message one device never got', async () => {
  const run = synthesizeRun(FIXTURE_RUNS['small-fail'])
  const target = [...run.truth.values()].find((m) => m.msgId === 'alice-0003')!
  const { page, watch } = await openFile(browser, join(dir, 'small-fail', 'report.html'))
  try {
    await page.fill('#explorer-search', 'alice-0003')
    assert.equal(await page.locator('#explorer-list .msg-item').count(), 1)
    await page.click('#explorer-list .msg-item')
    assert.equal(await page.textContent('#journey-title'), 'alice-0003')
    assert.equal(await page.textContent('#journey-hash'), target.hash)
    const steps = await page.$$eval('#explorer-detail table.journey-steps tbody tr', (trs) =>
      trs.map((tr) => Array.from((tr as unknown as { children: ArrayLike<{ textContent: string }> }).children).map((td) => td.textContent))
    )
    const kinds = steps.map((s) => `${s[1]} ${s[2]}${s[3] !== '' ? ` via ${s[3]}` : ''}`)
    assert.equal(kinds[0], 'sent alice')
    for (const relay of ['relay-1', 'relay-2', 'relay-3', 'relay-4']) assert.ok(kinds.includes(`relayed ${relay}`), `${relay} in ${kinds.join(' | ')}`)
    for (const a of target.arrivals) assert.ok(kinds.includes(`received ${a.device} via ${a.via}`), `arrival at ${a.device}`)
    assert.ok(kinds.includes('never received alice-2'), kinds.join(' | '))
    assert.ok(target.arrivals.every((a) => a.device !== 'alice-2'))
    const journey = (await canvasPaint(page)).find((c) => c.chart === 'journey')!
    assert.ok(journey.painted > 1000)
    assert.match(page.url(), new RegExp(`#msg=${target.hash}$`))
    assertClean(watch)
  } finally {
    await page.close()
  }
})

test('strings from the run that are markup render as text and run nothing', async () => {
  const run = synthesizeRun(FIXTURE_RUNS['hostile-names'])
  const { page, watch } = await openFile(browser, await runDir('hostile-names', run.results, run.events))
  try {
    assertClean(watch)
    assert.equal(await page.textContent('header h1'), '"><svg onload=alert(3)>')
    const deviceCells = await page.$$eval('#devices tbody tr td:first-child', (tds) => tds.map((td) => (td as unknown as { textContent: string }).textContent))
    assert.ok(
      deviceCells.some((t) => t.startsWith(HOSTILE)),
      deviceCells.join(' | ')
    )
    assert.ok(deviceCells.some((t) => t.startsWith('</script><script>alert(2)</script>')))
    const injected = await page.evaluate(() => {
      const doc = (globalThis as unknown as { document: { querySelectorAll: (s: string) => ArrayLike<unknown> } }).document
      return {
        img: doc.querySelectorAll('img').length,
        svg: doc.querySelectorAll('svg').length,
        iframe: doc.querySelectorAll('iframe').length,
        scripts: doc.querySelectorAll('script').length
      }
    })
    assert.deepEqual(injected, { img: 0, svg: 0, iframe: 0, scripts: 3 })
    await page.fill('#explorer-search', '<img')
    await page.click('#explorer-list .msg-item')
    assert.match((await page.textContent('#journey-title')) ?? '', /^<img src=x onerror=alert\(1\)>-0000$/)
    assert.deepEqual(watch.dialogs, [])
    await page.screenshot({ path: join(ARTIFACTS, 'report-hostile-names.png') })
  } finally {
    await page.close()
  }
})

test('the detectors fire on broken pages: dialogs, CSP violations, requests and blank canvases', async () => {
  // a page that parses the hostile name as HTML, without a CSP: the dialog watch sees it
  const unsafe = join(dir, 'unsafe.html')
  await writeFile(
    unsafe,
    `<!doctype html><body><div id="x"></div><script>document.getElementById('x').innerHTML = ${JSON.stringify(HOSTILE)}; fetch('http://127.0.0.1:9/beacon').catch(() => {})</script></body>`
  )
  const a = await openFile(browser, unsafe, { waitForReady: false })
  await a.page.waitForTimeout(300)
  assert.equal(a.watch.dialogs.length, 1, 'alert() through innerHTML is seen')
  assert.ok(
    a.watch.requests.some((u) => u.startsWith('http://127.0.0.1:9/')),
    'a request is seen'
  )
  await a.page.close()

  // the real report with an escaping bug simulated: the CSP blocks the handler and says so
  const html = await readFile(join(dir, 'small-fail', 'report.html'), 'utf8')
  const broken = join(dir, 'small-fail', 'broken.html')
  await writeFile(broken, html.replace('</main>', `</main>${HOSTILE}<script>alert(5)</script>`))
  const b = await openFile(browser, broken)
  assert.deepEqual(b.watch.dialogs, [], 'the CSP stops both the inline handler and the inline script')
  assert.ok(
    b.watch.consoleErrors.some((e) => /Content Security Policy/i.test(e)),
    b.watch.consoleErrors.join('\n')
  )
  assert.throws(() => assertClean(b.watch))

  // a canvas nobody drew on counts as unpainted
  await b.page.evaluate(() => {
    const doc = (
      globalThis as unknown as {
        document: {
          createElement: (t: string) => { setAttribute: (k: string, v: string) => void; width: number; height: number }
          body: { append: (n: unknown) => void }
        }
      }
    ).document
    const c = doc.createElement('canvas')
    c.setAttribute('data-chart', 'blank')
    c.width = 300
    c.height = 150
    doc.body.append(c)
  })
  assert.equal((await canvasPaint(b.page)).find((c) => c.chart === 'blank')?.painted, 0)
  await b.page.close()
})

test('an interrupted run and a run with no events at all still give a clean page that says what happened', async () => {
  const interrupted = synthesizeRun({ ...FIXTURE_RUNS['small-fail'], interrupted: true })
  const a = await openFile(browser, await runDir('interrupted', interrupted.results, interrupted.events))
  assertClean(a.watch)
  assert.equal(await a.page.textContent('#verdict'), 'INTERRUPTED')
  assert.match((await a.page.textContent('header')) ?? '', /interrupted by SIGINT/)
  for (const c of await canvasPaint(a.page)) assert.ok(c.painted > 0, `${c.chart} painted`)
  await a.page.close()

  const base = craftedResults()
  const nothing = craftedResults({
    status: 'failed',
    verdict: 'inconclusive',
    verdictReasons: ['the fleet could not start: no relay answered'],
    thresholds: [],
    errors: [],
    delivery: { ...base.delivery, devices: {} }
  })
  const b = await openFile(browser, await runDir('no-events', nothing, []))
  assertClean(b.watch)
  assert.equal(await b.page.textContent('#verdict'), 'INCONCLUSIVE')
  assert.match((await b.page.textContent('#delivery')) ?? '', /No message reached any device/)
  assert.match((await b.page.textContent('#explorer')) ?? '', /No messages were sent in this run/)
  await b.page.close()
})

// ---------- the report's rough edges (issue 14), each on the real run that showed it

/** A checked-in real run (fixtures/runs/NAME: events.ndjson and results.json of a `courier run`), reported afresh. */
const reported = new Map<string, Promise<{ results: Results; events: CourierEvent[]; file: string }>>()
async function realRun(name: string): Promise<{ results: Results; events: CourierEvent[]; file: string }> {
  let run = reported.get(name)
  if (run == null) reported.set(name, (run = reportRealRun(name)))
  return await run
}
async function reportRealRun(name: string): Promise<{ results: Results; events: CourierEvent[]; file: string }> {
  const source = join('fixtures', 'runs', name)
  const results = JSON.parse(await readFile(join(source, 'results.json'), 'utf8')) as Results
  const events = await readEvents(join(source, 'events.ndjson'))
  return { results, events, file: await runDir(`${name}-edges`, results, events) }
}

type PageEval = (fn: string) => Promise<unknown>
/** What Chart.js holds for each chart on the page: its type, axis types, subtitle and datasets. */
async function chartsOnPage(page: { evaluate: (f: string) => Promise<unknown> }): Promise<
  Array<{
    id: string
    note: string
    type: string
    xType: string | null
    datasets: Array<{ label: string; color: unknown; secondary: boolean; values: number[] }>
  }>
> {
  return (await (page.evaluate as PageEval)(`Array.from(document.querySelectorAll('canvas[data-chart]')).map((canvas) => {
    const chart = Chart.getChart(canvas)
    const note = canvas.closest('figure')?.querySelector('.chart-note')?.textContent ?? ''
    // a bar's value, a floating bar's length ([from, to] as the value or as x) or a point's y
    const num = (v) => typeof v === 'number' ? v : Array.isArray(v) ? v[1] - v[0] : v == null || typeof v !== 'object' ? NaN : Array.isArray(v.x) ? v.x[1] - v.x[0] : typeof v.y === 'number' ? v.y : v.x
    return {
      id: canvas.getAttribute('data-chart'), note, type: chart.config.type, xType: chart.scales.x?.type ?? null,
      datasets: chart.data.datasets.map((d) => ({ label: d.label, color: d.backgroundColor, secondary: d.courierSecondary === true, values: d.data.map(num).filter((v) => Number.isFinite(v)) }))
    }
  })`)) as Array<{
    id: string
    note: string
    type: string
    xType: string | null
    datasets: Array<{ label: string; color: unknown; secondary: boolean; values: number[] }>
  }>
}

test('a passing run says its thresholds passed and shows no stray "null" in the header', async () => {
  const run = await realRun('smoke-real')
  assert.equal(run.results.verdict, 'pass')
  const { page, watch } = await openFile(browser, run.file)
  try {
    assertClean(watch)
    const header = await page.innerText('#top')
    assert.match(header, /All 3 thresholds passed\./)
    assert.doesNotMatch(header, /\bnull\b/, header)
  } finally {
    await page.close()
  }
})

test('every series of a chart has its own colour (energy purposes control and relay, explorer event kinds)', async () => {
  for (const name of ['smoke-real', 'store-out-of-sync-real', 'phantom-push-real']) {
    const run = await realRun(name)
    const { page, watch } = await openFile(browser, run.file)
    try {
      assertClean(watch)
      const charts = await chartsOnPage(page)
      const purposes = charts.find((c) => c.id === 'energy-by-protocol')
      assert.ok(purposes != null, `${name}: energy purposes chart`)
      assert.ok(
        ['control', 'relay'].every((p) => purposes.datasets.some((d) => d.label === p)),
        purposes.datasets.map((d) => d.label).join(', ')
      )
      for (const c of charts) {
        const colours = c.datasets.filter((d) => !d.secondary && typeof d.color === 'string').map((d) => `${d.label}=${String(d.color)}`)
        assert.equal(new Set(colours.map((x) => x.split('=')[1])).size, colours.length, `${name} ${c.id}: two series share a colour: ${colours.join(', ')}`)
      }
    } finally {
      await page.close()
    }
  }
})

test('the latency CDF subtitle names the scale its axis has', async () => {
  const axes: string[] = []
  for (const name of ['smoke-real', 'phantom-push-real']) {
    const run = await realRun(name)
    const { page, watch } = await openFile(browser, run.file)
    try {
      assertClean(watch)
      const cdf = (await chartsOnPage(page)).find((c) => c.id === 'latency-cdf')!
      assert.equal(/log scale/.test(cdf.note), cdf.xType === 'logarithmic', `${name}: subtitle "${cdf.note}" on a ${cdf.xType ?? '?'} axis`)
      axes.push(cdf.xType ?? '?')
    } finally {
      await page.close()
    }
  }
  // smoke: 4.5 to 101 ms, linear; phantom-push: 22 ms to 6.2 s, logarithmic
  assert.deepEqual(axes, ['linear', 'logarithmic'])
})

test('charts with nothing to draw are one sentence, not a full-size chart with 0-1 axes', async () => {
  const run = await realRun('store-out-of-sync-real')
  assert.equal(run.results.delivery.overall.duplicates.total, 0)
  const { page, watch } = await openFile(browser, run.file)
  try {
    assertClean(watch)
    const charts = await chartsOnPage(page)
    const ids = charts.map((c) => c.id)
    for (const id of ['duplicates-by-path', 'bytes-duplicates']) assert.ok(!ids.includes(id), `${id} is drawn although there were no duplicates`)
    for (const c of charts) {
      const values = c.datasets.flatMap((d) => d.values)
      assert.ok(
        values.some((v) => v !== 0),
        `${c.id} has nothing but zeros`
      )
    }
    assert.match(await page.innerText('#delivery'), /No duplicates: every message arrived once\./)
    assert.match(await page.innerText('#bytes'), /No duplicate message bytes\./)
  } finally {
    await page.close()
  }
})

test("the message explorer spreads one message's events instead of squashing them next to the send", async () => {
  const run = await realRun('phantom-push-real')
  const sent = run.events.find((e): e is Extract<CourierEvent, { type: 'msg.sent' }> => e.type === 'msg.sent' && e.device === 'alice')!
  const own = run.events.filter((e) => (e as { hash?: string }).hash === sent.hash).map((e) => e.t - sent.t)
  assert.ok(Math.max(...own) > 3000, 'a confirmation seconds after the send')
  const { page, watch } = await openFile(browser, run.file, { hash: `#msg=${sent.hash}` })
  try {
    assertClean(watch)
    assert.equal(await page.textContent('#journey-hash'), sent.hash)
    const spread = (await (page.evaluate as PageEval)(`(() => {
      const chart = Chart.getChart(document.querySelector('canvas[data-chart="journey"]'))
      const { left, right } = chart.chartArea
      const xs = chart.data.datasets.flatMap((d, i) => chart.getDatasetMeta(i).data.map((el, j) => ({ dt: d.data[j].step?.dt ?? d.data[j].x, share: (el.x - left) / (right - left) })))
      return xs
    })()`)) as Array<{ dt: number; share: number }>
    const after = spread.filter((p) => p.dt > 0)
    const squashed = after.filter((p) => p.share < 0.05)
    assert.ok(after.length >= 5, `${after.length} events after the send`)
    assert.ok(
      squashed.length <= after.length / 2,
      `${squashed.length} of ${after.length} events drawn within 5 % of the chart's width from the send: ${JSON.stringify(spread)}`
    )
    // still in time order along the axis
    const sorted = [...after].sort((a, b) => a.dt - b.dt)
    for (let i = 1; i < sorted.length; i++) assert.ok(sorted[i]!.share >= sorted[i - 1]!.share - 1e-9)
    assert.match(await page.innerText('#explorer-detail'), /log scale/)
  } finally {
    await page.close()
  }
})

test('the store section does not say "no queries" beside the store checks of sent messages', async () => {
  const smoke = await realRun('smoke-real')
  assert.equal(smoke.results.store.queries, 0)
  const checks = Object.values(smoke.results.reliability!.sentChecks).reduce((s, c) => s + c.checks, 0)
  assert.ok(checks > 0)
  const a = await openFile(browser, smoke.file)
  try {
    assertClean(a.watch)
    const intro = await a.page.innerText('#store .intro')
    assert.match(intro, new RegExp(`${checks} hash-only checks of sent messages`), intro)
    assert.equal(await a.page.getAttribute('#store .intro a', 'href'), '#rel-sent')
  } finally {
    await a.page.close()
  }
})

test('a time before scenario start reads "before start", not a negative time', async () => {
  const sos = await realRun('store-out-of-sync-real')
  const picked = sos.results.reliability!.storeChoice.selected[0]!
  assert.ok(picked.t < (sos.results.timing.scenarioStartMs ?? 0), 'the device picked its store before scenario time 0')
  const b = await openFile(browser, sos.file)
  try {
    assertClean(b.watch)
    const choice = await b.page.$$eval('#rel-store-choice tbody tr', (trs) => trs.map((tr) => (tr as unknown as { innerText: string }).innerText.split('\t')))
    assert.equal(choice[0]![1], 'before start')
    const cells = await b.page.$$eval('main td', (tds) => tds.map((td) => (td as unknown as { textContent: string }).textContent))
    assert.deepEqual(
      cells.filter((t) => /^-\d[\d.]* s$/.test(t)),
      [],
      'no negative scenario times'
    )
  } finally {
    await b.page.close()
  }
})

test('a store desync window is a labelled band on the time charts, not an unlabelled dashed line', async () => {
  const sos = await realRun('store-out-of-sync-real')
  const b = await openFile(browser, sos.file)
  try {
    assertClean(b.watch)

    const faults = await b.page.$$eval('#delivery details.faults tbody tr', (trs) =>
      trs.map((tr) => Array.from((tr as unknown as { children: ArrayLike<{ textContent: string }> }).children).map((td) => td.textContent))
    )
    assert.deepEqual(
      faults.find((r) => /desync/.test(r[2]!)),
      ['3 s', '7 s', 'store-2 desync (archives nothing)']
    )
    // on the chart: the band covers its window from top to bottom; outside it, the chart is mostly empty
    const columns = (await (b.page.evaluate as PageEval)(`(() => {
      const canvas = document.querySelector('canvas[data-chart="latency-over-time"]')
      const chart = Chart.getChart(canvas)
      const ctx = canvas.getContext('2d')
      const { top, bottom } = chart.chartArea
      const painted = (t) => {
        const x = Math.round(chart.scales.x.getPixelForValue(t) * (canvas.width / canvas.clientWidth))
        const y0 = Math.round(top * (canvas.height / canvas.clientHeight)); const y1 = Math.round(bottom * (canvas.height / canvas.clientHeight))
        const data = ctx.getImageData(x, y0, 1, y1 - y0).data
        let n = 0
        for (let i = 3; i < data.length; i += 4) if (data[i] > 0) n++
        return n / (y1 - y0)
      }
      return { inside: painted(5.1), outside: painted(10.1) }
    })()`)) as { inside: number; outside: number }
    assert.ok(columns.inside > 0.9 && columns.outside < 0.5, JSON.stringify(columns))
  } finally {
    await b.page.close()
  }
})

test('a failing threshold links to the section that explains it and says why in one line', async () => {
  const cases = [
    { name: 'store-out-of-sync-real', metric: 'store.inSync', target: '#rel-audit', why: /store-2 is missing 10 of 34 messages/ },
    { name: 'phantom-push-real', metric: 'push.phantom', target: '#rel-push', why: /bob: 3 pushes .*alice-1/ }
  ]
  for (const c of cases) {
    const run = await realRun(c.name)
    const { page, watch } = await openFile(browser, run.file)
    try {
      assertClean(watch)
      const row = page.locator('#thresholds tbody tr', { hasText: c.metric })
      assert.equal(await row.locator('td').first().textContent(), 'FAIL')
      assert.match(await row.innerText(), c.why)
      const link = row.locator(`a[href="${c.target}"]`)
      assert.equal(await link.count(), 1, `${c.metric} links to ${c.target}`)
      await link.click()
      // the page scrolls smoothly: wait until the target has arrived in the upper half of the screen
      await page.waitForFunction(
        (target) => {
          const g = globalThis as unknown as {
            location: { hash: string }
            innerHeight: number
            document: { querySelector: (s: string) => { getBoundingClientRect: () => { top: number } } | null }
          }
          const top = g.document.querySelector(target)?.getBoundingClientRect().top
          return g.location.hash === target && top != null && top >= 0 && top < g.innerHeight / 2
        },
        c.target,
        { timeout: 5000 }
      )
    } finally {
      await page.close()
    }
  }
})

test('without JavaScript (as Jenkins serves it) the verdict, thresholds, the why and the main tables are there', async () => {
  const noJs = await launchChromium({ javaScriptEnabled: false })
  try {
    const run = await realRun('store-out-of-sync-real')
    const { page, watch } = await openFile(noJs, run.file, { waitForReady: false })
    try {
      assert.deepEqual(watch.requests, [])
      assert.equal(await page.textContent('#verdict'), 'FAIL')
      assert.equal(await page.textContent('header h1'), 'store-out-of-sync')
      const rows = await page.$$eval('#thresholds tbody tr', (trs) => trs.map((tr) => (tr as unknown as { innerText: string }).innerText))
      assert.equal(rows.length, 1)
      assert.match(rows[0]!, /FAIL\s+store\.inSync\s+false\s+true/)
      assert.match(rows[0]!, /store-2 is missing 10 of 34 messages/)
      const devices = await page.$$eval('#devices tbody tr', (trs) => trs.map((tr) => (tr as unknown as { innerText: string }).innerText.split('\t')))
      assert.deepEqual(
        devices.map((r) => r.slice(0, 3)),
        [['alice', '34', '34']]
      )
      for (const id of ['#rel-audit', '#bytes-owners', '#energy-devices', '#store']) assert.equal(await page.locator(id).count(), 1, `${id} is in the HTML`)
      assert.match(await page.innerText('#rel-audit'), /store-2/)
      assert.match(await page.innerText('body'), /charts need JavaScript/i)
      await page.screenshot({ path: join(ARTIFACTS, 'report-no-js.png'), fullPage: true })
    } finally {
      await page.close()
    }
    // the script-free copy escapes run strings itself: markup in names stays text
    const hostile = synthesizeRun(FIXTURE_RUNS['hostile-names'])
    const h = await openFile(noJs, await runDir('hostile-names-no-js', hostile.results, hostile.events), { waitForReady: false })
    try {
      assert.equal(await h.page.textContent('header h1'), '"><svg onload=alert(3)>')
      assert.ok((await h.page.innerText('#devices')).includes(HOSTILE))
      const injected = await h.page.$$eval('img, svg, iframe', (els) => els.length)
      assert.equal(injected, 0)
    } finally {
      await h.page.close()
    }
  } finally {
    await noJs.close()
  }

  // scripts on but blocked: served on loopback with the Content-Security-Policy Jenkins' HTML
  // publisher sends by default (hudson.model.DirectoryBrowserSupport.CSP)
  const html = await readFile(join(dir, 'store-out-of-sync-real-edges', 'report.html'))
  const server = createServer((_req, res) => {
    res.writeHead(200, {
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': "sandbox; default-src 'none'; img-src 'self'; style-src 'self';"
    })
    res.end(html)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const page = await browser.context.newPage()
  try {
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/report.html`)
    assert.equal(await page.getAttribute('body', 'data-ready'), null, 'the page script was blocked')
    assert.equal(await page.textContent('#verdict'), 'FAIL')
    assert.match(await page.innerText('#thresholds'), /store-2 is missing 10 of 34 messages/)
    assert.deepEqual(await page.$$eval('#devices tbody tr td:first-child', (tds) => tds.map((td) => (td as unknown as { textContent: string }).textContent)), [
      'alice'
    ])
  } finally {
    await page.close()
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }
})

test('a real courier run (scenarios/smoke.yaml) renders cleanly and its messages can be followed', async () => {
  const source = join('fixtures', 'runs', 'smoke-real')
  const results = JSON.parse(await readFile(join(source, 'results.json'), 'utf8')) as Results
  const events = await readEvents(join(source, 'events.ndjson'))
  const { page, watch } = await openFile(browser, await runDir('smoke-real', results, events))
  try {
    assertClean(watch)
    assert.equal(await page.textContent('#verdict'), results.verdict.toUpperCase())
    const canvases = await canvasPaint(page)
    assert.ok(canvases.length >= 10)
    for (const c of canvases) assert.ok(c.painted > c.width * c.height * 0.01, `${c.chart} painted`)
    const sent = events.find((e): e is Extract<CourierEvent, { type: 'msg.sent' }> => e.type === 'msg.sent' && e.device === 'alice')!
    const receivedBy = events.filter((e) => e.type === 'msg.received' && e.hash === sent.hash).map((e) => (e as { device: string }).device)
    assert.ok(receivedBy.length > 0)
    await page.fill('#explorer-search', sent.hash.slice(0, 18))
    await page.click('#explorer-list .msg-item')
    assert.equal(await page.textContent('#journey-hash'), sent.hash)
    const text = (await page.textContent('#explorer-detail table.journey-steps')) ?? ''
    for (const device of receivedBy) assert.match(text, new RegExp(`received${device}`))
    await page.screenshot({ path: join(ARTIFACTS, 'report-smoke-real.png'), fullPage: true })
  } finally {
    await page.close()
  }
})

test('the History section and the trend page: last nights beside this run, the worse night marked, every chart painted, no errors', async () => {
  const nights = [100, 100, 160].map((centre, i) => {
    const latencies = Array.from({ length: 60 }, (_, k) => centre + ((k * 37) % 41))
    return historyRun({
      runId: `n${i}`,
      set: `/runs/n${i}`,
      startedAt: `2026-12-0${i + 1}T02:00:00.000Z`,
      build: { ...historyRun().build, key: `b${i}`, label: `im.example 1.${i}.0` },
      tolerances: [],
      metrics: { 'delivery.latency.p95': { value: centre + 38, unit: 'ms' }, 'delivery.loss': { value: 0, unit: 'ratio' } },
      latencies: { overall: latencies, devices: {}, render: [], renderDevices: {} }
    })
  })
  const trend = trendOf(nights)
  const run = synthesizeRun(FIXTURE_RUNS['small-fail'])
  const d = join(dir, 'with-history')
  await mkdir(d, { recursive: true })
  await writeRunReports(d, run.results, run.events, { history: trendView(trend, { current: '/runs/n2' }) })
  const report = await openFile(browser, join(d, 'report.html'))
  try {
    assertClean(report.watch)
    const heads = await report.page.$$eval('#history thead th', (ths) =>
      ths.map((th) => (th as unknown as { innerText: string }).innerText.replace(/\s+/g, ' ').trim())
    )
    assert.deepEqual(heads, ['figure', '2026-12-01 02:00 im.example 1.0.0', '2026-12-02 02:00 im.example 1.1.0', 'this run im.example 1.2.0'])
    const p95 = await report.page.$$eval('#history tr[data-figure="delivery.latency.p95"] td', (tds) =>
      tds.map((td) => ({
        text: (td as unknown as { innerText: string }).innerText.replace(/\s+/g, ' ').trim(),
        cls: (td as unknown as { className: string }).className
      }))
    )
    assert.equal(p95[2]!.text, '138 ms')
    assert.match(p95[3]!.text, /^198 ms worse \+60 ms/)
    assert.match(p95[3]!.cls, /fail-text/)
    const charts = (await canvasPaint(report.page)).filter((c) => c.chart.startsWith('history-'))
    assert.deepEqual(
      charts.map((c) => c.chart),
      ['history-delivery.latency.p95', 'history-delivery.loss']
    )
    for (const c of charts) assert.ok(c.painted > c.width * c.height * 0.005, `${c.chart} painted`)
    assert.ok((await report.page.$('nav#nav a[href="#history"]')) != null, 'the section is in the navigation')
  } finally {
    await report.page.close()
  }
  await writeFile(join(d, 'trend.html'), renderTrendHtml(trend))
  const page = await openFile(browser, join(d, 'trend.html'))
  try {
    assertClean(page.watch)
    assert.equal(await page.page.textContent('.verdict-badge'), 'WORSE')
    const charts = await canvasPaint(page.page)
    assert.equal(charts.length, 2)
    for (const c of charts) assert.ok(c.painted > c.width * c.height * 0.005, 'painted')
    await page.page.screenshot({ path: join(ARTIFACTS, 'trend-page.png'), fullPage: true })
  } finally {
    await page.page.close()
  }
})

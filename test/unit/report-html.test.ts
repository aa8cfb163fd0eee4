import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { InvalidInputError, type CourierEvent, type DeviceDelivery } from '../../harness/interface/index.js'
import { analyzeRun } from '../../harness/analysis/index.js'
import { buildReportData, readEvents, renderHtmlReport, writeRunReports } from '../../reports/index.js'
import { jsonForScript, reportPageBundle } from '../../reports/html/render.js'
import { craftedResults } from '../helpers/reports/crafted-results.js'
import { FIXTURE_RUNS, HOSTILE } from '../helpers/reports/fixture-runs.js'
import { synthesizeRun, type SyntheticRun } from '../helpers/synthetic-run.js'

const run = synthesizeRun(FIXTURE_RUNS['small-fail'])
const crashT = run.events.find((e) => e.type === 'device.failed')?.t ?? Infinity

/** Devices that should get a message: all but its sender, and not bob after his crash. */
function expectedReceivers(m: SyntheticRun['truth'] extends Map<string, infer V> ? V : never): string[] {
  return Object.keys(run.results.delivery.devices).filter((d) => d !== m.sender && !(d === 'bob' && m.sentT >= crashT))
}
function neverGot(m: SyntheticRun['truth'] extends Map<string, infer V> ? V : never): string[] {
  return expectedReceivers(m).filter((d) => !m.arrivals.some((a) => a.device === d))
}

/** What the delivery matrix must say, from the generator's own decisions (not from events). */
function truthMatrix(
  r: SyntheticRun,
  lateMs: number,
  crashT: number | null,
  crashed: string | null
): Map<string, { expected: number; onTime: number; late: number; lost: number; duplicates: number }> {
  const devices = Object.keys(r.results.delivery.devices)
  const out = new Map<string, { expected: number; onTime: number; late: number; lost: number; duplicates: number }>()
  for (const m of r.truth.values()) {
    for (const d of devices) {
      if (d === m.sender) continue
      if (d === crashed && crashT != null && m.sentT >= crashT) continue
      const key = `${m.sender}->${d}`
      const cell = out.get(key) ?? { expected: 0, onTime: 0, late: 0, lost: 0, duplicates: 0 }
      out.set(key, cell)
      cell.expected++
      const mine = m.arrivals.filter((a) => a.device === d)
      const first = mine.find((a) => !a.duplicate)
      if (first == null) cell.lost++
      else if (first.t - m.sentT > lateMs) cell.late++
      else cell.onTime++
      cell.duplicates += mine.filter((a) => a.duplicate).length
    }
  }
  return out
}

test('delivery matrix agrees with what the generator delivered, late and lost, crowd as one sender', () => {
  const data = buildReportData(run.results, run.events)
  assert.equal(data.latency.lateAfterMs, 2000)
  assert.match(data.latency.lateSource, /delivery\.latency\.p95 < 2s/)
  const crash = run.events.find((e) => e.type === 'device.failed')
  const expected = truthMatrix(run, 2000, crash?.t ?? null, 'bob')
  assert.deepEqual(data.matrix.senders, ['alice', 'alice-2', 'bob', 'crowd'])
  let compared = 0
  for (const [si, s] of data.matrix.senders.entries()) {
    for (const [ri, r] of data.matrix.receivers.entries()) {
      const want = expected.get(`${s}->${r}`)
      const got = data.matrix.cells[si]![ri]
      if (want == null) {
        assert.equal(got, null, `${s}->${r}`)
        continue
      }
      assert.deepEqual(got, want, `${s}->${r}`)
      compared++
    }
  }
  assert.equal(compared, 9, '4 senders x 3 receivers, minus each device to itself')
  const lost = [...expected.values()].reduce((n, c) => n + c.lost, 0)
  assert.ok(lost > 0, 'the fixture has lost messages for the matrix to show')
})

test('latency CDF per device covers every first arrival and ends at the true maximum', () => {
  const data = buildReportData(run.results, run.events)
  for (const series of data.latency.cdf) {
    const latencies = [...run.truth.values()].flatMap((m) => m.arrivals.filter((a) => a.device === series.name && !a.duplicate).map((a) => a.t - m.sentT))
    assert.equal(series.total, latencies.length, series.name)
    const last = series.raw!.at(-1)!
    assert.equal(last[1], 1)
    assert.ok(Math.abs(last[0] - Math.max(...latencies)) <= 0.06, `${series.name}: ${last[0]} vs ${Math.max(...latencies)}`)
  }
})

test('large series are downsampled to buckets that keep the extremes, and the page is told', () => {
  const data = buildReportData(run.results, run.events, { maxRawPoints: 20, buckets: 10 })
  assert.equal(data.latency.downsampled, true)
  assert.ok(data.notes.some((n) => /downsampled/.test(n)))
  for (const s of data.latency.overTime) {
    if (s.total <= 20) continue
    assert.equal(s.raw, undefined)
    assert.ok(s.buckets!.t.length <= 10)
    assert.equal(
      s.buckets!.count.reduce((a, b) => a + b, 0),
      s.total
    )
    const latencies = [...run.truth.values()].flatMap((m) => m.arrivals.filter((a) => a.device === s.name && !a.duplicate).map((a) => a.t - m.sentT))
    assert.ok(Math.abs(Math.max(...s.buckets!.max) - Math.max(...latencies)) <= 0.06)
  }
  const whole = buildReportData(run.results, run.events)
  assert.equal(whole.latency.downsampled, false)
  assert.ok(!whole.notes.some((n) => /downsampled/.test(n)))
})

test('the message explorer index is bounded, keeps lost device messages first, and says so', () => {
  const data = buildReportData(run.results, run.events, { maxExplorerDeviceMessages: 3, maxExplorerCrowdMessages: 4 })
  const fromDevices = data.explorer.messages.filter((m) => m.sender !== 'crowd')
  const fromCrowd = data.explorer.messages.filter((m) => m.sender === 'crowd')
  assert.equal(fromDevices.length, 3)
  assert.equal(fromCrowd.length, 4)
  assert.match(data.explorer.note, /3 of \d+ device messages \(lost and late ones first\)/)
  assert.match(data.explorer.note, /a sample of 4 of \d+ crowd messages/)
  const lostDeviceMessages = [...run.truth.values()].filter((m) => m.sender !== 'crowd' && neverGot(m).length > 0)
  assert.ok(lostDeviceMessages.length > 0)
  for (const m of lostDeviceMessages.slice(0, 3))
    assert.ok(
      fromDevices.some((x) => x.msgId === m.msgId),
      `${m.msgId} kept`
    )

  const all = buildReportData(run.results, run.events)
  assert.equal(all.explorer.note, '')
  assert.equal(all.explorer.messages.length, run.truth.size)
})

test('a journey in the explorer holds every event of that message, with the receivers that never got it', () => {
  const data = buildReportData(run.results, run.events)
  const lost = [...run.truth.values()].find((m) => m.sender !== 'crowd' && neverGot(m).length > 0)!
  const entry = data.explorer.messages.find((m) => m.hash === lost.hash)!
  const events = run.events.filter((e) => (e as { hash?: string }).hash === lost.hash)
  assert.equal(entry.steps.length, events.length)
  const S = data.explorer.strings
  const received = entry.steps.filter((s) => S[s[1]] === 'received').map((s) => S[s[2]])
  assert.deepEqual(received.sort(), lost.arrivals.map((a) => a.device).sort())
  assert.ok(neverGot(lost).length > 0)
  assert.deepEqual(entry.missing, neverGot(lost))
})

test('results.json written before the matrix and per-store latency existed still renders, saying what is left out', () => {
  const old = structuredClone(run.results)
  delete old.delivery.matrix
  for (const entry of Object.values(old.store.byStore)) {
    delete entry.answered
    delete entry.latency
  }
  const data = buildReportData(old, run.events)
  assert.deepEqual(data.matrix, { senders: [], receivers: [], cells: [] })
  assert.equal(data.latency.lateAfterMs, null)
  assert.ok(
    data.notes.some((n) => /predates the delivery matrix and per-store query latency/.test(n)),
    data.notes.join(' | ')
  )
  assert.ok(data.store.table.length > 0)
  for (const row of data.store.table) {
    assert.equal(row.answered, null)
    assert.equal(row.p50, 'n/a')
    assert.equal(row.p95, 'n/a')
  }
  // no message is marked late without the bound; the lost ones still show
  assert.ok(data.explorer.messages.every((m) => m.late.length === 0))
  assert.ok(data.explorer.messages.some((m) => m.missing.length > 0))
  const html = renderHtmlReport({ results: old, events: run.events })
  assert.match(html, /predates the delivery matrix/)
})

test('faults become bands: the offline window, the killed store and the partition', () => {
  const data = buildReportData(run.results, run.events)
  const labels = data.faults.bands.map((b) => `${b.kind}:${b.label}:${Math.round(b.from)}-${Math.round(b.to)}`)
  assert.ok(labels.includes('offline:alice-2 offline:20-35'), labels.join(' '))
  assert.ok(labels.includes('down:store-1 killed:40-50'), labels.join(' '))
  assert.ok(
    labels.some((l) => /^partition:partition \[relay-1, relay-2\].*:28-33$/.test(l)),
    labels.join(' ')
  )
  assert.equal(data.faults.bands.filter((b) => b.kind === 'partition').length, 1, 'partition.start wins over the timeline action')
})

test('metrics named <prefix>.<device>.<figure> are pivoted per device; the rest grouped by prefix', () => {
  const data = buildReportData(run.results, run.events)
  const bytes = data.metrics.pivots.find((p) => p.prefix === 'bytes')!
  assert.deepEqual(
    bytes.rows.map((r) => r.device),
    ['alice', 'alice-2', 'bob']
  )
  assert.ok(bytes.figures.includes('down.perMessage'))
  const delivery = data.metrics.groups.find((g) => g.prefix === 'delivery')!
  assert.ok(delivery.rows.some((r) => r.name === 'delivery.latency.p95'))
  assert.equal(data.metrics.count, Object.keys(run.results.metrics).length)
  const shown =
    data.metrics.groups.reduce((n, g) => n + g.rows.length, 0) +
    data.metrics.pivots.reduce((n, p) => n + p.rows.reduce((m, r) => m + r.values.filter((v) => v != null).length, 0), 0)
  assert.equal(shown, data.metrics.count, 'every metric appears exactly once')
})

test('report.html: one file, a CSP that allows only its own inline blocks by hash, nothing remote', () => {
  const html = renderHtmlReport({ results: run.results, events: run.events })
  const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1]
  assert.ok(csp != null)
  assert.match(csp, /default-src 'none'/)
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|https?:|\*/)
  const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]!)
  assert.equal(scripts.length, 2)
  for (const s of scripts)
    assert.ok(csp.includes(`'sha256-${createHash('sha256').update(s).digest('base64')}'`), 'every executable script is allowed by its hash')
  const style = /<style>([\s\S]*?)<\/style>/.exec(html)![1]!
  assert.ok(csp.includes(`'sha256-${createHash('sha256').update(style).digest('base64')}'`))
  assert.doesNotMatch(html, /<(script|img|link|iframe)[^>]+(src|href)="(https?:)?\/\//i)
  assert.ok(html.length < 2_000_000)
})

test('the page script is the bundle of reports/html/page: one classic script that parses no HTML and needs only the global Chart', () => {
  const html = renderHtmlReport({ results: run.results, events: run.events })
  const page = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]!)[1]!
  assert.equal(page, `\n${reportPageBundle()}`)
  for (const file of ['main.ts', 'dom.ts', 'charts.ts', 'sections/delivery.ts', 'sections/explorer.ts'])
    assert.ok(page.includes(`// reports/html/page/${file}`), `bundled from reports/html/page/${file}`)
  assert.doesNotMatch(page, /^\s*(import|export)\b/m, 'no module syntax left: report.html runs it as a classic script')
  assert.doesNotMatch(page, /\brequire\(|\bimport\(/)
  assert.doesNotMatch(
    page,
    /innerHTML|outerHTML|insertAdjacentHTML|document\.write|DOMParser|createContextualFragment/,
    'run strings reach the page as text only'
  )
})

test('run data is embedded as JSON that no string can break out of', () => {
  const hostile = synthesizeRun(FIXTURE_RUNS['hostile-names'])
  const html = renderHtmlReport({ results: hostile.results, events: hostile.events })
  const block = /<script type="application\/json" id="courier-data">([\s\S]*?)<\/script>/.exec(html)![1]!
  assert.doesNotMatch(block, /</, 'no < at all inside the data block')
  const data = JSON.parse(block) as { deviceOrder: string[]; meta: { scenario: { name: string } } }
  assert.ok(data.deviceOrder.includes(HOSTILE))
  assert.equal(data.meta.scenario.name, '"><svg onload=alert(3)>')
  assert.ok(!html.includes(HOSTILE), 'the raw markup appears nowhere in the file')
  assert.equal(JSON.parse(jsonForScript({ s: '</script><!-- \u2028' })).s, '</script><!-- \u2028')
})

test('readEvents drops a torn last line and rejects a bad line elsewhere with its line number', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'courier-report-'))
  try {
    const lines = run.events.slice(0, 3).map((e) => JSON.stringify(e))
    await writeFile(join(dir, 'torn.ndjson'), `${lines.join('\n')}\n{"t": 12.5, "type": "msg.se`)
    assert.deepEqual(await readEvents(join(dir, 'torn.ndjson')), run.events.slice(0, 3))
    await writeFile(join(dir, 'bad.ndjson'), `${lines[0]}\nnot json\n${lines[1]}\n`)
    await assert.rejects(readEvents(join(dir, 'bad.ndjson')), (e: unknown) => e instanceof InvalidInputError && e.problems[0]!.location.line === 2)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})

test("writeRunReports writes report.html, junit.xml and summary.md, and links the run's files", async () => {
  const dir = await mkdtemp(join(tmpdir(), 'courier-report-'))
  try {
    await writeFile(join(dir, 'events.ndjson'), run.events.map((e) => JSON.stringify(e)).join('\n'))
    await writeFile(join(dir, 'results.json'), JSON.stringify(run.results))
    await writeFile(join(dir, 'capture.pcap'), Buffer.alloc(2048))
    const written = await writeRunReports(dir, run.results, run.events, { junit: true, markdown: true })
    assert.deepEqual(written, { html: join(dir, 'report.html'), junit: join(dir, 'junit.xml'), markdown: join(dir, 'summary.md') })
    const html = await readFile(written.html!, 'utf8')
    const data = JSON.parse(/id="courier-data">([\s\S]*?)<\/script>/.exec(html)![1]!) as { artifacts: Array<{ name: string; size: string }> }
    assert.deepEqual(data.artifacts, [
      { name: 'capture.pcap', size: '2.05 kB' },
      { name: 'events.ndjson', size: data.artifacts[1]!.size },
      { name: 'results.json', size: data.artifacts[2]!.size }
    ])
    assert.match(await readFile(written.junit!, 'utf8'), /<testsuites/)
    assert.match(await readFile(written.markdown!, 'utf8'), /^## ❌ FAIL/)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})

// A drift check, not a correctness check: it says the committed files are what the generator
// makes today. The test after it says whether their figures are right.
test('drift check: the committed fixture runs are what the generator makes (regenerate them when it changes)', async () => {
  for (const [name, options] of Object.entries(FIXTURE_RUNS)) {
    const fresh = synthesizeRun(options)
    const committed = await readEvents(join('fixtures', 'runs', name, 'events.ndjson'))
    assert.deepEqual(committed, fresh.events, `${name}/events.ndjson`)
    assert.deepEqual(
      JSON.parse(await readFile(join('fixtures', 'runs', name, 'results.json'), 'utf8')),
      JSON.parse(JSON.stringify(fresh.results)),
      `${name}/results.json`
    )
  }
})

// The generator decides each delivery itself and writes results.json from those decisions, not
// from its events; courier's analysis reads only the events. Both must tell the same story.
// (Render latency and the duplicate rate are left out: the generator approximates the first as
// arrival + 15 ms and divides the second by first arrivals, not by all arrivals.)
test("analysis of each committed fixture run's events finds the deliveries its generator decided", async () => {
  // event times are written to the microsecond: latencies from events may differ in the last digit
  const same = (got: DeviceDelivery, want: DeviceDelivery, what: string): void => {
    const counts = (d: DeviceDelivery): unknown => ({
      expected: d.expected,
      delivered: d.delivered,
      lost: d.lost,
      duplicates: d.duplicates.total,
      duplicatesByPath: d.duplicates.byPath,
      firstByPath: d.firstByPath,
      count: d.latency.count
    })
    assert.deepEqual(counts(got), counts(want), what)
    for (const stat of ['p50', 'p90', 'p95', 'p99', 'max'] as const) {
      const [g, w] = [got.latency[stat], want.latency[stat]]
      assert.ok(g != null && w != null ? Math.abs(g - w) < 0.002 : g === w, `${what}: latency ${stat} ${String(g)} vs ${String(w)}`)
    }
  }
  for (const name of Object.keys(FIXTURE_RUNS)) {
    const events = await readEvents(join('fixtures', 'runs', name, 'events.ndjson'))
    const truth = JSON.parse(await readFile(join('fixtures', 'runs', name, 'results.json'), 'utf8')) as SyntheticRun['results']
    const { delivery } = analyzeRun(events, { lagLimitMs: 50 })
    assert.deepEqual(Object.keys(delivery.devices).sort(), Object.keys(truth.delivery.devices).sort(), name)
    for (const [device, d] of Object.entries(truth.delivery.devices)) {
      same(delivery.devices[device], d, `${name}: ${device}`)
    }
    same(delivery.overall, truth.delivery.overall, `${name}: overall`)
  }
})

test('store fault windows (desync, slow) become labelled bands for their length, not bare timeline markers', () => {
  const events = [
    { t: 1000, type: 'scenario.start' },
    { t: 4000, type: 'timeline.action', index: 0, action: 'desync', detail: { store: 'store-2', for: 4000 } },
    { t: 5000, type: 'timeline.action', index: 1, action: 'slow', detail: { store: 'store-1', delay: 800, for: 2000 } },
    { t: 6000, type: 'timeline.action', index: 2, action: 'checkpoint', detail: { name: 'mid' } },
    { t: 20000, type: 'scenario.end' }
  ] as unknown as CourierEvent[]
  const data = buildReportData(craftedResults({ timing: { runMs: 21_000, scenarioStartMs: 1000, scenarioEndMs: 20_000 } }), events)
  assert.deepEqual(data.faults.bands, [
    { from: 3, to: 7, kind: 'store', label: 'store-2 desync (archives nothing)' },
    { from: 4, to: 6, kind: 'store', label: 'store-1 slow (answers 800 ms late)' }
  ])
  assert.deepEqual(
    data.faults.markers.map((m) => m.label),
    ['#2 checkpoint name mid']
  )
})

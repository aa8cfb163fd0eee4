// The report page's own script. It runs in the browser, not in Node: renderHtmlReport inlines
// `pageMain.toString()`, so the body must not use anything from this module's scope at run time
// (type imports are erased and fine). DOM globals are declared `any` here because adding the DOM
// lib to the project's one tsconfig would change type checking for every other module.
// Every string from the run goes into the page through text nodes, never through HTML parsing.
import type { BarChart, DevicePivot, ExplorerMessage, FaultBand, ReportData, Series, TableBlock, TableCell, XY } from './report-data.js'

declare const document: any
declare const window: any
declare const navigator: any
declare const Chart: any

/** Builds the whole page from the embedded JSON; called once on load. */
export function pageMain(): void {
  const data: ReportData = JSON.parse(document.getElementById('courier-data').textContent)
  // report.html carries a script-free copy of the verdict and the tables (for CI viewers that block
  // scripts); this page replaces it with the full one
  for (const id of ['top', 'nav', 'main']) document.getElementById(id).replaceChildren()
  const PALETTE = ['#2563eb', '#dc2626', '#16a34a', '#d97706', '#7c3aed', '#0891b2', '#db2777', '#65a30d', '#475569', '#ea580c', '#0d9488', '#9333ea']
  const PATH_COLOR: Record<string, string> = {
    relay: '#2563eb',
    filter: '#0891b2',
    store: '#d97706',
    lightpush: '#7c3aed',
    duplicate: '#dc2626',
    promotion: '#7c3aed',
    active: '#dc2626',
    tail: '#fb923c',
    idle: '#cbd5e1',
    down: '#2563eb',
    total: '#94a3b8',
    control: '#64748b',
    'framing and other': '#cbd5e1'
  }
  const BAND_COLOR: Record<string, string> = {
    offline: 'rgba(37, 99, 235, 0.10)',
    down: 'rgba(220, 38, 38, 0.10)',
    partition: 'rgba(124, 58, 237, 0.12)',
    store: 'rgba(217, 119, 6, 0.14)',
    other: 'rgba(100, 116, 139, 0.12)'
  }
  const BAND_TEXT: Record<string, string> = { offline: '#1d4ed8', down: '#b91c1c', partition: '#6d28d9', store: '#b45309', other: '#475569' }
  const charts: any[] = []

  Chart.defaults.animation = false
  Chart.defaults.font.family = 'system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif'
  Chart.defaults.font.size = 12
  Chart.defaults.color = '#334155'
  Chart.defaults.maintainAspectRatio = false
  Chart.defaults.plugins.legend.labels.boxWidth = 12
  Chart.defaults.plugins.legend.labels.filter = (item: any, chartData: any) => chartData.datasets[item.datasetIndex]?.courierSecondary !== true

  type Child = string | number | null | undefined | false | any
  /** Creates an element; strings become text nodes, so run data can never become markup. */
  function h(tag: string, attrs: Record<string, string | undefined> | null, ...children: Child[]): any {
    const el = document.createElement(tag)
    for (const [k, v] of Object.entries(attrs ?? {})) if (v != null) el.setAttribute(k, v)
    for (const c of children.flat()) {
      if (c == null || c === false) continue
      el.append(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c)
    }
    return el
  }
  function deviceColor(name: string): string {
    const i = data.deviceOrder.indexOf(name)
    return PALETTE[(i >= 0 ? i : data.deviceOrder.length + name.length) % PALETTE.length]!
  }
  function seriesColor(i: number): string {
    return PALETTE[i % PALETTE.length]!
  }
  /** One colour per series of a chart: a name's own colour (PATH_COLOR) when no other series has it, else the next unused palette colour. */
  function distinctColors(labels: string[], offset = 0, fixed: Record<string, string> = PATH_COLOR): string[] {
    const used = new Set<string>()
    const own = labels.map((l) => {
      const c = fixed[l]
      if (c == null || used.has(c)) return null
      used.add(c)
      return c
    })
    let k = offset
    return own.map((c) => {
      if (c != null) return c
      for (let tries = 0; tries < PALETTE.length && used.has(seriesColor(k)); tries++) k++
      const next = seriesColor(k++)
      used.add(next)
      return next
    })
  }
  /** A chart with nothing to draw: its title and one sentence, no canvas and no empty 0-1 axes. */
  function emptyChart(id: string, title: string, text: string): any {
    return h(
      'figure',
      { class: 'chart-card empty-card', 'data-empty-chart': id },
      h('figcaption', null, h('span', { class: 'chart-title' }, title)),
      h('p', { class: 'empty' }, text)
    )
  }
  function fmtMs(ms: number): string {
    if (!Number.isFinite(ms)) return ''
    const a = Math.abs(ms)
    if (a < 1000) return `${Number(ms.toPrecision(3))} ms`
    if (a < 60000) return `${Number((ms / 1000).toPrecision(3))} s`
    return `${Math.floor(ms / 60000)}m ${String(Math.round((ms % 60000) / 1000)).padStart(2, '0')}s`
  }
  function fmtS(s: number): string {
    if (Math.abs(s) < 60) return `${Number(s.toFixed(1))} s`
    const m = Math.floor(s / 60)
    const rest = Math.round(s - m * 60)
    return rest === 0 ? `${m}m` : `${m}m ${String(rest).padStart(2, '0')}s`
  }
  function fmtBytes(b: number): string {
    const a = Math.abs(b)
    if (a < 1000) return `${Math.round(b)} B`
    if (a < 1e6) return `${Number((b / 1e3).toPrecision(3))} kB`
    return `${Number((b / 1e6).toPrecision(3))} MB`
  }
  function count(n: number): string {
    return n.toLocaleString('en-US')
  }

  // Draws the run's fault windows behind the data, labelled, on any chart with a time x axis.
  const faultPlugin = {
    id: 'courierFaults',
    beforeDatasetsDraw(chart: any) {
      const { ctx, chartArea, scales } = chart
      const x = scales.x
      if (x == null) return
      const lanes: number[] = []
      ctx.save()
      ctx.font = '11px system-ui, sans-serif'
      for (const band of data.faults.bands) {
        const x0 = Math.max(chartArea.left, x.getPixelForValue(band.from))
        const x1 = Math.min(chartArea.right, x.getPixelForValue(band.to))
        if (!(x1 > x0)) continue
        ctx.fillStyle = BAND_COLOR[band.kind] ?? BAND_COLOR.other
        ctx.fillRect(x0, chartArea.top, Math.max(1, x1 - x0), chartArea.bottom - chartArea.top)
        let lane = lanes.findIndex((end) => end < x0)
        if (lane < 0) {
          lane = lanes.length
          lanes.push(0)
        }
        // long labels (partition groups) are cut to the room left on the chart; the faults table has them whole
        let label = band.label
        const room = chartArea.right - x0 - 6
        while (label.length > 4 && ctx.measureText(label).width > room)
          label = `${label.slice(0, Math.max(3, Math.floor((label.length * room) / ctx.measureText(label).width) - 2))}…`
        const width = ctx.measureText(label).width
        lanes[lane] = x0 + width + 8
        ctx.fillStyle = BAND_TEXT[band.kind] ?? BAND_TEXT.other
        ctx.fillText(label, x0 + 3, chartArea.top + 12 + lane * 13)
      }
      ctx.strokeStyle = 'rgba(71, 85, 105, 0.45)'
      ctx.setLineDash([3, 3])
      for (const m of data.faults.markers) {
        const px = x.getPixelForValue(m.t)
        if (px < chartArea.left || px > chartArea.right) continue
        ctx.beginPath()
        ctx.moveTo(px, chartArea.top)
        ctx.lineTo(px, chartArea.bottom)
        ctx.stroke()
      }
      ctx.restore()
    }
  }

  function chartBox(id: string, title: string, note?: string, tall = false): { box: any; canvas: any } {
    const canvas = h('canvas', { 'data-chart': id, role: 'img', 'aria-label': title })
    const box = h(
      'figure',
      { class: 'chart-card' },
      h('figcaption', null, h('span', { class: 'chart-title' }, title), note != null && note !== '' ? h('span', { class: 'chart-note' }, note) : null),
      h('div', { class: tall ? 'chart tall' : 'chart' }, canvas)
    )
    return { box, canvas }
  }
  function makeChart(canvas: any, config: any): any {
    const c = new Chart(canvas, config)
    charts.push(c)
    return c
  }
  function timeAxis(): any {
    // suggestedMax, not max: the axis ends on a round tick instead of squeezing a label at the end
    // ticks on round seconds or minutes, about eight of them
    const span = Math.max(data.meta.endS, 1)
    const stepSize = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200].find((st) => span / st <= 9) ?? Math.ceil(span / 9 / 3600) * 3600
    return {
      type: 'linear',
      title: { display: true, text: 'scenario time' },
      min: Math.min(0, ...data.faults.bands.map((b) => b.from)),
      suggestedMax: span,
      ticks: { stepSize, callback: (v: number) => fmtS(v) }
    }
  }
  /** Datasets of a series: raw points as a scatter, or per-bucket median, p95 and max lines. */
  function seriesDatasets(s: Series, color: string, kind: 'latency' | 'max', label = s.name): any[] {
    if (s.raw != null)
      return [
        {
          type: 'scatter',
          label,
          data: s.raw.map(([x, y]) => ({ x, y })),
          backgroundColor: color,
          borderColor: color,
          pointRadius: s.raw.length > 500 ? 1.5 : 2.5
        }
      ]
    const b = s.buckets!
    const pts = (ys: number[]): any[] => b.t.map((x, i) => ({ x, y: ys[i] }))
    if (kind === 'max')
      return [{ type: 'line', label: `${label} (bucket max)`, data: pts(b.max), borderColor: color, backgroundColor: color, pointRadius: 0, borderWidth: 1.5 }]
    // one legend entry per series (the median line); p95 and max follow it in the same colour
    return [
      { type: 'line', label, data: pts(b.p50), borderColor: color, backgroundColor: color, pointRadius: 0, borderWidth: 1.5 },
      {
        type: 'line',
        label: `${label} p95`,
        data: pts(b.p95),
        borderColor: color,
        backgroundColor: color,
        pointRadius: 0,
        borderWidth: 1,
        borderDash: [5, 3],
        courierSecondary: true
      },
      { type: 'scatter', label: `${label} max`, data: pts(b.max), borderColor: color, backgroundColor: color, pointRadius: 1.5, courierSecondary: true }
    ]
  }
  function table(headers: string[], rows: Child[][], cls = 'data'): any {
    return h(
      'table',
      { class: cls },
      h(
        'thead',
        null,
        h(
          'tr',
          null,
          headers.map((t) => h('th', null, t))
        )
      ),
      h(
        'tbody',
        null,
        rows.map((r) =>
          h(
            'tr',
            null,
            r.map((c) => (c != null && typeof c === 'object' && c.tagName === 'TD' ? c : h('td', null, c)))
          )
        )
      )
    )
  }
  function section(id: string, title: string, intro?: string): any {
    const s = h('section', { id }, h('h2', null, title), intro != null ? h('p', { class: 'intro' }, intro) : null)
    document.getElementById('main').append(s)
    return s
  }
  function grid(...children: any[]): any {
    return h('div', { class: 'grid' }, ...children)
  }
  function empty(text: string): any {
    return h('p', { class: 'empty' }, text)
  }

  // ---------- first screen: verdict, headline, thresholds
  const meta = data.meta
  document.title = `courier ${meta.verdictText}: ${meta.scenario.name}`
  const header = document.getElementById('top')
  header.classList.add(`verdict-${meta.verdict}`)
  const copyButton = h('button', { type: 'button', class: 'copy', id: 'copy-replay' }, 'Copy')
  const replay = h('code', { id: 'replay' }, meta.replay)
  header.append(
    ...[
      h(
        'div',
        { class: 'verdict-row' },
        h('span', { class: 'verdict-badge', id: 'verdict' }, meta.verdictText),
        h(
          'div',
          null,
          h('h1', null, meta.scenario.name),
          h(
            'p',
            { class: 'meta' },
            `seed ${meta.scenario.seed} · scenario ${meta.scenario.duration} · run ${meta.run} · status ${meta.status} · ${meta.scenario.file}`
          ),
          h('p', { class: 'meta small' }, `run id ${meta.runId}${meta.tool !== '' ? ` · ${meta.tool}` : ''}`)
        )
      ),
      h('p', { class: 'explanation' }, meta.explanation),
      meta.reasons.length > 0
        ? h(
            'ul',
            { class: 'reasons' },
            meta.reasons.map((r) => h('li', null, r))
          )
        : null,
      h('div', { class: 'replay' }, h('span', { class: 'replay-label' }, 'Replay'), replay, copyButton)
    ].filter((el) => el != null)
  ) // DOM append writes a null as the text "null"
  copyButton.addEventListener('click', () => {
    const done = (): void => {
      copyButton.textContent = 'Copied'
      window.setTimeout(() => {
        copyButton.textContent = 'Copy'
      }, 1500)
    }
    const select = (): void => {
      const r = document.createRange()
      r.selectNodeContents(replay)
      const sel = window.getSelection()
      sel.removeAllRanges()
      sel.addRange(r)
    }
    if (navigator.clipboard?.writeText != null) navigator.clipboard.writeText(meta.replay).then(done, select)
    else select()
  })

  const cards = h(
    'div',
    { class: 'cards', id: 'headline' },
    data.headline.map((c) =>
      h(
        'div',
        { class: `card tone-${c.tone}` },
        h('div', { class: 'card-label' }, c.label),
        h('div', { class: 'card-value' }, c.value),
        h('div', { class: 'card-hint' }, c.hint)
      )
    )
  )
  document.getElementById('main').append(cards)

  const th = section('thresholds', 'Thresholds', data.thresholds.length === 0 ? undefined : "What the scenario's expect: block asked for, failed first.")
  if (data.thresholds.length === 0) th.append(empty('No thresholds were set: add expect: to the scenario to gate on figures.'))
  else {
    th.append(
      table(
        ['', 'metric', 'measured', 'wanted', ''],
        data.thresholds.map((t) => [
          h('td', { class: t.passed ? 'pass' : 'fail' }, t.passed ? 'pass' : 'FAIL'),
          h('td', { class: 'mono' }, h('a', { href: t.href, title: 'where this figure is explained' }, t.metric)),
          h('td', { class: t.passed ? 'num' : 'num fail-text' }, t.measured),
          h('td', { class: 'mono' }, t.expression),
          h('td', { class: 'muted' }, t.message, t.why != null ? h('div', { class: 'why' }, `why: ${t.why}`) : null)
        ]),
        'data thresholds'
      )
    )
  }

  // ---------- history: the last nights of this scenario beside this run
  if (data.history != null && data.history.points.length > 0) {
    const hist = data.history
    const MARK_CLASS: Record<string, string> = { worse: 'fail-text', better: 'good-text', changed: 'warn-text' }
    const MARK_TONE: Record<string, string> = { worse: '#dc2626', better: '#16a34a', changed: '#d97706' }
    const hs = section(
      'history',
      'History',
      `The last ${hist.points.length} recorded point(s) of this scenario from the history database, this run ${hist.points.some((p) => p.current) ? 'last' : 'not among them'}. Each is compared with the one before as courier compare does (alpha ${hist.alpha}): worse, better or changed beyond noise and tolerance; ~ within them.${hist.notes.length > 0 ? ` ${hist.notes.join('; ')}.` : ''}`
    )
    const head = hist.points.map((p) =>
      h(
        'th',
        { class: p.current ? 'current' : undefined, title: p.verdicts },
        p.current ? 'this run' : p.date,
        h('br', null),
        h('span', { class: 'muted small' }, p.build)
      )
    )
    const rows = hist.figures.map((f) =>
      h(
        'tr',
        { 'data-figure': f.metric },
        h('td', { class: 'mono' }, f.metric),
        f.texts.map((text, i) => {
          const mark = f.marks[i]
          return h(
            'td',
            {
              class: `num${mark != null && mark !== '~' ? ` ${MARK_CLASS[mark]}` : ''}`,
              title: f.tests[i] !== '' ? `${f.changes[i]}; ${f.tests[i]}` : undefined
            },
            text === '' ? 'n/a' : text,
            mark != null && mark !== '~' ? h('br', null) : null,
            mark != null && mark !== '~' ? `${mark} ${f.changes[i]}` : null
          )
        })
      )
    )
    hs.append(
      h(
        'div',
        { class: 'scroll' },
        h('table', { class: 'data history' }, h('thead', null, h('tr', null, h('th', null, 'figure'), head)), h('tbody', null, rows))
      )
    )
    const charted = hist.figures
      .slice(0, 4)
      .map((f) => ({ f, ...chartBox(`history-${f.metric}`, f.metric, 'larger points: changed beyond noise and tolerance') }))
    hs.append(grid(...charted.map((c) => c.box)))
    for (const { f, canvas } of charted) {
      const colors = f.marks.map((m) => (m != null ? MARK_TONE[m] : undefined) ?? '#2563eb')
      makeChart(canvas, {
        type: 'line',
        data: {
          labels: hist.points.map((p) => (p.current ? 'this run' : p.date)),
          datasets: [
            {
              label: f.metric,
              data: f.values,
              borderColor: '#2563eb',
              pointBackgroundColor: colors,
              pointBorderColor: colors,
              pointRadius: f.marks.map((m) => (m != null && m !== '~' ? 6 : 3)),
              spanGaps: true
            }
          ]
        },
        options: {
          plugins: { legend: { display: false }, tooltip: { callbacks: { label: (item: any) => f.texts[item.dataIndex] } } },
          scales: { y: { beginAtZero: true } }
        }
      })
    }
  }

  // ---------- delivery
  const del = section(
    'delivery',
    'Delivery',
    "Latency is the time from msg.sent to the first msg.received on each device. Shaded bands are the timeline's faults; dashed lines are timeline actions."
  )
  const anyLatency = data.latency.cdf.some((s) => s.total > 0)
  if (!anyLatency) del.append(empty('No message reached any device, so there is no latency to draw.'))
  else {
    const maxLat = Math.max(1, ...data.latency.cdf.flatMap((s) => s.raw!.map((p) => p[0])))
    const minLat = Math.max(0.1, Math.min(...data.latency.cdf.flatMap((s) => s.raw!.map((p) => p[0])).filter((v) => v > 0)))
    // latencies spanning more than 30x get a log axis, and the subtitle says which one was chosen
    const logLatency = maxLat / minLat > 30
    const cdfBox = chartBox(
      'latency-cdf',
      'Latency distribution per device (CDF)',
      `x: latency${logLatency ? ' (log scale)' : ''} · y: share of delivered messages`
    )
    const otBox = chartBox(
      'latency-over-time',
      'Latency by send time',
      `${data.latency.downsampled ? 'downsampled: per-bucket median, p95 (dashed) and max' : 'one point per delivered message'}${logLatency ? ' · y: log scale' : ''}`,
      true
    )
    del.append(grid(cdfBox.box, otBox.box))
    makeChart(cdfBox.canvas, {
      type: 'line',
      data: {
        datasets: data.latency.cdf
          .filter((s) => s.total > 0)
          .map((s) => ({
            label: `${s.name} (${count(s.total)})`,
            data: s.raw!.map(([x, y]) => ({ x: Math.max(x, minLat), y })),
            borderColor: deviceColor(s.name),
            backgroundColor: deviceColor(s.name),
            pointRadius: 0,
            borderWidth: 2,
            stepped: true
          }))
      },
      options: {
        parsing: false,
        scales: {
          x: {
            type: logLatency ? 'logarithmic' : 'linear',
            title: { display: true, text: 'latency' },
            ticks: { callback: (v: number) => fmtMs(v), maxTicksLimit: 8 }
          },
          y: { min: 0, max: 1, title: { display: true, text: 'share delivered' }, ticks: { callback: (v: number) => `${Math.round(v * 100)} %` } }
        },
        plugins: { tooltip: { callbacks: { label: (c: any) => `${c.dataset.label}: ${Math.round(c.parsed.y * 1000) / 10} % within ${fmtMs(c.parsed.x)}` } } }
      }
    })
    makeChart(otBox.canvas, {
      type: 'scatter',
      data: { datasets: data.latency.overTime.filter((s) => s.total > 0).flatMap((s) => seriesDatasets(s, deviceColor(s.name), 'latency')) },
      options: {
        parsing: false,
        scales: {
          x: timeAxis(),
          y: {
            type: logLatency ? 'logarithmic' : 'linear',
            title: { display: true, text: 'latency' },
            ticks: { callback: (v: number) => fmtMs(v), maxTicksLimit: 8 }
          }
        },
        plugins: { tooltip: { callbacks: { label: (c: any) => `${c.dataset.label}: sent at ${fmtS(c.parsed.x)}, ${fmtMs(c.parsed.y)}` } } }
      },
      plugins: [faultPlugin]
    })
  }
  if (data.faults.bands.length > 0 || data.faults.markers.length > 0) {
    del.append(
      h(
        'details',
        { class: 'faults' },
        h('summary', null, `Faults and timeline actions (${data.faults.bands.length + data.faults.markers.length})`),
        table(
          ['from', 'to', 'what'],
          [
            ...data.faults.bands.map((b: FaultBand) => ({ t: b.from, row: [fmtS(b.from), fmtS(b.to), b.label] })),
            ...data.faults.markers.map((mk) => ({ t: mk.t, row: [fmtS(mk.t), '', mk.label] }))
          ]
            .sort((a, b) => a.t - b.t)
            .map((x) => x.row)
        )
      )
    )
  }

  // Delivery matrix: who got whose messages.
  const m = data.matrix
  if (m.senders.length > 0) {
    const matrix = h(
      'table',
      { class: 'matrix', id: 'delivery-matrix' },
      h(
        'thead',
        null,
        h(
          'tr',
          null,
          h('th', { class: 'corner' }, 'sender \\ receiver'),
          m.receivers.map((r) => h('th', null, r))
        )
      ),
      h(
        'tbody',
        null,
        m.senders.map((s, si) =>
          h(
            'tr',
            null,
            h('th', null, s),
            m.receivers.map((r, ri) => {
              const c = m.cells[si]![ri]
              if (c == null || c.expected === 0) return h('td', { class: 'na' }, '·')
              const lostShare = c.lost / c.expected
              const tone = lostShare >= 0.05 ? 'bad' : lostShare >= 0.01 ? 'warn' : lostShare > 0 ? 'minor' : c.late > 0 ? 'late' : 'good'
              const td = h(
                'td',
                { class: `cell ${tone}`, title: `${s} → ${r}: ${c.expected} expected` },
                h('div', { class: 'cell-main' }, `${count(c.onTime + c.late)} / ${count(c.expected)}`),
                h(
                  'div',
                  { class: 'cell-sub' },
                  [
                    c.late > 0 ? `${count(c.late)} late` : null,
                    c.lost > 0 ? `${count(c.lost)} lost` : null,
                    c.duplicates > 0 ? `${count(c.duplicates)} dup` : null
                  ]
                    .filter((x) => x != null)
                    .join(' · ') || 'all on time'
                )
              )
              return td
            })
          )
        )
      )
    )
    del.append(
      h('h3', null, 'Delivery matrix'),
      h(
        'p',
        { class: 'intro' },
        `Delivered / expected for each sender and receiving device. Late: first arrival more than ${fmtMs(data.latency.lateAfterMs ?? NaN)} after the send (${data.latency.lateSource}). The crowd counts as one sender.`
      ),
      h('div', { class: 'scroll' }, matrix)
    )
  }

  // Paths: duplicates and first arrivals.
  const pathNames = (rec: Record<string, Record<string, number>>): string[] => [...new Set(Object.values(rec).flatMap((o) => Object.keys(o)))].sort()
  const stacked = (id: string, title: string, rec: Record<string, Record<string, number>>, note: string, emptyText: string): any => {
    const devs = Object.keys(rec)
    const paths = pathNames(rec)
    if (!paths.some((p) => devs.some((d) => (rec[d]![p] ?? 0) > 0))) return emptyChart(id, title, emptyText)
    const { box, canvas } = chartBox(id, title, note)
    const colors = distinctColors(paths, 4)
    makeChart(canvas, {
      type: 'bar',
      data: { labels: devs, datasets: paths.map((p, i) => ({ label: p, data: devs.map((d) => rec[d]![p] ?? 0), backgroundColor: colors[i] })) },
      options: {
        scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: 'messages' } } }
      }
    })
    return box
  }
  del.append(
    grid(
      stacked(
        'duplicates-by-path',
        'Duplicates by path',
        data.paths.duplicates,
        'extra arrivals of a message already delivered',
        'No duplicates: every message arrived once.'
      ),
      stacked('first-by-path', 'First arrival by path', data.paths.first, 'how each delivered message got there first', 'No message was delivered.')
    )
  )

  // ---------- bytes, energy, reliability
  function barChart(c: BarChart): any {
    if (c.empty != null || !c.series.some((s) => s.values.some((v) => v != null && v !== 0)))
      return emptyChart(c.id, c.title, c.empty ?? 'Nothing to draw: every value is 0.')
    const { box, canvas } = chartBox(c.id, c.title, c.note)
    const colors = distinctColors(
      c.series.map((s) => s.label),
      c.series.length > 1 ? 0 : 4
    )
    makeChart(canvas, {
      type: 'bar',
      data: {
        labels: c.labels,
        datasets: c.series.map((s, i) => ({
          label: s.label,
          data: s.values,
          backgroundColor: c.colorByLabel ? c.labels.map((l) => deviceColor(l)) : colors[i],
          texts: s.texts
        }))
      },
      options: {
        plugins: {
          legend: { display: c.series.length > 1 },
          tooltip: { callbacks: { label: (ctx: any) => `${ctx.dataset.label}: ${ctx.dataset.texts[ctx.dataIndex]}` } }
        },
        scales: { x: { stacked: c.stacked }, y: { stacked: c.stacked, beginAtZero: true, title: { display: true, text: c.axis } } }
      }
    })
    return box
  }
  function tableBlock(t: TableBlock): any {
    const cell = (c: TableCell): any => {
      if (typeof c === 'string') return h('td', null, c)
      const cls = [
        c.num === true ? 'num' : '',
        c.mono === true ? 'mono' : '',
        c.tone === 'bad' ? 'fail-text' : c.tone === 'good' ? 'good-text' : c.tone === 'warn' ? 'warn-text' : c.tone === 'muted' ? 'muted' : ''
      ]
        .filter((x) => x !== '')
        .join(' ')
      return h('td', { class: cls === '' ? undefined : cls }, c.text)
    }
    return h(
      'div',
      { class: 'table-block', id: t.id },
      h('h3', null, t.title),
      t.note != null ? h('p', { class: 'intro' }, t.note) : null,
      h(
        'div',
        { class: 'scroll' },
        table(
          t.headers,
          t.rows.map((r) => r.map(cell))
        )
      )
    )
  }
  const bytes = section('bytes', 'Bytes', data.bytes.summary !== '' ? data.bytes.summary : undefined)
  if (data.bytes.overTime.length === 0) bytes.append(empty('No byte counts were recorded for any device.'))
  else {
    bytes.append(
      grid(
        ...data.bytes.overTime.map((d) => {
          const { box, canvas } = chartBox(
            'bytes-over-time',
            `${d.device}: ${d.source === 'wire' ? 'wire bytes by protocol' : 'bytes received by path'}`,
            d.caption
          )
          const colors = distinctColors(Object.keys(d.stacks), 4)
          makeChart(canvas, {
            type: 'bar',
            data: {
              datasets: Object.entries(d.stacks).map(([p, values], i) => ({
                label: p,
                data: values.map((y, k) => ({ x: d.t[k]! + d.bucketS / 2, y })),
                backgroundColor: colors[i],
                barPercentage: 1,
                categoryPercentage: 1
              }))
            },
            options: {
              parsing: false,
              scales: { x: { ...timeAxis(), stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { callback: (v: number) => fmtBytes(v) } } }
            },
            plugins: [faultPlugin]
          })
          return box
        })
      )
    )
  }
  if (data.bytes.charts.length > 0) bytes.append(grid(...data.bytes.charts.map(barChart)))
  for (const t of data.bytes.tables) bytes.append(tableBlock(t))

  const en = data.energy
  if (en.charts.length > 0 || en.tables.length > 0 || en.timeline != null) {
    const sec = section('energy', 'Energy', en.summary !== '' ? en.summary : "Radio energy estimated from each device's packet timeline.")
    const boxes = en.charts.map(barChart)
    if (en.timeline != null) {
      const tl = en.timeline
      const { box, canvas } = chartBox(
        'radio-states',
        'Radio state over time',
        `seconds since the first packet${tl.devices.some((d) => d.truncated) ? ' · long runs: the first spans only' : ''}`
      )
      const TAIL = ['#fb923c', '#fdba74', '#fed7aa', '#fcd34d', '#fde68a']
      let tails = 0
      const colors = tl.states.map((_, i) =>
        tl.kinds[i] === 'active' ? '#dc2626' : tl.kinds[i] === 'promotion' ? '#7c3aed' : tl.kinds[i] === 'tail' ? TAIL[tails++ % TAIL.length]! : '#94a3b8'
      )
      makeChart(canvas, {
        type: 'bar',
        data: {
          labels: tl.devices.map((d) => d.device),
          datasets: tl.states.map((state, k) => ({
            label: state,
            backgroundColor: colors[k],
            data: tl.devices.flatMap((d) => d.spans.filter((sp) => sp[2] === k).map((sp) => ({ x: [sp[0], sp[1]], y: d.device }))),
            barPercentage: 0.7,
            categoryPercentage: 1,
            grouped: false,
            minBarLength: 1
          }))
        },
        options: { indexAxis: 'y', scales: { x: { type: 'linear', beginAtZero: true, title: { display: true, text: 'seconds' } }, y: { type: 'category' } } }
      })
      boxes.push(box)
    }
    sec.append(grid(...boxes))
    for (const t of en.tables) sec.append(tableBlock(t))
    const ep = data.metrics.pivots.find((p) => p.prefix === 'energy')
    if (ep != null && en.tables.length === 0) sec.append(pivotTable(ep))
  }

  if (data.reliability.tables.length > 0) {
    const rel = section('reliability', 'Reliability', data.reliability.summary !== '' ? data.reliability.summary : undefined)
    for (const t of data.reliability.tables) rel.append(tableBlock(t))
  }

  // ---------- store
  const store = section('store', 'Store (history)', data.store.summary)
  const checks = data.store.checks
  if (checks != null) {
    store
      .querySelector('.intro')
      .append(
        ' Devices also made ',
        h('a', { href: '#rel-sent' }, `${count(checks.count)} hash-only checks of sent messages`),
        ' (Reliability, Sent-message checks); those ask whether messages arrived, not for history, and are not counted here.'
      )
  }
  if (data.store.queries.length > 0 || data.store.failed.length > 0) {
    const q = chartBox('store-latency', 'History query latency', 'red crosses: failed queries')
    const z = chartBox('store-size', 'History response size')
    store.append(grid(q.box, z.box))
    makeChart(q.canvas, {
      type: 'scatter',
      data: {
        datasets: [
          ...data.store.queries.flatMap((s, i) => seriesDatasets(s, seriesColor(i + 3), 'latency')),
          ...(data.store.failed.length > 0
            ? [
                {
                  label: 'failed',
                  data: data.store.failed.map(([x, y]: XY) => ({ x, y })),
                  pointStyle: 'crossRot',
                  pointRadius: 6,
                  borderColor: '#dc2626',
                  backgroundColor: '#dc2626',
                  borderWidth: 2
                }
              ]
            : [])
        ]
      },
      options: { parsing: false, scales: { x: timeAxis(), y: { beginAtZero: true, ticks: { callback: (v: number) => fmtMs(v) } } } },
      plugins: [faultPlugin]
    })
    makeChart(z.canvas, {
      type: 'scatter',
      data: { datasets: data.store.sizes.flatMap((s, i) => seriesDatasets(s, seriesColor(i + 3), 'latency')) },
      options: { parsing: false, scales: { x: timeAxis(), y: { beginAtZero: true, ticks: { callback: (v: number) => fmtBytes(v) } } } },
      plugins: [faultPlugin]
    })
  }
  if (data.store.table.length > 0) {
    store.append(
      table(
        ['store', 'queries', 'answered', 'failed', 'messages', 'bytes', 'p50', 'p95'],
        data.store.table.map((s) => [
          s.store,
          h('td', { class: 'num' }, count(s.queries)),
          h('td', { class: 'num' }, s.answered == null ? 'n/a' : count(s.answered)),
          h('td', { class: s.failed > 0 ? 'num fail-text' : 'num' }, count(s.failed)),
          h('td', { class: 'num' }, count(s.messages)),
          h('td', { class: 'num' }, s.bytes),
          h('td', { class: 'num' }, s.p50),
          h('td', { class: 'num' }, s.p95)
        ])
      )
    )
  }

  // ---------- devices
  const dev = section('devices', 'Devices', 'Figures per device from results.json. Click a lost message to follow it in the explorer.')
  if (data.devices.length === 0) dev.append(empty('No devices in this run.'))
  else {
    const byPath = (o: Record<string, number>): string =>
      Object.entries(o)
        .filter(([, n]) => n > 0)
        .map(([p, n]) => `${p} ${count(n)}`)
        .join(', ') || '0'
    dev.append(
      h(
        'div',
        { class: 'scroll' },
        table(
          ['device', 'expected', 'delivered', 'lost', 'p50', 'p90', 'p95', 'p99', 'max', 'render p95', 'duplicates', 'first arrival by path'],
          data.devices.map((d) => [
            h('td', null, h('span', { class: 'swatch', 'data-device': d.name }), d.name, d.failed ? h('span', { class: 'tag bad' }, 'failed') : null),
            h('td', { class: 'num' }, count(d.expected)),
            h('td', { class: 'num' }, count(d.delivered)),
            h('td', { class: d.lost > 0 ? 'num fail-text' : 'num' }, `${count(d.lost)} (${d.lossRate})`),
            h('td', { class: 'num' }, d.latency.p50),
            h('td', { class: 'num' }, d.latency.p90),
            h('td', { class: 'num' }, d.latency.p95),
            h('td', { class: 'num' }, d.latency.p99),
            h('td', { class: 'num' }, d.latency.max),
            h('td', { class: 'num' }, d.render.p95),
            h('td', null, d.duplicates.total === 0 ? '0' : `${count(d.duplicates.total)} (${d.duplicates.rate}): ${byPath(d.duplicates.byPath)}`),
            h('td', null, byPath(d.firstByPath))
          ])
        )
      )
    )
    // thresholds on one device's figures link to its row
    dev.querySelectorAll('tbody tr').forEach((tr: any, i: number) => {
      tr.id = `device-${i}`
    })
    for (const sw of dev.querySelectorAll('.swatch')) sw.style.background = deviceColor(sw.getAttribute('data-device'))
    for (const d of data.devices) {
      if (d.lostMessages.length === 0 && d.errors.length === 0) continue
      const box = h('div', { class: 'device-detail' }, h('h3', null, d.name))
      if (d.errors.length > 0)
        box.append(
          h(
            'ul',
            { class: 'errors' },
            d.errors.map((e) => h('li', null, e))
          )
        )
      if (d.lostMessages.length > 0) {
        box.append(h('p', { class: 'muted' }, `Never delivered (${d.lostMessages.length}${d.lost > d.lostMessages.length ? ` of ${count(d.lost)}` : ''}):`))
        box.append(
          h(
            'div',
            { class: 'chips' },
            d.lostMessages.map((id) => {
              const known = data.explorer.messages.find((x) => x.msgId === id)
              const chip = h(known != null ? 'button' : 'span', { class: 'chip', type: known != null ? 'button' : undefined }, id)
              if (known != null)
                chip.addEventListener('click', () => {
                  selectMessage(known.hash)
                  document.getElementById('explorer').scrollIntoView()
                })
              return chip
            })
          )
        )
      }
      dev.append(box)
    }
  }

  // ---------- secrets scan
  const leaks = data.leaks
  if (leaks != null) {
    const lk = section('leaks', 'Secrets in artifacts', leaks.summary)
    if (!leaks.clean) {
      lk.append(
        h(
          'div',
          { class: 'scroll' },
          table(
            ['kind', 'what', 'where', 'excerpt (redacted)'],
            leaks.findings.map((f) => [h('td', null, h('span', { class: 'tag bad' }, f.kind)), f.detail, f.where, h('td', null, h('code', null, f.excerpt))])
          )
        )
      )
      if (leaks.more > 0) lk.append(h('p', { class: 'muted' }, `${count(leaks.more)} more in results.json (leaks.findings).`))
    }
  }

  // ---------- censorship
  const blocks = data.censorship ?? []
  if (blocks.length > 0) {
    const cs = section(
      'censorship',
      'Censorship',
      'Each timeline block: the nodes that refused the device, whether and when it reached the network through another node, how it knew that node (its bootstrap list or peer exchange), and what the way round cost in bytes and radio energy.'
    )
    cs.append(
      h(
        'div',
        { class: 'scroll' },
        table(
          ['device', 'blocked from', 'at', 'until', 'reached the network', 'through', 'bytes', 'energy', 'peer exchange'],
          blocks.map((b) => [
            b.device,
            b.nodes,
            h('td', { class: 'num' }, b.at),
            b.until,
            h('td', null, h('span', { class: b.ok ? 'tag good' : 'tag bad' }, b.reached)),
            b.via,
            h('td', { class: 'num' }, b.bytes),
            h('td', { class: 'num' }, b.energy),
            b.peerExchange
          ])
        )
      )
    )
  }

  // ---------- destinations outside the fleet
  const dest = data.destinations
  if (dest != null) {
    const ds = section('destinations', 'Destinations outside the fleet', dest.summary)
    if (dest.rows.length > 0) {
      ds.append(
        h(
          'div',
          { class: 'scroll' },
          table(
            ['remote', 'host', 'from', 'up', 'down', 'first', 'last', ''],
            dest.rows.map((r) => [
              r.remote,
              r.host,
              r.from,
              h('td', { class: 'num' }, r.up),
              h('td', { class: 'num' }, r.down),
              h('td', { class: 'num' }, r.first),
              h('td', { class: 'num' }, r.last),
              h('td', null, h('span', { class: r.thirdParty ? 'tag bad' : 'tag good' }, r.allowed))
            ])
          )
        )
      )
    }
  }

  // ---------- QA flows
  const flows = data.flows ?? []
  if (flows.length > 0) {
    const failed = flows.filter((f) => !f.passed).length
    const fl = section(
      'flows',
      'QA flows',
      `Mocha specs run on a device's live session by the timeline: ${count(flows.length)} run, ${count(failed)} failed. Timed from the first test to the last; a failed flow saved a screenshot and page source (Artifacts).`
    )
    fl.append(
      h(
        'div',
        { class: 'scroll' },
        table(
          ['flow', 'device', 'at', 'result', 'tests passed', 'duration', 'problem'],
          flows.map((f) => [
            h('td', null, f.name, h('div', { class: 'muted' }, f.spec)),
            f.device,
            h('td', { class: 'num' }, f.at),
            h('td', null, h('span', { class: f.passed ? 'tag good' : 'tag bad' }, f.passed ? 'pass' : 'FAIL')),
            h('td', { class: 'num' }, f.tests),
            h('td', { class: 'num' }, f.duration),
            h('td', { class: f.passed ? '' : 'fail-text' }, f.problem)
          ])
        )
      )
    )
    for (const f of flows) {
      if (f.failedTests.length < 2) continue
      fl.append(
        h(
          'div',
          { class: 'device-detail' },
          h('h3', null, `${f.name} on ${f.device}: failed tests`),
          h(
            'ul',
            { class: 'errors' },
            f.failedTests.map((t) => h('li', null, `${t.title}: ${t.error}`))
          )
        )
      )
    }
  }

  // ---------- harness
  const har = section('harness', 'Harness self-monitoring', data.harness.summary)
  if (data.harness.saturated)
    har.insertBefore(
      h('p', { class: 'alert' }, 'The harness was saturated: latency figures include delay the harness itself caused, so the verdict is inconclusive.'),
      har.children[1]
    )
  if (data.harness.lag.length === 0) har.append(empty('No harness.lag samples were recorded.'))
  else {
    const lagBox = chartBox('harness-lag', 'Event-loop delay p99 per process', `limit ${fmtMs(data.harness.limitMs)} (dashed red)`)
    const cpuBox = chartBox('harness-cpu', 'CPU per process')
    har.append(grid(lagBox.box, cpuBox.box))
    // the limit spans the whole axis, whatever range the samples cover
    const limitPlugin = {
      id: 'courierLimit',
      afterDatasetsDraw(chart: any) {
        const { ctx, chartArea, scales } = chart
        const y = scales.y.getPixelForValue(data.harness.limitMs)
        if (y < chartArea.top || y > chartArea.bottom) return
        ctx.save()
        ctx.strokeStyle = '#dc2626'
        ctx.lineWidth = 1.5
        ctx.setLineDash([6, 4])
        ctx.beginPath()
        ctx.moveTo(chartArea.left, y)
        ctx.lineTo(chartArea.right, y)
        ctx.stroke()
        ctx.restore()
      }
    }
    const lineOf = (s: Series, i: number): any[] =>
      s.raw != null
        ? [
            {
              type: 'line',
              label: s.name,
              data: s.raw.map(([x, y]) => ({ x, y })),
              borderColor: seriesColor(i + 6),
              backgroundColor: seriesColor(i + 6),
              pointRadius: 0,
              borderWidth: 1.5
            }
          ]
        : seriesDatasets(s, seriesColor(i + 6), 'max')
    makeChart(lagBox.canvas, {
      type: 'line',
      data: { datasets: data.harness.lag.flatMap(lineOf) },
      options: {
        parsing: false,
        scales: { x: timeAxis(), y: { beginAtZero: true, suggestedMax: data.harness.limitMs * 1.15, ticks: { callback: (v: number) => fmtMs(v) } } }
      },
      plugins: [faultPlugin, limitPlugin]
    })
    makeChart(cpuBox.canvas, {
      type: 'line',
      data: { datasets: data.harness.cpu.flatMap(lineOf) },
      options: { parsing: false, scales: { x: timeAxis(), y: { beginAtZero: true, ticks: { callback: (v: number) => `${v} %` } } } },
      plugins: [faultPlugin]
    })
  }

  // ---------- message explorer
  const ex = data.explorer
  const exSection = section(
    'explorer',
    'Message explorer',
    `Follow one message: every event about it on one time axis. ${count(ex.messages.length)} of ${count(ex.totalMessages)} messages are indexed here.${ex.note !== '' ? ` ${ex.note}` : ''}`
  )
  const search = h('input', {
    type: 'search',
    id: 'explorer-search',
    placeholder: 'msgId, hash, sender or topic',
    'aria-label': 'search messages',
    autocomplete: 'off'
  })
  const listInfo = h('p', { class: 'muted small', id: 'explorer-count' })
  const list = h('ul', { class: 'msg-list', id: 'explorer-list' })
  const detail = h('div', { class: 'msg-detail', id: 'explorer-detail' })
  exSection.append(h('div', { class: 'explorer' }, h('div', { class: 'explorer-side' }, search, listInfo, list), detail))
  const byHash = new Map<string, ExplorerMessage>(ex.messages.map((x) => [x.hash, x]))
  let journeyChart: any = null
  const LIST_MAX = 200
  function renderList(): void {
    const q = String(search.value ?? '')
      .trim()
      .toLowerCase()
    const hits =
      q === ''
        ? ex.messages
        : ex.messages.filter(
            (x) =>
              x.msgId.toLowerCase().includes(q) || x.hash.toLowerCase().includes(q) || x.sender.toLowerCase().includes(q) || x.topic.toLowerCase().includes(q)
          )
    list.replaceChildren(
      ...hits.slice(0, LIST_MAX).map((x) => {
        const status = x.missing.length > 0 ? 'lost' : x.late.length > 0 ? 'late' : 'ok'
        const li = h(
          'li',
          null,
          h(
            'button',
            { type: 'button', class: `msg-item status-${status}`, 'data-hash': x.hash },
            h('span', { class: 'msg-id' }, x.msgId || x.hash.slice(0, 12)),
            h('span', { class: 'msg-sub' }, `${x.sender} · ${x.sentAt == null ? '?' : fmtS(x.sentAt)}${status !== 'ok' ? ` · ${status}` : ''}`)
          )
        )
        li.firstChild.addEventListener('click', () => selectMessage(x.hash))
        return li
      })
    )
    listInfo.textContent =
      hits.length === 0
        ? 'no message matches'
        : hits.length > LIST_MAX
          ? `${count(hits.length)} match; showing the first ${LIST_MAX}, refine the search`
          : `${count(hits.length)} messages`
  }
  function selectMessage(hash: string): void {
    const x = byHash.get(hash)
    if (x == null) {
      detail.replaceChildren(empty("That message is not in this report's index."))
      return
    }
    for (const b of list.querySelectorAll('.msg-item')) b.classList.toggle('selected', b.getAttribute('data-hash') === hash)
    const S = ex.strings
    const steps = x.steps.map(([dt, kind, where, via, dup]) => ({ dt, kind: S[kind]!, where: S[where]!, via: via < 0 ? null : S[via]!, dup: dup === 1 }))
    const received = new Set(steps.filter((s) => s.kind === 'received').map((s) => s.where))
    const lanes: string[] = []
    const laneOf = (s: { kind: string; where: string }): string => {
      const lane =
        s.kind === 'sent' ? `sent by ${s.where}` : s.kind === 'relayed' ? `relay ${s.where}` : s.kind === 'stored' ? `store ${s.where}` : `device ${s.where}`
      if (!lanes.includes(lane)) lanes.push(lane)
      return lane
    }
    const KIND_STYLE: Record<string, [string, string]> = {
      sent: ['#0f172a', 'rectRot'],
      relayed: ['#64748b', 'circle'],
      stored: ['#d97706', 'rect'],
      received: ['#16a34a', 'circle'],
      rendered: ['#2563eb', 'triangle'],
      duplicate: ['#dc2626', 'crossRot']
    }
    // One message's events span from sub-millisecond hops to confirmations seconds later; on a
    // linear axis the slowest one squeezes all others against the send. When they span more than
    // 30x, a log axis gives each decade the same width. It starts a decade below the first event
    // (at least 1 ms): the send (t = 0) and anything earlier sit at its left edge, and the table
    // below has every exact time.
    const positive = steps.map((s) => s.dt).filter((dt) => dt > 0)
    const maxDt = positive.length === 0 ? 0 : Math.max(...positive)
    const floor = positive.length === 0 ? 1 : Math.max(1, 10 ** (Math.ceil(Math.log10(Math.min(...positive))) - 1))
    const logTime = maxDt / floor > 30
    const groups = new Map<string, any[]>()
    for (const s of steps) {
      const key = s.kind === 'received' && s.dup ? 'duplicate' : s.kind
      const arr = groups.get(key) ?? []
      arr.push({ x: logTime ? Math.max(s.dt, floor) : s.dt, y: laneOf(s), step: s })
      groups.set(key, arr)
    }
    for (const d of x.missing) laneOf({ kind: 'received', where: `${d} (never received)` })
    const canvas = h('canvas', { 'data-chart': 'journey', role: 'img', 'aria-label': 'journey of the selected message' })
    const statusText = [
      `${received.size} device${received.size === 1 ? '' : 's'} received it`,
      x.missing.length > 0 ? `never reached ${x.missing.join(', ')}` : null,
      x.late.length > 0 ? `late at ${x.late.join(', ')}` : null
    ]
      .filter((v) => v != null)
      .join(' · ')
    detail.replaceChildren(
      h('h3', { id: 'journey-title' }, x.msgId || '(no msgId)'),
      h(
        'dl',
        { class: 'msg-facts' },
        h('dt', null, 'hash'),
        h('dd', { class: 'mono', id: 'journey-hash' }, x.hash),
        h('dt', null, 'sender'),
        h('dd', null, x.sender),
        h('dt', null, 'topic'),
        h('dd', null, x.topic),
        h('dt', null, 'size'),
        h('dd', null, fmtBytes(x.bytes)),
        h('dt', null, 'sent at'),
        h('dd', null, x.sentAt == null ? 'unknown' : fmtS(x.sentAt))
      ),
      h('p', { class: x.missing.length > 0 ? 'alert' : 'muted' }, statusText),
      h('div', { class: 'chart journey' }, canvas),
      h(
        'p',
        { class: 'muted small', id: 'journey-scale' },
        logTime
          ? `Time after send on a log scale (each decade the same width), so quick hops and events seconds later both stay readable; the send, anything seen before it and anything within ${fmtMs(floor)} of it sit at the left edge.`
          : 'Time after send on a linear scale.'
      ),
      table(
        ['after send', 'event', 'where', 'path', ''],
        steps
          .map((s) => [
            h('td', { class: 'num' }, fmtMs(s.dt)),
            s.kind,
            s.where,
            s.via ?? '',
            s.dup ? h('td', { class: 'tag-cell' }, h('span', { class: 'tag warn' }, 'duplicate')) : ''
          ])
          .concat(x.missing.map((d) => [h('td', { class: 'num' }, '—'), h('td', { class: 'fail-text' }, 'never received'), d, '', ''])),
        'data journey-steps'
      )
    )
    canvas.parentElement.style.height = `${Math.max(160, 40 + lanes.length * 22)}px`
    if (journeyChart != null) {
      journeyChart.destroy()
      charts.splice(charts.indexOf(journeyChart), 1)
    }
    // kinds without a colour of their own (push.received, confirmed...) each get a different one
    const kindColors = distinctColors([...groups.keys()], 4, Object.fromEntries(Object.entries(KIND_STYLE).map(([k, v]) => [k, v[0]])))
    journeyChart = makeChart(canvas, {
      type: 'scatter',
      data: {
        datasets: [...groups].map(([key, points], i) => ({
          label: key,
          data: points,
          pointRadius: 5,
          pointHoverRadius: 7,
          backgroundColor: kindColors[i],
          borderColor: kindColors[i],
          pointStyle: KIND_STYLE[key]?.[1] ?? 'star'
        }))
      },
      options: {
        scales: {
          x: logTime
            ? {
                type: 'logarithmic',
                min: floor,
                title: { display: true, text: 'time after send (log scale)' },
                ticks: { callback: (v: number) => (Math.abs(Math.log10(v) - Math.round(Math.log10(v))) < 1e-9 ? fmtMs(v) : '') }
              }
            : { type: 'linear', title: { display: true, text: 'time after send' }, ticks: { callback: (v: number) => fmtMs(v) } },
          y: { type: 'category', labels: lanes, offset: true, ticks: { autoSkip: false } }
        },
        plugins: {
          tooltip: {
            callbacks: {
              label: (c: any) => `${c.raw.step.kind}${c.raw.step.via != null ? ` via ${c.raw.step.via}` : ''} at ${c.raw.step.where}: +${fmtMs(c.raw.step.dt)}`
            }
          }
        }
      }
    })
    if (window.location.hash !== `#msg=${hash}`) window.history.replaceState(null, '', `#msg=${hash}`)
  }
  search.addEventListener('input', renderList)
  renderList()
  const fromUrl = /^#msg=(.+)$/.exec(window.location.hash ?? '')
  const initial = fromUrl != null && byHash.has(decodeURIComponent(fromUrl[1]!)) ? decodeURIComponent(fromUrl[1]!) : ex.defaultHash
  if (initial != null) selectMessage(initial)
  else detail.append(empty('No messages were sent in this run.'))

  // ---------- metrics, errors, artifacts, notes
  function pivotTable(p: DevicePivot): any {
    return h(
      'div',
      { class: 'scroll' },
      table(
        [p.rows.some((r) => !r.isDevice) ? 'device or node' : 'device', ...p.figures],
        p.rows.map((r) => [
          h('td', { class: r.isDevice ? undefined : 'muted' }, r.device),
          ...r.values.map((v) => h('td', { class: 'num' }, v == null ? '' : v.text))
        ])
      )
    )
  }
  const met = section(
    'metrics',
    'All metrics',
    `Every figure in results.json (${count(data.metrics.count)}), by name; any of these can be a threshold in expect:.`
  )
  for (const p of data.metrics.pivots) {
    met.append(h('details', { class: 'metric-group' }, h('summary', null, `${p.prefix}.<owner>.* (${p.rows.length} × ${p.figures.length})`), pivotTable(p)))
  }
  for (const g of data.metrics.groups) {
    met.append(
      h(
        'details',
        { class: 'metric-group' },
        h('summary', null, `${g.prefix}.* (${g.rows.length})`),
        table(
          ['metric', 'value', 'unit'],
          g.rows.map((r) => [h('td', { class: 'mono' }, r.name), h('td', { class: 'num' }, r.value), h('td', { class: 'muted' }, r.unit)])
        )
      )
    )
  }
  if (data.errors.length > 0) {
    const er = section('errors', 'Errors', 'Components that failed while the run went on.')
    er.append(
      table(
        ['at', 'component', 'error'],
        data.errors.map((e) => [h('td', { class: 'num' }, e.t), e.component, e.error])
      )
    )
  }
  const art = section('artifacts', 'Artifacts', 'Files of this run, next to this report.')
  if (data.artifacts.length === 0) art.append(empty('No artifact list was given to the report.'))
  else
    art.append(
      h(
        'ul',
        { class: 'artifacts' },
        data.artifacts.map((a) =>
          h('li', null, h('a', { href: encodeURI(a.name).replace(/#/g, '%23').replace(/\?/g, '%3F') }, a.name), h('span', { class: 'muted' }, ` ${a.size}`))
        )
      )
    )
  if (data.notes.length > 0) {
    const notes = section('notes', 'About this report')
    notes.append(
      h(
        'ul',
        { class: 'notes' },
        data.notes.map((n) => h('li', null, n))
      )
    )
    const banner = document.getElementById('downsampled')
    banner.textContent = 'Large run: some charts are downsampled and the message explorer holds a sample. See "About this report".'
    banner.hidden = !data.notes.some((n) => /downsampled|sample/.test(n))
  }
  const nav = document.getElementById('nav')
  for (const sec of document.querySelectorAll('main > section[id]')) {
    nav.append(h('a', { href: `#${sec.id}` }, sec.querySelector('h2')?.textContent ?? sec.id))
  }
  document.body.setAttribute('data-charts', String(charts.length))
  document.body.setAttribute('data-ready', 'true')
}

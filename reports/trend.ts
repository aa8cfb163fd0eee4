// Renders a trend (harness/history) for a terminal, as JSON-ready view data, and as a page in
// the report's style with Chart.js. The view data (`trendView`) is also what report.html's
// "History" section draws, so the nightly's report and `courier trend --html` read alike.
import type { FigureComparison, Trend, TrendFigure } from '../harness/interface/index.js'
import { formatDelta, formatSide, formatTest } from './compare.js'
import { cspHash, escapeHtml, pageHead } from './html/page-head.js'
import { chartJsBundle, jsonForScript } from './html/render.js'
import type { TrendView } from './html/report-data.js'
import { REPORT_CSS } from './html/style.js'
import { renderTable, type Cell } from './text-table.js'

declare const document: any
declare const Chart: any

/** The step into point i as a compare figure, so it reads exactly as `courier compare` prints it. */
function asComparison(f: TrendFigure, i: number): FigureComparison | null {
  const step = f.steps[i]
  const base = f.values[i - 1]
  const candidate = f.values[i]
  if (step == null || base == null || candidate == null) return null
  return {
    metric: f.metric,
    unit: f.unit,
    direction: f.direction,
    base,
    candidate,
    delta: step.delta,
    percent: step.percent,
    test: step.test,
    significant: step.change !== '~',
    tolerance: step.tolerance,
    ...(step.noiseFloor == null ? {} : { noiseFloor: step.noiseFloor }),
    ...(step.harnessLagMs == null ? {} : { harnessLagMs: step.harnessLagMs }),
    change: step.change
  }
}

function pointDate(iso: string): string {
  return iso.replace('T', ' ').slice(0, 16)
}

/** Formatted for a page: texts computed here so the page only lays out. */
export function trendView(trend: Trend, options: { current?: string } = {}): TrendView {
  return {
    scenario: trend.scenario.name,
    hash: trend.scenario.hash.slice(0, 12),
    alpha: trend.alpha,
    notes: [
      ...trend.notes,
      ...(trend.alsoChanged.length === 0
        ? []
        : [
            `${trend.alsoChanged.length} other figure(s) changed somewhere: ${trend.alsoChanged.slice(0, 12).join(', ')}${trend.alsoChanged.length > 12 ? ', ...' : ''} (courier trend --figure NAME shows one)`
          ])
    ],
    points: trend.points.map((p) => ({
      date: pointDate(p.startedAt),
      build: p.build.label,
      runs: p.runs,
      verdicts: p.verdicts.join(', '),
      current: p.set === options.current
    })),
    figures: trend.figures.map((f) => ({
      metric: f.metric,
      values: f.values.map((v) => v?.median ?? null),
      texts: f.values.map((v) => (v == null ? '' : formatSide(v, f.unit))),
      marks: f.steps.map((s) => s?.change ?? null),
      changes: f.steps.map((_, i) => {
        const c = asComparison(f, i)
        return c == null ? '' : formatDelta(c)
      }),
      tests: f.steps.map((_, i) => {
        const c = asComparison(f, i)
        return c == null ? '' : formatTest(c)
      })
    }))
  }
}

const MARK_STYLE = { worse: 'redBold', better: 'greenBold', changed: 'yellow', '~': 'dim' } as const

export function renderTrendConsole(trend: Trend, options: { color?: boolean } = {}): string {
  const lines = [
    `trend ${trend.scenario.name} (scenario ${trend.scenario.hash.slice(0, 12)}): ${trend.points.length} point(s), each against the one before, alpha ${trend.alpha}`
  ]
  for (const note of trend.notes) lines.push(`  ${note}`)
  for (const f of trend.figures) {
    lines.push('', `${f.metric}`)
    const rows: Cell[][] = trend.points.map((p, i) => {
      const c = asComparison(f, i)
      const mark = f.steps[i]?.change
      return [
        { text: String(i + 1), align: 'right' },
        { text: pointDate(p.startedAt) },
        { text: p.build.label },
        { text: String(p.runs), align: 'right' },
        { text: f.values[i] == null ? 'n/a' : formatSide(f.values[i]!, f.unit), align: 'right' },
        { text: mark ?? '', style: mark == null ? undefined : MARK_STYLE[mark] },
        { text: c == null ? '' : formatDelta(c), align: 'right' },
        { text: c == null ? '' : formatTest(c), style: 'dim' }
      ]
    })
    lines.push(renderTable(['#', 'started', 'build', 'runs', 'value', '', 'change', 'test'], rows, { color: options.color === true }))
  }
  const marked = trend.figures.flatMap((f) => f.steps.flatMap((s, i) => (s != null && s.change !== '~' ? [`${f.metric} ${s.change} at point ${i + 1}`] : [])))
  lines.push(
    '',
    marked.length === 0
      ? 'no figure shown changed beyond noise and tolerance between consecutive points'
      : `changed beyond noise and tolerance: ${marked.join('; ')}`
  )
  if (trend.alsoChanged.length > 0)
    lines.push(
      `${trend.alsoChanged.length} other figure(s) changed somewhere (--figure NAME shows one, globs allowed): ${trend.alsoChanged.slice(0, 12).join(', ')}${trend.alsoChanged.length > 12 ? ', ...' : ''}`
    )
  return lines.join('\n')
}

/** `courier trend --html`: the report's stylesheet, Chart.js and a small page script, all inline and allowed by hash. */
export function renderTrendHtml(trend: Trend): string {
  const chartJs = chartJsBundle()
  const page = `\n(${trendPageMain.toString()})();\n`
  const css = REPORT_CSS
  const csp = [
    `default-src 'none'`,
    `script-src ${cspHash(chartJs)} ${cspHash(page)}`,
    `style-src ${cspHash(css)}`,
    'img-src data:',
    "base-uri 'none'",
    "form-action 'none'"
  ].join('; ')
  const view = trendView(trend)
  // the badge is about the newest point: is it worse than the one before?
  const worse = view.figures.some((f) => f.marks[f.marks.length - 1] === 'worse')
  const title = `courier trend: ${trend.scenario.name}`
  return `${pageHead(title, csp, css)}
<body>
<header id="top" class="verdict-${worse ? 'fail' : 'pass'}"><div class="verdict-row"><span class="verdict-badge">${worse ? 'WORSE' : 'OK'}</span><div><h1>${escapeHtml(title)}</h1><p class="meta">${trend.points.length} point(s), each compared with the one before (alpha ${trend.alpha}); ${worse ? 'the newest point is worse than the one before on a figure shown' : 'the newest point is not worse than the one before on any figure shown'}; scenario ${escapeHtml(view.hash)}</p></div></div></header>
<main id="main"><noscript><p>The charts need JavaScript; courier trend --json has every value.</p></noscript></main>
<footer>Generated by courier trend from a history database. Everything on this page is in this one file: no network access.</footer>
<script type="application/json" id="courier-trend">${jsonForScript(view)}</script>
<script>${chartJs}</script>
<script>${page}</script>
</body>
</html>
`
}

/**
 * Runs in the browser (inlined with toString): a chart and a table per figure, marked points in
 * the tone of their change. Strings go in as text nodes only.
 */
export function trendPageMain(): void {
  const view: TrendView = JSON.parse(document.getElementById('courier-trend').textContent)
  const TONE: Record<string, string> = { worse: '#dc2626', better: '#16a34a', changed: '#d97706' }
  const CLASS: Record<string, string> = { worse: 'fail-text', better: 'good-text', changed: 'warn-text' }
  Chart.defaults.animation = false
  Chart.defaults.maintainAspectRatio = false
  function h(tag: string, attrs: Record<string, string> | null, ...children: any[]): any {
    const el = document.createElement(tag)
    for (const [k, v] of Object.entries(attrs ?? {})) el.setAttribute(k, v)
    for (const c of children) if (c != null && c !== false) el.append(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c)
    return el
  }
  const main = document.getElementById('main')
  if (view.notes.length > 0) main.append(h('p', { class: 'intro' }, view.notes.join('; ')))
  const labels = view.points.map((p) => `${p.date} · ${p.build}`)
  for (const f of view.figures) {
    const section = h('section', { 'data-figure': f.metric }, h('h2', null, f.metric))
    const canvas = h('canvas', { role: 'img', 'aria-label': f.metric })
    section.append(h('figure', { class: 'chart-card' }, h('div', { class: 'chart' }, canvas)))
    const rows = view.points.map((p, i) => {
      const mark = f.marks[i]
      return h(
        'tr',
        { class: p.current ? 'current' : '' },
        h('td', { class: 'num' }, String(i + 1)),
        h('td', null, p.date),
        h('td', null, p.build),
        h('td', { class: 'num' }, String(p.runs)),
        h('td', { class: 'num' }, f.texts[i] === '' ? 'n/a' : f.texts[i]),
        h('td', { class: `mark ${mark != null ? (CLASS[mark] ?? '') : ''}` }, mark ?? ''),
        h('td', { class: 'num' }, f.changes[i]),
        h('td', { class: 'small' }, f.tests[i])
      )
    })
    section.append(
      h(
        'div',
        { class: 'scroll' },
        h(
          'table',
          { class: 'data' },
          h('thead', null, h('tr', null, ...['#', 'started', 'build', 'runs', 'value', '', 'change', 'test'].map((t) => h('th', null, t)))),
          h('tbody', null, ...rows)
        )
      )
    )
    main.append(section)
    const colors = f.marks.map((m) => (m != null ? TONE[m] : undefined) ?? '#2563eb')
    // eslint-disable-next-line no-new
    new Chart(canvas, {
      type: 'line',
      data: {
        labels,
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
        plugins: {
          legend: { display: false },
          tooltip: {
            callbacks: {
              label: (item: any) =>
                `${f.texts[item.dataIndex]}${f.marks[item.dataIndex] != null ? ` ${f.marks[item.dataIndex]} ${f.changes[item.dataIndex]}` : ''}`
            }
          }
        },
        scales: { y: { beginAtZero: true } }
      }
    })
  }
  document.body.setAttribute('data-ready', 'true')
}

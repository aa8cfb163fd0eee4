// Renders a trend (harness/history) for a terminal, as JSON-ready view data, and as a page in
// the report's style with Chart.js. The view data (`trendView`) is also what report.html's
// "History" section draws, so the nightly's report and `courier trend --html` read alike.
import type { FigureComparison, Trend, TrendFigure } from '../harness/interface/index.js'
import { formatDelta, formatSide, formatTest } from './compare.js'
import { cspHash, escapeHtml, pageHead } from './html/page-head.js'
import { chartJsBundle, jsonForScript, trendPageBundle } from './html/render.js'
import type { TrendView } from './html/report-data.js'
import { REPORT_CSS } from './html/style.js'
import { renderTable, type Cell } from './text-table.js'

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

/** `courier trend --html`: the report's stylesheet, Chart.js and the trend page's script (reports/html/page/trend-main.ts), all inline and allowed by hash. */
export function renderTrendHtml(trend: Trend): string {
  const chartJs = chartJsBundle()
  const page = `\n${trendPageBundle()}`
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

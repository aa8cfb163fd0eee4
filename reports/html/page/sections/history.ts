// History: the last nights of this scenario from the history database beside this run, as a
// table of figures with their changes and a chart for the first four figures.
import type { ReportData } from '../../report-data.js'
import { chartBox, makeChart } from '../charts.js'
import { grid, h, section } from '../dom.js'
import { MARK_CLASS, trendFigureChart } from '../trend-figure.js'

export function renderHistory(data: ReportData): void {
  if (data.history == null || data.history.points.length === 0) return
  const hist = data.history
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
    h('div', { class: 'scroll' }, h('table', { class: 'data history' }, h('thead', null, h('tr', null, h('th', null, 'figure'), head)), h('tbody', null, rows)))
  )
  const charted = hist.figures
    .slice(0, 4)
    .map((f) => ({ f, ...chartBox(`history-${f.metric}`, f.metric, 'larger points: changed beyond noise and tolerance') }))
  hs.append(grid(...charted.map((c) => c.box)))
  const labels = hist.points.map((p) => (p.current ? 'this run' : p.date))
  for (const { f, canvas } of charted)
    makeChart(
      canvas,
      trendFigureChart(labels, f, (i) => f.texts[i])
    )
}

// The trend page's script (`courier trend --html`): a chart and a table per figure, marked points
// in the tone of their change. Bundled by esbuild in `npm run build` like report.html's own page
// script and inlined by reports/trend.ts; strings go in as text nodes only.
import type { Chart as ChartJs } from 'chart.js'
import type { TrendView } from '../report-data.js'
import { byId, h } from './dom.js'
import { MARK_CLASS, trendFigureChart } from './trend-figure.js'

/** Chart.js, from the UMD script reports/trend.ts inlines before this one. */
declare const Chart: typeof ChartJs

function trendPage(): void {
  const view = JSON.parse(byId('courier-trend').textContent ?? '') as TrendView
  Chart.defaults.animation = false
  Chart.defaults.maintainAspectRatio = false
  const main = byId('main')
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
        h('td', { class: `mark ${mark != null ? (MARK_CLASS[mark] ?? '') : ''}` }, mark ?? ''),
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
    new Chart(
      canvas,
      trendFigureChart(labels, f, (i) => `${f.texts[i]}${f.marks[i] != null ? ` ${f.marks[i]} ${f.changes[i]}` : ''}`)
    )
  }
  document.body.setAttribute('data-ready', 'true')
}

trendPage()

// All metrics: every figure in results.json, per device where the name is
// <prefix>.<device>.<figure>, else grouped by prefix.
import type { ReportData } from '../../report-data.js'
import { h, section, table } from '../dom.js'
import { count } from '../format.js'
import { pivotTable } from '../tables.js'

export function renderMetrics(data: ReportData): void {
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
}

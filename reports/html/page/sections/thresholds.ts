// Thresholds: what the scenario's expect: block asked for, failed first, each linked to where its
// figure is explained.
import type { ReportData } from '../../report-data.js'
import { empty, h, section, table } from '../dom.js'

export function renderThresholds(data: ReportData): void {
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
}

// Errors: components that failed while the run went on.
import type { ReportData } from '../../report-data.js'
import { h, section, table } from '../dom.js'

export function renderErrors(data: ReportData): void {
  if (data.errors.length === 0) return
  const er = section('errors', 'Errors', 'Components that failed while the run went on.')
  er.append(
    table(
      ['at', 'component', 'error'],
      data.errors.map((e) => [h('td', { class: 'num' }, e.t), e.component, e.error])
    )
  )
}

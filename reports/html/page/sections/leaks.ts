// Secrets in artifacts: what the secrets scan of the run directory found (excerpts redacted).
import type { ReportData } from '../../report-data.js'
import { h, section, table } from '../dom.js'
import { count } from '../format.js'

export function renderLeaks(data: ReportData): void {
  const leaks = data.leaks
  if (leaks == null) return
  const lk = section('leaks', 'Secrets in artifacts', leaks.summary)
  if (leaks.clean) return
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

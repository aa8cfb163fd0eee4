// Artifacts: the run's files next to report.html, linked by relative URL.
import type { ReportData } from '../../report-data.js'
import { empty, h, section } from '../dom.js'

export function renderArtifacts(data: ReportData): void {
  const art = section('artifacts', 'Artifacts', 'Files of this run, next to this report.')
  if (data.artifacts.length === 0) {
    art.append(empty('No artifact list was given to the report.'))
    return
  }
  art.append(
    h(
      'ul',
      { class: 'artifacts' },
      data.artifacts.map((a) =>
        h('li', null, h('a', { href: encodeURI(a.name).replace(/#/g, '%23').replace(/\?/g, '%3F') }, a.name), h('span', { class: 'muted' }, ` ${a.size}`))
      )
    )
  )
}

// Destinations outside the fleet: what the capture saw the devices reach beyond courier's nodes,
// and whether destinations.allow allowed it.
import type { ReportData } from '../../report-data.js'
import { h, section, table } from '../dom.js'

export function renderDestinations(data: ReportData): void {
  const dest = data.destinations
  if (dest == null) return
  const ds = section('destinations', 'Destinations outside the fleet', dest.summary)
  if (dest.rows.length === 0) return
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

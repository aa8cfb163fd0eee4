// Censorship: each timeline block, whether and how the device got around it, and at what cost.
import type { ReportData } from '../../report-data.js'
import { h, section, table } from '../dom.js'

export function renderCensorship(data: ReportData): void {
  const blocks = data.censorship ?? []
  if (blocks.length === 0) return
  const cs = section(
    'censorship',
    'Censorship',
    'Each timeline block: the nodes that refused the device, whether and when it reached the network through another node, how it knew that node (its bootstrap list or peer exchange), and what the way round cost in bytes and radio energy.'
  )
  cs.append(
    h(
      'div',
      { class: 'scroll' },
      table(
        ['device', 'blocked from', 'at', 'until', 'reached the network', 'through', 'bytes', 'energy', 'peer exchange'],
        blocks.map((b) => [
          b.device,
          b.nodes,
          h('td', { class: 'num' }, b.at),
          b.until,
          h('td', null, h('span', { class: b.ok ? 'tag good' : 'tag bad' }, b.reached)),
          b.via,
          h('td', { class: 'num' }, b.bytes),
          h('td', { class: 'num' }, b.energy),
          b.peerExchange
        ])
      )
    )
  )
}

// The delivery matrix of the Delivery section: who got whose messages, on time, late, lost or
// duplicated, one cell per sender and receiving device.
import type { ReportData } from '../../report-data.js'
import { h } from '../dom.js'
import { count, fmtMs } from '../format.js'

/** The matrix's heading, intro and table; nothing when no one sent. */
export function deliveryMatrix(data: ReportData): HTMLElement[] {
  const m = data.matrix
  if (m.senders.length === 0) return []
  const matrix = h(
    'table',
    { class: 'matrix', id: 'delivery-matrix' },
    h(
      'thead',
      null,
      h(
        'tr',
        null,
        h('th', { class: 'corner' }, 'sender \\ receiver'),
        m.receivers.map((r) => h('th', null, r))
      )
    ),
    h(
      'tbody',
      null,
      m.senders.map((s, si) =>
        h(
          'tr',
          null,
          h('th', null, s),
          m.receivers.map((r, ri) => {
            const c = m.cells[si]![ri]
            if (c == null || c.expected === 0) return h('td', { class: 'na' }, '·')
            const lostShare = c.lost / c.expected
            const tone = lostShare >= 0.05 ? 'bad' : lostShare >= 0.01 ? 'warn' : lostShare > 0 ? 'minor' : c.late > 0 ? 'late' : 'good'
            const td = h(
              'td',
              { class: `cell ${tone}`, title: `${s} → ${r}: ${c.expected} expected` },
              h('div', { class: 'cell-main' }, `${count(c.onTime + c.late)} / ${count(c.expected)}`),
              h(
                'div',
                { class: 'cell-sub' },
                [
                  c.late > 0 ? `${count(c.late)} late` : null,
                  c.lost > 0 ? `${count(c.lost)} lost` : null,
                  c.duplicates > 0 ? `${count(c.duplicates)} dup` : null
                ]
                  .filter((x) => x != null)
                  .join(' · ') || 'all on time'
              )
            )
            return td
          })
        )
      )
    )
  )
  return [
    h('h3', null, 'Delivery matrix'),
    h(
      'p',
      { class: 'intro' },
      `Delivered / expected for each sender and receiving device. Late: first arrival more than ${fmtMs(data.latency.lateAfterMs ?? NaN)} after the send (${data.latency.lateSource}). The crowd counts as one sender.`
    ),
    h('div', { class: 'scroll' }, matrix)
  ]
}

// Tables Node built and the page only lays out: generic table blocks (bytes, energy,
// reliability) and per-device pivots of metrics (All metrics, and Energy without tables).
import type { DevicePivot, TableBlock, TableCell } from '../report-data.js'
import { h, table } from './dom.js'

export function tableBlock(t: TableBlock): HTMLElement {
  const cell = (c: TableCell): HTMLTableCellElement => {
    if (typeof c === 'string') return h('td', null, c)
    const cls = [
      c.num === true ? 'num' : '',
      c.mono === true ? 'mono' : '',
      c.tone === 'bad' ? 'fail-text' : c.tone === 'good' ? 'good-text' : c.tone === 'warn' ? 'warn-text' : c.tone === 'muted' ? 'muted' : ''
    ]
      .filter((x) => x !== '')
      .join(' ')
    return h('td', { class: cls === '' ? undefined : cls }, c.text)
  }
  return h(
    'div',
    { class: 'table-block', id: t.id },
    h('h3', null, t.title),
    t.note != null ? h('p', { class: 'intro' }, t.note) : null,
    h(
      'div',
      { class: 'scroll' },
      table(
        t.headers,
        t.rows.map((r) => r.map(cell))
      )
    )
  )
}

export function pivotTable(p: DevicePivot): HTMLElement {
  return h(
    'div',
    { class: 'scroll' },
    table(
      [p.rows.some((r) => !r.isDevice) ? 'device or node' : 'device', ...p.figures],
      p.rows.map((r) => [
        h('td', { class: r.isDevice ? undefined : 'muted' }, r.device),
        ...r.values.map((v) => h('td', { class: 'num' }, v == null ? '' : v.text))
      ])
    )
  )
}

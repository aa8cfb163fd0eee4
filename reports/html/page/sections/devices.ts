// Devices: figures per device from results.json (each row's id device-<i>, which thresholds on
// one device's figures link to), then each device's errors and the messages it never got, which
// open in the message explorer.
import type { ReportData } from '../../report-data.js'
import { deviceColor } from '../colors.js'
import { byId, empty, h, section, table } from '../dom.js'
import { count } from '../format.js'

/** `openMessage` shows a message in the explorer (rendered after this section, so passed in). */
export function renderDevices(data: ReportData, openMessage: (hash: string) => void): void {
  const dev = section('devices', 'Devices', 'Figures per device from results.json. Click a lost message to follow it in the explorer.')
  if (data.devices.length === 0) {
    dev.append(empty('No devices in this run.'))
    return
  }
  const byPath = (o: Record<string, number>): string =>
    Object.entries(o)
      .filter(([, n]) => n > 0)
      .map(([p, n]) => `${p} ${count(n)}`)
      .join(', ') || '0'
  dev.append(
    h(
      'div',
      { class: 'scroll' },
      table(
        ['device', 'expected', 'delivered', 'lost', 'p50', 'p90', 'p95', 'p99', 'max', 'render p95', 'duplicates', 'first arrival by path'],
        data.devices.map((d) => [
          h('td', null, h('span', { class: 'swatch', 'data-device': d.name }), d.name, d.failed ? h('span', { class: 'tag bad' }, 'failed') : null),
          h('td', { class: 'num' }, count(d.expected)),
          h('td', { class: 'num' }, count(d.delivered)),
          h('td', { class: d.lost > 0 ? 'num fail-text' : 'num' }, `${count(d.lost)} (${d.lossRate})`),
          h('td', { class: 'num' }, d.latency.p50),
          h('td', { class: 'num' }, d.latency.p90),
          h('td', { class: 'num' }, d.latency.p95),
          h('td', { class: 'num' }, d.latency.p99),
          h('td', { class: 'num' }, d.latency.max),
          h('td', { class: 'num' }, d.render.p95),
          h('td', null, d.duplicates.total === 0 ? '0' : `${count(d.duplicates.total)} (${d.duplicates.rate}): ${byPath(d.duplicates.byPath)}`),
          h('td', null, byPath(d.firstByPath))
        ])
      )
    )
  )
  // thresholds on one device's figures link to its row
  dev.querySelectorAll('tbody tr').forEach((tr, i) => {
    tr.id = `device-${i}`
  })
  for (const sw of dev.querySelectorAll<HTMLElement>('.swatch')) sw.style.background = deviceColor(data, sw.getAttribute('data-device')!)
  for (const d of data.devices) {
    if (d.lostMessages.length === 0 && d.errors.length === 0) continue
    const box = h('div', { class: 'device-detail' }, h('h3', null, d.name))
    if (d.errors.length > 0)
      box.append(
        h(
          'ul',
          { class: 'errors' },
          d.errors.map((e) => h('li', null, e))
        )
      )
    if (d.lostMessages.length > 0) {
      box.append(h('p', { class: 'muted' }, `Never delivered (${d.lostMessages.length}${d.lost > d.lostMessages.length ? ` of ${count(d.lost)}` : ''}):`))
      box.append(
        h(
          'div',
          { class: 'chips' },
          d.lostMessages.map((id) => {
            const known = data.explorer.messages.find((x) => x.msgId === id)
            const chip = h(known != null ? 'button' : 'span', { class: 'chip', type: known != null ? 'button' : undefined }, id)
            if (known != null)
              chip.addEventListener('click', () => {
                openMessage(known.hash)
                byId('explorer').scrollIntoView()
              })
            return chip
          })
        )
      )
    }
    dev.append(box)
  }
}

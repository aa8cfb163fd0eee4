// Store (history): history query latency and response size over time, failed queries, and the
// per-store table.
import type { ReportData, XY } from '../../report-data.js'
import { chartBox, faultPlugin, makeChart, seriesDatasets, timeAxis } from '../charts.js'
import { seriesColor } from '../colors.js'
import { grid, h, section, table } from '../dom.js'
import { count, fmtBytes, fmtMs } from '../format.js'

export function renderStore(data: ReportData): void {
  const store = section('store', 'Store (history)', data.store.summary)
  const checks = data.store.checks
  if (checks != null) {
    store
      .querySelector('.intro')!
      .append(
        ' Devices also made ',
        h('a', { href: '#rel-sent' }, `${count(checks.count)} hash-only checks of sent messages`),
        ' (Reliability, Sent-message checks); those ask whether messages arrived, not for history, and are not counted here.'
      )
  }
  if (data.store.queries.length > 0 || data.store.failed.length > 0) {
    const q = chartBox('store-latency', 'History query latency', 'red crosses: failed queries')
    const z = chartBox('store-size', 'History response size')
    store.append(grid(q.box, z.box))
    makeChart(q.canvas, {
      type: 'scatter',
      data: {
        datasets: [
          ...data.store.queries.flatMap((s, i) => seriesDatasets(s, seriesColor(i + 3), 'latency')),
          ...(data.store.failed.length > 0
            ? [
                {
                  label: 'failed',
                  data: data.store.failed.map(([x, y]: XY) => ({ x, y })),
                  pointStyle: 'crossRot' as const,
                  pointRadius: 6,
                  borderColor: '#dc2626',
                  backgroundColor: '#dc2626',
                  borderWidth: 2
                }
              ]
            : [])
        ]
      },
      options: { parsing: false, scales: { x: timeAxis(data), y: { beginAtZero: true, ticks: { callback: (v) => fmtMs(Number(v)) } } } },
      plugins: [faultPlugin(data)]
    })
    makeChart(z.canvas, {
      type: 'scatter',
      data: { datasets: data.store.sizes.flatMap((s, i) => seriesDatasets(s, seriesColor(i + 3), 'latency')) },
      options: { parsing: false, scales: { x: timeAxis(data), y: { beginAtZero: true, ticks: { callback: (v) => fmtBytes(Number(v)) } } } },
      plugins: [faultPlugin(data)]
    })
  }
  if (data.store.table.length > 0) {
    store.append(
      table(
        ['store', 'queries', 'answered', 'failed', 'messages', 'bytes', 'p50', 'p95'],
        data.store.table.map((s) => [
          s.store,
          h('td', { class: 'num' }, count(s.queries)),
          h('td', { class: 'num' }, s.answered == null ? 'n/a' : count(s.answered)),
          h('td', { class: s.failed > 0 ? 'num fail-text' : 'num' }, count(s.failed)),
          h('td', { class: 'num' }, count(s.messages)),
          h('td', { class: 'num' }, s.bytes),
          h('td', { class: 'num' }, s.p50),
          h('td', { class: 'num' }, s.p95)
        ])
      )
    )
  }
}

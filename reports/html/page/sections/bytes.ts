// Bytes: each device's bytes over time (wire bytes by protocol, or bytes received by path), then
// the bar charts and tables Node precomputed (per message, duplicates, per day...).
import type { ReportData } from '../../report-data.js'
import { barChart, chartBox, faultPlugin, makeChart, timeAxis } from '../charts.js'
import { distinctColors } from '../colors.js'
import { empty, grid, section } from '../dom.js'
import { fmtBytes } from '../format.js'
import { tableBlock } from '../tables.js'

export function renderBytes(data: ReportData): void {
  const bytes = section('bytes', 'Bytes', data.bytes.summary !== '' ? data.bytes.summary : undefined)
  if (data.bytes.overTime.length === 0) bytes.append(empty('No byte counts were recorded for any device.'))
  else {
    bytes.append(
      grid(
        ...data.bytes.overTime.map((d) => {
          const { box, canvas } = chartBox(
            'bytes-over-time',
            `${d.device}: ${d.source === 'wire' ? 'wire bytes by protocol' : 'bytes received by path'}`,
            d.caption
          )
          const colors = distinctColors(Object.keys(d.stacks), 4)
          makeChart(canvas, {
            type: 'bar',
            data: {
              datasets: Object.entries(d.stacks).map(([p, values], i) => ({
                label: p,
                data: values.map((y, k) => ({ x: d.t[k]! + d.bucketS / 2, y })),
                backgroundColor: colors[i],
                barPercentage: 1,
                categoryPercentage: 1
              }))
            },
            options: {
              parsing: false,
              scales: { x: { ...timeAxis(data), stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { callback: (v) => fmtBytes(Number(v)) } } }
            },
            plugins: [faultPlugin(data)]
          })
          return box
        })
      )
    )
  }
  if (data.bytes.charts.length > 0) bytes.append(grid(...data.bytes.charts.map((c) => barChart(data, c))))
  for (const t of data.bytes.tables) bytes.append(tableBlock(t))
}

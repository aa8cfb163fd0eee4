// Harness self-monitoring: courier's own event-loop delay (against its limit) and CPU per process,
// and the alert when the harness was saturated.
import type { Plugin } from 'chart.js'
import type { ReportData, Series } from '../../report-data.js'
import { chartBox, type Dataset, faultPlugin, makeChart, seriesDatasets, timeAxis } from '../charts.js'
import { seriesColor } from '../colors.js'
import { empty, grid, h, section } from '../dom.js'
import { fmtMs } from '../format.js'

export function renderHarness(data: ReportData): void {
  const har = section('harness', 'Harness self-monitoring', data.harness.summary)
  if (data.harness.saturated)
    har.insertBefore(
      h('p', { class: 'alert' }, 'The harness was saturated: latency figures include delay the harness itself caused, so the verdict is inconclusive.'),
      har.children[1] ?? null
    )
  if (data.harness.lag.length === 0) {
    har.append(empty('No harness.lag samples were recorded.'))
    return
  }
  const lagBox = chartBox('harness-lag', 'Event-loop delay p99 per process', `limit ${fmtMs(data.harness.limitMs)} (dashed red)`)
  const cpuBox = chartBox('harness-cpu', 'CPU per process')
  har.append(grid(lagBox.box, cpuBox.box))
  // the limit spans the whole axis, whatever range the samples cover
  const limitPlugin: Plugin = {
    id: 'courierLimit',
    afterDatasetsDraw(chart) {
      const { ctx, chartArea, scales } = chart
      const y = scales.y!.getPixelForValue(data.harness.limitMs)
      if (y < chartArea.top || y > chartArea.bottom) return
      ctx.save()
      ctx.strokeStyle = '#dc2626'
      ctx.lineWidth = 1.5
      ctx.setLineDash([6, 4])
      ctx.beginPath()
      ctx.moveTo(chartArea.left, y)
      ctx.lineTo(chartArea.right, y)
      ctx.stroke()
      ctx.restore()
    }
  }
  const lineOf = (s: Series, i: number): Dataset[] =>
    s.raw != null
      ? [
          {
            type: 'line',
            label: s.name,
            data: s.raw.map(([x, y]) => ({ x, y })),
            borderColor: seriesColor(i + 6),
            backgroundColor: seriesColor(i + 6),
            pointRadius: 0,
            borderWidth: 1.5
          }
        ]
      : seriesDatasets(s, seriesColor(i + 6), 'max')
  makeChart(lagBox.canvas, {
    type: 'line',
    data: { datasets: data.harness.lag.flatMap(lineOf) },
    options: {
      parsing: false,
      scales: { x: timeAxis(data), y: { beginAtZero: true, suggestedMax: data.harness.limitMs * 1.15, ticks: { callback: (v) => fmtMs(Number(v)) } } }
    },
    plugins: [faultPlugin(data), limitPlugin]
  })
  makeChart(cpuBox.canvas, {
    type: 'line',
    data: { datasets: data.harness.cpu.flatMap(lineOf) },
    options: { parsing: false, scales: { x: timeAxis(data), y: { beginAtZero: true, ticks: { callback: (v) => `${v} %` } } } },
    plugins: [faultPlugin(data)]
  })
}

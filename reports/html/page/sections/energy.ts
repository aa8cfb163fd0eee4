// Energy: radio energy per device (bar charts Node precomputed), the radio state over time, and
// the energy tables (or the energy metrics per device when there are none).
import type { ReportData } from '../../report-data.js'
import { barChart, categoryPoints, chartBox, makeChart } from '../charts.js'
import { grid, section } from '../dom.js'
import { pivotTable, tableBlock } from '../tables.js'

export function renderEnergy(data: ReportData): void {
  const en = data.energy
  if (en.charts.length === 0 && en.tables.length === 0 && en.timeline == null) return
  const sec = section('energy', 'Energy', en.summary !== '' ? en.summary : "Radio energy estimated from each device's packet timeline.")
  const boxes = en.charts.map((c) => barChart(data, c))
  if (en.timeline != null) {
    const tl = en.timeline
    const { box, canvas } = chartBox(
      'radio-states',
      'Radio state over time',
      `seconds since the first packet${tl.devices.some((d) => d.truncated) ? ' · long runs: the first spans only' : ''}`
    )
    const TAIL = ['#fb923c', '#fdba74', '#fed7aa', '#fcd34d', '#fde68a']
    let tails = 0
    const colors = tl.states.map((_, i) =>
      tl.kinds[i] === 'active' ? '#dc2626' : tl.kinds[i] === 'promotion' ? '#7c3aed' : tl.kinds[i] === 'tail' ? TAIL[tails++ % TAIL.length]! : '#94a3b8'
    )
    makeChart(canvas, {
      type: 'bar',
      data: {
        labels: tl.devices.map((d) => d.device),
        datasets: tl.states.map((state, k) => ({
          label: state,
          backgroundColor: colors[k],
          data: categoryPoints(tl.devices.flatMap((d) => d.spans.filter((sp) => sp[2] === k).map((sp) => ({ x: [sp[0], sp[1]], y: d.device })))),
          barPercentage: 0.7,
          categoryPercentage: 1,
          grouped: false,
          minBarLength: 1
        }))
      },
      options: { indexAxis: 'y', scales: { x: { type: 'linear', beginAtZero: true, title: { display: true, text: 'seconds' } }, y: { type: 'category' } } }
    })
    boxes.push(box)
  }
  sec.append(grid(...boxes))
  for (const t of en.tables) sec.append(tableBlock(t))
  const ep = data.metrics.pivots.find((p) => p.prefix === 'energy')
  if (ep != null && en.tables.length === 0) sec.append(pivotTable(ep))
}

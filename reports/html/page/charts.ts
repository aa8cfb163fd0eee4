// Chart helpers of the report page: Chart.js (inlined by render.ts as its own UMD script, the
// global `Chart`) set up once, a card per chart, the time axis and fault bands every time chart
// shares, and the bar charts and series that Node precomputed.
import type { Chart as ChartJs, ChartConfiguration, ChartDataset, ChartType, Plugin, ScaleOptions, TooltipItem } from 'chart.js'
import type { BarChart, ReportData, Series } from '../report-data.js'
import { BAND_COLOR, BAND_TEXT, deviceColor, distinctColors } from './colors.js'
import { h } from './dom.js'
import { fmtS } from './format.js'

declare module 'chart.js' {
  interface ChartDatasetProperties<TType extends ChartType, TData> {
    /** A dataset that follows another in the same colour (p95, max): left out of the legend. */
    courierSecondary?: boolean
    /** Each value as the report writes it, for the tooltip. */
    texts?: string[]
  }
}

/** Chart.js, from the UMD script render.ts inlines before this one. */
declare const Chart: typeof ChartJs

/** A chart of any type; datasets may each have a type of their own (a scatter with median lines). */
export type ChartConfig = ChartConfiguration
/** A dataset of any type. */
export type Dataset = ChartDataset
/**
 * Points on a category axis ({x: [from, to], y: label} floating bars, {x, y: lane} scatter points):
 * Chart.js draws them, but its point types want numbers on both axes.
 */
export function categoryPoints(points: object[]): Dataset['data'] {
  return points as Dataset['data']
}

const charts: ChartJs[] = []

/** Chart.js defaults for every chart of the page; call once before the first chart. */
export function setUpCharts(): void {
  Chart.defaults.animation = false
  Chart.defaults.font.family = 'system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif'
  Chart.defaults.font.size = 12
  Chart.defaults.color = '#334155'
  Chart.defaults.maintainAspectRatio = false
  Chart.defaults.plugins.legend.labels.boxWidth = 12
  Chart.defaults.plugins.legend.labels.filter = (item, chartData) => chartData.datasets[item.datasetIndex ?? -1]?.courierSecondary !== true
}

export function makeChart(canvas: HTMLCanvasElement, config: ChartConfig): ChartJs {
  const c = new Chart(canvas, config)
  charts.push(c)
  return c
}

/** Destroys a chart made by makeChart (the explorer's journey, drawn again for each message). */
export function dropChart(c: ChartJs): void {
  c.destroy()
  charts.splice(charts.indexOf(c), 1)
}

/** How many charts the page has (body[data-charts], which the browser tests read). */
export function chartCount(): number {
  return charts.length
}

/** A chart with nothing to draw: its title and one sentence, no canvas and no empty 0-1 axes. */
export function emptyChart(id: string, title: string, text: string): HTMLElement {
  return h(
    'figure',
    { class: 'chart-card empty-card', 'data-empty-chart': id },
    h('figcaption', null, h('span', { class: 'chart-title' }, title)),
    h('p', { class: 'empty' }, text)
  )
}

/** A chart's card: title, optional note, and the canvas to draw on. */
export function chartBox(id: string, title: string, note?: string, tall = false): { box: HTMLElement; canvas: HTMLCanvasElement } {
  const canvas = h('canvas', { 'data-chart': id, role: 'img', 'aria-label': title })
  const box = h(
    'figure',
    { class: 'chart-card' },
    h('figcaption', null, h('span', { class: 'chart-title' }, title), note != null && note !== '' ? h('span', { class: 'chart-note' }, note) : null),
    h('div', { class: tall ? 'chart tall' : 'chart' }, canvas)
  )
  return { box, canvas }
}

/** Draws the run's fault windows behind the data, labelled, on any chart with a time x axis. */
export function faultPlugin(data: ReportData): Plugin {
  return {
    id: 'courierFaults',
    beforeDatasetsDraw(chart) {
      const { ctx, chartArea, scales } = chart
      const x = scales.x
      if (x == null) return
      const lanes: number[] = []
      ctx.save()
      ctx.font = '11px system-ui, sans-serif'
      for (const band of data.faults.bands) {
        const x0 = Math.max(chartArea.left, x.getPixelForValue(band.from))
        const x1 = Math.min(chartArea.right, x.getPixelForValue(band.to))
        if (!(x1 > x0)) continue
        ctx.fillStyle = BAND_COLOR[band.kind] ?? BAND_COLOR.other!
        ctx.fillRect(x0, chartArea.top, Math.max(1, x1 - x0), chartArea.bottom - chartArea.top)
        let lane = lanes.findIndex((end) => end < x0)
        if (lane < 0) {
          lane = lanes.length
          lanes.push(0)
        }
        // long labels (partition groups) are cut to the room left on the chart; the faults table has them whole
        let label = band.label
        const room = chartArea.right - x0 - 6
        while (label.length > 4 && ctx.measureText(label).width > room)
          label = `${label.slice(0, Math.max(3, Math.floor((label.length * room) / ctx.measureText(label).width) - 2))}…`
        const width = ctx.measureText(label).width
        lanes[lane] = x0 + width + 8
        ctx.fillStyle = BAND_TEXT[band.kind] ?? BAND_TEXT.other!
        ctx.fillText(label, x0 + 3, chartArea.top + 12 + lane * 13)
      }
      ctx.strokeStyle = 'rgba(71, 85, 105, 0.45)'
      ctx.setLineDash([3, 3])
      for (const m of data.faults.markers) {
        const px = x.getPixelForValue(m.t)
        if (px < chartArea.left || px > chartArea.right) continue
        ctx.beginPath()
        ctx.moveTo(px, chartArea.top)
        ctx.lineTo(px, chartArea.bottom)
        ctx.stroke()
      }
      ctx.restore()
    }
  }
}

/** The x axis of every chart over scenario time. */
export function timeAxis(data: ReportData): ScaleOptions<'linear'> {
  // suggestedMax, not max: the axis ends on a round tick instead of squeezing a label at the end
  // ticks on round seconds or minutes, about eight of them
  const span = Math.max(data.meta.endS, 1)
  const stepSize = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200].find((st) => span / st <= 9) ?? Math.ceil(span / 9 / 3600) * 3600
  return {
    type: 'linear',
    title: { display: true, text: 'scenario time' },
    min: Math.min(0, ...data.faults.bands.map((b) => b.from)),
    suggestedMax: span,
    ticks: { stepSize, callback: (v) => fmtS(Number(v)) }
  }
}

/** Datasets of a series: raw points as a scatter, or per-bucket median, p95 and max lines. */
export function seriesDatasets(s: Series, color: string, kind: 'latency' | 'max', label = s.name): Dataset[] {
  if (s.raw != null)
    return [
      {
        type: 'scatter',
        label,
        data: s.raw.map(([x, y]) => ({ x, y })),
        backgroundColor: color,
        borderColor: color,
        pointRadius: s.raw.length > 500 ? 1.5 : 2.5
      }
    ]
  const b = s.buckets!
  const pts = (ys: number[]): Array<{ x: number; y: number }> => b.t.map((x, i) => ({ x, y: ys[i]! }))
  if (kind === 'max')
    return [{ type: 'line', label: `${label} (bucket max)`, data: pts(b.max), borderColor: color, backgroundColor: color, pointRadius: 0, borderWidth: 1.5 }]
  // one legend entry per series (the median line); p95 and max follow it in the same colour
  return [
    { type: 'line', label, data: pts(b.p50), borderColor: color, backgroundColor: color, pointRadius: 0, borderWidth: 1.5 },
    {
      type: 'line',
      label: `${label} p95`,
      data: pts(b.p95),
      borderColor: color,
      backgroundColor: color,
      pointRadius: 0,
      borderWidth: 1,
      borderDash: [5, 3],
      courierSecondary: true
    },
    { type: 'scatter', label: `${label} max`, data: pts(b.max), borderColor: color, backgroundColor: color, pointRadius: 1.5, courierSecondary: true }
  ]
}

/** A bar chart Node precomputed (bytes, energy), or its empty card. */
export function barChart(data: ReportData, c: BarChart): HTMLElement {
  if (c.empty != null || !c.series.some((s) => s.values.some((v) => v != null && v !== 0)))
    return emptyChart(c.id, c.title, c.empty ?? 'Nothing to draw: every value is 0.')
  const { box, canvas } = chartBox(c.id, c.title, c.note)
  const colors = distinctColors(
    c.series.map((s) => s.label),
    c.series.length > 1 ? 0 : 4
  )
  makeChart(canvas, {
    type: 'bar',
    data: {
      labels: c.labels,
      datasets: c.series.map((s, i) => ({
        label: s.label,
        data: s.values,
        backgroundColor: c.colorByLabel ? c.labels.map((l) => deviceColor(data, l)) : colors[i],
        texts: s.texts
      }))
    },
    options: {
      plugins: {
        legend: { display: c.series.length > 1 },
        tooltip: { callbacks: { label: (ctx: TooltipItem<ChartType>) => `${ctx.dataset.label}: ${ctx.dataset.texts![ctx.dataIndex]}` } }
      },
      scales: { x: { stacked: c.stacked }, y: { stacked: c.stacked, beginAtZero: true, title: { display: true, text: c.axis } } }
    }
  })
  return box
}

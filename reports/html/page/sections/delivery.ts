// Delivery: latency per device (CDF and by send time, with the run's faults behind), the faults
// and timeline actions, the delivery matrix (delivery-matrix.ts) and the paths messages took.
import type { ChartType, TooltipItem } from 'chart.js'
import type { FaultBand, ReportData } from '../../report-data.js'
import { chartBox, emptyChart, faultPlugin, makeChart, seriesDatasets, timeAxis } from '../charts.js'
import { deviceColor, distinctColors } from '../colors.js'
import { empty, grid, h, section, table } from '../dom.js'
import { count, fmtMs, fmtS } from '../format.js'
import { deliveryMatrix } from './delivery-matrix.js'

export function renderDelivery(data: ReportData): void {
  const del = section(
    'delivery',
    'Delivery',
    "Latency is the time from msg.sent to the first msg.received on each device. Shaded bands are the timeline's faults; dashed lines are timeline actions."
  )
  latencyCharts(data, del)
  if (data.faults.bands.length > 0 || data.faults.markers.length > 0) {
    del.append(
      h(
        'details',
        { class: 'faults' },
        h('summary', null, `Faults and timeline actions (${data.faults.bands.length + data.faults.markers.length})`),
        table(
          ['from', 'to', 'what'],
          [
            ...data.faults.bands.map((b: FaultBand) => ({ t: b.from, row: [fmtS(b.from), fmtS(b.to), b.label] })),
            ...data.faults.markers.map((mk) => ({ t: mk.t, row: [fmtS(mk.t), '', mk.label] }))
          ]
            .sort((a, b) => a.t - b.t)
            .map((x) => x.row)
        )
      )
    )
  }
  del.append(...deliveryMatrix(data))
  pathCharts(data, del)
}

/** The latency CDF per device and latency by send time; a log axis when latencies span more than 30x. */
function latencyCharts(data: ReportData, del: HTMLElement): void {
  const anyLatency = data.latency.cdf.some((s) => s.total > 0)
  if (!anyLatency) {
    del.append(empty('No message reached any device, so there is no latency to draw.'))
    return
  }
  const maxLat = Math.max(1, ...data.latency.cdf.flatMap((s) => s.raw!.map((p) => p[0])))
  const minLat = Math.max(0.1, Math.min(...data.latency.cdf.flatMap((s) => s.raw!.map((p) => p[0])).filter((v) => v > 0)))
  // latencies spanning more than 30x get a log axis, and the subtitle says which one was chosen
  const logLatency = maxLat / minLat > 30
  const cdfBox = chartBox(
    'latency-cdf',
    'Latency distribution per device (CDF)',
    `x: latency${logLatency ? ' (log scale)' : ''} · y: share of delivered messages`
  )
  const otBox = chartBox(
    'latency-over-time',
    'Latency by send time',
    `${data.latency.downsampled ? 'downsampled: per-bucket median, p95 (dashed) and max' : 'one point per delivered message'}${logLatency ? ' · y: log scale' : ''}`,
    true
  )
  del.append(grid(cdfBox.box, otBox.box))
  makeChart(cdfBox.canvas, {
    type: 'line',
    data: {
      datasets: data.latency.cdf
        .filter((s) => s.total > 0)
        .map((s) => ({
          label: `${s.name} (${count(s.total)})`,
          data: s.raw!.map(([x, y]) => ({ x: Math.max(x, minLat), y })),
          borderColor: deviceColor(data, s.name),
          backgroundColor: deviceColor(data, s.name),
          pointRadius: 0,
          borderWidth: 2,
          stepped: true
        }))
    },
    options: {
      parsing: false,
      scales: {
        x: {
          type: logLatency ? 'logarithmic' : 'linear',
          title: { display: true, text: 'latency' },
          ticks: { callback: (v) => fmtMs(Number(v)), maxTicksLimit: 8 }
        },
        y: { min: 0, max: 1, title: { display: true, text: 'share delivered' }, ticks: { callback: (v) => `${Math.round(Number(v) * 100)} %` } }
      },
      plugins: {
        tooltip: {
          callbacks: { label: (c: TooltipItem<ChartType>) => `${c.dataset.label}: ${Math.round(c.parsed.y! * 1000) / 10} % within ${fmtMs(c.parsed.x!)}` }
        }
      }
    }
  })
  makeChart(otBox.canvas, {
    type: 'scatter',
    data: { datasets: data.latency.overTime.filter((s) => s.total > 0).flatMap((s) => seriesDatasets(s, deviceColor(data, s.name), 'latency')) },
    options: {
      parsing: false,
      scales: {
        x: timeAxis(data),
        y: {
          type: logLatency ? 'logarithmic' : 'linear',
          title: { display: true, text: 'latency' },
          ticks: { callback: (v) => fmtMs(Number(v)), maxTicksLimit: 8 }
        }
      },
      plugins: { tooltip: { callbacks: { label: (c: TooltipItem<ChartType>) => `${c.dataset.label}: sent at ${fmtS(c.parsed.x!)}, ${fmtMs(c.parsed.y!)}` } } }
    },
    plugins: [faultPlugin(data)]
  })
}

/** Paths: duplicates and first arrivals, stacked per device. */
function pathCharts(data: ReportData, del: HTMLElement): void {
  const pathNames = (rec: Record<string, Record<string, number>>): string[] => [...new Set(Object.values(rec).flatMap((o) => Object.keys(o)))].sort()
  const stacked = (id: string, title: string, rec: Record<string, Record<string, number>>, note: string, emptyText: string): HTMLElement => {
    const devs = Object.keys(rec)
    const paths = pathNames(rec)
    if (!paths.some((p) => devs.some((d) => (rec[d]![p] ?? 0) > 0))) return emptyChart(id, title, emptyText)
    const { box, canvas } = chartBox(id, title, note)
    const colors = distinctColors(paths, 4)
    makeChart(canvas, {
      type: 'bar',
      data: { labels: devs, datasets: paths.map((p, i) => ({ label: p, data: devs.map((d) => rec[d]![p] ?? 0), backgroundColor: colors[i] })) },
      options: {
        scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: 'messages' } } }
      }
    })
    return box
  }
  del.append(
    grid(
      stacked(
        'duplicates-by-path',
        'Duplicates by path',
        data.paths.duplicates,
        'extra arrivals of a message already delivered',
        'No duplicates: every message arrived once.'
      ),
      stacked('first-by-path', 'First arrival by path', data.paths.first, 'how each delivered message got there first', 'No message was delivered.')
    )
  )
}

// One figure of a trend as a line chart, points in the tone of their change: shared by report.html's
// History section and the trend page (`courier trend --html`), so both read alike.
import type { ChartConfiguration, TooltipItem } from 'chart.js'
import type { TrendView } from '../report-data.js'

type TrendFigure = TrendView['figures'][number]

/** Table-cell classes of a point's mark. */
export const MARK_CLASS: Record<string, string> = { worse: 'fail-text', better: 'good-text', changed: 'warn-text' }
const MARK_TONE: Record<string, string> = { worse: '#dc2626', better: '#16a34a', changed: '#d97706' }

/** The chart of one figure over the points; `tooltip` says what hovering point i shows. */
export function trendFigureChart(labels: string[], f: TrendFigure, tooltip: (i: number) => string): ChartConfiguration<'line', Array<number | null>, string> {
  const colors = f.marks.map((m) => (m != null ? MARK_TONE[m] : undefined) ?? '#2563eb')
  return {
    type: 'line',
    data: {
      labels,
      datasets: [
        {
          label: f.metric,
          data: f.values,
          borderColor: '#2563eb',
          pointBackgroundColor: colors,
          pointBorderColor: colors,
          pointRadius: f.marks.map((m) => (m != null && m !== '~' ? 6 : 3)),
          spanGaps: true
        }
      ]
    },
    options: {
      plugins: { legend: { display: false }, tooltip: { callbacks: { label: (item: TooltipItem<'line'>) => tooltip(item.dataIndex) } } },
      scales: { y: { beginAtZero: true } }
    }
  }
}

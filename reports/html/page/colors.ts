// The report page's colours: a palette for devices and series, fixed colours for paths, radio
// states and fault kinds.
import type { ReportData } from '../report-data.js'

export const PALETTE = ['#2563eb', '#dc2626', '#16a34a', '#d97706', '#7c3aed', '#0891b2', '#db2777', '#65a30d', '#475569', '#ea580c', '#0d9488', '#9333ea']

export const PATH_COLOR: Record<string, string> = {
  relay: '#2563eb',
  filter: '#0891b2',
  store: '#d97706',
  lightpush: '#7c3aed',
  duplicate: '#dc2626',
  promotion: '#7c3aed',
  active: '#dc2626',
  tail: '#fb923c',
  idle: '#cbd5e1',
  down: '#2563eb',
  total: '#94a3b8',
  control: '#64748b',
  'framing and other': '#cbd5e1'
}

/** Fault bands behind time charts, by kind. */
export const BAND_COLOR: Record<string, string> = {
  offline: 'rgba(37, 99, 235, 0.10)',
  down: 'rgba(220, 38, 38, 0.10)',
  partition: 'rgba(124, 58, 237, 0.12)',
  store: 'rgba(217, 119, 6, 0.14)',
  other: 'rgba(100, 116, 139, 0.12)'
}
export const BAND_TEXT: Record<string, string> = { offline: '#1d4ed8', down: '#b91c1c', partition: '#6d28d9', store: '#b45309', other: '#475569' }

/** A device's colour, the same on every chart and its swatch in the Devices table. */
export function deviceColor(data: ReportData, name: string): string {
  const i = data.deviceOrder.indexOf(name)
  return PALETTE[(i >= 0 ? i : data.deviceOrder.length + name.length) % PALETTE.length]!
}

export function seriesColor(i: number): string {
  return PALETTE[i % PALETTE.length]!
}

/** One colour per series of a chart: a name's own colour (PATH_COLOR) when no other series has it, else the next unused palette colour. */
export function distinctColors(labels: string[], offset = 0, fixed: Record<string, string> = PATH_COLOR): string[] {
  const used = new Set<string>()
  const own = labels.map((l) => {
    const c = fixed[l]
    if (c == null || used.has(c)) return null
    used.add(c)
    return c
  })
  let k = offset
  return own.map((c) => {
    if (c != null) return c
    for (let tries = 0; tries < PALETTE.length && used.has(seriesColor(k)); tries++) k++
    const next = seriesColor(k++)
    used.add(next)
    return next
  })
}

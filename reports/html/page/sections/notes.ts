// About this report: the report's own notes (downsampling, sampling, missing figures), and the
// banner at the top when charts were downsampled.
import type { ReportData } from '../../report-data.js'
import { byId, h, section } from '../dom.js'

export function renderNotes(data: ReportData): void {
  if (data.notes.length === 0) return
  const notes = section('notes', 'About this report')
  notes.append(
    h(
      'ul',
      { class: 'notes' },
      data.notes.map((n) => h('li', null, n))
    )
  )
  const banner = byId('downsampled')
  banner.textContent = 'Large run: some charts are downsampled and the message explorer holds a sample. See "About this report".'
  banner.hidden = !data.notes.some((n) => /downsampled|sample/.test(n))
}

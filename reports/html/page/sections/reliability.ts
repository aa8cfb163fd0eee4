// Reliability: the tables Node built (partitions, failover, store audit, history consistency,
// sent-message checks, request stages).
import type { ReportData } from '../../report-data.js'
import { section } from '../dom.js'
import { tableBlock } from '../tables.js'

export function renderReliability(data: ReportData): void {
  if (data.reliability.tables.length === 0) return
  const rel = section('reliability', 'Reliability', data.reliability.summary !== '' ? data.reliability.summary : undefined)
  for (const t of data.reliability.tables) rel.append(tableBlock(t))
}

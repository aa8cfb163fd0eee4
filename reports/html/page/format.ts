// How the report page writes the figures it computes itself (axis ticks, tooltips, the explorer);
// the figures precomputed in Node arrive as text already.

export function fmtMs(ms: number): string {
  if (!Number.isFinite(ms)) return ''
  const a = Math.abs(ms)
  if (a < 1000) return `${Number(ms.toPrecision(3))} ms`
  if (a < 60000) return `${Number((ms / 1000).toPrecision(3))} s`
  return `${Math.floor(ms / 60000)}m ${String(Math.round((ms % 60000) / 1000)).padStart(2, '0')}s`
}

export function fmtS(s: number): string {
  if (Math.abs(s) < 60) return `${Number(s.toFixed(1))} s`
  const m = Math.floor(s / 60)
  const rest = Math.round(s - m * 60)
  return rest === 0 ? `${m}m` : `${m}m ${String(rest).padStart(2, '0')}s`
}

export function fmtBytes(b: number): string {
  const a = Math.abs(b)
  if (a < 1000) return `${Math.round(b)} B`
  if (a < 1e6) return `${Number((b / 1e3).toPrecision(3))} kB`
  return `${Number((b / 1e6).toPrecision(3))} MB`
}

export function count(n: number): string {
  return n.toLocaleString('en-US')
}

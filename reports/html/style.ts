/** The report's stylesheet, inlined (and allowed by hash in the page's Content-Security-Policy). */
export const REPORT_CSS = `
:root {
  --ink: #0f172a; --muted: #64748b; --line: #e2e8f0; --bg: #f8fafc; --card: #ffffff;
  --good: #15803d; --bad: #b91c1c; --warn: #b45309; --accent: #2563eb;
  --mono: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace;
}
* { box-sizing: border-box; }
html { scroll-behavior: smooth; }
body { margin: 0; background: var(--bg); color: var(--ink); font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; }
header#top { padding: 22px 32px 18px; color: #fff; background: #334155; }
header#top.verdict-pass { background: linear-gradient(135deg, #166534, #15803d); }
header#top.verdict-fail { background: linear-gradient(135deg, #991b1b, #b91c1c); }
header#top.verdict-inconclusive { background: linear-gradient(135deg, #92400e, #b45309); }
header#top.verdict-interrupted { background: linear-gradient(135deg, #334155, #475569); }
.verdict-row { display: flex; gap: 18px; align-items: center; }
.verdict-badge { font-weight: 800; font-size: 22px; letter-spacing: 0.06em; padding: 8px 16px; border: 2px solid rgba(255,255,255,0.85); border-radius: 8px; background: rgba(255,255,255,0.12); }
header h1 { margin: 0; font-size: 24px; font-weight: 650; word-break: break-word; }
header .meta { margin: 2px 0 0; opacity: 0.92; }
header .small, .small { font-size: 12px; }
header .explanation { margin: 14px 0 4px; font-size: 16px; font-weight: 550; }
header .reasons { margin: 4px 0 0; padding-left: 20px; }
.replay { margin-top: 14px; display: flex; gap: 10px; align-items: center; flex-wrap: wrap; }
.replay-label { font-size: 12px; text-transform: uppercase; letter-spacing: 0.08em; opacity: 0.85; }
.replay code { font-family: var(--mono); background: rgba(15, 23, 42, 0.45); padding: 6px 10px; border-radius: 6px; user-select: all; word-break: break-all; }
button.copy { font: inherit; font-size: 12px; color: #fff; background: rgba(255,255,255,0.15); border: 1px solid rgba(255,255,255,0.6); border-radius: 6px; padding: 5px 12px; cursor: pointer; }
button.copy:hover { background: rgba(255,255,255,0.28); }
nav#nav { position: sticky; top: 0; z-index: 5; display: flex; gap: 2px; flex-wrap: wrap; padding: 6px 28px; background: rgba(255,255,255,0.96); border-bottom: 1px solid var(--line); backdrop-filter: blur(4px); }
nav#nav a { color: var(--ink); text-decoration: none; padding: 4px 10px; border-radius: 6px; font-size: 13px; }
nav#nav a:hover { background: #eef2ff; color: var(--accent); }
.banner { margin: 12px 32px 0; padding: 8px 12px; background: #fffbeb; border: 1px solid #fcd34d; border-radius: 8px; color: #78350f; }
main { padding: 8px 32px 40px; max-width: 1500px; }
section { margin-top: 26px; scroll-margin-top: 48px; }
h2 { font-size: 19px; margin: 0 0 6px; padding-bottom: 6px; border-bottom: 2px solid var(--line); }
h3 { font-size: 15px; margin: 20px 0 6px; }
.intro { color: var(--muted); margin: 4px 0 12px; max-width: 980px; }
.muted { color: var(--muted); }
.empty { color: var(--muted); font-style: italic; }
.alert { color: var(--bad); font-weight: 600; }
.mono { font-family: var(--mono); font-size: 12.5px; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(170px, 1fr)); gap: 12px; margin-top: 18px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 12px 14px; border-top: 4px solid #cbd5e1; }
.card.tone-good { border-top-color: var(--good); }
.card.tone-bad { border-top-color: var(--bad); }
.card.tone-warn { border-top-color: #f59e0b; }
.card-label { font-size: 12px; color: var(--muted); text-transform: uppercase; letter-spacing: 0.06em; }
.card-value { font-size: 24px; font-weight: 700; margin: 2px 0; font-variant-numeric: tabular-nums; }
.card.tone-bad .card-value { color: var(--bad); }
.card-hint { font-size: 12px; color: var(--muted); }
table.data { border-collapse: collapse; background: var(--card); border: 1px solid var(--line); border-radius: 8px; min-width: 50%; font-variant-numeric: tabular-nums; }
table.data th { text-align: left; font-size: 12px; font-weight: 600; color: var(--muted); background: #f1f5f9; padding: 6px 10px; border-bottom: 1px solid var(--line); white-space: nowrap; }
table.data td { padding: 6px 10px; border-bottom: 1px solid #f1f5f9; vertical-align: top; }
table.data tr:last-child td { border-bottom: 0; }
td.num { text-align: right; white-space: nowrap; }
td.pass { color: var(--good); font-weight: 700; }
td.fail { color: #fff; background: var(--bad); font-weight: 800; text-align: center; }
.fail-text { color: var(--bad); font-weight: 650; }
.good-text { color: var(--good); font-weight: 650; }
.warn-text { color: var(--warn); font-weight: 650; }
details.metric-group { margin: 6px 0; }
details.metric-group summary { cursor: pointer; font-family: var(--mono); font-size: 13px; padding: 4px 0; }
details.metric-group[open] summary { margin-bottom: 6px; }
.table-block { margin-top: 8px; }
table.thresholds td.muted { font-size: 12.5px; }
.scroll { overflow-x: auto; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(460px, 1fr)); gap: 14px; }
.chart-card { margin: 0; background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 10px 12px 12px; }
.chart-card figcaption { display: flex; justify-content: space-between; gap: 10px; flex-wrap: wrap; margin-bottom: 6px; }
.chart-title { font-weight: 650; }
.chart-note { color: var(--muted); font-size: 12px; }
.chart { position: relative; height: 280px; }
.chart.tall { height: 280px; }
details.faults { margin: 10px 0; }
details.faults summary { cursor: pointer; color: var(--accent); }
table.matrix { border-collapse: separate; border-spacing: 3px; }
table.matrix th { font-size: 12px; color: var(--muted); font-weight: 600; padding: 4px 8px; text-align: center; }
table.matrix tbody th { text-align: right; }
table.matrix td { min-width: 110px; padding: 6px 8px; border-radius: 6px; text-align: center; }
td.cell.good { background: #dcfce7; }
td.cell.late { background: #fef9c3; }
td.cell.minor { background: #fef3c7; }
td.cell.warn { background: #fed7aa; }
td.cell.bad { background: #fecaca; }
td.na { color: #cbd5e1; }
.cell-main { font-weight: 700; font-variant-numeric: tabular-nums; }
.cell-sub { font-size: 11.5px; color: #475569; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 3px; margin-right: 6px; background: #94a3b8; }
.tag { display: inline-block; font-size: 11px; font-weight: 700; padding: 0 6px; border-radius: 4px; margin-left: 6px; }
.tag.good { background: #dcfce7; color: var(--good); }
.tag.bad { background: #fee2e2; color: var(--bad); }
.tag.warn { background: #fef3c7; color: var(--warn); }
.device-detail { margin-top: 10px; }
.chips { display: flex; flex-wrap: wrap; gap: 6px; }
.chip { font: 12px var(--mono); background: #f1f5f9; border: 1px solid var(--line); border-radius: 999px; padding: 2px 9px; }
button.chip { cursor: pointer; color: var(--accent); }
ul.errors { color: var(--bad); margin: 4px 0; }
.explorer { display: grid; grid-template-columns: minmax(240px, 320px) 1fr; gap: 16px; align-items: start; }
.explorer-side input { width: 100%; font: inherit; padding: 7px 10px; border: 1px solid #cbd5e1; border-radius: 8px; }
.explorer-side input:focus { outline: 2px solid #bfdbfe; border-color: var(--accent); }
ul.msg-list { list-style: none; padding: 0; margin: 6px 0 0; max-height: 560px; overflow-y: auto; border: 1px solid var(--line); border-radius: 8px; background: var(--card); }
.msg-item { display: block; width: 100%; text-align: left; font: inherit; border: 0; border-bottom: 1px solid #f1f5f9; background: none; padding: 6px 10px; cursor: pointer; border-left: 3px solid transparent; }
.msg-item:hover { background: #f8fafc; }
.msg-item.selected { background: #eff6ff; border-left-color: var(--accent); }
.msg-item.status-lost .msg-sub { color: var(--bad); }
.msg-item.status-late .msg-sub { color: var(--warn); }
.msg-id { display: block; font: 12.5px var(--mono); }
.msg-sub { display: block; font-size: 12px; color: var(--muted); }
.msg-detail { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 12px 16px; min-height: 200px; }
.msg-detail h3 { margin-top: 0; font-family: var(--mono); }
dl.msg-facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; margin: 0 0 8px; }
dl.msg-facts dt { color: var(--muted); }
dl.msg-facts dd { margin: 0; word-break: break-all; }
.chart.journey { height: 200px; margin-bottom: 10px; }
ul.artifacts a { font-family: var(--mono); }
.why { color: var(--ink); margin-top: 2px; }
.table-block, tr[id] { scroll-margin-top: 48px; }
.table-block:target h3, tr:target td { background: #fef9c3; }
.empty-card { align-self: start; }
.empty-card .empty { margin: 6px 0 2px; }
header .static-note { margin: 12px 0 0; font-size: 13px; opacity: 0.92; }
footer { padding: 16px 32px 28px; color: var(--muted); font-size: 12px; }
@media (max-width: 800px) { .explorer { grid-template-columns: 1fr; } .grid { grid-template-columns: 1fr; } main, header#top { padding-left: 14px; padding-right: 14px; } }
@media print { nav#nav { display: none; } .chart-card { break-inside: avoid; } }
`

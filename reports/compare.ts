// Renders a comparison of two sets of runs (harness/compare) for a terminal, a pull request
// (Markdown), CI (JUnit) and a browser (a static page in report.html's style, no script).
import type { Comparison, FigureComparison } from '../harness/interface/index.js'
import { buildLine, buildProperties, formatValue, sig } from './format.js'
import { escapeXml } from './junit.js'
import { escapeMarkdown } from './markdown.js'
import { REPORT_CSS } from './html/style.js'
import { cspHash, escapeHtml, pageHead } from './html/page-head.js'
import { renderTable, type Cell } from './text-table.js'

const SIGN: Record<FigureComparison['change'], string> = { '~': '~', worse: 'worse', better: 'better', changed: 'changed' }

/** `812 ms` for one run; `812 ms (790 ms..830 ms)` for repeats: the median and the range. */
export function formatSide(side: FigureComparison['base'], unit: FigureComparison['unit']): string {
  if (side.runs <= 1 || side.min === side.max) return formatValue(side.median, unit)
  return `${formatValue(side.median, unit)} (${formatValue(side.min, unit)}..${formatValue(side.max, unit)})`
}

export function formatDelta(figure: FigureComparison): string {
  const sign = figure.delta > 0 ? '+' : figure.delta < 0 ? '-' : '±'
  const abs = formatValue(Math.abs(figure.delta), figure.unit === 'ratio' ? 'ratio' : figure.unit)
  const percent = figure.percent == null ? (figure.delta === 0 ? '' : ' (from 0)') : ` (${figure.percent > 0 ? '+' : ''}${sig(figure.percent * 100, 3)} %)`
  return `${sign}${abs}${percent}`
}

function noiseFloorNote(comparison: Comparison): string {
  const floor = comparison.figures.find((f) => f.noiseFloor != null)?.noiseFloor
  return floor == null
    ? ''
    : ` With fewer than 3 runs a side, run-to-run noise is not measured: a figure must also change by more than the noise floor (${sig(floor * 100, 3)} %); repeat the runs (courier run --repeat 3) to judge smaller changes.`
}

/** How the figure was judged, in words a release manager can check. */
export function formatTest(figure: FigureComparison): string {
  const test = figure.test
  const tolerance =
    (figure.noiseFloor != null && figure.noiseFloor >= figure.tolerance
      ? `noise floor ${sig(figure.noiseFloor * 100, 3)} % (too few runs to measure run-to-run noise)`
      : `tolerance ${sig(figure.tolerance * 100, 3)} %`) +
    (figure.harnessLagMs == null ? '' : ` and more than the harness lag p99 (${formatValue(figure.harnessLagMs, 'ms')})`)
  switch (test.kind) {
    case 'mann-whitney':
      return `Mann-Whitney p=${sig(test.p, 2)} (${test.baseSamples} vs ${test.candidateSamples} messages)${test.runs == null ? '' : `, per-run ${Math.round(test.runs.level * 100)} % CI ${formatValue(test.runs.low, figure.unit)}..${formatValue(test.runs.high, figure.unit)}`}, ${tolerance}`
    case 'bootstrap':
      return `bootstrap ${Math.round(test.level * 100)} % CI of the mean change ${formatValue(test.low, figure.unit)}..${formatValue(test.high, figure.unit)}, ${tolerance}`
    case 'range':
      return `${test.overlap ? 'ranges overlap' : 'ranges apart'} (${figure.base.runs} vs ${figure.candidate.runs} runs, too few for a bootstrap), ${tolerance}`
    case 'none':
      return `no noise estimate (${figure.base.runs} vs ${figure.candidate.runs} runs): ${tolerance} alone`
    case 'tail':
      return `not judged: ${test.above} of ${test.messages} messages lie above it, too few for one run a side (repeat the runs, 3+ a side)`
  }
}

function shown(comparison: Comparison, all: boolean): FigureComparison[] {
  const order = { worse: 0, better: 1, changed: 2, '~': 3 }
  return comparison.figures.filter((f) => all || f.change !== '~').sort((a, b) => order[a.change] - order[b.change] || a.metric.localeCompare(b.metric))
}

function headline(comparison: Comparison): string {
  const { worse, better } = comparison
  const changed = comparison.figures.filter((f) => f.change === 'changed').length
  const verdict = worse > 0 ? `REGRESSION: ${worse} figure(s) worse` : 'NO REGRESSION'
  return `${verdict}; ${better} better, ${changed} changed (no better side), ${comparison.figures.length - worse - better - changed} within noise or tolerance (~)`
}

export function renderCompareConsole(comparison: Comparison, options: { all?: boolean; color?: boolean } = {}): string {
  const color = options.color === true
  const lines = [
    `compare ${comparison.base.scenario}: base ${comparison.base.runs} run(s) vs candidate ${comparison.candidate.runs} run(s), alpha ${comparison.alpha}`,
    `  base:      ${comparison.base.dirs.join(', ')}`,
    ...(comparison.base.build == null ? [] : [`             ${buildLine(comparison.base.build) ?? ''}`]),
    `  candidate: ${comparison.candidate.dirs.join(', ')}`,
    ...(comparison.candidate.build == null ? [] : [`             ${buildLine(comparison.candidate.build) ?? ''}`]),
    ''
  ]
  const figures = shown(comparison, options.all === true)
  if (figures.length === 0) lines.push('  every figure is within noise or its tolerance (--all lists them)')
  else {
    const rows: Cell[][] = figures.map((f) => [
      { text: SIGN[f.change], style: f.change === 'worse' ? 'redBold' : f.change === 'better' ? 'greenBold' : f.change === 'changed' ? 'yellow' : 'dim' },
      { text: f.metric },
      { text: formatSide(f.base, f.unit), align: 'right' },
      { text: formatSide(f.candidate, f.unit), align: 'right' },
      { text: formatDelta(f), align: 'right' },
      { text: formatTest(f), style: 'dim' }
    ])
    lines.push(renderTable(['', 'figure', 'base', 'candidate', 'change', 'test'], rows, { color }))
  }
  if (comparison.unmatched.length > 0) lines.push('', `  only on one side (not compared): ${comparison.unmatched.join(', ')}`)
  lines.push('', headline(comparison))
  return lines.join('\n')
}

export function renderCompareMarkdown(comparison: Comparison, options: { all?: boolean } = {}): string {
  const figures = shown(comparison, options.all === true)
  const lines = [
    `### courier compare: ${escapeMarkdown(comparison.base.scenario)}`,
    '',
    `**${escapeMarkdown(headline(comparison))}**`,
    '',
    `Base: ${comparison.base.runs} run(s); candidate: ${comparison.candidate.runs} run(s); alpha ${comparison.alpha}. \`~\` is within noise or within the figure's tolerance.`,
    '',
    ...(['base', 'candidate'] as const).flatMap((s) =>
      comparison[s].build == null ? [] : [`- ${s}: ${escapeMarkdown(buildLine(comparison[s].build) ?? '')}`]
    ),
    ''
  ]
  if (figures.length === 0) lines.push('Every figure is within noise or its tolerance.')
  else {
    lines.push('| | figure | base | candidate | change | test |', '|---|---|---:|---:|---:|---|')
    for (const f of figures)
      lines.push(
        `| ${f.change === 'worse' ? '🔴 worse' : f.change === 'better' ? '🟢 better' : SIGN[f.change]} | \`${escapeMarkdown(f.metric)}\` | ${formatSide(f.base, f.unit)} | ${formatSide(f.candidate, f.unit)} | ${formatDelta(f)} | ${escapeMarkdown(formatTest(f))} |`
      )
  }
  return lines.join('\n') + '\n'
}

/** One testcase per compared figure; a worse figure is a failure, so CI shows exactly what regressed. */
export function renderCompareJUnit(comparison: Comparison): string {
  const suite = `courier.compare.${comparison.base.scenario}`
  const cases = comparison.figures.map((f) => {
    const text = `${f.metric}: base ${formatSide(f.base, f.unit)}, candidate ${formatSide(f.candidate, f.unit)}, change ${formatDelta(f)}; ${formatTest(f)}`
    const body = f.change === 'worse' ? `\n      <failure type="regression" message="${escapeXml(text)}">${escapeXml(text)}</failure>\n    ` : ''
    return `    <testcase classname="${escapeXml(suite)}" name="${escapeXml(f.metric)}" time="0.000">${body}${body === '' ? `<system-out>${escapeXml(`${SIGN[f.change]} ${text}`)}</system-out>` : ''}</testcase>`
  })
  const props = [
    ['base', comparison.base.dirs.join(' ')],
    ['candidate', comparison.candidate.dirs.join(' ')],
    ['alpha', String(comparison.alpha)],
    ...(['base', 'candidate'] as const).flatMap((s) => buildProperties(comparison[s].build).map(([k, v]) => [`${s}.${k}`, v]))
  ]
    .map(([name, value]) => `      <property name="${escapeXml(name)}" value="${escapeXml(value)}"/>`)
    .join('\n')
  return `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="courier compare" tests="${comparison.figures.length}" failures="${comparison.worse}">
  <testsuite name="${escapeXml(suite)}" tests="${comparison.figures.length}" failures="${comparison.worse}" errors="0" skipped="0">
    <properties>
${props}
    </properties>
${cases.join('\n')}
  </testsuite>
</testsuites>
`
}

/** A static page: the report's stylesheet allowed by hash, no script at all. */
export function renderCompareHtml(comparison: Comparison, options: { all?: boolean } = {}): string {
  const css = REPORT_CSS
  const csp = `default-src 'none'; style-src ${cspHash(css)}; base-uri 'none'; form-action 'none'`
  const verdict = comparison.worse > 0 ? 'fail' : 'pass'
  const row = (f: FigureComparison): string => {
    const tone = f.change === 'worse' ? 'fail-text' : f.change === 'better' ? 'good-text' : f.change === 'changed' ? 'warn-text' : ''
    return `<tr><td class="${tone}">${SIGN[f.change]}</td><td><code>${escapeHtml(f.metric)}</code></td><td class="num">${escapeHtml(formatSide(f.base, f.unit))}</td><td class="num">${escapeHtml(formatSide(f.candidate, f.unit))}</td><td class="num ${tone}">${escapeHtml(formatDelta(f))}</td><td class="small">${escapeHtml(formatTest(f))}</td></tr>`
  }
  const table = (figures: FigureComparison[]): string =>
    `<div class="scroll"><table class="data"><thead><tr><th></th><th>figure</th><th>base</th><th>candidate</th><th>change</th><th>test</th></tr></thead><tbody>${figures.map(row).join('')}</tbody></table></div>`
  const changed = shown(comparison, false)
  const rest = comparison.figures.filter((f) => f.change === '~')
  const title = `courier compare: ${comparison.base.scenario}`
  return `${pageHead(title, csp, css)}
<body>
<header id="top" class="verdict-${verdict}"><div class="verdict-row"><span class="verdict-badge">${comparison.worse > 0 ? 'WORSE' : 'OK'}</span><div><h1>${escapeHtml(title)}</h1><p class="meta">${escapeHtml(headline(comparison))}</p></div></div>
<p class="meta small">base: ${escapeHtml(comparison.base.dirs.join(', '))}${comparison.base.build == null ? '' : ` — ${escapeHtml(buildLine(comparison.base.build) ?? '')}`}<br>candidate: ${escapeHtml(comparison.candidate.dirs.join(', '))}${comparison.candidate.build == null ? '' : ` — ${escapeHtml(buildLine(comparison.candidate.build) ?? '')}`}</p></header>
<main>
<section><h2>Changed beyond noise and tolerance</h2>${changed.length === 0 ? '<p>None: every figure is within noise or its tolerance.</p>' : table(changed)}</section>
${options.all === true || rest.length <= 200 ? `<section><details class="metric-group"><summary>Within noise or tolerance (~): ${rest.length}</summary>${table(rest)}</details></section>` : ''}
<section><p class="small">~ : not significant at alpha ${comparison.alpha}, or a change within the figure's tolerance. Latency figures are tested with Mann-Whitney U on every message's delivery latency; per-run figures with a bootstrap interval when both sides have 3 or more runs.${noiseFloorNote(comparison)}</p></section>
</main>
</body>
</html>
`
}

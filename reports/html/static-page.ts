// The part of report.html that needs no script: verdict, thresholds with their why, and the main
// tables, as plain HTML. CI servers often serve artifacts with scripts blocked (Jenkins' HTML
// publisher sends a CSP without script-src), and a report that is empty there explains nothing.
// The page script replaces all of it with the full page (charts, explorer) when it runs.
import type { ReportData, TableBlock, TableCell } from './report-data.js'
import { escapeHtml } from './page-head.js'

const e = escapeHtml

function attrs(pairs: Record<string, string | undefined>): string {
  return Object.entries(pairs)
    .filter(([, v]) => v != null && v !== '')
    .map(([k, v]) => ` ${k}="${e(v!)}"`)
    .join('')
}

function el(tag: string, a: Record<string, string | undefined> | null, ...inner: string[]): string {
  return `<${tag}${attrs(a ?? {})}>${inner.join('')}</${tag}>`
}

function table(headers: string[], rows: string[][], cls = 'data', rowIds?: string[]): string {
  return el(
    'table',
    { class: cls },
    el('thead', null, el('tr', null, ...headers.map((h) => el('th', null, e(h))))),
    el('tbody', null, ...rows.map((r, i) => el('tr', { id: rowIds?.[i] }, ...r)))
  )
}

/** A cell of a precomputed table, with the same classes the page script gives it. */
function cell(c: TableCell): string {
  if (typeof c === 'string') return el('td', null, e(c))
  const cls = [
    c.num === true ? 'num' : '',
    c.mono === true ? 'mono' : '',
    c.tone === 'bad' ? 'fail-text' : c.tone === 'good' ? 'good-text' : c.tone === 'warn' ? 'warn-text' : c.tone === 'muted' ? 'muted' : ''
  ]
    .filter((x) => x !== '')
    .join(' ')
  return el('td', { class: cls }, e(c.text))
}

function tableBlock(t: TableBlock): string {
  return el(
    'div',
    { class: 'table-block', id: t.id },
    el('h3', null, e(t.title)),
    t.note != null ? el('p', { class: 'intro' }, e(t.note)) : '',
    el(
      'div',
      { class: 'scroll' },
      table(
        t.headers,
        t.rows.map((r) => r.map(cell))
      )
    )
  )
}

function section(id: string, title: string, intro: string | null, ...inner: string[]): string {
  return el('section', { id }, el('h2', null, e(title)), intro != null && intro !== '' ? el('p', { class: 'intro' }, intro) : '', ...inner)
}

const count = (n: number): string => n.toLocaleString('en-US')

/** The script-free header, navigation and main content of the report. */
export function staticReport(data: ReportData): { header: string; nav: string; main: string } {
  const m = data.meta
  const header = [
    el(
      'div',
      { class: 'verdict-row' },
      el('span', { class: 'verdict-badge', id: 'verdict' }, e(m.verdictText)),
      el(
        'div',
        null,
        el('h1', null, e(m.scenario.name)),
        el('p', { class: 'meta' }, e(`seed ${m.scenario.seed} · scenario ${m.scenario.duration} · run ${m.run} · status ${m.status} · ${m.scenario.file}`)),
        el('p', { class: 'meta small' }, e(`run id ${m.runId}${m.tool !== '' ? ` · ${m.tool}` : ''}`))
      )
    ),
    el('p', { class: 'explanation' }, e(m.explanation)),
    m.reasons.length > 0 ? el('ul', { class: 'reasons' }, ...m.reasons.map((r) => el('li', null, e(r)))) : '',
    el('div', { class: 'replay' }, el('span', { class: 'replay-label' }, 'Replay'), el('code', { id: 'replay' }, e(m.replay))),
    el(
      'p',
      { class: 'static-note' },
      'This is the report without its scripts: verdict, thresholds and tables. The charts need JavaScript (open report.html in a browser that runs it); results.json next to it holds every figure.'
    )
  ].join('\n')

  const parts: Array<{ id: string; title: string; html: string }> = []
  const add = (id: string, title: string, intro: string | null, ...inner: string[]): void => {
    parts.push({ id, title, html: section(id, title, intro, ...inner) })
  }

  if (data.thresholds.length === 0)
    add('thresholds', 'Thresholds', null, el('p', { class: 'empty' }, 'No thresholds were set: add expect: to the scenario to gate on figures.'))
  else {
    add(
      'thresholds',
      'Thresholds',
      e("What the scenario's expect: block asked for, failed first."),
      table(
        ['', 'metric', 'measured', 'wanted', ''],
        data.thresholds.map((t) => [
          el('td', { class: t.passed ? 'pass' : 'fail' }, t.passed ? 'pass' : 'FAIL'),
          el('td', { class: 'mono' }, el('a', { href: t.href, title: 'where this figure is explained' }, e(t.metric))),
          el('td', { class: t.passed ? 'num' : 'num fail-text' }, e(t.measured)),
          el('td', { class: 'mono' }, e(t.expression)),
          el('td', { class: 'muted' }, e(t.message), t.why != null ? el('div', { class: 'why' }, e(`why: ${t.why}`)) : '')
        ]),
        'data thresholds'
      )
    )
  }
  if (data.bytes.tables.length > 0) add('bytes', 'Bytes', e(data.bytes.summary), ...data.bytes.tables.map(tableBlock))
  if (data.energy.tables.length > 0) add('energy', 'Energy', e(data.energy.summary), ...data.energy.tables.map(tableBlock))
  if (data.reliability.tables.length > 0) add('reliability', 'Reliability', e(data.reliability.summary), ...data.reliability.tables.map(tableBlock))

  const checks = data.store.checks
  const storeIntro =
    e(data.store.summary) +
    (checks == null
      ? ''
      : ` Devices also made ${el('a', { href: '#rel-sent' }, e(`${count(checks.count)} hash-only checks of sent messages`))} (Reliability, Sent-message checks); those ask whether messages arrived, not for history, and are not counted here.`)
  add(
    'store',
    'Store (history)',
    storeIntro,
    data.store.table.length === 0
      ? ''
      : table(
          ['store', 'queries', 'answered', 'failed', 'messages', 'bytes', 'p50', 'p95'],
          data.store.table.map((s) => [
            el('td', null, e(s.store)),
            el('td', { class: 'num' }, count(s.queries)),
            el('td', { class: 'num' }, s.answered == null ? 'n/a' : count(s.answered)),
            el('td', { class: s.failed > 0 ? 'num fail-text' : 'num' }, count(s.failed)),
            el('td', { class: 'num' }, count(s.messages)),
            el('td', { class: 'num' }, e(s.bytes)),
            el('td', { class: 'num' }, e(s.p50)),
            el('td', { class: 'num' }, e(s.p95))
          ])
        )
  )

  const byPath = (o: Record<string, number>): string =>
    Object.entries(o)
      .filter(([, n]) => n > 0)
      .map(([p, n]) => `${p} ${count(n)}`)
      .join(', ') || '0'
  add(
    'devices',
    'Devices',
    e('Delivery per device from results.json.'),
    data.devices.length === 0
      ? el('p', { class: 'empty' }, 'No devices in this run.')
      : el(
          'div',
          { class: 'scroll' },
          table(
            ['device', 'expected', 'delivered', 'lost', 'p50', 'p90', 'p95', 'p99', 'max', 'render p95', 'duplicates', 'first arrival by path'],
            data.devices.map((d) => [
              el('td', null, e(d.name), d.failed ? el('span', { class: 'tag bad' }, 'failed') : ''),
              el('td', { class: 'num' }, count(d.expected)),
              el('td', { class: 'num' }, count(d.delivered)),
              el('td', { class: d.lost > 0 ? 'num fail-text' : 'num' }, e(`${count(d.lost)} (${d.lossRate})`)),
              ...[d.latency.p50, d.latency.p90, d.latency.p95, d.latency.p99, d.latency.max, d.render.p95].map((v) => el('td', { class: 'num' }, e(v))),
              el('td', null, e(d.duplicates.total === 0 ? '0' : `${count(d.duplicates.total)} (${d.duplicates.rate}): ${byPath(d.duplicates.byPath)}`)),
              el('td', null, e(byPath(d.firstByPath)))
            ]),
            'data',
            data.devices.map((_, i) => `device-${i}`)
          )
        )
  )

  const flows = data.flows ?? []
  if (flows.length > 0) {
    add(
      'flows',
      'QA flows',
      null,
      el(
        'div',
        { class: 'scroll' },
        table(
          ['flow', 'device', 'at', 'result', 'tests passed', 'duration', 'problem'],
          flows.map((f) => [
            el('td', null, e(f.name)),
            el('td', null, e(f.device)),
            el('td', { class: 'num' }, e(f.at)),
            el('td', null, f.passed ? 'pass' : 'FAIL'),
            el('td', { class: 'num' }, e(f.tests)),
            el('td', { class: 'num' }, e(f.duration)),
            el('td', { class: f.passed ? '' : 'fail-text' }, e(f.problem))
          ])
        )
      )
    )
  }
  add('harness', 'Harness self-monitoring', e(data.harness.summary))
  if (data.errors.length > 0)
    add(
      'errors',
      'Errors',
      e('Components that failed while the run went on.'),
      table(
        ['at', 'component', 'error'],
        data.errors.map((x) => [el('td', { class: 'num' }, e(x.t)), el('td', null, e(x.component)), el('td', null, e(x.error))])
      )
    )
  if (data.artifacts.length > 0) {
    add(
      'artifacts',
      'Artifacts',
      e('Files of this run, next to this report.'),
      el(
        'ul',
        { class: 'artifacts' },
        ...data.artifacts.map((a) =>
          el(
            'li',
            null,
            el('a', { href: encodeURI(a.name).replace(/#/g, '%23').replace(/\?/g, '%3F') }, e(a.name)),
            el('span', { class: 'muted' }, e(` ${a.size}`))
          )
        )
      )
    )
  }

  const cards = el(
    'div',
    { class: 'cards', id: 'headline' },
    ...data.headline.map((c) =>
      el(
        'div',
        { class: `card tone-${c.tone}` },
        el('div', { class: 'card-label' }, e(c.label)),
        el('div', { class: 'card-value' }, e(c.value)),
        el('div', { class: 'card-hint' }, e(c.hint))
      )
    )
  )
  return {
    header,
    nav: parts.map((p) => el('a', { href: `#${p.id}` }, e(p.title))).join(''),
    main: [cards, ...parts.map((p) => p.html)].join('\n')
  }
}

import type { DeviceDelivery, Results, Verdict } from '../harness/interface/index.js'
import {
  VERDICT_TEXT,
  flowProblem,
  flowTests,
  formatByPath,
  formatCount,
  formatMs,
  formatRatio,
  formatValue,
  harnessHealthLine,
  buildLine,
  clientsLine,
  latencyCells,
  replayCommand,
  sortThresholds,
  verdictExplanation
} from './format.js'
import { type AnsiStyle, type Cell, paint, plain, renderTable } from './text-table.js'

/** Options of the console summary. */
export interface ConsoleSummaryOptions {
  /** ANSI colour; the caller decides (TTY, NO_COLOR, --no-color). */
  color: boolean
}

const VERDICT_STYLE: Record<Verdict, AnsiStyle> = {
  pass: 'greenBold',
  fail: 'redBold',
  inconclusive: 'yellowBold',
  interrupted: 'yellowBold'
}

/** The summary printed at the end of `courier run` and by `courier report`: verdict first, then why. */
export function renderConsoleSummary(results: Results, options: ConsoleSummaryOptions): string {
  const { color } = options
  const out: string[] = []
  const s = results.scenario

  out.push(`${paint(VERDICT_TEXT[results.verdict], VERDICT_STYLE[results.verdict], color)}  ${paint(plain(s.name), 'bold', color)}`)
  out.push(
    `  seed ${s.seed}, scenario ${formatMs(s.durationMs)}, run ${formatMs(results.timing?.runMs)}, status ${results.status}, run id ${plain(results.runId)}`
  )
  const build = buildLine(results.build)
  if (build != null) out.push(`  ${plain(build)}`)
  const clients = clientsLine(results.clients)
  if (clients != null) out.push(`  ${plain(clients)}`)
  out.push(`  ${verdictExplanation(results)}`)
  for (const reason of results.verdictReasons ?? []) out.push(`  - ${plain(reason)}`)

  out.push('')
  if (results.thresholds.length === 0) {
    out.push(paint('thresholds: none set (add `expect:` to the scenario to gate on figures)', 'dim', color))
  } else {
    const failed = results.thresholds.filter((t) => !t.passed).length
    out.push(`thresholds: ${results.thresholds.length - failed} passed, ${failed} failed`)
    const rows = sortThresholds(results.thresholds).map((t): Cell[] => [
      { text: t.passed ? 'pass' : 'FAIL', style: t.passed ? 'green' : 'redBold' },
      { text: t.metric },
      { text: formatValue(t.value, t.unit), align: 'right', style: t.passed ? undefined : 'red' },
      { text: t.expression }
    ])
    out.push(renderTable(['', 'metric', 'measured', 'wanted'], rows, { color }))
  }

  out.push('')
  out.push(...deliverySection(results, color))

  const flows = results.flows ?? []
  if (flows.length > 0) {
    out.push('')
    const failed = flows.filter((f) => !f.passed).length
    out.push(`flows: ${formatCount(flows.length)} run, ${formatCount(failed)} failed`)
    out.push(
      renderTable(
        ['flow', 'device', 'result', 'tests passed', 'duration', ''],
        flows.map((f): Cell[] => [
          { text: plain(f.name) },
          { text: plain(f.device) },
          { text: f.passed ? 'pass' : 'FAIL', style: f.passed ? 'green' : 'redBold' },
          { text: flowTests(f), align: 'right' },
          { text: formatMs(f.durationMs), align: 'right' },
          { text: plain(flowProblem(f)), style: f.passed ? undefined : 'red' }
        ]),
        { color }
      )
    )
  }

  out.push(...leaksSection(results, color))
  out.push(...destinationsSection(results, color))
  out.push(...censorshipSection(results, color))

  const store = results.store
  if (store != null && store.queries > 0) {
    out.push('')
    const stores = Object.entries(store.byStore ?? {})
      .map(([name, st]) => `${plain(name)} ${formatCount(st.queries)}`)
      .join(', ')
    out.push(
      `store: ${formatCount(store.queries)} queries (${stores === '' ? 'no store named' : stores}), ${formatCount(store.failed)} failed, latency p50 ${formatMs(store.latency.p50)}, p95 ${formatMs(store.latency.p95)}, max ${formatMs(store.latency.max)}`
    )
  }

  out.push('')
  const health = harnessHealthLine(results)
  out.push(results.harness?.saturated === true ? paint(health, 'yellow', color) : health)
  if (results.errors != null && results.errors.length > 0) {
    const first = results.errors[0]!
    out.push(
      paint(`errors: ${formatCount(results.errors.length)} (first at ${formatMs(first.t)}: ${plain(first.component)}: ${plain(first.error)})`, 'yellow', color)
    )
  }
  out.push(`replay: ${replayCommand(results)}`)
  return out.join('\n') + '\n'
}

function deliverySection(results: Results, color: boolean): string[] {
  const d = results.delivery
  if (d == null) return ['delivery: no figures (the run produced no delivery results)']
  const m = d.messages
  const lines = [`delivery: ${formatCount(m.sent)} messages sent (${formatCount(m.byDevices)} by devices, ${formatCount(m.byCrowd)} by the crowd)`]
  const devices = Object.entries(d.devices ?? {}).sort((a, b) => a[0].localeCompare(b[0]))
  if (devices.length === 0) return [...lines, '  no devices']
  const row = (name: string, dd: DeviceDelivery, style?: AnsiStyle): Cell[] => {
    const lat = latencyCells(dd.latency)
    return [
      { text: name, style },
      { text: formatCount(dd.expected), align: 'right' },
      { text: formatCount(dd.delivered), align: 'right' },
      { text: `${formatCount(dd.lost)} (${formatRatio(dd.lossRate)})`, align: 'right', style: dd.lost > 0 ? 'red' : undefined },
      { text: lat.p50, align: 'right' },
      { text: lat.p95, align: 'right' },
      { text: lat.max, align: 'right' },
      { text: formatByPath(dd.duplicates?.byPath), style: (dd.duplicates?.total ?? 0) > 0 ? 'yellow' : undefined },
      { text: dd.failed ? 'FAILED' : '', style: 'redBold' }
    ]
  }
  const rows = devices.map(([name, dd]) => row(plain(name), dd))
  if (devices.length > 1 && d.overall != null) rows.push(row('all devices', d.overall, 'bold'))
  lines.push(renderTable(['device', 'expected', 'delivered', 'lost', 'p50', 'p95', 'max', 'duplicates by path', ''], rows, { color }))
  return lines
}

/** The secrets scan: one line when clean, the first findings (already redacted) when not. */
function leaksSection(results: Results, color: boolean): string[] {
  const leaks = results.leaks
  if (leaks == null) return []
  const scanned = `${formatCount(leaks.scanned.files)} files, ${formatCount(leaks.scanned.packets)} packets`
  if (leaks.count === 0) return ['', `leaks: none found (${scanned} scanned in ${formatMs(leaks.scanned.ms)})`]
  const kinds = Object.entries(leaks.byKind)
    .map(([kind, n]) => `${formatCount(n ?? 0)} ${kind}`)
    .join(', ')
  const lines = [
    '',
    paint(
      `leaks: ${formatCount(leaks.count)} ${leaks.count === 1 ? 'secret' : 'secrets'} found (${kinds}) in ${scanned}${leaks.redacted === true ? '; masked in the files (--redact)' : ''}`,
      'redBold',
      color
    )
  ]
  const shown = leaks.findings.slice(0, 10)
  lines.push(
    renderTable(
      ['kind', 'where', 'excerpt'],
      shown.map((f): Cell[] => [
        { text: f.kind, style: 'red' },
        { text: plain(`${f.file}${f.line != null ? `:${f.line}` : ''}${f.packet != null ? ` packet ${f.packet}` : ` @${f.offset}`}`) },
        { text: plain(f.excerpt) }
      ]),
      { color }
    )
  )
  if (leaks.count > shown.length) lines.push(`  ... ${formatCount(leaks.count - shown.length)} more in results.json (leaks.findings) and report.html`)
  return lines
}

/** Where devices went besides the fleet: one line when nowhere, a table of the remotes when somewhere. */
function destinationsSection(results: Results, color: boolean): string[] {
  const d = results.destinations
  if (d == null) return []
  const others = d.otherPrograms ?? []
  const othersLine =
    others.length === 0
      ? []
      : [
          `  left out: ${formatCount(others.length)} endpoint(s) only other programs on this host contacted (${plain(
            others
              .slice(0, 3)
              .map((o) => `${o.protocol} ${o.ip}:${o.port} by ${o.by.join('/') || '?'}`)
              .join(', ')
          )}${others.length > 3 ? ', ...' : ''})`
        ]
  const lookups = d.lookups ?? []
  if (lookups.length > 0)
    othersLine.push(
      `  not counted: ${formatCount(lookups.reduce((n, l) => n + l.queries, 0))} name lookup(s) to ${plain(lookups.map((l) => `${l.ip}:${l.port}`).join(', '))} no socket poll tied to courier (any program's)`
    )
  if (d.list.length === 0) return ['', `destinations: none outside the fleet (${d.fleetHosts.join(', ')}) in the capture`, ...othersLine]
  const lines = [
    '',
    paint(
      `destinations: ${formatCount(d.list.length)} outside the fleet, ${formatCount(d.thirdParty)} third-party (not in destinations.allow)`,
      d.thirdParty > 0 ? 'yellow' : undefined,
      color
    ),
    ...othersLine
  ]
  lines.push(
    renderTable(
      ['remote', 'host', 'from', 'up', 'down', 'first', 'last', ''],
      d.list
        .slice(0, 20)
        .map((x): Cell[] => [
          { text: plain(`${x.protocol} ${x.ip.includes(':') ? `[${x.ip}]` : x.ip}:${x.port}`) },
          { text: plain(x.host == null ? '' : `${x.host} (${x.named ?? ''})`) },
          { text: plain(x.from.slice(0, 2).join(', ') + (x.from.length > 2 ? ` +${x.from.length - 2}` : '') + (x.by == null ? '' : ` (${x.by.join('/')})`)) },
          { text: formatValue(x.bytesUp, 'bytes'), align: 'right' },
          { text: formatValue(x.bytesDown, 'bytes'), align: 'right' },
          { text: formatMs(x.firstMs), align: 'right' },
          { text: formatMs(x.lastMs), align: 'right' },
          { text: x.allowedBy == null ? 'third party' : `allowed (${plain(x.allowedBy)})`, style: x.allowedBy == null ? 'yellow' : undefined }
        ]),
      { color }
    )
  )
  if (d.list.length > 20) lines.push(`  ... ${formatCount(d.list.length - 20)} more in results.json (destinations.list)`)
  return lines
}

/** Each block of a device, and whether and how it got around it. */
function censorshipSection(results: Results, color: boolean): string[] {
  const blocks = results.censorship ?? []
  if (blocks.length === 0) return []
  return [
    '',
    ...blocks.map((b) => {
      const what = `censorship: ${plain(b.device)} blocked from ${plain(b.nodes.join(', '))} at ${formatMs(b.atMs)}${b.liftedMs == null ? ' for good' : ` until ${formatMs(b.liftedMs)}`}`
      const px = `peer exchange: ${formatCount(b.peerExchange.answers)} answers, ${formatCount(b.peerExchange.learned)} nodes learned`
      return b.reachedMs == null
        ? paint(
            `${what}: never reached the network by other means while blocked (${formatValue(b.bytes, 'bytes')}${b.joules == null ? '' : ` and ${formatValue(b.joules, 'joules')}`} spent trying; ${px})`,
            'red',
            color
          )
        : `${what}: reached the network after ${formatMs(b.reachedMs)} through ${plain(b.reachedVia ?? '?')} (learned by ${b.source ?? '?'}), ${formatValue(b.bytes, 'bytes')}${b.joules == null ? '' : ` and ${formatValue(b.joules, 'joules')}`} on the way; ${px}`
    })
  ]
}

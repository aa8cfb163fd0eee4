// Markdown for CI: a PR comment or GitHub's job summary. GitHub renders inline HTML in Markdown,
// so every string from the run is escaped, not just table pipes.
import { appendFile } from 'node:fs/promises'
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
  latencyCells,
  replayCommand,
  sortThresholds,
  verdictExplanation
} from './format.js'
import { thresholdEvidence } from './why.js'

const VERDICT_MARK: Record<Verdict, string> = { pass: '✅', fail: '❌', inconclusive: '⚠️', interrupted: '⏹️' }

/** Escapes text for Markdown prose and table cells: no HTML, no emphasis, no links, no cell breaks. */
export function escapeMarkdown(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/([\\`*_[\]|~])/g, '\\$1')
    .replace(/\r?\n/g, ' ')
}

/** The run as Markdown: verdict, thresholds (failed first), delivery per device, harness health, replay. */
export function renderMarkdown(results: Results): string {
  const s = results.scenario
  const out: string[] = []
  out.push(`## ${VERDICT_MARK[results.verdict]} ${VERDICT_TEXT[results.verdict]}: ${escapeMarkdown(s.name)}`)
  out.push('')
  out.push(
    `seed ${s.seed} · scenario ${formatMs(s.durationMs)} · run ${formatMs(results.timing?.runMs)} · status ${results.status} · run id ${escapeMarkdown(results.runId)}`
  )
  out.push('')
  out.push(verdictExplanation(results))
  if (results.verdictReasons.length > 0) {
    out.push('')
    for (const reason of results.verdictReasons) out.push(`- ${escapeMarkdown(reason)}`)
  }

  out.push('')
  out.push('### Thresholds')
  out.push('')
  if (results.thresholds.length === 0) {
    out.push('No thresholds were set.')
  } else {
    out.push('| | metric | measured | wanted |')
    out.push('|---|---|---:|---|')
    for (const t of sortThresholds(results.thresholds)) {
      out.push(
        `| ${t.passed ? '✅' : '❌'} | ${escapeMarkdown(t.metric)} | ${t.passed ? '' : '**'}${escapeMarkdown(formatValue(t.value, t.unit))}${t.passed ? '' : '**'} | ${escapeMarkdown(t.expression)} |`
      )
    }
    // one line per failed threshold naming its evidence; a table cell would make the table too wide for a PR comment
    const whys = sortThresholds(results.thresholds)
      .filter((t) => !t.passed)
      .map((t) => ({ t, why: thresholdEvidence(results, t).why }))
      .filter((x) => x.why != null)
    if (whys.length > 0) {
      out.push('')
      out.push('Why:')
      out.push('')
      for (const { t, why } of whys) out.push(`- ${escapeMarkdown(t.metric)}: ${escapeMarkdown(why!)}`)
    }
  }

  const d = results.delivery
  if (d != null) {
    out.push('')
    out.push('### Delivery')
    out.push('')
    out.push(
      `${formatCount(d.messages.sent)} messages sent (${formatCount(d.messages.byDevices)} by devices, ${formatCount(d.messages.byCrowd)} by the crowd).`
    )
    out.push('')
    out.push('| device | expected | delivered | lost | p50 | p95 | max | duplicates by path |')
    out.push('|---|---:|---:|---:|---:|---:|---:|---|')
    const row = (name: string, dd: DeviceDelivery): string => {
      const lat = latencyCells(dd.latency)
      return `| ${name}${dd.failed ? ' (failed)' : ''} | ${formatCount(dd.expected)} | ${formatCount(dd.delivered)} | ${formatCount(dd.lost)} (${escapeMarkdown(formatRatio(dd.lossRate))}) | ${lat.p50} | ${lat.p95} | ${lat.max} | ${escapeMarkdown(formatByPath(dd.duplicates?.byPath))} |`
    }
    const devices = Object.entries(d.devices ?? {}).sort((a, b) => a[0].localeCompare(b[0]))
    for (const [name, dd] of devices) out.push(row(escapeMarkdown(name), dd))
    if (devices.length > 1 && d.overall != null) out.push(row('**all devices**', d.overall))
  }

  const flows = results.flows ?? []
  if (flows.length > 0) {
    out.push('')
    out.push('### Flows')
    out.push('')
    out.push('| | flow | device | tests passed | duration | problem |')
    out.push('|---|---|---|---:|---:|---|')
    for (const f of flows)
      out.push(
        `| ${f.passed ? '✅' : '❌'} | ${escapeMarkdown(f.name)} | ${escapeMarkdown(f.device)} | ${flowTests(f)} | ${escapeMarkdown(formatMs(f.durationMs))} | ${escapeMarkdown(flowProblem(f))} |`
      )
  }

  out.push('')
  out.push(escapeMarkdown(harnessHealthLine(results)))
  out.push('')
  out.push('Replay:')
  out.push('')
  // a fence longer than any backtick run in the command, so a file name cannot close it
  const command = replayCommand(results)
  const fence = '`'.repeat(Math.max(3, ...[...command.matchAll(/`+/g)].map((m) => m[0].length + 1)))
  out.push(`${fence}sh`)
  out.push(command)
  out.push(fence)
  return out.join('\n') + '\n'
}

/**
 * Appends Markdown to the GitHub Actions job summary when `$GITHUB_STEP_SUMMARY` is set.
 * Returns the file written, or null outside GitHub Actions.
 */
export async function appendStepSummary(markdown: string, env: NodeJS.ProcessEnv = process.env): Promise<string | null> {
  const path = env.GITHUB_STEP_SUMMARY
  if (path == null || path === '') return null
  await appendFile(path, markdown.endsWith('\n') ? markdown : `${markdown}\n`, 'utf8')
  return path
}

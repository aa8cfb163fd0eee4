// JUnit XML in the shape GitHub (test-reporter actions), GitLab (artifacts:reports:junit) and
// Jenkins (junit step) all parse: testsuites > testsuite > testcase > failure|error.
import type { Results } from '../harness/interface/index.js'
import {
  buildProperties,
  clientProperties,
  flowProblem,
  formatCount,
  formatMs,
  formatRatio,
  formatValue,
  harnessHealthLine,
  replayCommand,
  sortThresholds
} from './format.js'
import { thresholdEvidence } from './why.js'

/** Characters XML 1.0 forbids even when escaped; run data (errors, names) may contain them. */
// eslint-disable-next-line no-control-regex
const INVALID_XML = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g

/** Escapes text for XML content and attribute values (double-quoted), dropping forbidden characters. */
export function escapeXml(text: string): string {
  return (
    text
      .replace(INVALID_XML, '\ufffd')
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
      .replace(/'/g, '&apos;')
      // newlines in attributes would be normalised to spaces by parsers; keep them
      .replace(/\r/g, '&#13;')
      .replace(/\n/g, '&#10;')
      .replace(/\t/g, '&#9;')
  )
}

function escapeText(text: string): string {
  return text.replace(INVALID_XML, '\ufffd').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

interface Case {
  classname: string
  name: string
  time: number
  outcome?: { kind: 'failure' | 'error'; type: string; message: string; body: string }
}

function seconds(ms: number | null | undefined): string {
  return ((ms ?? 0) / 1000).toFixed(3)
}

/**
 * One testcase per threshold, one per QA flow run, one per device that failed, and one for the run itself when its
 * figures cannot be trusted (inconclusive, interrupted or failed run), so CI never reads such a
 * run as green.
 */
export function renderJUnit(results: Results): string {
  const suite = `courier.${results.scenario.name}`
  const cases: Case[] = []

  for (const t of sortThresholds(results.thresholds)) {
    const why = t.passed ? null : thresholdEvidence(results, t).why
    cases.push({
      classname: `${suite}.thresholds`,
      name: `${t.metric} ${t.expression}`,
      time: 0,
      outcome: t.passed
        ? undefined
        : {
            kind: 'failure',
            type: 'threshold',
            message: t.message !== '' ? t.message : `${t.metric} = ${formatValue(t.value, t.unit)}, wanted ${t.expression}`,
            body: `${t.metric} measured ${formatValue(t.value, t.unit)}${t.value == null ? ' (the run produced no value)' : ''}; wanted ${t.expression}${why == null ? '' : `\nwhy: ${why}`}`
          }
    })
  }

  // a flow run twice keeps two testcases: CI tools merge cases of the same name
  const seen = new Map<string, number>()
  for (const flow of results.flows ?? []) {
    const base = `${flow.name} on ${flow.device}`
    const n = (seen.get(base) ?? 0) + 1
    seen.set(base, n)
    const problem = flowProblem(flow)
    cases.push({
      classname: `${suite}.flows`,
      name: n === 1 ? base : `${base} (run ${n})`,
      time: flow.durationMs ?? 0,
      outcome: flow.passed
        ? undefined
        : {
            kind: 'failure',
            type: 'flow.failed',
            message: `flow ${flow.name} on ${flow.device} failed: ${problem}`,
            body: [
              `flow ${flow.name} (${flow.spec}) on ${flow.device}: ${flow.passes} of ${flow.tests} test(s) passed, ${flow.failures} failure(s), ${flow.durationMs == null ? 'never started' : `ran ${formatMs(flow.durationMs)}`}`,
              ...(flow.error != null ? [flow.error] : []),
              ...flow.failedTests.map((t) => `failed: ${t.title}: ${t.error}`)
            ].join('\n')
          }
    })
  }

  for (const [name, d] of Object.entries(results.delivery?.devices ?? {}).sort((a, b) => a[0].localeCompare(b[0]))) {
    if (!d.failed) continue
    const errors = (results.errors ?? []).filter((e) => e.component === name || e.component === `device:${name}` || e.component.endsWith(`:${name}`))
    const first = errors[0]
    const what = first == null ? 'failed' : `failed at ${formatMs(first.t)}: ${first.error}`
    cases.push({
      classname: `${suite}.devices`,
      name,
      time: first?.t ?? results.timing?.runMs ?? 0,
      outcome: {
        kind: 'failure',
        type: 'device.failed',
        message: `device ${name} ${what}`,
        body: [
          `device ${name} ${what}`,
          ...errors.slice(1).map((e) => `then at ${formatMs(e.t)}: ${e.error}`),
          `delivered ${formatCount(d.delivered)} of ${formatCount(d.expected)} expected messages, lost ${formatCount(d.lost)} (${formatRatio(d.lossRate)})`
        ].join('\n')
      }
    })
  }

  if (results.verdict === 'inconclusive' || results.verdict === 'interrupted' || results.status !== 'complete') {
    const reasons = results.verdictReasons.length > 0 ? results.verdictReasons.join('; ') : `status ${results.status}`
    cases.push({
      classname: `${suite}.run`,
      name: 'run completed with trustworthy figures',
      time: results.timing?.runMs ?? 0,
      outcome: {
        kind: 'error',
        type: `run.${results.verdict}`,
        message: `run ${results.verdict}: ${reasons}`,
        body: `${reasons}\n${harnessHealthLine(results)}`
      }
    })
  }

  const failures = cases.filter((c) => c.outcome?.kind === 'failure').length
  const errors = cases.filter((c) => c.outcome?.kind === 'error').length
  const time = seconds(results.timing?.runMs)
  const host = (results.tool as { host?: { hostname?: unknown } } | null)?.host?.hostname
  const attrs = (pairs: Array<[string, string | number]>): string => pairs.map(([k, v]) => ` ${k}="${escapeXml(String(v))}"`).join('')

  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>']
  out.push(
    `<testsuites${attrs([
      ['name', 'courier'],
      ['tests', cases.length],
      ['failures', failures],
      ['errors', errors],
      ['skipped', 0],
      ['time', time]
    ])}>`
  )
  out.push(
    `  <testsuite${attrs([
      ['name', suite],
      ['tests', cases.length],
      ['failures', failures],
      ['errors', errors],
      ['skipped', 0],
      ['time', time],
      ...(typeof host === 'string' ? [['hostname', host] as [string, string]] : [])
    ])}>`
  )
  out.push('    <properties>')
  const props: Array<[string, string | number]> = [
    ['verdict', results.verdict],
    ['status', results.status],
    ['run.id', results.runId],
    ['scenario.name', results.scenario.name],
    ['scenario.file', results.scenario.file],
    ['seed', results.scenario.seed],
    ['replay', replayCommand(results)],
    ...buildProperties(results.build),
    ...clientProperties(results.clients)
  ]
  for (const [name, value] of props)
    out.push(
      `      <property${attrs([
        ['name', name],
        ['value', value]
      ])}/>`
    )
  out.push('    </properties>')
  for (const c of cases) {
    const open = `    <testcase${attrs([
      ['classname', c.classname],
      ['name', c.name],
      ['time', seconds(c.time)]
    ])}`
    if (c.outcome == null) {
      out.push(`${open}/>`)
      continue
    }
    out.push(`${open}>`)
    out.push(
      `      <${c.outcome.kind}${attrs([
        ['message', c.outcome.message],
        ['type', c.outcome.type]
      ])}>${escapeText(c.outcome.body)}</${c.outcome.kind}>`
    )
    out.push('    </testcase>')
  }
  out.push(`    <system-out>${escapeText(`${harnessHealthLine(results)}\nreplay: ${replayCommand(results)}`)}</system-out>`)
  out.push('  </testsuite>')
  out.push('</testsuites>')
  return out.join('\n') + '\n'
}

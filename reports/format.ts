// Shared formatting of figures for every report format, so the console, JUnit, Markdown and HTML
// agree on how a value reads.
import type { FlowResult, LatencySummary, Results, ThresholdResult, Verdict } from '../harness/interface/index.js'
import { formatCount, formatMs, sig } from '../harness/interface/index.js'

// the formatters themselves live in harness/interface/format.ts, shared with the gate and the driver
export { formatBytes, formatCount, formatMs, formatRatio, formatValue, sig } from '../harness/interface/index.js'

/** One line naming the build under test and courier's own: `app im.status 2.31.0 (2031000) sha256 3f2a9c1b0e4d; courier 0.1.0 @ 79ab932, node v20.20.2`. */
export function buildLine(build: Results['build']): string | null {
  if (build == null) return null
  const app =
    build.app == null
      ? 'app: none given (--build FILE)'
      : `app ${build.app.id ?? '?'} ${build.app.version ?? '?'}${build.app.build == null ? '' : ` (${build.app.build})`} ${build.app.kind} sha256 ${build.app.sha256.slice(0, 12)}`
  return `${app}; courier ${build.courier.version}${build.courier.commit == null ? '' : ` @ ${build.courier.commit.slice(0, 7)}`}, node ${build.node}`
}

/** JUnit properties of the build: the full identities, for CI to search by. */
export function buildProperties(build: Results['build']): Array<[string, string]> {
  if (build == null) return []
  const props: Array<[string, string]> = [
    ['courier.version', build.courier.version],
    ['node.version', build.node]
  ]
  if (build.courier.commit != null) props.push(['courier.commit', build.courier.commit])
  if (build.courier.lockfileSha256 != null) props.push(['courier.lockfile.sha256', build.courier.lockfileSha256])
  if (build.app != null) {
    props.push(['app.file', build.app.file], ['app.kind', build.app.kind], ['app.sha256', build.app.sha256])
    if (build.app.id != null) props.push(['app.id', build.app.id])
    if (build.app.version != null) props.push(['app.version', build.app.version])
    if (build.app.build != null) props.push(['app.build', build.app.build])
  }
  return props
}

/** What each device reported running (`device.client`): `jswaku @waku/sdk 0.0.36; phone org.x 1.4.2 (142)`. */
export function clientsLine(clients: Results['clients']): string | null {
  const entries = Object.entries(clients ?? {})
  if (entries.length === 0) return null
  return 'clients: ' + entries.map(([device, c]) => `${device} ${c.name} ${c.version ?? 'version unknown'}${c.build == null ? '' : ` (${c.build})`}`).join('; ')
}

/** JUnit properties of the clients: client.<device>.name/.version/.build. */
export function clientProperties(clients: Results['clients']): Array<[string, string]> {
  return Object.entries(clients ?? {}).flatMap(
    ([device, c]): Array<[string, string]> => [
      [`client.${device}.name`, c.name],
      ...(c.version == null ? [] : [[`client.${device}.version`, c.version] as [string, string]]),
      ...(c.build == null ? [] : [[`client.${device}.build`, c.build] as [string, string]])
    ]
  )
}

/** Thresholds in reading order: failed first, then by metric name, so the eye lands on what broke. */
export function sortThresholds(thresholds: readonly ThresholdResult[]): ThresholdResult[] {
  return [...thresholds].sort((a, b) => Number(a.passed) - Number(b.passed) || a.metric.localeCompare(b.metric))
}

/** `p50 812 ms / p95 1.2 s / max 3 s` pieces of a latency summary. */
export function latencyCells(latency: LatencySummary | undefined): { p50: string; p95: string; max: string } {
  return { p50: formatMs(latency?.p50), p95: formatMs(latency?.p95), max: formatMs(latency?.max) }
}

/** Duplicates by path as `relay 3, store 1`, or `0`. */
export function formatByPath(byPath: Record<string, number> | undefined): string {
  const parts = Object.entries(byPath ?? {})
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1])
    .map(([path, n]) => `${path} ${formatCount(n)}`)
  return parts.length === 0 ? '0' : parts.join(', ')
}

export const VERDICT_TEXT: Record<Verdict, string> = {
  pass: 'PASS',
  fail: 'FAIL',
  inconclusive: 'INCONCLUSIVE',
  interrupted: 'INTERRUPTED'
}

/** One sentence saying what the verdict means for the reader. */
export function verdictExplanation(results: Results): string {
  const failed = results.thresholds.filter((t) => !t.passed).length
  switch (results.verdict) {
    case 'pass':
      return results.thresholds.length === 0 ? 'The run completed; no thresholds were set.' : `All ${results.thresholds.length} thresholds passed.`
    case 'fail':
      return `${failed} of ${results.thresholds.length} thresholds failed.`
    case 'inconclusive':
      return 'The figures of this run cannot be trusted; see the reasons below.'
    case 'interrupted':
      return 'The run was interrupted; figures cover only the part that ran.'
  }
}

/** Quotes a word for a POSIX shell only when it needs it. */
export function shellQuote(word: string): string {
  if (/^[A-Za-z0-9_./:=@%+-]+$/.test(word)) return word
  return `'${word.replace(/'/g, `'\\''`)}'`
}

/** The command that replays this run with the same scenario and seed. */
export function replayCommand(results: Results): string {
  const file = results.scenario.file === '' ? '<scenario file>' : results.scenario.file
  return `npx courier run ${shellQuote(file)} --seed ${results.scenario.seed}`
}

/** Health of the harness itself in one line, and whether its figures can be trusted. */
export function harnessHealthLine(results: Results): string {
  const h = results.harness
  if (h == null || h.samples === 0) return 'harness: no self-monitoring samples; timing figures are unchecked'
  const parts = [
    `event-loop lag p99 ${formatMs(h.lagP99Ms)} (limit ${formatMs(h.lagLimitMs)})`,
    `max ${formatMs(h.lagMaxMs)}`,
    `CPU max ${h.cpuMaxPercent == null ? 'n/a' : `${sig(h.cpuMaxPercent, 3)} %`}`,
    `RSS max ${h.rssMaxMb == null ? 'n/a' : `${sig(h.rssMaxMb, 3)} MB`}`,
    `${formatCount(h.samples)} samples`
  ]
  return `harness: ${parts.join(', ')}; ${h.saturated ? 'SATURATED: latency figures include delay the harness itself caused' : 'figures trustworthy'}`
}

/** Why a flow failed, in one line: its own error, else its first failed test and error. */
export function flowProblem(flow: FlowResult): string {
  if (flow.passed) return ''
  if (flow.error != null) return flow.error
  const first = flow.failedTests[0]
  if (first == null) return `${flow.failures} failure(s)`
  return `${first.title}: ${first.error}${flow.failures > 1 ? ` (and ${flow.failures - 1} more)` : ''}`
}

/** A flow's tests as `passed/tests`, with failed hooks counted as failures beside. */
export function flowTests(flow: FlowResult): string {
  return `${flow.passes}/${flow.tests}`
}

// QA flows: the Mocha specs the timeline ran on devices' live sessions, and the failed tests of
// flows with more than one.
import type { ReportData } from '../../report-data.js'
import { h, section, table } from '../dom.js'
import { count } from '../format.js'

export function renderFlows(data: ReportData): void {
  const flows = data.flows ?? []
  if (flows.length === 0) return
  const failed = flows.filter((f) => !f.passed).length
  const fl = section(
    'flows',
    'QA flows',
    `Mocha specs run on a device's live session by the timeline: ${count(flows.length)} run, ${count(failed)} failed. Timed from the first test to the last; a failed flow saved a screenshot and page source (Artifacts).`
  )
  fl.append(
    h(
      'div',
      { class: 'scroll' },
      table(
        ['flow', 'device', 'at', 'result', 'tests passed', 'duration', 'problem'],
        flows.map((f) => [
          h('td', null, f.name, h('div', { class: 'muted' }, f.spec)),
          f.device,
          h('td', { class: 'num' }, f.at),
          h('td', null, h('span', { class: f.passed ? 'tag good' : 'tag bad' }, f.passed ? 'pass' : 'FAIL')),
          h('td', { class: 'num' }, f.tests),
          h('td', { class: 'num' }, f.duration),
          h('td', { class: f.passed ? '' : 'fail-text' }, f.problem)
        ])
      )
    )
  )
  for (const f of flows) {
    if (f.failedTests.length < 2) continue
    fl.append(
      h(
        'div',
        { class: 'device-detail' },
        h('h3', null, `${f.name} on ${f.device}: failed tests`),
        h(
          'ul',
          { class: 'errors' },
          f.failedTests.map((t) => h('li', null, `${t.title}: ${t.error}`))
        )
      )
    )
  }
}

// First screen: the verdict in the header (scenario, seed, run, the reasons, the replay command
// with its Copy button) and the headline cards at the top of #main.
import type { ReportData } from '../../report-data.js'
import { byId, h } from '../dom.js'

export function renderVerdict(data: ReportData): void {
  const meta = data.meta
  document.title = `courier ${meta.verdictText}: ${meta.scenario.name}`
  const header = byId('top')
  header.classList.add(`verdict-${meta.verdict}`)
  const copyButton = h('button', { type: 'button', class: 'copy', id: 'copy-replay' }, 'Copy')
  const replay = h('code', { id: 'replay' }, meta.replay)
  header.append(
    ...[
      h(
        'div',
        { class: 'verdict-row' },
        h('span', { class: 'verdict-badge', id: 'verdict' }, meta.verdictText),
        h(
          'div',
          null,
          h('h1', null, meta.scenario.name),
          h(
            'p',
            { class: 'meta' },
            `seed ${meta.scenario.seed} · scenario ${meta.scenario.duration} · run ${meta.run} · status ${meta.status} · ${meta.scenario.file}`
          ),
          h('p', { class: 'meta small' }, `run id ${meta.runId}${meta.tool !== '' ? ` · ${meta.tool}` : ''}`)
        )
      ),
      h('p', { class: 'explanation' }, meta.explanation),
      meta.reasons.length > 0
        ? h(
            'ul',
            { class: 'reasons' },
            meta.reasons.map((r) => h('li', null, r))
          )
        : null,
      h('div', { class: 'replay' }, h('span', { class: 'replay-label' }, 'Replay'), replay, copyButton)
    ].filter((el) => el != null)
  ) // DOM append writes a null as the text "null"
  copyButton.addEventListener('click', () => {
    const done = (): void => {
      copyButton.textContent = 'Copied'
      window.setTimeout(() => {
        copyButton.textContent = 'Copy'
      }, 1500)
    }
    const select = (): void => {
      const r = document.createRange()
      r.selectNodeContents(replay)
      const sel = window.getSelection()!
      sel.removeAllRanges()
      sel.addRange(r)
    }
    if (navigator.clipboard?.writeText != null) navigator.clipboard.writeText(meta.replay).then(done, select)
    else select()
  })

  const cards = h(
    'div',
    { class: 'cards', id: 'headline' },
    data.headline.map((c) =>
      h(
        'div',
        { class: `card tone-${c.tone}` },
        h('div', { class: 'card-label' }, c.label),
        h('div', { class: 'card-value' }, c.value),
        h('div', { class: 'card-hint' }, c.hint)
      )
    )
  )
  byId('main').append(cards)
}

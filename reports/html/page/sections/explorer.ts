// Message explorer: search the indexed messages, pick one (or open #msg=<hash>), and see every
// event about it on one time axis (its journey) and in a table.
import type { Chart as ChartJs, ChartType, PointStyle, TooltipItem } from 'chart.js'
import type { ExplorerMessage, ReportData } from '../../report-data.js'
import { categoryPoints, dropChart, makeChart } from '../charts.js'
import { distinctColors } from '../colors.js'
import { empty, h, section, table } from '../dom.js'
import { count, fmtBytes, fmtMs, fmtS } from '../format.js'

interface Step {
  dt: number
  kind: string
  where: string
  via: string | null
  dup: boolean
}
interface JourneyPoint {
  x: number
  y: string
  step: Step
}

const LIST_MAX = 200
const KIND_STYLE: Record<string, [string, PointStyle]> = {
  sent: ['#0f172a', 'rectRot'],
  relayed: ['#64748b', 'circle'],
  stored: ['#d97706', 'rect'],
  received: ['#16a34a', 'circle'],
  rendered: ['#2563eb', 'triangle'],
  duplicate: ['#dc2626', 'crossRot']
}

/** Renders the explorer and selects the message in the URL, or the default one; returns how to select another. */
export function renderExplorer(data: ReportData): { selectMessage: (hash: string) => void } {
  const ex = data.explorer
  const exSection = section(
    'explorer',
    'Message explorer',
    `Follow one message: every event about it on one time axis. ${count(ex.messages.length)} of ${count(ex.totalMessages)} messages are indexed here.${ex.note !== '' ? ` ${ex.note}` : ''}`
  )
  const search = h('input', {
    type: 'search',
    id: 'explorer-search',
    placeholder: 'msgId, hash, sender or topic',
    'aria-label': 'search messages',
    autocomplete: 'off'
  })
  const listInfo = h('p', { class: 'muted small', id: 'explorer-count' })
  const list = h('ul', { class: 'msg-list', id: 'explorer-list' })
  const detail = h('div', { class: 'msg-detail', id: 'explorer-detail' })
  exSection.append(h('div', { class: 'explorer' }, h('div', { class: 'explorer-side' }, search, listInfo, list), detail))
  const byHash = new Map<string, ExplorerMessage>(ex.messages.map((x) => [x.hash, x]))
  let journeyChart: ChartJs | null = null

  function renderList(): void {
    const q = String(search.value ?? '')
      .trim()
      .toLowerCase()
    const hits =
      q === ''
        ? ex.messages
        : ex.messages.filter(
            (x) =>
              x.msgId.toLowerCase().includes(q) || x.hash.toLowerCase().includes(q) || x.sender.toLowerCase().includes(q) || x.topic.toLowerCase().includes(q)
          )
    list.replaceChildren(
      ...hits.slice(0, LIST_MAX).map((x) => {
        const status = x.missing.length > 0 ? 'lost' : x.late.length > 0 ? 'late' : 'ok'
        const li = h(
          'li',
          null,
          h(
            'button',
            { type: 'button', class: `msg-item status-${status}`, 'data-hash': x.hash },
            h('span', { class: 'msg-id' }, x.msgId || x.hash.slice(0, 12)),
            h('span', { class: 'msg-sub' }, `${x.sender} · ${x.sentAt == null ? '?' : fmtS(x.sentAt)}${status !== 'ok' ? ` · ${status}` : ''}`)
          )
        )
        li.firstChild!.addEventListener('click', () => selectMessage(x.hash))
        return li
      })
    )
    listInfo.textContent =
      hits.length === 0
        ? 'no message matches'
        : hits.length > LIST_MAX
          ? `${count(hits.length)} match; showing the first ${LIST_MAX}, refine the search`
          : `${count(hits.length)} messages`
  }

  function selectMessage(hash: string): void {
    const x = byHash.get(hash)
    if (x == null) {
      detail.replaceChildren(empty("That message is not in this report's index."))
      return
    }
    for (const b of list.querySelectorAll('.msg-item')) b.classList.toggle('selected', b.getAttribute('data-hash') === hash)
    const S = ex.strings
    const steps: Step[] = x.steps.map(([dt, kind, where, via, dup]) => ({
      dt,
      kind: S[kind]!,
      where: S[where]!,
      via: via < 0 ? null : S[via]!,
      dup: dup === 1
    }))
    const received = new Set(steps.filter((s) => s.kind === 'received').map((s) => s.where))
    const lanes: string[] = []
    const laneOf = (s: { kind: string; where: string }): string => {
      const lane =
        s.kind === 'sent' ? `sent by ${s.where}` : s.kind === 'relayed' ? `relay ${s.where}` : s.kind === 'stored' ? `store ${s.where}` : `device ${s.where}`
      if (!lanes.includes(lane)) lanes.push(lane)
      return lane
    }
    // One message's events span from sub-millisecond hops to confirmations seconds later; on a
    // linear axis the slowest one squeezes all others against the send. When they span more than
    // 30x, a log axis gives each decade the same width. It starts a decade below the first event
    // (at least 1 ms): the send (t = 0) and anything earlier sit at its left edge, and the table
    // below has every exact time.
    const positive = steps.map((s) => s.dt).filter((dt) => dt > 0)
    const maxDt = positive.length === 0 ? 0 : Math.max(...positive)
    const floor = positive.length === 0 ? 1 : Math.max(1, 10 ** (Math.ceil(Math.log10(Math.min(...positive))) - 1))
    const logTime = maxDt / floor > 30
    const groups = new Map<string, JourneyPoint[]>()
    for (const s of steps) {
      const key = s.kind === 'received' && s.dup ? 'duplicate' : s.kind
      const arr = groups.get(key) ?? []
      arr.push({ x: logTime ? Math.max(s.dt, floor) : s.dt, y: laneOf(s), step: s })
      groups.set(key, arr)
    }
    for (const d of x.missing) laneOf({ kind: 'received', where: `${d} (never received)` })
    const canvas = h('canvas', { 'data-chart': 'journey', role: 'img', 'aria-label': 'journey of the selected message' })
    const statusText = [
      `${received.size} device${received.size === 1 ? '' : 's'} received it`,
      x.missing.length > 0 ? `never reached ${x.missing.join(', ')}` : null,
      x.late.length > 0 ? `late at ${x.late.join(', ')}` : null
    ]
      .filter((v) => v != null)
      .join(' · ')
    detail.replaceChildren(
      h('h3', { id: 'journey-title' }, x.msgId || '(no msgId)'),
      h(
        'dl',
        { class: 'msg-facts' },
        h('dt', null, 'hash'),
        h('dd', { class: 'mono', id: 'journey-hash' }, x.hash),
        h('dt', null, 'sender'),
        h('dd', null, x.sender),
        h('dt', null, 'topic'),
        h('dd', null, x.topic),
        h('dt', null, 'size'),
        h('dd', null, fmtBytes(x.bytes)),
        h('dt', null, 'sent at'),
        h('dd', null, x.sentAt == null ? 'unknown' : fmtS(x.sentAt))
      ),
      h('p', { class: x.missing.length > 0 ? 'alert' : 'muted' }, statusText),
      h('div', { class: 'chart journey' }, canvas),
      h(
        'p',
        { class: 'muted small', id: 'journey-scale' },
        logTime
          ? `Time after send on a log scale (each decade the same width), so quick hops and events seconds later both stay readable; the send, anything seen before it and anything within ${fmtMs(floor)} of it sit at the left edge.`
          : 'Time after send on a linear scale.'
      ),
      table(
        ['after send', 'event', 'where', 'path', ''],
        steps
          .map((s) => [
            h('td', { class: 'num' }, fmtMs(s.dt)),
            s.kind,
            s.where,
            s.via ?? '',
            s.dup ? h('td', { class: 'tag-cell' }, h('span', { class: 'tag warn' }, 'duplicate')) : ''
          ])
          .concat(x.missing.map((d) => [h('td', { class: 'num' }, '—'), h('td', { class: 'fail-text' }, 'never received'), d, '', ''])),
        'data journey-steps'
      )
    )
    canvas.parentElement!.style.height = `${Math.max(160, 40 + lanes.length * 22)}px`
    if (journeyChart != null) dropChart(journeyChart)
    // kinds without a colour of their own (push.received, confirmed...) each get a different one
    const kindColors = distinctColors([...groups.keys()], 4, Object.fromEntries(Object.entries(KIND_STYLE).map(([k, v]) => [k, v[0]])))
    journeyChart = makeChart(canvas, {
      type: 'scatter',
      data: {
        datasets: [...groups].map(([key, points], i) => ({
          label: key,
          data: categoryPoints(points),
          pointRadius: 5,
          pointHoverRadius: 7,
          backgroundColor: kindColors[i],
          borderColor: kindColors[i],
          pointStyle: KIND_STYLE[key]?.[1] ?? 'star'
        }))
      },
      options: {
        scales: {
          x: logTime
            ? {
                type: 'logarithmic',
                min: floor,
                title: { display: true, text: 'time after send (log scale)' },
                ticks: { callback: (v) => (Math.abs(Math.log10(Number(v)) - Math.round(Math.log10(Number(v)))) < 1e-9 ? fmtMs(Number(v)) : '') }
              }
            : { type: 'linear', title: { display: true, text: 'time after send' }, ticks: { callback: (v) => fmtMs(Number(v)) } },
          y: { type: 'category', labels: lanes, offset: true, ticks: { autoSkip: false } }
        },
        plugins: {
          tooltip: {
            callbacks: {
              label: (c: TooltipItem<ChartType>) => {
                const step = (c.raw as JourneyPoint).step
                return `${step.kind}${step.via != null ? ` via ${step.via}` : ''} at ${step.where}: +${fmtMs(step.dt)}`
              }
            }
          }
        }
      }
    })
    if (window.location.hash !== `#msg=${hash}`) window.history.replaceState(null, '', `#msg=${hash}`)
  }

  search.addEventListener('input', renderList)
  renderList()
  const fromUrl = /^#msg=(.+)$/.exec(window.location.hash ?? '')
  const initial = fromUrl != null && byHash.has(decodeURIComponent(fromUrl[1]!)) ? decodeURIComponent(fromUrl[1]!) : ex.defaultHash
  if (initial != null) selectMessage(initial)
  else detail.append(empty('No messages were sent in this run.'))
  return { selectMessage }
}

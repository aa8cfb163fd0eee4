// Why a threshold failed, in one line naming the evidence (which device, store or messages), and
// where the HTML report explains it. Picked from results.json only, so every report format
// (HTML, Markdown, JUnit) says the same thing and `courier report` gives it again from artifacts.
import type { DeviceDelivery, LatencySummary, Results, ThresholdResult } from '../harness/interface/index.js'
import { flowProblem, formatBytes, formatByPath, formatCount, formatMs, formatRatio, sig } from './format.js'

/** Where a threshold's figure is explained in report.html, and the line that names its evidence. */
export interface ThresholdEvidence {
  /** One line naming what made the figure (devices, stores, messages); null when results hold nothing more than the figure. */
  why: string | null
  /** The id of the report section or table that explains it. */
  section: string
  /** A device whose row of the devices table is the better target. */
  device?: string
}

const MAX_NAMED = 3

/** The evidence behind one threshold (meant for failed ones; a passed one gets the same kind of line). */
export function thresholdEvidence(results: Results, threshold: ThresholdResult): ThresholdEvidence {
  const metric = threshold.metric
  const [head, ...restParts] = metric.split('.')
  const rest = restParts.join('.')
  const at = (t: number): string => scenarioTime(results, t)
  const r = results.reliability
  switch (head) {
    case 'delivery': {
      const devices = results.delivery?.devices ?? {}
      const owner = ownerOf(rest, Object.keys(devices))
      if (owner != null) return { section: 'devices', device: owner.name, why: deliveryWhy(owner.rest, { [owner.name]: devices[owner.name]! }) }
      return { section: 'devices', why: deliveryWhy(rest, devices) }
    }
    case 'store': {
      if (rest === 'inSync' || rest === 'missing') {
        const stores = Object.entries(r?.audit?.stores ?? {})
        if (stores.length === 0) return { section: 'rel-audit', why: 'no store was audited after the run' }
        const bad = stores.filter(([, a]) => !a.reachable || a.missing > 0)
        if (bad.length === 0) return { section: 'rel-audit', why: `every audited store holds every message (${stores.map(([s]) => s).join(', ')})` }
        return {
          section: 'rel-audit',
          why: bad
            .map(([s, a]) => {
              if (!a.reachable) return `${s} did not answer the audit`
              const windows = Object.entries(a.missingByWindow ?? {})
                .map(([w, n]) => `${auditWindow(w)}: ${formatCount(n)}`)
                .join(', ')
              return `${s} is missing ${formatCount(a.missing)} of ${formatCount(a.expected)} messages${windows === '' ? '' : ` (${windows})`}`
            })
            .join('; ')
        }
      }
      if (rest.startsWith('failover.')) {
        const list = r?.failover ?? []
        const unrecovered = list.filter((f) => f.recoveredAt == null)
        const shown = unrecovered.length > 0 ? unrecovered : [...list].sort((a, b) => (b.ms ?? 0) - (a.ms ?? 0))
        return {
          section: 'rel-failover',
          why:
            shown.length === 0
              ? 'no store went down while a device used it'
              : named(
                  shown.map((f) =>
                    f.recoveredAt == null
                      ? `${f.device} never recovered after ${f.store} went down at ${at(f.downAt)}`
                      : `${f.device} took ${formatMs(f.ms)} after ${f.store} went down at ${at(f.downAt)}`
                  )
                )
        }
      }
      if (rest === 'switches') {
        const list = r?.storeChoice?.switches ?? []
        return {
          section: 'rel-store-choice',
          why:
            list.length === 0
              ? 'no device switched stores'
              : named(list.map((s) => `${s.device} switched from ${s.from} to ${s.to} at ${at(s.t)} after ${s.failures} failed requests`))
        }
      }
      if (rest.startsWith('sync.')) {
        const by = Object.entries(r?.storeSync?.byStore ?? {}).filter(([, n]) => n > 0)
        return {
          section: 'rel-store-sync',
          why:
            by.length === 0
              ? `no store fetched a message from its peers; ${formatCount(r?.storeSync?.failedRounds ?? 0)} sync rounds failed`
              : named(by.map(([s, n]) => `${s} fetched ${formatCount(n)}`))
        }
      }
      if (rest.startsWith('stages.')) {
        const st = r?.stages
        const stage = rest.split('.')[1] ?? 'total'
        const key = `${stage}Ms` as 'totalMs'
        const l = st?.[key] as LatencySummary | undefined
        return {
          section: 'rel-stages',
          why: st == null || l == null ? null : `${stage}: p95 ${formatMs(l.p95)}, max ${formatMs(l.max)} over ${formatCount(st.requests)} history requests`
        }
      }
      const byStore = Object.entries(results.store?.byStore ?? {})
      if (rest === 'failed') {
        const failed = byStore.filter(([, s]) => s.failed > 0)
        return {
          section: 'store',
          why:
            failed.length === 0
              ? 'no store query failed'
              : named(failed.map(([s, x]) => `${s} failed ${formatCount(x.failed)} of ${formatCount(x.queries)} queries`))
        }
      }
      const st = results.store
      return {
        section: 'store',
        why:
          st == null || st.queries === 0
            ? 'no history query was made'
            : `${formatCount(st.queries)} queries (${byStore.map(([s, x]) => `${s} ${formatCount(x.queries)}`).join(', ')}); p50 ${formatMs(st.latency?.p50)}, p95 ${formatMs(st.latency?.p95)}, max ${formatMs(st.latency?.max)}`
      }
    }
    case 'history': {
      if (rest.startsWith('checkpoints')) {
        const bad = (r?.history?.checkpoints ?? []).filter((c) => !c.consistent)
        return {
          section: 'rel-checkpoints',
          why: bad.length === 0 ? 'every checkpoint was consistent' : named(bad.map((c) => `checkpoint ${c.name} at ${at(c.t)}: ${differences(c.differences)}`))
        }
      }
      const accounts = Object.entries(r?.history?.accounts ?? {}).filter(([, a]) => !a.consistent)
      return {
        section: 'rel-history',
        why:
          accounts.length === 0
            ? 'every account showed the same history on all its devices'
            : named(accounts.map(([name, a]) => `account ${name}: ${differences(a.differences)}`))
      }
    }
    case 'partition': {
      const list = r?.partitions ?? []
      const shown =
        rest === 'crossLost'
          ? list.filter((p) => p.cross.lost > 0)
          : list.filter((p) => p.healToFullDeliveryMs == null || p.heal == null).concat(list.filter((p) => p.healToFullDeliveryMs != null))
      return {
        section: 'rel-partitions',
        why:
          shown.length === 0
            ? 'no partition lost a message'
            : named(
                shown.map(
                  (p) =>
                    `partition at ${at(p.start)} ${p.groups.map((g) => `[${g.join(', ')}]`).join(' | ')}: ${formatCount(p.cross.lost)} of ${formatCount(p.cross.expected)} cross-group messages lost, ${p.healToFullDeliveryMs == null ? 'not all arrived after the heal' : `all arrived ${formatMs(p.healToFullDeliveryMs)} after the heal`}`
                )
              )
      }
    }
    case 'filter': {
      const list = r?.filterFailover ?? []
      const shown = [...list].sort((a, b) => Number(b.recoveredAt == null) - Number(a.recoveredAt == null) || (b.ms ?? 0) - (a.ms ?? 0))
      return {
        section: 'rel-filter-failover',
        why:
          shown.length === 0
            ? 'no light device lost its filter subscription'
            : named(
                shown.map(
                  (f) =>
                    `${f.device} lost its subscription on ${f.node} at ${at(f.lostAt)}${f.noticeMs == null ? '' : ` (noticed after ${formatMs(f.noticeMs)})`}, ${f.recoveredAt == null ? 'never subscribed again' : `subscribed again after ${formatMs(f.ms)}`}`
                )
              )
      }
    }
    case 'sync': {
      const ex = r?.upToDate?.examples ?? []
      return {
        section: 'rel-uptodate',
        why:
          ex.length === 0
            ? 'no device claimed to be up to date while messages were missing'
            : named(ex.map((x) => `${x.device} said up to date at ${at(x.t)} with ${formatCount(x.missing)} missing (${ids(x.missingIds)})`))
      }
    }
    case 'sent': {
      const checks = Object.entries(r?.sentChecks ?? {})
      const shown =
        rest === 'resent'
          ? checks.filter(([, c]) => c.resent > 0).map(([d, c]) => `${d} resent ${formatCount(c.resent)} of ${formatCount(c.sent)}`)
          : checks
              .filter(([, c]) => c.unconfirmed > 0)
              .map(([d, c]) => `${d}: ${formatCount(c.unconfirmed)} of ${formatCount(c.sent)} never confirmed by a store (${ids(c.unconfirmedIds)})`)
      return { section: 'rel-sent', why: shown.length === 0 ? 'every sent message was confirmed without a resend' : named(shown) }
    }
    case 'push': {
      const p = r?.push
      if (p == null) return { section: 'rel-push', why: null }
      if (rest === 'received') return { section: 'rel-push', why: `${formatCount(p.received)} pushes received` }
      const byDevice = new Map<string, typeof p.examples>()
      for (const x of p.examples) byDevice.set(x.device, [...(byDevice.get(x.device) ?? []), x])
      if (rest === 'phantom' && byDevice.size > 0) {
        return {
          section: 'rel-push',
          // examples are capped in results: counts from them are a floor when some were left out
          why: named(
            [...byDevice].map(
              ([device, list]) =>
                `${device}: ${p.examples.length < p.phantom ? 'at least ' : ''}${formatCount(list.length)} pushes announced messages not shown within ${formatMs(p.boundMs)} (${list
                  .slice(0, MAX_NAMED)
                  .map((x) => `${x.msgId} ${x.renderedAt == null ? 'never shown' : `shown ${formatMs(x.renderedAt - x.pushAt)} after its push`}`)
                  .join(', ')}${list.length > MAX_NAMED ? ', …' : ''})`
            )
          )
        }
      }
      return {
        section: 'rel-push',
        why: `${formatCount(p.phantom)} of ${formatCount(p.received)} pushes announced a message not shown within ${formatMs(p.boundMs)}; push to shown p95 ${formatMs(p.renderDelay?.p95)}, max ${formatMs(p.renderDelay?.max)}`
      }
    }
    case 'bytes': {
      const owners = results.bytes?.owners ?? {}
      const owner = ownerOf(rest, Object.keys(owners))
      if (owner == null) return { section: 'bytes', why: null }
      const o = owners[owner.name]!
      const largest = Object.entries(o.byProtocol ?? {})
        .sort((a, b) => b[1].up + b[1].down - (a[1].up + a[1].down))
        .slice(0, 2)
        .map(([p, v]) => `${p} ${formatBytes(v.up + v.down)}`)
        .join(', ')
      const dup = Object.entries(o.duplicateBytes ?? {})
        .filter(([, n]) => n > 0)
        .map(([p, n]) => `${p} ${formatBytes(n)}`)
        .join(', ')
      return {
        section: 'bytes-owners',
        why: `${owner.name}: down ${formatBytes(o.down)}, up ${formatBytes(o.up)}, ${formatBytes(o.perMessage?.down)} down per delivered message${dup === '' ? '' : `, duplicates ${dup}`}${largest === '' ? '' : `; largest ${largest}`}`
      }
    }
    case 'energy': {
      const energy = results.energy ?? {}
      const owner = ownerOf(rest, Object.keys(energy))
      if (owner == null) return { section: 'energy', why: null }
      const e = energy[owner.name]!
      const purposes = Object.entries(e.byProtocol ?? {})
        .sort((a, b) => b[1] - a[1])
        .slice(0, 2)
        .map(([p, j]) => `${p} ${sig(j)} J`)
        .join(', ')
      return {
        section: 'energy-devices',
        why: `${owner.name}: ${sig(e.mAh)} mAh on ${e.radio}, ${formatRatio(e.tailShare)} of it radio tail, ${formatCount(e.promotions)} promotions${purposes === '' ? '' : `; for ${purposes}`}`
      }
    }
    case 'crowd':
      return { section: 'rel-crowd', why: null }
    case 'harness': {
      const h = results.harness
      return {
        section: 'harness',
        why: h == null ? null : `event-loop lag p99 ${formatMs(h.lagP99Ms)}, max ${formatMs(h.lagMaxMs)} (limit ${formatMs(h.lagLimitMs)})`
      }
    }
    case 'devices': {
      const failed = Object.entries(results.delivery?.devices ?? {})
        .filter(([, d]) => d.failed)
        .map(([name]) => {
          const first = (results.errors ?? []).find((e) => e.component === name || e.component.endsWith(`:${name}`))
          return first == null ? `${name} failed` : `${name} failed at ${at(first.t)}: ${first.error}`
        })
      return { section: 'devices', why: failed.length === 0 ? 'no device failed' : named(failed) }
    }
    case 'flows':
    case 'flow': {
      const flows = (results.flows ?? []).filter((f) => head === 'flows' || rest.startsWith(`${f.name}.`))
      const failed = flows.filter((f) => !f.passed)
      return {
        section: 'flows',
        why: failed.length === 0 ? (flows.length === 0 ? 'no flow ran' : null) : named(failed.map((f) => `${f.name} on ${f.device}: ${flowProblem(f)}`))
      }
    }
    case 'capture': {
      const t = results.bytes?.tcpdump
      return {
        section: 'bytes',
        why:
          t == null
            ? null
            : `${formatCount(t.check.mismatches.length)} of ${formatCount(t.check.directions)} connection directions differ between socket accounting and the capture; ${t.dropped == null ? 'drops unknown' : `${formatCount(t.dropped)} packets dropped`}`
      }
    }
    default:
      return { section: 'metrics', why: null }
  }

  function deliveryWhy(figure: string, devices: Record<string, DeviceDelivery>): string | null {
    const list = Object.entries(devices)
    if (list.length === 0) return 'no device received anything'
    if (/^(loss|lost|delivered|expected)$/.test(figure)) {
      const lossy = list.filter(([, d]) => d.lost > 0).sort((a, b) => b[1].lost - a[1].lost)
      if (lossy.length === 0)
        return `no device lost a message (${list.map(([n, d]) => `${n} ${formatCount(d.delivered)} of ${formatCount(d.expected)}`).join(', ')})`
      return named(
        lossy.map(
          ([n, d]) =>
            `${n}${d.failed ? ' (failed)' : ''} lost ${formatCount(d.lost)} of ${formatCount(d.expected)}${(d.lostMessages ?? []).length > 0 ? ` (${ids(d.lostMessages)})` : ''}`
        )
      )
    }
    const lat = /^(latency|renderLatency)\.(p50|p90|p95|p99|max|mean)$/.exec(figure)
    if (lat != null) {
      const field = lat[1] as 'latency' | 'renderLatency'
      const stat = lat[2] as 'p95'
      const slowest = list.filter(([, d]) => d[field]?.[stat] != null).sort((a, b) => b[1][field][stat]! - a[1][field][stat]!)
      if (slowest.length === 0) return 'no message was delivered, so there is no latency'
      return `${field === 'latency' ? 'slowest' : 'slowest to show'}: ${named(slowest.map(([n, d]) => `${n} ${stat} ${formatMs(d[field][stat])} (max ${formatMs(d[field].max)}, ${formatCount(d[field].count)} messages)`))}`
    }
    if (figure.startsWith('duplicates')) {
      const dup = list.filter(([, d]) => (d.duplicates?.total ?? 0) > 0).sort((a, b) => b[1].duplicates.total - a[1].duplicates.total)
      if (dup.length === 0) return 'no duplicate arrivals'
      return named(
        dup.map(([n, d]) => `${n} ${formatCount(d.duplicates.total)} duplicates (${formatRatio(d.duplicates.rate)}; ${formatByPath(d.duplicates.byPath)})`)
      )
    }
    return null
  }
}

/** Scenario time of a run-clock time; before scenario start it says so instead of a negative number. */
export function scenarioTime(results: Results, t: number): string {
  const s = t - (results.timing?.scenarioStartMs ?? 0)
  return s < 0 ? 'before start' : `${sig(s / 1000, 4)} s`
}

/** The audit's 10 s windows are keyed by their start (`30s`); read as the span of send times they hold. */
export function auditWindow(key: string): string {
  const m = /^(\d+)s$/.exec(key)
  return m == null ? key : `sent ${m[1]}-${Number(m[1]) + 10} s`
}

/** The owner (device, node) a metric's name starts with, longest name first so `a.b` wins over `a`. */
function ownerOf(rest: string, owners: string[]): { name: string; rest: string } | null {
  const name = [...owners].sort((a, b) => b.length - a.length).find((o) => rest.startsWith(`${o}.`))
  return name == null ? null : { name, rest: rest.slice(name.length + 1) }
}

function named(items: string[]): string {
  return items.slice(0, MAX_NAMED).join('; ') + (items.length > MAX_NAMED ? `; and ${items.length - MAX_NAMED} more` : '')
}

function ids(list: string[]): string {
  return list.slice(0, MAX_NAMED).join(', ') + (list.length > MAX_NAMED ? `, +${list.length - MAX_NAMED} more` : '')
}

function differences(list: Array<{ msgId: string; missingOn: string[]; shownOn?: string[] }>): string {
  if (list.length === 0) return 'no difference recorded'
  return (
    list
      .slice(0, 2)
      .map((d) => `${d.msgId} ${d.shownOn == null ? '' : `shown on ${d.shownOn.join(', ')}, `}missing on ${d.missingOn.join(', ')}`)
      .join('; ') + (list.length > 2 ? ` (+${list.length - 2} more)` : '')
  )
}

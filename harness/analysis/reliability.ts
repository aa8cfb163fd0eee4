import type { CourierEvent, EventOf, ReliabilityResults } from '../interface/index.js'
import { round, summarize } from './stats.js'

/** A device claiming "up to date" is not blamed for messages sent in the last moments before. */
const UP_TO_DATE_ALLOWANCE_MS = 2000
const LIST_LIMIT = 50

/** Everything issue-level reliability figures need, from events alone. */
export function analyzeReliability (events: readonly CourierEvent[], accounts: Record<string, string>, pushBoundMs = 5000): ReliabilityResults {
  const sent = events.filter((e): e is EventOf<'msg.sent'> => e.type === 'msg.sent')
  const firstArrival = new Map<string, number>()
  const rendered = new Map<string, Set<string>>()
  const subscriptions = new Map<string, Set<string>>()
  for (const event of events) {
    if (event.type === 'msg.received' && !firstArrival.has(`${event.device}/${event.msgId}`)) firstArrival.set(`${event.device}/${event.msgId}`, event.t)
    if (event.type === 'msg.rendered') (rendered.get(event.device) ?? rendered.set(event.device, new Set()).get(event.device))?.add(event.msgId)
    if (event.type === 'device.subscribe') (subscriptions.get(event.device) ?? subscriptions.set(event.device, new Set()).get(event.device))?.add(event.topic)
  }
  return {
    partitions: partitionsOf(events, sent, firstArrival, subscriptions),
    failover: failoverOf(events),
    filterFailover: filterFailoverOf(events),
    audit: auditOf(events, sent),
    history: historyOf(rendered, accounts),
    upToDate: upToDateOf(events, sent, firstArrival, subscriptions),
    push: pushOf(events, pushBoundMs),
    stages: stagesOf(events)
  }
}

function partitionsOf (events: readonly CourierEvent[], sent: Array<EventOf<'msg.sent'>>, firstArrival: Map<string, number>, subscriptions: Map<string, Set<string>>): ReliabilityResults['partitions'] {
  const out: ReliabilityResults['partitions'] = []
  let open: ReliabilityResults['partitions'][number] | undefined
  const end = events.at(-1)?.t ?? 0
  for (const event of events) {
    if (event.type === 'partition.start') {
      open = { start: event.t, heal: null, groups: event.groups, cross: { expected: 0, delivered: 0, lost: 0 }, healToFullDeliveryMs: null }
      out.push(open)
    } else if (event.type === 'partition.heal' && open != null) {
      open.heal = event.t
      open = undefined
    }
  }
  for (const partition of out) {
    const groupOf = new Map(partition.groups.flatMap((group, i) => group.map((name): [string, number] => [name, i])))
    const until = partition.heal ?? end
    let lastDelivery = -Infinity
    let allDelivered = true
    for (const message of sent) {
      if (message.t < partition.start || message.t >= until) continue
      const senderGroup = groupOf.get(message.device ?? message.node ?? '')
      if (senderGroup == null) continue
      for (const [device, topics] of subscriptions) {
        if (device === message.device || !topics.has(message.topic)) continue
        const group = groupOf.get(device)
        if (group == null || group === senderGroup) continue
        partition.cross.expected++
        const arrival = firstArrival.get(`${device}/${message.msgId}`)
        if (arrival == null) { partition.cross.lost++; allDelivered = false; continue }
        partition.cross.delivered++
        lastDelivery = Math.max(lastDelivery, arrival)
      }
    }
    if (partition.heal != null && allDelivered && partition.cross.expected > 0) partition.healToFullDeliveryMs = round(Math.max(0, lastDelivery - partition.heal))
  }
  return out
}

/**
 * A failover episode starts when a device's history request to a store fails (refused, timed out,
 * or an error status), or when that store died before the request, whichever came first; it ends
 * with the device's first good answer from another store. A dead store that refuses at once costs
 * little; one that hangs costs the client's whole timeout: this is what tells them apart.
 */
function failoverOf (events: readonly CourierEvent[]): ReliabilityResults['failover'] {
  const out: ReliabilityResults['failover'] = []
  const queryStart = new Map<string, number>()
  const diedAt = new Map<string, number>()
  const open = new Map<string, ReliabilityResults['failover'][number]>()
  for (const event of events) {
    if (event.type === 'node.down' && event.role === 'store' && event.reason !== 'stopped') diedAt.set(event.node, event.t)
    else if (event.type === 'node.up' && event.role === 'store') diedAt.delete(event.node)
    else if (event.type === 'store.query') queryStart.set(event.requestId, event.t)
    else if (event.type === 'store.response') {
      if (event.status !== 200) {
        const key = `${event.device}/${event.store}`
        if (open.has(key)) continue
        const started = queryStart.get(event.requestId) ?? event.t
        const died = diedAt.get(event.store)
        const episode = { store: event.store, downAt: round(died != null && died < started ? died : started), device: event.device, recoveredAt: null, ms: null, via: null }
        open.set(key, episode)
        out.push(episode)
      } else {
        for (const [key, episode] of open) {
          if (episode.device !== event.device || episode.store === event.store) continue
          episode.recoveredAt = event.t
          episode.ms = round(event.t - episode.downAt)
          episode.via = event.store
          open.delete(key)
        }
      }
    }
  }
  return out
}

/**
 * A light device's subscription episode opens when it finds a subscription lost (its connection
 * closed, or a ping failed) and closes with its next subscription on any node. When the service
 * node was killed before, the episode counts from the death: that is when pushes stopped.
 */
function filterFailoverOf (events: readonly CourierEvent[]): NonNullable<ReliabilityResults['filterFailover']> {
  const out: NonNullable<ReliabilityResults['filterFailover']> = []
  const diedAt = new Map<string, number>()
  const open = new Map<string, Array<NonNullable<ReliabilityResults['filterFailover']>[number]>>()
  for (const event of events) {
    if (event.type === 'node.down' && event.reason !== 'stopped') diedAt.set(event.node, event.t)
    else if (event.type === 'node.up') diedAt.delete(event.node)
    else if (event.type === 'filter.subscription' && event.state === 'lost') {
      const died = diedAt.get(event.node) ?? null
      const episode = { device: event.device, node: event.node, diedAt: died, lostAt: event.t, reason: event.reason ?? null, noticeMs: died == null ? null : round(event.t - died), recoveredAt: null, via: null, ms: null }
      out.push(episode)
      ;(open.get(event.device) ?? open.set(event.device, []).get(event.device))?.push(episode)
    } else if (event.type === 'filter.subscription' && event.state === 'subscribed') {
      const episode = open.get(event.device)?.shift()
      if (episode == null) continue
      episode.recoveredAt = event.t
      episode.via = event.node
      episode.ms = round(event.t - (episode.diedAt ?? episode.lostAt))
    }
  }
  return out
}

function auditOf (events: readonly CourierEvent[], sent: Array<EventOf<'msg.sent'>>): ReliabilityResults['audit'] {
  const sentAt = new Map(sent.map((m) => [m.hash, m.t]))
  const scenarioStart = events.find((e) => e.type === 'scenario.start')?.t ?? 0
  const stores: ReliabilityResults['audit']['stores'] = {}
  for (const event of events) {
    if (event.type !== 'store.audit') continue
    const missingByWindow: Record<string, number> = {}
    for (const hash of event.missingHashes) {
      const t = sentAt.get(hash)
      const window = t == null ? 'unknown' : `${Math.floor((t - scenarioStart) / 10_000) * 10}s`
      missingByWindow[window] = (missingByWindow[window] ?? 0) + 1
    }
    stores[event.store] = { reachable: event.reachable, expected: event.expected, missing: event.missing, extra: event.extra, missingByWindow }
  }
  const audited = Object.values(stores)
  return { stores, inSync: audited.length === 0 ? null : audited.every((s) => s.reachable && s.missing === 0 && s.extra === 0) }
}

function historyOf (rendered: Map<string, Set<string>>, accounts: Record<string, string>): ReliabilityResults['history'] {
  const byAccount = new Map<string, string[]>()
  for (const [device, account] of Object.entries(accounts)) byAccount.set(account, [...(byAccount.get(account) ?? []), device])
  const result: ReliabilityResults['history'] = { accounts: {}, consistent: null }
  for (const [account, devices] of byAccount) {
    if (devices.length < 2) continue
    const union = new Set(devices.flatMap((d) => [...(rendered.get(d) ?? [])]))
    const differences: ReliabilityResults['history']['accounts'][string]['differences'] = []
    for (const msgId of union) {
      const shownOn = devices.filter((d) => rendered.get(d)?.has(msgId) === true)
      if (shownOn.length < devices.length && differences.length < LIST_LIMIT) differences.push({ msgId, shownOn, missingOn: devices.filter((d) => !shownOn.includes(d)) })
    }
    result.accounts[account] = { devices, consistent: differences.length === 0, differences }
  }
  const checked = Object.values(result.accounts)
  result.consistent = checked.length === 0 ? null : checked.every((a) => a.consistent)
  return result
}

/** A device that says "up to date" while it lacks messages sent well before is a false positive. */
function upToDateOf (events: readonly CourierEvent[], sent: Array<EventOf<'msg.sent'>>, firstArrival: Map<string, number>, subscriptions: Map<string, Set<string>>): ReliabilityResults['upToDate'] {
  const result: ReliabilityResults['upToDate'] = { claims: 0, falsePositives: 0, examples: [] }
  for (const event of events) {
    if (event.type !== 'device.status' || event.status !== 'upToDate') continue
    result.claims++
    const topics = subscriptions.get(event.device) ?? new Set<string>()
    const missing = sent.filter((m) => m.t < event.t - UP_TO_DATE_ALLOWANCE_MS && m.device !== event.device && topics.has(m.topic) && !((firstArrival.get(`${event.device}/${m.msgId}`) ?? Infinity) <= event.t))
    if (missing.length === 0) continue
    result.falsePositives++
    if (result.examples.length < LIST_LIMIT) result.examples.push({ device: event.device, t: event.t, missing: missing.length, missingIds: missing.slice(0, 10).map((m) => m.msgId) })
  }
  return result
}

/** A push is phantom when its message is not on screen `boundMs` after the push arrived. */
function pushOf (events: readonly CourierEvent[], boundMs: number): ReliabilityResults['push'] {
  const renderedAt = new Map<string, number>()
  for (const event of events) if (event.type === 'msg.rendered' && !renderedAt.has(`${event.device}/${event.msgId}`)) renderedAt.set(`${event.device}/${event.msgId}`, event.t)
  const delays: number[] = []
  const result: ReliabilityResults['push'] = { received: 0, phantom: 0, boundMs, renderDelay: summarize([]), examples: [] }
  for (const event of events) {
    if (event.type !== 'push.received') continue
    result.received++
    const shown = renderedAt.get(`${event.device}/${event.msgId}`)
    const delay = shown == null ? Infinity : Math.max(0, shown - event.t)
    if (Number.isFinite(delay)) delays.push(delay)
    if (delay > boundMs) {
      result.phantom++
      if (result.examples.length < LIST_LIMIT) result.examples.push({ device: event.device, msgId: event.msgId, pushAt: event.t, renderedAt: shown ?? null })
    }
  }
  result.renderDelay = summarize(delays)
  return result
}

function stagesOf (events: readonly CourierEvent[]): ReliabilityResults['stages'] {
  const stages = events.filter((e): e is EventOf<'store.stages'> => e.type === 'store.stages')
  return {
    requests: stages.length,
    dialMs: summarize(stages.map((s) => s.dialed - s.sent)),
    firstPageMs: summarize(stages.map((s) => s.firstPage - s.dialed)),
    transferMs: summarize(stages.map((s) => s.lastPage - s.firstPage)),
    renderMs: summarize(stages.map((s) => s.rendered - s.lastPage)),
    totalMs: summarize(stages.map((s) => s.rendered - s.sent))
  }
}

import type { CourierEvent, EventOf, ReliabilityResults } from '../../../harness/interface/index.js'
import { userKeyed } from '../../../harness/interface/index.js'
import { round, summarize } from './stats.js'

/** A device claiming "up to date" is not blamed for messages that reached a store in the last moments before. */
const UP_TO_DATE_ALLOWANCE_MS = 2000
/** At a history checkpoint, messages sent this shortly before it may still be on their way. */
const CHECKPOINT_ALLOWANCE_MS = 2000
const LIST_LIMIT = 50
const HOUR_MS = 3_600_000
/**
 * Bytes one message costs in a preview that lists new messages without their content: a STORE v3
 * hash-only entry (37 B: the 32-byte hash with its field and entry framing; a unit test encodes one
 * with the real codec) plus a 4-byte size field, which such a preview would need to show sizes.
 */
export const PREVIEW_ENTRY_BYTES = 41

/** Everything issue-level reliability figures need, from events alone. */
export function analyzeReliability(events: readonly CourierEvent[], accounts: Record<string, string>, pushBoundMs = 5000): ReliabilityResults {
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
    history: { ...historyOf(rendered, accounts), checkpoints: checkpointsOf(events, sent, accounts) },
    sentChecks: sentChecksOf(events, sent),
    storeChoice: storeChoiceOf(events),
    storeSync: storeSyncOf(events),
    crowd: crowdOf(events, sent, subscriptions),
    upToDate: upToDateOf(events, sent, firstArrival, subscriptions),
    push: pushOf(events, pushBoundMs),
    stages: stagesOf(events)
  }
}

function partitionsOf(
  events: readonly CourierEvent[],
  sent: Array<EventOf<'msg.sent'>>,
  firstArrival: Map<string, number>,
  subscriptions: Map<string, Set<string>>
): ReliabilityResults['partitions'] {
  const out: ReliabilityResults['partitions'] = []
  let open: ReliabilityResults['partitions'][number] | undefined
  const end = events.at(-1)?.t ?? 0
  for (const event of events) {
    if (event.type === 'partition.start') {
      open = { start: event.t, heal: null, groups: event.groups, cross: { expected: 0, delivered: 0, lost: 0 }, byGroups: [], healToFullDeliveryMs: null }
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
        const pair =
          partition.byGroups.find((p) => p.from === senderGroup && p.to === group) ??
          partition.byGroups[partition.byGroups.push({ from: senderGroup, to: group, expected: 0, delivered: 0, lost: 0 }) - 1]
        pair.expected++
        const arrival = firstArrival.get(`${device}/${message.msgId}`)
        if (arrival == null) {
          partition.cross.lost++
          pair.lost++
          allDelivered = false
          continue
        }
        partition.cross.delivered++
        pair.delivered++
        lastDelivery = Math.max(lastDelivery, arrival)
      }
    }
    partition.byGroups.sort((a, b) => a.from - b.from || a.to - b.to)
    if (partition.heal != null && allDelivered && partition.cross.expected > 0)
      partition.healToFullDeliveryMs = round(Math.max(0, lastDelivery - partition.heal))
  }
  return out
}

/**
 * A failover episode starts when a device's history request to a store fails (refused, timed out,
 * or an error status), or when that store died before the request, whichever came first; it ends
 * with the device's next good answer from any store. A dead store that refuses at once costs
 * little; one that hangs costs the client's whole timeout: this is what tells them apart.
 */
function failoverOf(events: readonly CourierEvent[]): ReliabilityResults['failover'] {
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
        const episode = {
          store: event.store,
          downAt: round(died != null && died < started ? died : started),
          device: event.device,
          recoveredAt: null,
          ms: null,
          via: null
        }
        open.set(key, episode)
        out.push(episode)
      } else {
        // any good answer ends the device's episodes: from another store (a failover) or from the
        // same store once it is back (a partition healed, a restarted store)
        for (const [key, episode] of open) {
          if (episode.device !== event.device) continue
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
function filterFailoverOf(events: readonly CourierEvent[]): NonNullable<ReliabilityResults['filterFailover']> {
  const out: NonNullable<ReliabilityResults['filterFailover']> = []
  const diedAt = new Map<string, number>()
  const open = new Map<string, Array<NonNullable<ReliabilityResults['filterFailover']>[number]>>()
  for (const event of events) {
    if (event.type === 'node.down' && event.reason !== 'stopped') diedAt.set(event.node, event.t)
    else if (event.type === 'node.up') diedAt.delete(event.node)
    else if (event.type === 'filter.subscription' && event.state === 'lost') {
      const died = diedAt.get(event.node) ?? null
      const episode = {
        device: event.device,
        node: event.node,
        diedAt: died,
        lostAt: event.t,
        reason: event.reason ?? null,
        noticeMs: died == null ? null : round(event.t - died),
        recoveredAt: null,
        via: null,
        ms: null
      }
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

function auditOf(events: readonly CourierEvent[], sent: Array<EventOf<'msg.sent'>>): ReliabilityResults['audit'] {
  const sentAt = new Map(sent.map((m) => [m.hash, m.t]))
  const scenarioStart = events.find((e) => e.type === 'scenario.start')?.t ?? 0
  const stores: ReliabilityResults['audit']['stores'] = userKeyed()
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

function historyOf(rendered: Map<string, Set<string>>, accounts: Record<string, string>): Omit<ReliabilityResults['history'], 'checkpoints'> {
  const byAccount = new Map<string, string[]>()
  for (const [device, account] of Object.entries(accounts)) byAccount.set(account, [...(byAccount.get(account) ?? []), device])
  const result: Omit<ReliabilityResults['history'], 'checkpoints'> = { accounts: {}, consistent: null }
  for (const [account, devices] of byAccount) {
    if (devices.length < 2) continue
    const union = new Set(devices.flatMap((d) => [...(rendered.get(d) ?? [])]))
    const differences: ReliabilityResults['history']['accounts'][string]['differences'] = []
    for (const msgId of union) {
      const shownOn = devices.filter((d) => rendered.get(d)?.has(msgId) === true)
      if (shownOn.length < devices.length && differences.length < LIST_LIMIT)
        differences.push({ msgId, shownOn, missingOn: devices.filter((d) => !shownOn.includes(d)) })
    }
    result.accounts[account] = { devices, consistent: differences.length === 0, differences }
  }
  const checked = Object.values(result.accounts)
  result.consistent = checked.length === 0 ? null : checked.every((a) => a.consistent)
  return result
}

/**
 * A device that says "up to date" while it lacks a message the fleet's history held well before
 * is a false positive. Held means a store archived it (or, in a fleet without stores, a relay
 * carried it): a message stuck with a cut-off sender is nobody's history yet, and no honest client
 * could have it.
 */
function upToDateOf(
  events: readonly CourierEvent[],
  sent: Array<EventOf<'msg.sent'>>,
  firstArrival: Map<string, number>,
  subscriptions: Map<string, Set<string>>
): ReliabilityResults['upToDate'] {
  const result: ReliabilityResults['upToDate'] = { claims: 0, falsePositives: 0, examples: [] }
  const anyStore = events.some((e) => e.type === 'msg.stored')
  const heldAt = new Map<string, number>()
  for (const event of events) {
    if ((event.type === 'msg.stored' || (!anyStore && event.type === 'msg.relayed')) && !heldAt.has(event.hash)) heldAt.set(event.hash, event.t)
  }
  for (const event of events) {
    if (event.type !== 'device.status' || event.status !== 'upToDate') continue
    result.claims++
    const topics = subscriptions.get(event.device) ?? new Set<string>()
    const missing = sent.filter(
      (m) =>
        (heldAt.get(m.hash) ?? Infinity) < event.t - UP_TO_DATE_ALLOWANCE_MS &&
        m.device !== event.device &&
        topics.has(m.topic) &&
        !((firstArrival.get(`${event.device}/${m.msgId}`) ?? Infinity) <= event.t)
    )
    if (missing.length === 0) continue
    result.falsePositives++
    if (result.examples.length < LIST_LIMIT)
      result.examples.push({ device: event.device, t: event.t, missing: missing.length, missingIds: missing.slice(0, 10).map((m) => m.msgId) })
  }
  return result
}

/** A push is phantom when its message is not on screen `boundMs` after the push arrived. */
function pushOf(events: readonly CourierEvent[], boundMs: number): ReliabilityResults['push'] {
  const renderedAt = new Map<string, number>()
  for (const event of events)
    if (event.type === 'msg.rendered' && !renderedAt.has(`${event.device}/${event.msgId}`)) renderedAt.set(`${event.device}/${event.msgId}`, event.t)
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

function stagesOf(events: readonly CourierEvent[]): ReliabilityResults['stages'] {
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

/** At each timeline checkpoint, the devices of one account must show the same messages sent well before it. */
function checkpointsOf(
  events: readonly CourierEvent[],
  sent: Array<EventOf<'msg.sent'>>,
  accounts: Record<string, string>
): ReliabilityResults['history']['checkpoints'] {
  const checkpoints = events.filter((e): e is EventOf<'timeline.action'> => e.type === 'timeline.action' && e.action === 'checkpoint')
  if (checkpoints.length === 0) return []
  const sentAt = new Map(sent.map((m) => [m.msgId, m.t]))
  return checkpoints.map((checkpoint) => {
    const rendered = new Map<string, Set<string>>()
    for (const event of events) {
      if (event.t > checkpoint.t) break
      if (event.type === 'msg.rendered' && (sentAt.get(event.msgId) ?? Infinity) <= checkpoint.t - CHECKPOINT_ALLOWANCE_MS) {
        ;(rendered.get(event.device) ?? rendered.set(event.device, new Set()).get(event.device))?.add(event.msgId)
      }
    }
    const history = historyOf(rendered, accounts)
    const differences = Object.entries(history.accounts)
      .flatMap(([account, a]) => a.differences.map((d) => ({ account, ...d })))
      .slice(0, LIST_LIMIT)
    return { name: String(checkpoint.detail.name ?? `#${checkpoint.index}`), t: checkpoint.t, consistent: history.consistent !== false, differences }
  })
}

function sentChecksOf(events: readonly CourierEvent[], sent: Array<EventOf<'msg.sent'>>): ReliabilityResults['sentChecks'] {
  const out: ReliabilityResults['sentChecks'] = userKeyed()
  const checking = new Set(events.flatMap((e) => (e.type === 'msg.confirm' ? [e.device] : [])))
  const confirmed = new Set<string>()
  const resent = new Map<string, number>()
  for (const device of checking) out[device] = { checks: 0, failedChecks: 0, bytes: 0, sent: 0, confirmed: 0, resent: 0, unconfirmed: 0, unconfirmedIds: [] }
  for (const event of events) {
    if (event.type === 'msg.confirm' && out[event.device] != null) {
      out[event.device].checks++
      out[event.device].bytes += event.bytes
      if (event.error != null) out[event.device].failedChecks++
    } else if (event.type === 'msg.confirmed') confirmed.add(`${event.device}/${event.msgId}`)
    else if (event.type === 'msg.resent') resent.set(event.device, (resent.get(event.device) ?? 0) + 1)
  }
  for (const message of sent) {
    const entry = message.device == null ? undefined : out[message.device]
    if (entry == null) continue
    entry.sent++
    if (confirmed.has(`${message.device}/${message.msgId}`)) entry.confirmed++
    else {
      entry.unconfirmed++
      if (entry.unconfirmedIds.length < LIST_LIMIT) entry.unconfirmedIds.push(message.msgId)
    }
  }
  for (const [device, entry] of Object.entries(out)) entry.resent = resent.get(device) ?? 0
  // built without a prototype (a device may be called `constructor`), handed out as a plain object
  return { ...out }
}

function storeChoiceOf(events: readonly CourierEvent[]): ReliabilityResults['storeChoice'] {
  const result: ReliabilityResults['storeChoice'] = { selected: [], switches: [] }
  for (const event of events) {
    if (event.type === 'store.select') result.selected.push({ t: event.t, device: event.device, store: event.store, rttMs: event.rttMs })
    else if (event.type === 'store.switch') result.switches.push({ t: event.t, device: event.device, from: event.from, to: event.to, failures: event.failures })
  }
  return result
}

function storeSyncOf(events: readonly CourierEvent[]): ReliabilityResults['storeSync'] {
  const result: ReliabilityResults['storeSync'] = { fetched: 0, failedRounds: 0, byStore: {} }
  for (const event of events) {
    if (event.type !== 'store.sync') continue
    if (event.error != null) result.failedRounds++
    result.fetched += event.fetched
    result.byStore[event.store] = (result.byStore[event.store] ?? 0) + event.fetched
  }
  return result
}

/** The crowd topic is the one the crowd posts on (crowd messages carry a node, not a device). */
function crowdOf(events: readonly CourierEvent[], sent: Array<EventOf<'msg.sent'>>, subscriptions: Map<string, Set<string>>): ReliabilityResults['crowd'] {
  const topic = sent.find((m) => m.node != null)?.topic
  if (topic == null) return null
  const start = events.find((e) => e.type === 'scenario.start')?.t ?? 0
  const end = events.find((e) => e.type === 'scenario.end')?.t ?? events.at(-1)?.t ?? start
  const hours = Math.max(1, end - start) / HOUR_MS
  const onTopic = new Set(sent.filter((m) => m.topic === topic).map((m) => m.msgId))
  const devices: NonNullable<ReliabilityResults['crowd']>['devices'] = userKeyed()
  for (const [device, topics] of subscriptions)
    if (topics.has(topic)) devices[device] = { messages: 0, messagesPerHour: 0, messageBytesPerHour: 0, previewBytesPerHour: 0, previewShare: null }
  const bytes = new Map<string, number>()
  for (const event of events) {
    if (event.type !== 'msg.received' || devices[event.device] == null || !onTopic.has(event.msgId)) continue
    bytes.set(event.device, (bytes.get(event.device) ?? 0) + event.bytes)
    if (!event.duplicate) devices[event.device].messages++
  }
  for (const [device, entry] of Object.entries(devices)) {
    const messageBytes = bytes.get(device) ?? 0
    entry.messagesPerHour = round(entry.messages / hours, 0)
    entry.messageBytesPerHour = round(messageBytes / hours, 0)
    entry.previewBytesPerHour = round((entry.messages * PREVIEW_ENTRY_BYTES) / hours, 0)
    entry.previewShare = messageBytes > 0 ? round((entry.messages * PREVIEW_ENTRY_BYTES) / messageBytes, 4) : null
  }
  return { topic, previewEntryBytes: PREVIEW_ENTRY_BYTES, devices }
}

import type { CourierEvent, EventOf, ReliabilityResults } from '../interface/index.js'
import { userKeyed } from '../interface/index.js'
import { Column, getOr, IntColumn, Interner, type Fold } from './fold.js'
import { MessageLedger, type SentRows } from './ledger.js'
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
  const ledger = new MessageLedger()
  const fold = new ReliabilityFold(ledger)
  for (const event of events) {
    fold.add(event)
    ledger.add(event)
  }
  return fold.finish({ accounts, pushBoundMs })
}

type Partition = ReliabilityResults['partitions'][number]
type FailoverEpisode = ReliabilityResults['failover'][number]
type FilterEpisode = NonNullable<ReliabilityResults['filterFailover']>[number]

/**
 * analyzeReliability as a fold. It reads the shared ledger's per-message state, and must see each
 * event before the ledger does: a history checkpoint is taken of what was rendered before the
 * first event later than it.
 */
export class ReliabilityFold implements Fold<ReliabilityResults, { accounts: Record<string, string>; pushBoundMs?: number }> {
  private readonly subscriptions = new Map<string, Set<string>>()
  private lastT = 0
  private scenarioStart: number | undefined
  private scenarioEnd: number | undefined
  // partitions
  private readonly partitions: Partition[] = []
  private openPartition: Partition | undefined
  // store failover
  private readonly failover: FailoverEpisode[] = []
  private readonly queryStart = new Map<string, number>()
  private readonly storeDiedAt = new Map<string, number>()
  private readonly openFailover = new Map<string, FailoverEpisode>()
  // filter failover
  private readonly filterFailover: FilterEpisode[] = []
  private readonly nodeDiedAt = new Map<string, number>()
  private readonly openFilter = new Map<string, FilterEpisode[]>()
  private readonly audits: Array<EventOf<'store.audit'>> = []
  // history checkpoints: each device's rendered count when the first later event came
  private readonly checkpoints: Array<{ name: string; t: number; rendered?: Map<string, number> }> = []
  private pendingCheckpoint = 0
  // sent checks
  private readonly checks = new Map<string, { checks: number; failedChecks: number; bytes: number }>()
  private readonly confirmed = new Map<string, Set<number>>()
  private readonly resent = new Map<string, number>()
  private readonly storeChoice: ReliabilityResults['storeChoice'] = { selected: [], switches: [] }
  private readonly storeSync: ReliabilityResults['storeSync'] = { fetched: 0, failedRounds: 0, byStore: {} }
  // crowd: per device, received bytes and first receptions by the topic of the message
  private readonly topicOf = new IntColumn()
  private readonly topics = new Interner()
  private readonly crowdReceived = new Map<string, Map<number, { bytes: number; messages: number }>>()
  private readonly receivedUnsent: Array<{ device: string; msgId: string; bytes: number; duplicate: boolean }> = []
  // up to date: when each message was first held by a store (or, while no store archived anything, by a relay)
  private anyStore = false
  private readonly storedAt = new Column()
  private readonly relayedAt = new Column()
  private readonly claims: Array<{ device: string; t: number }> = []
  private readonly pushes: Array<{ device: string; msgId: string; t: number }> = []
  private readonly stages: Array<EventOf<'store.stages'>> = []

  constructor(private readonly ledger: MessageLedger) {}

  add(event: CourierEvent): void {
    this.lastT = event.t
    while (this.pendingCheckpoint < this.checkpoints.length && event.t > this.checkpoints[this.pendingCheckpoint].t) {
      this.checkpoints[this.pendingCheckpoint++].rendered = new Map([...this.ledger.devices].map(([device, d]) => [device, d.shownOrder.length]))
    }
    switch (event.type) {
      case 'scenario.start':
        this.scenarioStart ??= event.t
        break
      case 'scenario.end':
        this.scenarioEnd ??= event.t
        break
      case 'device.subscribe':
        getOr(this.subscriptions, event.device, () => new Set()).add(event.topic)
        break
      case 'partition.start':
        this.openPartition = {
          start: event.t,
          heal: null,
          groups: event.groups,
          cross: { expected: 0, delivered: 0, lost: 0 },
          byGroups: [],
          healToFullDeliveryMs: null
        }
        this.partitions.push(this.openPartition)
        break
      case 'partition.heal':
        if (this.openPartition != null) {
          this.openPartition.heal = event.t
          this.openPartition = undefined
        }
        break
      case 'node.down':
        if (event.role === 'store' && event.reason !== 'stopped') this.storeDiedAt.set(event.node, event.t)
        if (event.reason !== 'stopped') this.nodeDiedAt.set(event.node, event.t)
        break
      case 'node.up':
        if (event.role === 'store') this.storeDiedAt.delete(event.node)
        this.nodeDiedAt.delete(event.node)
        break
      case 'store.query':
        this.queryStart.set(event.requestId, event.t)
        break
      case 'store.response':
        this.failoverOn(event)
        break
      case 'filter.subscription':
        this.filterOn(event)
        break
      case 'store.audit':
        this.audits.push(event)
        break
      case 'timeline.action':
        if (event.action === 'checkpoint') this.checkpoints.push({ name: String(event.detail.name ?? `#${event.index}`), t: event.t })
        break
      case 'msg.confirm': {
        const entry = getOr(this.checks, event.device, () => ({ checks: 0, failedChecks: 0, bytes: 0 }))
        entry.checks++
        entry.bytes += event.bytes
        if (event.error != null) entry.failedChecks++
        break
      }
      case 'msg.confirmed':
        getOr(this.confirmed, event.device, () => new Set()).add(this.ledger.msgIds.id(event.msgId))
        break
      case 'msg.resent':
        this.resent.set(event.device, (this.resent.get(event.device) ?? 0) + 1)
        break
      case 'store.select':
        this.storeChoice.selected.push({ t: event.t, device: event.device, store: event.store, rttMs: event.rttMs })
        break
      case 'store.switch':
        this.storeChoice.switches.push({ t: event.t, device: event.device, from: event.from, to: event.to, failures: event.failures })
        break
      case 'store.sync':
        if (event.error != null) this.storeSync.failedRounds++
        this.storeSync.fetched += event.fetched
        this.storeSync.byStore[event.store] = (this.storeSync.byStore[event.store] ?? 0) + event.fetched
        break
      case 'msg.sent':
        this.topicOf.set(this.ledger.msgIds.id(event.msgId), this.topics.id(event.topic))
        break
      case 'msg.received': {
        const topic = this.topicOf.get(this.ledger.msgIds.id(event.msgId))
        if (topic < 0) {
          this.receivedUnsent.push({ device: event.device, msgId: event.msgId, bytes: event.bytes, duplicate: event.duplicate })
          break
        }
        const entry = getOr(
          getOr(this.crowdReceived, event.device, () => new Map()),
          topic,
          () => ({ bytes: 0, messages: 0 })
        )
        entry.bytes += event.bytes
        if (!event.duplicate) entry.messages++
        break
      }
      case 'msg.stored': {
        this.anyStore = true
        const i = this.ledger.hashes.id(event.hash)
        if (Number.isNaN(this.storedAt.get(i))) this.storedAt.set(i, event.t)
        break
      }
      case 'msg.relayed': {
        if (this.anyStore) break
        const i = this.ledger.hashes.id(event.hash)
        if (Number.isNaN(this.relayedAt.get(i))) this.relayedAt.set(i, event.t)
        break
      }
      case 'device.status':
        if (event.status === 'upToDate') this.claims.push({ device: event.device, t: event.t })
        break
      case 'push.received':
        this.pushes.push({ device: event.device, msgId: event.msgId, t: event.t })
        break
      case 'store.stages':
        this.stages.push(event)
        break
      default:
        break
    }
  }

  finish({ accounts, pushBoundMs = 5000 }: { accounts: Record<string, string>; pushBoundMs?: number }): ReliabilityResults {
    for (const checkpoint of this.checkpoints) checkpoint.rendered ??= new Map([...this.ledger.devices].map(([device, d]) => [device, d.shownOrder.length]))
    const ledger = this.ledger
    const sent = ledger.sent
    const name = (i: number): string => ledger.msgIds.name(i)
    return {
      partitions: partitionsOf(this.partitions, this.lastT, ledger, this.subscriptions),
      failover: this.failover,
      filterFailover: this.filterFailover,
      audit: auditOf(this.audits, this.scenarioStart ?? 0, ledger),
      history: { ...historyOf(ledger.renderedSets(), accounts, name), checkpoints: this.checkpointsOf(sent, accounts) },
      sentChecks: this.sentChecksOf(sent),
      storeChoice: this.storeChoice,
      storeSync: this.storeSync,
      crowd: this.crowdOf(sent),
      upToDate: this.upToDateOf(sent),
      push: this.pushOf(pushBoundMs),
      stages: stagesOf(this.stages)
    }
  }

  /**
   * A failover episode starts when a device's history request to a store fails (refused, timed out,
   * or an error status), or when that store died before the request, whichever came first; it ends
   * with the device's next good answer from any store. A dead store that refuses at once costs
   * little; one that hangs costs the client's whole timeout: this is what tells them apart.
   */
  private failoverOn(event: EventOf<'store.response'>): void {
    if (event.status !== 200) {
      const key = `${event.device}/${event.store}`
      if (this.openFailover.has(key)) return
      const started = this.queryStart.get(event.requestId) ?? event.t
      const died = this.storeDiedAt.get(event.store)
      const episode = {
        store: event.store,
        downAt: round(died != null && died < started ? died : started),
        device: event.device,
        recoveredAt: null,
        ms: null,
        via: null
      }
      this.openFailover.set(key, episode)
      this.failover.push(episode)
    } else {
      // any good answer ends the device's episodes: from another store (a failover) or from the
      // same store once it is back (a partition healed, a restarted store)
      for (const [key, episode] of this.openFailover) {
        if (episode.device !== event.device) continue
        episode.recoveredAt = event.t
        episode.ms = round(event.t - episode.downAt)
        episode.via = event.store
        this.openFailover.delete(key)
      }
    }
  }

  /**
   * A light device's subscription episode opens when it finds a subscription lost (its connection
   * closed, or a ping failed) and closes with its next subscription on any node. When the service
   * node was killed before, the episode counts from the death: that is when pushes stopped.
   */
  private filterOn(event: EventOf<'filter.subscription'>): void {
    if (event.state === 'lost') {
      const died = this.nodeDiedAt.get(event.node) ?? null
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
      this.filterFailover.push(episode)
      getOr(this.openFilter, event.device, () => []).push(episode)
    } else if (event.state === 'subscribed') {
      const episode = this.openFilter.get(event.device)?.shift()
      if (episode == null) return
      episode.recoveredAt = event.t
      episode.via = event.node
      episode.ms = round(event.t - (episode.diedAt ?? episode.lostAt))
    }
  }

  /** At each timeline checkpoint, the devices of one account must show the same messages sent well before it. */
  private checkpointsOf(sent: SentRows, accounts: Record<string, string>): ReliabilityResults['history']['checkpoints'] {
    if (this.checkpoints.length === 0) return []
    // each message's last send
    const sentAt = new Column()
    for (let k = 0; k < sent.length; k++) sentAt.set(sent.msg.get(k), sent.t.get(k))
    const name = (i: number): string => this.ledger.msgIds.name(i)
    return this.checkpoints.map((checkpoint) => {
      const rendered = new Map<string, Set<number>>()
      for (const [device, ids] of this.ledger.renderedSets(checkpoint.rendered)) {
        const kept = new Set([...ids].filter((i) => (Number.isNaN(sentAt.get(i)) ? Infinity : sentAt.get(i)) <= checkpoint.t - CHECKPOINT_ALLOWANCE_MS))
        if (kept.size > 0) rendered.set(device, kept)
      }
      const history = historyOf(rendered, accounts, name)
      const differences = Object.entries(history.accounts)
        .flatMap(([account, a]) => a.differences.map((d) => ({ account, ...d })))
        .slice(0, LIST_LIMIT)
      return { name: checkpoint.name, t: checkpoint.t, consistent: history.consistent !== false, differences }
    })
  }

  private sentChecksOf(sent: SentRows): ReliabilityResults['sentChecks'] {
    const out: ReliabilityResults['sentChecks'] = userKeyed()
    for (const [device, c] of this.checks) out[device] = { ...c, sent: 0, confirmed: 0, resent: 0, unconfirmed: 0, unconfirmedIds: [] }
    if (this.checks.size === 0) return { ...out }
    for (let k = 0; k < sent.length; k++) {
      const device = sent.deviceOf(k)
      const entry = device == null ? undefined : out[device]
      if (entry == null) continue
      entry.sent++
      if (this.confirmed.get(device!)?.has(sent.msg.get(k)) === true) entry.confirmed++
      else {
        entry.unconfirmed++
        if (entry.unconfirmedIds.length < LIST_LIMIT) entry.unconfirmedIds.push(this.ledger.msgIds.name(sent.msg.get(k)))
      }
    }
    for (const [device, entry] of Object.entries(out)) entry.resent = this.resent.get(device) ?? 0
    // built without a prototype (a device may be called `constructor`), handed out as a plain object
    return { ...out }
  }

  /** The crowd topic is the one the crowd posts on (crowd messages carry a node, not a device). */
  private crowdOf(sent: SentRows): ReliabilityResults['crowd'] {
    let topic: string | undefined
    for (let k = 0; k < sent.length && topic == null; k++) if (sent.node.get(k) >= 0) topic = sent.topicOf(k)
    if (topic == null) return null
    const start = this.scenarioStart ?? 0
    const end = this.scenarioEnd ?? this.lastT
    const hours = Math.max(1, end - start) / HOUR_MS
    const devices: NonNullable<ReliabilityResults['crowd']>['devices'] = userKeyed()
    for (const [device, topics] of this.subscriptions)
      if (topics.has(topic)) devices[device] = { messages: 0, messagesPerHour: 0, messageBytesPerHour: 0, previewBytesPerHour: 0, previewShare: null }
    const bytes = new Map<string, number>()
    const code = this.topics.get(topic)
    for (const [device, entry] of Object.entries(devices)) {
      const got = code == null ? undefined : this.crowdReceived.get(device)?.get(code)
      if (got != null) {
        bytes.set(device, got.bytes)
        entry.messages = got.messages
      }
    }
    // arrivals of a message not sent yet when they came: its topic is known now
    const onTopic = new Set<number>()
    if (this.receivedUnsent.length > 0) for (let k = 0; k < sent.length; k++) if (sent.topicOf(k) === topic) onTopic.add(sent.msg.get(k))
    for (const r of this.receivedUnsent) {
      if (devices[r.device] == null || !onTopic.has(this.ledger.msgIds.get(r.msgId) ?? -1)) continue
      bytes.set(r.device, (bytes.get(r.device) ?? 0) + r.bytes)
      if (!r.duplicate) devices[r.device].messages++
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

  /**
   * A device that says "up to date" while it lacks a message the fleet's history held well before
   * is a false positive. Held means a store archived it (or, in a fleet without stores, a relay
   * carried it): a message stuck with a cut-off sender is nobody's history yet, and no honest client
   * could have it.
   */
  private upToDateOf(sent: SentRows): ReliabilityResults['upToDate'] {
    const result: ReliabilityResults['upToDate'] = { claims: 0, falsePositives: 0, examples: [] }
    const held = this.anyStore ? this.storedAt : this.relayedAt
    for (const claim of this.claims) {
      result.claims++
      const topics = this.subscriptions.get(claim.device) ?? new Set<string>()
      const arrivals = this.ledger.devices.get(claim.device)?.firstT
      let missing = 0
      const missingIds: string[] = []
      for (let k = 0; k < sent.length; k++) {
        const heldAt = held.get(sent.hash.get(k))
        if (!(heldAt < claim.t - UP_TO_DATE_ALLOWANCE_MS) || sent.deviceOf(k) === claim.device || !topics.has(sent.topicOf(k))) continue
        // NaN (never arrived) is not <= claim.t
        if ((arrivals?.get(sent.msg.get(k)) ?? Number.NaN) <= claim.t) continue
        missing++
        if (missingIds.length < 10) missingIds.push(this.ledger.msgIds.name(sent.msg.get(k)))
      }
      if (missing === 0) continue
      result.falsePositives++
      if (result.examples.length < LIST_LIMIT) result.examples.push({ device: claim.device, t: claim.t, missing, missingIds })
    }
    return result
  }

  /** A push is phantom when its message is not on screen `boundMs` after the push arrived. */
  private pushOf(boundMs: number): ReliabilityResults['push'] {
    const delays: number[] = []
    const result: ReliabilityResults['push'] = { received: 0, phantom: 0, boundMs, renderDelay: summarize([]), examples: [] }
    for (const push of this.pushes) {
      result.received++
      const shown = this.ledger.firstShown(push.device, push.msgId)
      const delay = shown == null ? Infinity : Math.max(0, shown - push.t)
      if (Number.isFinite(delay)) delays.push(delay)
      if (delay > boundMs) {
        result.phantom++
        if (result.examples.length < LIST_LIMIT) result.examples.push({ device: push.device, msgId: push.msgId, pushAt: push.t, renderedAt: shown ?? null })
      }
    }
    result.renderDelay = summarize(delays)
    return result
  }
}

function partitionsOf(out: Partition[], end: number, ledger: MessageLedger, subscriptions: Map<string, Set<string>>): ReliabilityResults['partitions'] {
  const sent = ledger.sent
  for (const partition of out) {
    const groupOf = new Map(partition.groups.flatMap((group, i) => group.map((name): [string, number] => [name, i])))
    const until = partition.heal ?? end
    let lastDelivery = -Infinity
    let allDelivered = true
    for (let k = 0; k < sent.length; k++) {
      const t = sent.t.get(k)
      if (t < partition.start || t >= until) continue
      const sender = sent.deviceOf(k)
      const senderGroup = groupOf.get(sender ?? sent.nodeOf(k) ?? '')
      if (senderGroup == null) continue
      for (const [device, topics] of subscriptions) {
        if (device === sender || !topics.has(sent.topicOf(k))) continue
        const group = groupOf.get(device)
        if (group == null || group === senderGroup) continue
        partition.cross.expected++
        const pair =
          partition.byGroups.find((p) => p.from === senderGroup && p.to === group) ??
          partition.byGroups[partition.byGroups.push({ from: senderGroup, to: group, expected: 0, delivered: 0, lost: 0 }) - 1]
        pair.expected++
        const arrival = ledger.firstArrivalOf(device, sent.msg.get(k))
        if (Number.isNaN(arrival)) {
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

function auditOf(audits: ReadonlyArray<EventOf<'store.audit'>>, scenarioStart: number, ledger: MessageLedger): ReliabilityResults['audit'] {
  // each hash's last send
  const sentAt = new Column()
  if (audits.length > 0) for (let k = 0; k < ledger.sent.length; k++) sentAt.set(ledger.sent.hash.get(k), ledger.sent.t.get(k))
  const stores: ReliabilityResults['audit']['stores'] = userKeyed()
  for (const event of audits) {
    const missingByWindow: Record<string, number> = {}
    for (const hash of event.missingHashes) {
      const i = ledger.hashes.get(hash)
      const t = i == null ? Number.NaN : sentAt.get(i)
      const window = Number.isNaN(t) ? 'unknown' : `${Math.floor((t - scenarioStart) / 10_000) * 10}s`
      missingByWindow[window] = (missingByWindow[window] ?? 0) + 1
    }
    stores[event.store] = { reachable: event.reachable, expected: event.expected, missing: event.missing, extra: event.extra, missingByWindow }
  }
  const audited = Object.values(stores)
  return { stores, inSync: audited.length === 0 ? null : audited.every((s) => s.reachable && s.missing === 0 && s.extra === 0) }
}

/** `rendered` holds message indices; `name` gives a message's msgId. */
function historyOf(
  rendered: Map<string, Set<number>>,
  accounts: Record<string, string>,
  name: (i: number) => string
): Omit<ReliabilityResults['history'], 'checkpoints'> {
  const byAccount = new Map<string, string[]>()
  for (const [device, account] of Object.entries(accounts)) byAccount.set(account, [...(byAccount.get(account) ?? []), device])
  const result: Omit<ReliabilityResults['history'], 'checkpoints'> = { accounts: {}, consistent: null }
  for (const [account, devices] of byAccount) {
    if (devices.length < 2) continue
    const union = new Set(devices.flatMap((d) => [...(rendered.get(d) ?? [])]))
    const differences: ReliabilityResults['history']['accounts'][string]['differences'] = []
    for (const i of union) {
      const shownOn = devices.filter((d) => rendered.get(d)?.has(i) === true)
      if (shownOn.length < devices.length && differences.length < LIST_LIMIT)
        differences.push({ msgId: name(i), shownOn, missingOn: devices.filter((d) => !shownOn.includes(d)) })
    }
    result.accounts[account] = { devices, consistent: differences.length === 0, differences }
  }
  const checked = Object.values(result.accounts)
  result.consistent = checked.length === 0 ? null : checked.every((a) => a.consistent)
  return result
}

function stagesOf(stages: ReadonlyArray<EventOf<'store.stages'>>): ReliabilityResults['stages'] {
  return {
    requests: stages.length,
    dialMs: summarize(stages.map((s) => s.dialed - s.sent)),
    firstPageMs: summarize(stages.map((s) => s.firstPage - s.dialed)),
    transferMs: summarize(stages.map((s) => s.lastPage - s.firstPage)),
    renderMs: summarize(stages.map((s) => s.rendered - s.lastPage)),
    totalMs: summarize(stages.map((s) => s.rendered - s.sent))
  }
}

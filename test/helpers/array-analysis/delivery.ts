import type { CourierEvent, DeviceDelivery, EventOf } from '../../../harness/interface/index.js'
import { userKeyed } from '../../../harness/interface/index.js'
import { round, summarize } from './stats.js'

/** Caps the per-device list of lost message ids kept in results. */
const LOST_LIST_LIMIT = 50

interface SentMessage {
  t: number
  msgId: string
  topic: string
  sender: string
}

/** Time intervals [from, to) during which a device was on the network. */
type Intervals = Array<[number, number]>

/**
 * Delivery per device and overall. A device is expected to receive a message when it joined the
 * message's topic, did not send it, and was on the network at some point between the send and the
 * end of the traffic phase (so it could have received it, live or from a store). Everything is
 * keyed by courier's msgId; the first arrival counts for latency, later ones are duplicates.
 */
export function analyzeDelivery(
  events: readonly CourierEvent[],
  samples?: LatencySamples
): { overall: DeviceDelivery; devices: Record<string, DeviceDelivery>; messages: { sent: number; byDevices: number; byCrowd: number } } {
  const sent = new Map<string, SentMessage>()
  const subscriptions = new Map<string, Set<string>>()
  const online = new Map<string, Intervals>()
  const failedAt = new Map<string, number>()
  const firstReceived = new Map<string, Map<string, EventOf<'msg.received'>>>()
  const rendered = new Map<string, Map<string, number>>()
  const duplicates = new Map<string, Record<string, number>>()
  const receptions = new Map<string, number>()
  let scenarioEnd = Infinity
  let lastT = 0

  for (const event of events) {
    lastT = Math.max(lastT, event.t)
    switch (event.type) {
      case 'scenario.end':
        scenarioEnd = event.t
        break
      case 'msg.sent':
        sent.set(event.msgId, { t: event.t, msgId: event.msgId, topic: event.topic, sender: event.device ?? 'crowd' })
        break
      case 'device.subscribe':
        getOr(subscriptions, event.device, () => new Set()).add(event.topic)
        break
      case 'device.online':
        getOr(online, event.device, () => []).push([event.t, Infinity])
        break
      case 'device.offline':
      case 'device.down': {
        const intervals = online.get(event.device)
        const open = intervals?.at(-1)
        if (open != null && open[1] === Infinity) open[1] = event.t
        break
      }
      case 'device.failed':
        if (!failedAt.has(event.device)) failedAt.set(event.device, event.t)
        break
      case 'msg.received': {
        receptions.set(event.device, (receptions.get(event.device) ?? 0) + 1)
        const byMsg = getOr(firstReceived, event.device, () => new Map())
        if (!byMsg.has(event.msgId)) byMsg.set(event.msgId, event)
        else {
          const byPath = getOr<string, Record<string, number>>(duplicates, event.device, () => ({}))
          byPath[event.via] = (byPath[event.via] ?? 0) + 1
        }
        break
      }
      case 'msg.rendered': {
        const byMsg = getOr(rendered, event.device, () => new Map())
        if (!byMsg.has(event.msgId)) byMsg.set(event.msgId, event.t)
        break
      }
      default:
        break
    }
  }
  if (scenarioEnd === Infinity) scenarioEnd = lastT

  const devices = userKeyed<DeviceDelivery>()
  const allLatencies: number[] = []
  const allRender: number[] = []
  const totals = {
    expected: 0,
    delivered: 0,
    lost: 0,
    duplicates: 0,
    receptions: 0,
    byPath: {} as Record<string, number>,
    firstByPath: {} as Record<string, number>,
    lostMessages: [] as string[],
    failed: false
  }

  for (const [device, topics] of subscriptions) {
    const intervals = online.get(device) ?? []
    const failed = failedAt.get(device)
    const received = firstReceived.get(device) ?? new Map<string, EventOf<'msg.received'>>()
    const renderedAt = rendered.get(device) ?? new Map<string, number>()
    const latencies: number[] = []
    const renderLatencies: number[] = []
    const firstByPath: Record<string, number> = {}
    const lostMessages: string[] = []
    let expected = 0
    let delivered = 0
    for (const message of sent.values()) {
      if (message.sender === device || !topics.has(message.topic)) continue
      const until = failed != null ? Math.min(failed, scenarioEnd) : scenarioEnd
      if (!wasOnlineBetween(intervals, message.t, until)) continue
      expected++
      const arrival = received.get(message.msgId)
      if (arrival == null) {
        if (lostMessages.length < LOST_LIST_LIMIT) lostMessages.push(message.msgId)
        continue
      }
      delivered++
      latencies.push(arrival.t - message.t)
      firstByPath[arrival.via] = (firstByPath[arrival.via] ?? 0) + 1
      const shownAt = renderedAt.get(message.msgId)
      if (shownAt != null) renderLatencies.push(shownAt - message.t)
    }
    const dupByPath = duplicates.get(device) ?? {}
    const dupTotal = Object.values(dupByPath).reduce((a, b) => a + b, 0)
    const deviceReceptions = receptions.get(device) ?? 0
    devices[device] = {
      expected,
      delivered,
      lost: expected - delivered,
      lossRate: expected === 0 ? 0 : round((expected - delivered) / expected, 6),
      latency: summarize(latencies),
      renderLatency: summarize(renderLatencies),
      duplicates: { total: dupTotal, rate: deviceReceptions === 0 ? 0 : round(dupTotal / deviceReceptions, 6), byPath: dupByPath },
      firstByPath,
      failed: failed != null,
      lostMessages
    }
    allLatencies.push(...latencies)
    if (samples != null) {
      samples.devices[device] = latencies
      samples.renderDevices[device] = renderLatencies
    }
    allRender.push(...renderLatencies)
    totals.expected += expected
    totals.delivered += delivered
    totals.duplicates += dupTotal
    totals.receptions += deviceReceptions
    totals.failed ||= failed != null
    for (const [path, n] of Object.entries(dupByPath)) totals.byPath[path] = (totals.byPath[path] ?? 0) + n
    for (const [path, n] of Object.entries(firstByPath)) totals.firstByPath[path] = (totals.firstByPath[path] ?? 0) + n
    for (const id of lostMessages) if (totals.lostMessages.length < LOST_LIST_LIMIT) totals.lostMessages.push(`${device}:${id}`)
  }

  const overall: DeviceDelivery = {
    expected: totals.expected,
    delivered: totals.delivered,
    lost: totals.expected - totals.delivered,
    lossRate: totals.expected === 0 ? 0 : round((totals.expected - totals.delivered) / totals.expected, 6),
    latency: summarize(allLatencies),
    renderLatency: summarize(allRender),
    duplicates: { total: totals.duplicates, rate: totals.receptions === 0 ? 0 : round(totals.duplicates / totals.receptions, 6), byPath: totals.byPath },
    firstByPath: totals.firstByPath,
    failed: totals.failed,
    lostMessages: totals.lostMessages
  }
  if (samples != null) {
    samples.overall = allLatencies
    samples.render = allRender
  }
  const byDevices = [...sent.values()].filter((m) => m.sender !== 'crowd').length
  return { overall, devices, messages: { sent: sent.size, byDevices, byCrowd: sent.size - byDevices } }
}

/** Every first-delivery latency (ms), per device and overall: the samples behind the latency summaries. */
export interface LatencySamples {
  overall: number[]
  devices: Record<string, number[]> /** send -> msg.rendered */
  render: number[]
  renderDevices: Record<string, number[]>
}

/** The same expected-message rules as analyzeDelivery, so a comparison tests exactly the figures the report shows. */
export function deliveryLatencySamples(events: readonly CourierEvent[]): LatencySamples {
  const samples: LatencySamples = { overall: [], devices: {}, render: [], renderDevices: {} }
  analyzeDelivery(events, samples)
  return samples
}

function wasOnlineBetween(intervals: Intervals, from: number, to: number): boolean {
  // a message sent after the device failed (to < from) is not one it could have received
  return from <= to && intervals.some(([start, end]) => start <= to && end >= from)
}

function getOr<K, V>(map: Map<K, V>, key: K, create: () => V): V {
  let value = map.get(key)
  if (value === undefined) {
    value = create()
    map.set(key, value)
  }
  return value
}

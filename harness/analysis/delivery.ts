import type { CourierEvent, DeviceDelivery } from '../interface/index.js'
import { userKeyed } from '../interface/index.js'
import { getOr, type Fold } from './fold.js'
import { MessageLedger } from './ledger.js'
import { round, summarize, summarizeInPlace } from './stats.js'

/** Caps the per-device list of lost message ids kept in results. */
const LOST_LIST_LIMIT = 50

/** Time intervals [from, to) during which a device was on the network. */
type Intervals = Array<[number, number]>

export type DeliveryResult = {
  overall: DeviceDelivery
  devices: Record<string, DeviceDelivery>
  messages: { sent: number; byDevices: number; byCrowd: number }
}

/**
 * Delivery per device and overall. A device is expected to receive a message when it joined the
 * message's topic, did not send it, and was on the network at some point between the send and the
 * end of the traffic phase (so it could have received it, live or from a store). Everything is
 * keyed by courier's msgId; the first arrival counts for latency, later ones are duplicates.
 */
export function analyzeDelivery(events: readonly CourierEvent[], samples?: LatencySamples): DeliveryResult {
  const ledger = new MessageLedger()
  const fold = new DeliveryFold(ledger)
  for (const event of events) {
    ledger.add(event)
    fold.add(event)
  }
  return fold.finish(samples)
}

/** analyzeDelivery as a fold; the per-message state is the shared ledger's, which the caller feeds. */
export class DeliveryFold implements Fold<DeliveryResult, LatencySamples | undefined> {
  private readonly subscriptions = new Map<string, Set<string>>()
  private readonly online = new Map<string, Intervals>()
  private readonly failedAt = new Map<string, number>()
  private scenarioEnd = Infinity
  private lastT = 0

  constructor(private readonly ledger: MessageLedger) {}

  add(event: CourierEvent): void {
    this.lastT = Math.max(this.lastT, event.t)
    switch (event.type) {
      case 'scenario.end':
        this.scenarioEnd = event.t
        break
      case 'device.subscribe':
        getOr(this.subscriptions, event.device, () => new Set()).add(event.topic)
        break
      case 'device.online':
        getOr(this.online, event.device, () => []).push([event.t, Infinity])
        break
      case 'device.offline':
      case 'device.down': {
        const intervals = this.online.get(event.device)
        const open = intervals?.at(-1)
        if (open != null && open[1] === Infinity) open[1] = event.t
        break
      }
      case 'device.failed':
        if (!this.failedAt.has(event.device)) this.failedAt.set(event.device, event.t)
        break
      default:
        break
    }
  }

  finish(samples?: LatencySamples): DeliveryResult {
    const { ledger, subscriptions, online, failedAt } = this
    const scenarioEnd = this.scenarioEnd === Infinity ? this.lastT : this.scenarioEnd
    const sends = ledger.sends()
    const rows = ledger.sent
    const devices = userKeyed<DeviceDelivery>()
    // a device's latencies are written into typed scratch arrays as long as the sends, then kept at
    // their size; all devices' are joined once all are known (a long run has millions of them)
    const deviceLatencies: Float64Array[] = []
    const deviceRender: Float64Array[] = []
    const latencyScratch = new Float64Array(sends.length)
    const renderScratch = new Float64Array(sends.length)
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
      const own = ledger.devices.get(device)
      let nLatencies = 0
      let nRender = 0
      const firstByPath: Record<string, number> = {}
      const lostMessages: string[] = []
      let expected = 0
      let delivered = 0
      const until = failed != null ? Math.min(failed, scenarioEnd) : scenarioEnd
      for (const k of sends) {
        if ((rows.deviceOf(k) ?? 'crowd') === device || !topics.has(rows.topicOf(k))) continue
        const sentT = rows.t.get(k)
        if (!wasOnlineBetween(intervals, sentT, until)) continue
        expected++
        const i = rows.msg.get(k)
        const arrivedAt = own?.firstT.get(i) ?? Number.NaN
        if (Number.isNaN(arrivedAt)) {
          if (lostMessages.length < LOST_LIST_LIMIT) lostMessages.push(ledger.msgIds.name(i))
          continue
        }
        delivered++
        latencyScratch[nLatencies++] = arrivedAt - sentT
        const via = ledger.paths.names[own!.firstVia.get(i)]!
        firstByPath[via] = (firstByPath[via] ?? 0) + 1
        const shownAt = own!.shownT.get(i)
        if (!Number.isNaN(shownAt)) renderScratch[nRender++] = shownAt - sentT
      }
      const latencies = latencyScratch.slice(0, nLatencies)
      const renderLatencies = renderScratch.slice(0, nRender)
      const dupByPath = own?.duplicates ?? {}
      const dupTotal = Object.values(dupByPath).reduce((a, b) => a + b, 0)
      const deviceReceptions = own?.receptions ?? 0
      devices[device] = {
        expected,
        delivered,
        lost: expected - delivered,
        lossRate: expected === 0 ? 0 : round((expected - delivered) / expected, 6),
        latency: summarize(latencies),
        renderLatency: summarize(renderLatencies),
        duplicates: { total: dupTotal, rate: deviceReceptions === 0 ? 0 : round(dupTotal / deviceReceptions, 6), byPath: { ...dupByPath } },
        firstByPath,
        failed: failed != null,
        lostMessages
      }
      deviceLatencies.push(latencies)
      deviceRender.push(renderLatencies)
      if (samples != null) {
        samples.devices[device] = Array.from(latencies)
        samples.renderDevices[device] = Array.from(renderLatencies)
      }
      totals.expected += expected
      totals.delivered += delivered
      totals.duplicates += dupTotal
      totals.receptions += deviceReceptions
      totals.failed ||= failed != null
      for (const [path, n] of Object.entries(dupByPath)) totals.byPath[path] = (totals.byPath[path] ?? 0) + n
      for (const [path, n] of Object.entries(firstByPath)) totals.firstByPath[path] = (totals.firstByPath[path] ?? 0) + n
      for (const id of lostMessages) if (totals.lostMessages.length < LOST_LIST_LIMIT) totals.lostMessages.push(`${device}:${id}`)
    }

    const allLatencies = joined(deviceLatencies)
    const allRender = joined(deviceRender)
    if (samples != null) {
      samples.overall = Array.from(allLatencies)
      samples.render = Array.from(allRender)
    }
    const overall: DeviceDelivery = {
      expected: totals.expected,
      delivered: totals.delivered,
      lost: totals.expected - totals.delivered,
      lossRate: totals.expected === 0 ? 0 : round((totals.expected - totals.delivered) / totals.expected, 6),
      latency: summarizeInPlace(allLatencies),
      renderLatency: summarizeInPlace(allRender),
      duplicates: { total: totals.duplicates, rate: totals.receptions === 0 ? 0 : round(totals.duplicates / totals.receptions, 6), byPath: totals.byPath },
      firstByPath: totals.firstByPath,
      failed: totals.failed,
      lostMessages: totals.lostMessages
    }
    let byDevices = 0
    for (const k of sends) if ((rows.deviceOf(k) ?? 'crowd') !== 'crowd') byDevices++
    return { overall, devices, messages: { sent: sends.length, byDevices, byCrowd: sends.length - byDevices } }
  }
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

function joined(lists: readonly Float64Array[]): Float64Array {
  const out = new Float64Array(lists.reduce((n, list) => n + list.length, 0))
  let at = 0
  for (const list of lists) {
    out.set(list, at)
    at += list.length
  }
  return out
}

function wasOnlineBetween(intervals: Intervals, from: number, to: number): boolean {
  // a message sent after the device failed (to < from) is not one it could have received
  return from <= to && intervals.some(([start, end]) => start <= to && end >= from)
}

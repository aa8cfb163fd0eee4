// A synthetic run for report tests, fixtures and the report benchmark: events that follow
// harness/interface exactly, and results computed from the generator's own ground truth (what it
// decided to deliver, when, by which path), never from the report code under test.
import { quantileSorted } from 'simple-statistics'
import {
  RESULTS_SCHEMA_VERSION,
  type CourierEvent,
  type DeliveryMatrix,
  type DeliveryPath,
  type DeviceDelivery,
  type EventData,
  type EventType,
  type LatencySummary,
  type MatrixCell,
  type DeviceEnergy,
  type MetricUnit,
  type MetricValue,
  type Results,
  type ThresholdResult,
  formatValue
} from '../../harness/interface/index.js'
import { seededRandom } from '../../harness/interface/index.js'

/** A threshold the generator evaluates against its own metrics. */
export interface SyntheticThreshold {
  metric: string
  op: '<' | '<=' | '==' | '>' | '>='
  target: number
  /** As the scenario wrote it, e.g. `< 2s`. */
  expression: string
}

/** Knobs of a synthetic run; every default gives the small crafted fixture run. */
export interface SyntheticRunOptions {
  seed?: number
  name?: string
  scenarioFile?: string
  durationMs?: number
  /** Device names; the first is a light client (filter), the others relay. */
  devices?: string[]
  /** Messages each device sends, spread over the scenario. */
  deviceMessages?: number
  crowdUsers?: number
  /** Crowd messages per second. */
  crowdRate?: number
  relays?: number
  stores?: number
  topic?: string
  /** Take the second device offline for this window (scenario ms). */
  offline?: { device?: string; atMs: number; forMs: number } | null
  /** Kill store-1 for this window (scenario ms). */
  killStore?: { atMs: number; forMs: number } | null
  partition?: { atMs: number; forMs: number } | null
  /** Probability a device never gets a message sent while it is online. */
  lossRate?: number
  /** Probability of a second arrival of a delivered message. */
  duplicateRate?: number
  /** Harness lag p99 during the run (ms); above `lagLimitMs` the run is saturated. */
  lagP99Ms?: number
  lagLimitMs?: number
  interrupted?: boolean
  /** Messages (by msgId) that never reach the listed devices. */
  forceLost?: Record<string, string[]>
  /** Mark this device as crashed half way through. */
  crashDevice?: string | null
  thresholds?: SyntheticThreshold[]
  /** Extra flat metrics merged into results.metrics. */
  extraMetrics?: Record<string, MetricValue>
  /** Emit bytes.sample events and fill results.bytes, .energy and .reliability (default true). */
  sections?: boolean
}

export interface SyntheticRun {
  events: CourierEvent[]
  results: Results
  /** Ground truth per message, for tests: who sent it, who got it when and how. */
  truth: Map<string, TruthRecord>
}

/** What the generator decided for one message. */
export interface TruthRecord {
  hash: string
  msgId: string
  /** A device name, or `crowd`. */
  sender: string
  sentT: number
  arrivals: Array<{ device: string; t: number; via: DeliveryPath; duplicate: boolean }>
}

export const DEFAULT_THRESHOLDS: SyntheticThreshold[] = [
  { metric: 'delivery.latency.p95', op: '<', target: 2000, expression: '< 2s' },
  { metric: 'delivery.loss', op: '==', target: 0, expression: '== 0' },
  { metric: 'delivery.duplicates.rate', op: '<', target: 0.05, expression: '< 5%' },
  { metric: 'store.latency.p95', op: '<', target: 1500, expression: '< 1.5s' },
  { metric: 'bytes.alice.down.perMessage', op: '<', target: 2000, expression: '< 2kB' }
]

/** Generates a run: deterministic for a given seed and options. */
export function synthesizeRun(options: SyntheticRunOptions = {}): SyntheticRun {
  const o = {
    seed: 42,
    name: 'crowded-topic-small',
    scenarioFile: 'scenarios/crowded-small.yaml',
    durationMs: 60_000,
    devices: ['alice', 'alice-2', 'bob'],
    deviceMessages: 12,
    crowdUsers: 50,
    crowdRate: 1.5,
    relays: 4,
    stores: 2,
    topic: 'devcon4',
    lossRate: 0.01,
    duplicateRate: 0.03,
    lagP99Ms: 18,
    lagLimitMs: 200,
    interrupted: false,
    crashDevice: null,
    thresholds: DEFAULT_THRESHOLDS,
    extraMetrics: {},
    ...options
  }
  const offline = options.offline === undefined ? { atMs: 20_000, forMs: 15_000 } : options.offline
  const killStore = options.killStore === undefined ? { atMs: 40_000, forMs: 10_000 } : options.killStore
  const partition = options.partition === undefined ? { atMs: 28_000, forMs: 5_000 } : options.partition
  const rand = seededRandom(o.seed, 'synthetic-run')
  const logNormal = (median: number, sigma: number): number => median * Math.exp(sigma * gaussian(rand))
  const events: CourierEvent[] = []
  const emit = <K extends EventType>(t: number, type: K, data: EventData<K>): void => {
    events.push({ t: Math.round(t * 1000) / 1000, type, ...data } as unknown as CourierEvent)
  }

  const relays = Array.from({ length: o.relays }, (_, i) => `relay-${i + 1}`)
  const stores = Array.from({ length: o.stores }, (_, i) => `store-${i + 1}`)
  const devices = o.devices
  const lightDevice = devices[0]
  const offlineDevice = offline == null ? null : (offline.device ?? devices[1] ?? devices[0]!)
  const t0 = 1500
  const end = t0 + o.durationMs
  const crashT = o.crashDevice == null ? null : t0 + o.durationMs / 2

  emit(0, 'run.start', {
    runId: `synthetic-${o.seed}`,
    scenario: { name: o.name, seed: o.seed },
    scenarioFile: o.scenarioFile,
    seed: o.seed,
    tool: { courier: '0.1.0', node: '20.20.2', libp2p: '3.3.11', host: { platform: 'linux', arch: 'x64', cpus: 2, memoryGb: 23, hostname: 'ci-runner' } }
  })
  let port = 40000
  for (const [i, node] of [...relays, ...stores, 'crowd-1'].entries()) {
    const role = node.startsWith('relay') ? 'relay' : node.startsWith('store') ? 'store' : 'crowd'
    emit(100 + i * 60, 'node.up', { node, role, peerId: `12D3KooW${node}`, addrs: [`/ip4/127.0.0.1/tcp/${port++}`] })
  }
  for (const [i, device] of devices.entries()) {
    emit(900 + i * 40, 'device.up', { device, driver: 'simulated', peerId: `12D3KooWdev${i}` })
    emit(950 + i * 40, 'device.subscribe', { device, topic: o.topic })
    // as a real device does once its node is up: analysis expects messages only of devices online
    emit(955 + i * 40, 'device.online', { device })
    emit(960 + i * 40, 'device.status', { device, status: 'upToDate' })
  }
  emit(t0, 'scenario.start', {})

  // The fault windows, in run time.
  const offWin = offline == null ? null : { from: t0 + offline.atMs, to: t0 + offline.atMs + offline.forMs }
  const killWin = killStore == null ? null : { from: t0 + killStore.atMs, to: t0 + killStore.atMs + killStore.forMs }
  let actionIndex = 0
  if (offWin != null && offlineDevice != null) {
    emit(offWin.from, 'timeline.action', { index: actionIndex++, action: 'offline', detail: { device: offlineDevice, forMs: offline!.forMs } })
    emit(offWin.from + 2, 'device.offline', { device: offlineDevice })
    emit(offWin.from + 3, 'device.status', { device: offlineDevice, status: 'syncing' })
    emit(offWin.to, 'device.online', { device: offlineDevice })
  }
  if (partition != null) {
    emit(t0 + partition.atMs, 'timeline.action', {
      index: actionIndex++,
      action: 'partition',
      detail: { groups: [relays.slice(0, 2), ['rest']], forMs: partition.forMs }
    })
    emit(t0 + partition.atMs + 1, 'partition.start', { groups: [relays.slice(0, 2), [...relays.slice(2), ...stores, ...devices]] })
    emit(t0 + partition.atMs + partition.forMs, 'partition.heal', {})
  }
  if (killWin != null) {
    emit(killWin.from, 'timeline.action', { index: actionIndex++, action: 'kill', detail: { node: 'store-1' } })
    emit(killWin.from + 4, 'node.down', { node: 'store-1', role: 'store', reason: 'killed' })
    emit(killWin.to, 'timeline.action', { index: actionIndex++, action: 'restart', detail: { node: 'store-1' } })
    emit(killWin.to + 300, 'node.up', { node: 'store-1', role: 'store', peerId: '12D3KooWstore-1', addrs: ['/ip4/127.0.0.1/tcp/40100'] })
  }
  const deviceOffline = (device: string, t: number): boolean => device === offlineDevice && offWin != null && t >= offWin.from && t < offWin.to
  const storeDown = (store: string, t: number): boolean => store === 'store-1' && killWin != null && t >= killWin.from && t < killWin.to + 300
  const crashed = (device: string, t: number): boolean => device === o.crashDevice && crashT != null && t >= crashT

  // Messages: devices first, then the crowd, each with a send time.
  interface Planned {
    sender: string
    device?: string
    user?: string
    t: number
    msgId: string
  }
  const planned: Planned[] = []
  devices.forEach((device, di) => {
    for (let k = 0; k < o.deviceMessages; k++) {
      const t = t0 + 3000 + di * 700 + (k * (o.durationMs - 8000)) / Math.max(1, o.deviceMessages)
      planned.push({ sender: device, device, t, msgId: `${device}-${String(k).padStart(4, '0')}` })
    }
  })
  const crowdCount = Math.round((o.crowdRate * o.durationMs) / 1000)
  for (let k = 0; k < crowdCount; k++) {
    const t = t0 + 500 + rand() * (o.durationMs - 2000)
    planned.push({ sender: 'crowd', user: `user-${Math.floor(rand() * o.crowdUsers)}`, t, msgId: `crowd-${String(k).padStart(6, '0')}` })
  }
  planned.sort((a, b) => a.t - b.t)

  const truth: SyntheticRun['truth'] = new Map()
  const storeQueries: Array<{ device: string; t: number }> = []
  if (offWin != null && offlineDevice != null) storeQueries.push({ device: offlineDevice, t: offWin.to + 50 })
  if (lightDevice != null) for (let t = t0 + 15_000; t < end; t += 15_000) storeQueries.push({ device: lightDevice, t })
  const catchUpT = (device: string): number => (offWin != null && device === offlineDevice ? offWin.to + 50 : end)

  for (const p of planned) {
    if (p.device != null && crashed(p.device, p.t)) continue
    const hash = `0x${hex(rand, 64)}`
    const bytes = Math.round(Math.min(4000, logNormal(300, 0.7)))
    if (p.device != null) emit(p.t, 'msg.sent', { msgId: p.msgId, hash, topic: o.topic, bytes, device: p.device })
    else emit(p.t, 'msg.sent', { msgId: p.msgId, hash, topic: o.topic, bytes, node: 'crowd-1', user: p.user })
    const record: TruthRecord = { hash, msgId: p.msgId, sender: p.sender, sentT: p.t, arrivals: [] }
    truth.set(hash, record)
    for (const relay of relays) emit(p.t + 3 + rand() * 30, 'msg.relayed', { node: relay, hash })
    for (const store of stores) if (!storeDown(store, p.t)) emit(p.t + 15 + rand() * 40, 'msg.stored', { store, hash })
    for (const device of devices) {
      if (device === p.device || crashed(device, p.t)) continue
      const via: DeliveryPath = device === lightDevice ? 'filter' : 'relay'
      let first: { t: number; via: DeliveryPath } | null = null
      if (deviceOffline(device, p.t)) {
        first = { t: catchUpT(device) + 300 + rand() * 500, via: 'store' }
      } else if (rand() >= o.lossRate && !(options.forceLost?.[p.msgId]?.includes(device) ?? false)) {
        first = { t: p.t + logNormal(device === lightDevice ? 120 : 80, 0.5), via }
      }
      if (first == null || crashed(device, first.t)) continue
      emit(first.t, 'msg.received', { device, hash, msgId: p.msgId, via: first.via, bytes, duplicate: false })
      record.arrivals.push({ device, t: first.t, via: first.via, duplicate: false })
      emit(first.t + 4 + rand() * 25, 'msg.rendered', { device, hash, msgId: p.msgId })
      if (rand() < o.duplicateRate) {
        const dupVia: DeliveryPath = rand() < 0.5 ? 'store' : via
        const dt = first.t + 200 + rand() * 3000
        emit(dt, 'msg.received', { device, hash, msgId: p.msgId, via: dupVia, bytes, duplicate: true })
        record.arrivals.push({ device, t: dt, via: dupVia, duplicate: true })
      }
    }
  }

  // Store queries: the light device polls; the device back from offline catches up.
  const storeTruth: Array<{ store: string; latency: number; failed: boolean; messages: number; bytes: number }> = []
  let queryNo = 0
  const query = (device: string, t: number, store: string): void => {
    const requestId = `q-${++queryNo}`
    emit(t, 'store.query', { device, store, requestId, topic: o.topic, timeStart: t - 15_000, timeEnd: t })
    const failed = storeDown(store, t)
    const latency = failed ? 1000 + rand() * 500 : logNormal(250, 0.4)
    const messages = failed ? 0 : Math.round(rand() * 40)
    const bytes = failed ? 0 : messages * 420 + 120
    if (failed)
      emit(t + latency, 'store.response', {
        device,
        store,
        requestId,
        status: 503,
        messages: 0,
        bytes: 0,
        pages: 0,
        error: 'store unreachable: connection refused'
      })
    else emit(t + latency, 'store.response', { device, store, requestId, status: 200, messages, bytes, pages: 1 + Math.floor(messages / 20) })
    storeTruth.push({ store, latency, failed, messages, bytes })
    // a client that got no answer asks the next store
    if (failed && stores.length > 1) query(device, t + latency + 20, stores[stores.length - 1]!)
  }
  for (const q of storeQueries) query(q.device, q.t, q.device === lightDevice ? 'store-1' : (stores[stores.length - 1] ?? 'store-1'))

  if (o.crashDevice != null && crashT != null) {
    emit(crashT, 'device.failed', { device: o.crashDevice, error: 'driver session lost: socket hang up' })
    emit(crashT + 1, 'device.status', { device: o.crashDevice, status: 'failed' })
  }

  // Self-monitoring: a spike while the store restarts; saturated when asked.
  const lagSamples: Array<{ p99: number; max: number; cpu: number; rss: number }> = []
  for (const proc of ['runner', 'fleet-worker-1']) {
    for (let t = 1000; t < end + 2000; t += 1000) {
      const spike = killWin != null && t >= killWin.to && t < killWin.to + 2000 ? 4 : 1
      const p99 = Math.max(1, o.lagP99Ms * spike * (0.7 + rand() * 0.6))
      const sample = {
        p50: p99 / 4,
        p99,
        max: p99 * (1.2 + rand()),
        cpu: Math.min(99, 15 + rand() * 30 * spike),
        rssMb: (proc === 'runner' ? 180 : 120) + t / 2000
      }
      emit(t, 'harness.lag', { process: proc, ...sample })
      lagSamples.push({ p99: sample.p99, max: sample.max, cpu: sample.cpu, rss: sample.rssMb })
    }
  }
  // Socket accounting: per device and second, what the relay/filter/store streams carried and the
  // whole connection's payload (`wire`, framing included), as the runner's bytes.sample events do.
  const wireTotals = new Map<string, { up: number; down: number; perSecond: Map<number, { up: number; down: number }> }>()
  if (o.sections !== false) {
    const perSecond = new Map<string, Map<number, Map<string, number>>>()
    for (const record of truth.values()) {
      for (const a of record.arrivals) {
        const second = Math.floor(a.t / 1000)
        const byDevice = perSecond.get(a.device) ?? new Map<number, Map<string, number>>()
        perSecond.set(a.device, byDevice)
        const protocols = byDevice.get(second) ?? new Map<string, number>()
        byDevice.set(second, protocols)
        const protocol = a.via === 'store' ? '/vac/waku/store-query/3.0.0' : a.via === 'filter' ? '/vac/waku/filter-push/2.0.0-beta1' : '/meshsub/1.1.0'
        protocols.set(protocol, (protocols.get(protocol) ?? 0) + 420)
      }
    }
    for (const device of devices) {
      const totals = { up: 0, down: 0, perSecond: new Map<number, { up: number; down: number }>() }
      wireTotals.set(device, totals)
      for (const [second, protocols] of [...(perSecond.get(device) ?? new Map<number, Map<string, number>>())].sort((a, b) => a[0] - b[0])) {
        let down = 0
        for (const [protocol, bytes] of protocols) {
          emit(second * 1000 + 999, 'bytes.sample', { owner: device, connId: `${device}-c1`, protocol, up: Math.round(bytes * 0.1), down: bytes })
          down += bytes
        }
        const wire = { up: Math.round(down * 0.1 * 1.21) + 60, down: Math.round(down * 1.21) }
        emit(second * 1000 + 999, 'bytes.sample', { owner: device, connId: `${device}-c1`, protocol: 'wire', ...wire })
        totals.up += wire.up
        totals.down += wire.down
        totals.perSecond.set(second, wire)
      }
    }
  }
  emit(end, 'scenario.end', {})
  const runEnd = o.interrupted ? end - o.durationMs / 3 : end + 3000
  emit(runEnd, 'run.end', o.interrupted ? { status: 'interrupted', reason: 'SIGINT' } : { status: 'complete' })

  events.sort((a, b) => a.t - b.t)
  const kept = o.interrupted ? events.filter((e) => e.t <= runEnd) : events
  if (o.interrupted) {
    // an interrupted run only knows what happened before the signal
    for (const record of truth.values()) record.arrivals = record.arrivals.filter((a) => a.t <= runEnd)
    for (const [hash, record] of truth) if (record.sentT > runEnd) truth.delete(hash)
  }

  const results = resultsFromTruth({ o, truth, devices, storeTruth, lagSamples, t0, end, runEnd, crashT })
  if (o.sections !== false)
    addSections(results, {
      devices,
      wireTotals,
      partition: partition == null ? null : { start: t0 + partition.atMs + 1, heal: t0 + partition.atMs + partition.forMs, relays },
      killWin,
      stores,
      offlineDevice,
      offWin
    })
  return { events: kept, results, truth }
}

interface SectionInput {
  devices: string[]
  wireTotals: Map<string, { up: number; down: number; perSecond: Map<number, { up: number; down: number }> }>
  partition: { start: number; heal: number; relays: string[] } | null
  killWin: { from: number; to: number } | null
  stores: string[]
  offlineDevice: string | null
  offWin: { from: number; to: number } | null
}

/** results.bytes, .energy and .reliability from the generator's own totals. */
function addSections(results: Results, x: SectionInput): void {
  const hours = results.scenario.durationMs / 3_600_000
  results.bytes = { backend: 'socket', backendReason: 'synthetic run', owners: {} }
  results.energy = {}
  for (const device of x.devices) {
    const w = x.wireTotals.get(device) ?? { up: 0, down: 0, perSecond: new Map() }
    const d = results.delivery.devices[device]!
    const dupBytes: Record<string, number> = {}
    for (const [path, n] of Object.entries(d.duplicates.byPath)) dupBytes[path] = n * 420
    results.bytes.owners[device] = {
      kind: 'device',
      up: w.up,
      down: w.down,
      byProtocol: { '/meshsub/1.1.0': { up: Math.round(w.up * 0.6), down: Math.round(w.down * 0.6) }, '/ipfs/id/1.0.0': { up: 600, down: 900 } },
      perMessage: { down: d.delivered === 0 ? null : w.down / d.delivered, total: d.delivered === 0 ? null : (w.up + w.down) / d.delivered },
      duplicateBytes: dupBytes,
      backgroundPerHour: 36_000,
      storePerRequest: device === x.offlineDevice ? 9_000 : null,
      projected: { perHour: (w.up + w.down) / hours, perDay: ((w.up + w.down) * 24) / hours },
      perSecond: [...w.perSecond].map(([second, v]) => ({ second, ...v }))
    }
    const joules = 0.5 + (w.up + w.down) / 20_000
    const spans: DeviceEnergy['timeline'] = []
    let t = 1_700_000_000
    for (const [second] of [...w.perSecond].slice(0, 40)) {
      const start = 1_700_000_000 + second
      if (start < t) continue
      spans.push({ state: 'promotion', kind: 'promotion', start, end: start + 0.26, joules: 0.3 })
      spans.push({ state: 'connected', kind: 'active', start: start + 0.26, end: start + 0.4, joules: 0.1 })
      spans.push({ state: 'tail', kind: 'tail', start: start + 0.4, end: start + 3, joules: 2.7 })
      t = start + 3
    }
    results.energy[device] = {
      radio: 'lte',
      timelineSource: 'socket',
      profile: { name: 'lte', source: 'synthetic', verified: false },
      packets: Math.round((w.up + w.down) / 600),
      totalJoules: joules,
      mAh: joules / 13.32,
      mAhPerHour: joules / 13.32 / hours,
      joulesPerMessage: d.delivered === 0 ? null : joules / d.delivered,
      joulesPerKB: joules / Math.max(1, (w.up + w.down) / 1000),
      radioActiveSeconds: (spans.length / 3) * 3,
      promotions: spans.length / 3,
      tailShare: 0.8,
      promotionShare: 0.1,
      byKind: { promotion: { seconds: 1, joules: joules * 0.1 }, active: { seconds: 1, joules: joules * 0.1 }, tail: { seconds: 10, joules: joules * 0.8 } },
      states: {},
      byLabel: {},
      byProtocol: {},
      timeline: spans,
      whatIf: [{ profile: 'wifi', totalJoules: joules / 4, mAh: joules / 4 / 13.32, mAhPerHour: null, tailShare: 0.3, verified: false }],
      notes: ['synthetic energy figures']
    }
  }
  const none = { count: 0, p50: null, p90: null, p95: null, p99: null, max: null, mean: null }
  results.reliability = {
    partitions:
      x.partition == null
        ? []
        : [
            {
              start: x.partition.start,
              heal: x.partition.heal,
              groups: [x.partition.relays.slice(0, 2), ['rest']],
              cross: { expected: 12, delivered: 12, lost: 0 },
              byGroups: [
                { from: 0, to: 1, expected: 6, delivered: 6, lost: 0 },
                { from: 1, to: 0, expected: 6, delivered: 6, lost: 0 }
              ],
              healToFullDeliveryMs: 840
            }
          ],
    failover:
      x.killWin == null
        ? []
        : [
            {
              store: 'store-1',
              downAt: x.killWin.from,
              device: x.devices[0] ?? '',
              recoveredAt: x.killWin.from + 1500,
              ms: 1500,
              via: x.stores[x.stores.length - 1] ?? null
            }
          ],
    audit: {
      stores: Object.fromEntries(
        x.stores.map((st) => [
          st,
          {
            reachable: true,
            expected: results.delivery.messages.sent,
            missing: st === 'store-1' && x.killWin != null ? 7 : 0,
            extra: 0,
            missingByWindow: (st === 'store-1' && x.killWin != null ? { 'store-1 down': 7 } : {}) as Record<string, number>
          }
        ])
      ),
      inSync: x.killWin == null
    },
    history: { accounts: {}, consistent: null, checkpoints: [] },
    sentChecks: {},
    storeChoice: { selected: [], switches: [] },
    storeSync: { fetched: 0, failedRounds: 0, byStore: {} },
    crowd: null,
    upToDate: { claims: 0, falsePositives: 0, examples: [] },
    push: { received: 0, phantom: 0, boundMs: 5000, renderDelay: none, examples: [] },
    stages: { requests: 0, dialMs: none, firstPageMs: none, transferMs: none, renderMs: none, totalMs: none }
  }
}

interface TruthInput {
  o: {
    durationMs: number
    lagLimitMs: number
    crashDevice: string | null
    name: string
    scenarioFile: string
    seed: number
    thresholds: SyntheticThreshold[]
    extraMetrics: Record<string, MetricValue>
    interrupted: boolean
  }
  truth: SyntheticRun['truth']
  devices: string[]
  storeTruth: Array<{ store: string; latency: number; failed: boolean; messages: number; bytes: number }>
  lagSamples: Array<{ p99: number; max: number; cpu: number; rss: number }>
  t0: number
  end: number
  runEnd: number
  crashT: number | null
}

function resultsFromTruth({ o, truth, devices, storeTruth, lagSamples, t0, end, runEnd, crashT }: TruthInput): Results {
  const perDevice: Record<string, DeviceDelivery> = {}
  const all = {
    expected: 0,
    delivered: 0,
    latencies: [] as number[],
    dups: 0,
    byPath: {} as Record<string, number>,
    firstByPath: {} as Record<string, number>,
    lost: [] as string[]
  }
  const bytesDown: Record<string, { first: number; dup: number; count: number }> = {}
  for (const device of devices) {
    let expected = 0
    const latencies: number[] = []
    const byPath: Record<string, number> = {}
    const firstByPath: Record<string, number> = {}
    const lostMessages: string[] = []
    let dups = 0
    const b = { first: 0, dup: 0, count: 0 }
    for (const record of truth.values()) {
      if (record.sender === device) continue
      if (crashT != null && device === o.crashDevice && record.sentT >= crashT) continue
      expected++
      const mine = record.arrivals.filter((a) => a.device === device)
      const first = mine.find((a) => !a.duplicate)
      if (first == null) {
        lostMessages.push(record.msgId)
        continue
      }
      latencies.push(first.t - record.sentT)
      firstByPath[first.via] = (firstByPath[first.via] ?? 0) + 1
      b.count++
      b.first += 420
      for (const dup of mine.filter((a) => a.duplicate)) {
        dups++
        byPath[dup.via] = (byPath[dup.via] ?? 0) + 1
        b.dup += 420
      }
    }
    bytesDown[device] = b
    latencies.sort((x, y) => x - y)
    perDevice[device] = {
      expected,
      delivered: latencies.length,
      lost: expected - latencies.length,
      lossRate: expected === 0 ? 0 : (expected - latencies.length) / expected,
      latency: summary(latencies),
      renderLatency: summary(latencies.map((l) => l + 15)),
      duplicates: { total: dups, rate: latencies.length === 0 ? 0 : dups / latencies.length, byPath },
      firstByPath,
      failed: device === o.crashDevice,
      lostMessages: lostMessages.slice(0, 50)
    }
    all.expected += expected
    all.delivered += latencies.length
    for (const l of latencies) all.latencies.push(l)
    all.dups += dups
    for (const id of lostMessages) if (all.lost.length < 50) all.lost.push(id)
    for (const [k, v] of Object.entries(byPath)) all.byPath[k] = (all.byPath[k] ?? 0) + v
    for (const [k, v] of Object.entries(firstByPath)) all.firstByPath[k] = (all.firstByPath[k] ?? 0) + v
  }
  all.latencies.sort((x, y) => x - y)
  const overall: DeviceDelivery = {
    expected: all.expected,
    delivered: all.delivered,
    lost: all.expected - all.delivered,
    lossRate: all.expected === 0 ? 0 : (all.expected - all.delivered) / all.expected,
    latency: summary(all.latencies),
    renderLatency: summary(all.latencies.map((l) => l + 15)),
    duplicates: { total: all.dups, rate: all.delivered === 0 ? 0 : all.dups / all.delivered, byPath: all.byPath },
    firstByPath: all.firstByPath,
    failed: false,
    lostMessages: all.lost.slice(0, 50)
  }
  const matrix = truthMatrix(o.thresholds, truth, devices, crashT == null ? null : { device: o.crashDevice ?? '', t: crashT })
  const storeLat = storeTruth
    .filter((s) => !s.failed)
    .map((s) => s.latency)
    .sort((a, b) => a - b)
  const byStore: Results['store']['byStore'] = {}
  for (const s of storeTruth) {
    const entry = byStore[s.store] ?? (byStore[s.store] = { queries: 0, failed: 0, messages: 0, bytes: 0 })
    entry.queries++
    if (s.failed) entry.failed++
    entry.messages += s.messages
    entry.bytes += s.bytes
  }
  for (const [store, entry] of Object.entries(byStore)) {
    const answered = storeTruth
      .filter((s) => s.store === store && !s.failed)
      .map((s) => s.latency)
      .sort((a, b) => a - b)
    entry.answered = answered.length
    entry.latency = summary(answered)
  }
  const lagP99 = quantileOrNull(
    lagSamples.map((s) => s.p99).sort((a, b) => a - b),
    0.99
  )
  const saturated = lagP99 != null && lagP99 > o.lagLimitMs
  const metrics: Record<string, MetricValue> = {
    'delivery.latency.p50': { value: overall.latency.p50, unit: 'ms' },
    'delivery.latency.p95': { value: overall.latency.p95, unit: 'ms' },
    'delivery.latency.p99': { value: overall.latency.p99, unit: 'ms' },
    'delivery.latency.max': { value: overall.latency.max, unit: 'ms' },
    'delivery.loss': { value: overall.lossRate, unit: 'ratio' },
    'delivery.lost': { value: overall.lost, unit: 'count' },
    'delivery.duplicates.rate': { value: overall.duplicates.rate, unit: 'ratio' },
    'store.latency.p95': { value: quantileOrNull(storeLat, 0.95), unit: 'ms' },
    'store.queries.failed': { value: storeTruth.filter((s) => s.failed).length, unit: 'count' },
    'harness.lag.p99': { value: lagP99, unit: 'ms' }
  }
  const scenarioHours = o.durationMs / 3_600_000
  for (const device of devices) {
    const d = perDevice[device]!
    const b = bytesDown[device]!
    metrics[`delivery.${device}.latency.p95`] = { value: d.latency.p95, unit: 'ms' }
    metrics[`delivery.${device}.loss`] = { value: d.lossRate, unit: 'ratio' }
    metrics[`bytes.${device}.down.total`] = { value: b.first + b.dup, unit: 'bytes' }
    metrics[`bytes.${device}.down.perMessage`] = { value: b.count === 0 ? null : (b.first + b.dup) / b.count, unit: 'bytes' }
    metrics[`bytes.${device}.down.duplicate`] = { value: b.dup, unit: 'bytes' }
    metrics[`bytes.${device}.down.perHour`] = { value: (b.first + b.dup) / scenarioHours, unit: 'bytes/h' }
    metrics[`energy.${device}.mAh`] = { value: 0.02 * b.count + 0.4, unit: 'mAh' }
  }
  Object.assign(metrics, o.extraMetrics)

  const thresholds: ThresholdResult[] = o.thresholds.map((th) => {
    const m = metrics[th.metric]
    const value = m?.value ?? null
    const unit: MetricUnit = m?.unit ?? 'count'
    const passed = typeof value === 'number' && compare(value, th.op, th.target)
    return { metric: th.metric, expression: th.expression, value, unit, passed, message: `${th.metric} = ${formatValue(value, unit)}, wanted ${th.expression}` }
  })
  const status: Results['status'] = o.interrupted ? 'interrupted' : 'complete'
  const verdictReasons: string[] = []
  let verdict: Results['verdict'] = 'pass'
  if (status === 'interrupted') {
    verdict = 'interrupted'
    verdictReasons.push('interrupted by SIGINT')
  } else if (saturated) {
    verdict = 'inconclusive'
    verdictReasons.push(
      `harness event-loop lag p99 ${Math.round(lagP99!)} ms exceeded the limit of ${o.lagLimitMs} ms: latency figures include delay the harness caused`
    )
  } else if (thresholds.some((t) => !t.passed)) {
    verdict = 'fail'
    for (const t of thresholds) if (!t.passed) verdictReasons.push(`threshold failed: ${t.message}`)
  }
  const errors: Results['errors'] = []
  if (o.crashDevice != null && crashT != null) errors.push({ t: crashT, component: `device:${o.crashDevice}`, error: 'driver session lost: socket hang up' })
  return {
    schemaVersion: RESULTS_SCHEMA_VERSION,
    runId: `synthetic-${o.seed}`,
    scenario: { name: o.name, file: o.scenarioFile, seed: o.seed, durationMs: o.durationMs, resolved: { devices } },
    tool: { courier: '0.1.0', node: '20.20.2' },
    status,
    verdict,
    verdictReasons,
    timing: { runMs: runEnd, scenarioStartMs: t0, scenarioEndMs: o.interrupted ? null : end },
    metrics,
    delivery: {
      overall,
      devices: perDevice,
      messages: {
        sent: truth.size,
        byDevices: [...truth.values()].filter((r) => r.sender !== 'crowd').length,
        byCrowd: [...truth.values()].filter((r) => r.sender === 'crowd').length
      },
      matrix
    },
    store: { queries: storeTruth.length, failed: storeTruth.filter((s) => s.failed).length, latency: summary(storeLat), byStore },
    harness: {
      lagP99Ms: lagP99,
      lagMaxMs: lagSamples.length === 0 ? null : lagSamples.reduce((m, s) => Math.max(m, s.max), -Infinity),
      cpuMaxPercent: lagSamples.length === 0 ? null : lagSamples.reduce((m, s) => Math.max(m, s.cpu), -Infinity),
      rssMaxMb: lagSamples.length === 0 ? null : lagSamples.reduce((m, s) => Math.max(m, s.rss), -Infinity),
      lagLimitMs: o.lagLimitMs,
      saturated,
      samples: lagSamples.length
    },
    thresholds,
    errors
  }
}

function compare(value: number, op: SyntheticThreshold['op'], target: number): boolean {
  switch (op) {
    case '<':
      return value < target
    case '<=':
      return value <= target
    case '==':
      return value === target
    case '>':
      return value > target
    case '>=':
      return value >= target
  }
}

/**
 * The delivery matrix from the generator's own decisions (not from events): late after the tightest
 * `delivery.latency.*` upper bound among the thresholds (else 2 s); every device but the sender
 * expects a message, the crashed device only those sent before its crash.
 */
export function truthMatrix(
  thresholds: readonly SyntheticThreshold[],
  truth: SyntheticRun['truth'],
  devices: readonly string[],
  crash: { device: string; t: number } | null
): DeliveryMatrix {
  const bound = thresholds.filter((t) => t.metric.startsWith('delivery.latency.') && (t.op === '<' || t.op === '<=')).sort((a, b) => a.target - b.target)[0]
  const lateMs = bound?.target ?? 2000
  const receivers = [...devices].sort((a, b) => a.localeCompare(b))
  const cells = new Map<string, MatrixCell>()
  for (const m of truth.values()) {
    for (const d of receivers) {
      if (d === m.sender) continue
      if (crash != null && d === crash.device && m.sentT >= crash.t) continue
      const key = `${m.sender}->${d}`
      const cell = cells.get(key) ?? { expected: 0, onTime: 0, late: 0, lost: 0, duplicates: 0 }
      cells.set(key, cell)
      cell.expected++
      const mine = m.arrivals.filter((a) => a.device === d)
      const first = mine.find((a) => !a.duplicate)
      if (first == null) cell.lost++
      else if (first.t - m.sentT > lateMs) cell.late++
      else cell.onTime++
      cell.duplicates += mine.filter((a) => a.duplicate).length
    }
  }
  const senders = [...new Set([...truth.values()].map((m) => m.sender))]
    .filter((s) => receivers.some((d) => cells.has(`${s}->${d}`)))
    .sort((a, b) => Number(a === 'crowd') - Number(b === 'crowd') || a.localeCompare(b))
  return {
    lateAfterMs: lateMs,
    lateSource: bound == null ? 'default; no delivery.latency threshold' : `threshold ${bound.metric} ${bound.expression}`,
    senders,
    receivers,
    cells: senders.map((s) => receivers.map((d) => cells.get(`${s}->${d}`) ?? null))
  }
}

function quantileOrNull(sorted: number[], q: number): number | null {
  return sorted.length === 0 ? null : quantileSorted(sorted, q)
}

function summary(sorted: number[]): LatencySummary {
  if (sorted.length === 0) return { count: 0, p50: null, p90: null, p95: null, p99: null, max: null, mean: null }
  return {
    count: sorted.length,
    p50: quantileSorted(sorted, 0.5),
    p90: quantileSorted(sorted, 0.9),
    p95: quantileSorted(sorted, 0.95),
    p99: quantileSorted(sorted, 0.99),
    max: sorted[sorted.length - 1]!,
    mean: sorted.reduce((a, b) => a + b, 0) / sorted.length
  }
}

function gaussian(rand: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand())
}

function hex(rand: () => number, length: number): string {
  let s = ''
  while (s.length < length)
    s += Math.floor(rand() * 0x100000000)
      .toString(16)
      .padStart(8, '0')
  return s.slice(0, length)
}

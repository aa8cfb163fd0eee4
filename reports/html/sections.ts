// Report sections built from the optional parts of results (bytes, energy, reliability), with a
// fallback to flat `metrics` names so figures added later still get a chart.
import type { BytesResults, DeviceEnergy, LatencySummary, MetricValue, ReliabilityResults, Results } from '../../harness/interface/index.js'
import { formatBytes, formatCount, formatMs, formatRatio, formatValue, sig } from '../format.js'
import { auditWindow } from '../why.js'
import type { BarChart, RadioTimeline, ReportData, TableBlock, TableCell } from './report-data.js'

const num = (text: string, tone?: 'good' | 'bad' | 'warn' | 'muted'): TableCell => ({ text, num: true, ...(tone == null ? {} : { tone }) })

/** Wire or payload bytes over time, one stacked chart per device. */
export interface BytesSamples {
  /** owner -> run-clock times, protocol names and bytes (up + down) of each bytes.sample */
  wire: Map<string, { t: number[]; protocol: string[]; up: number[]; down: number[] }>
  /** msg.received arrivals: payload bytes by path, duplicates apart. */
  payload: Array<{ device: string; t: number; via: string; bytes: number; duplicate: boolean }>
}

export function bytesOverTime(deviceOrder: string[], samples: BytesSamples, S: (t: number) => number, endS: number): ReportData['bytes']['overTime'] {
  const bucketS = niceStep(Math.max(1, endS) / 90)
  const n = Math.max(1, Math.ceil((endS + 0.001) / bucketS))
  const bucket = (t: number): number => Math.min(n - 1, Math.max(0, Math.floor(S(t) / bucketS)))
  const times = Array.from({ length: n }, (_, i) => round3(i * bucketS))
  const out: ReportData['bytes']['overTime'] = []
  for (const device of deviceOrder) {
    const wire = samples.wire.get(device)
    if (wire != null && wire.t.length > 0) {
      // `wire` is the connection's whole TCP payload; protocols are what their streams carried,
      // so the difference is noise + yamux framing and anything outside a stream
      const stacks: Record<string, number[]> = {}
      const wireTotal = new Array<number>(n).fill(0)
      let up = 0
      let down = 0
      for (let i = 0; i < wire.t.length; i++) {
        const b = bucket(wire.t[i]!)
        const bytes = wire.up[i]! + wire.down[i]!
        if (wire.protocol[i] === 'wire') {
          wireTotal[b]! += bytes
          up += wire.up[i]!
          down += wire.down[i]!
          continue
        }
        const arr = stacks[wire.protocol[i]!] ?? (stacks[wire.protocol[i]!] = new Array<number>(n).fill(0))
        arr[b]! += bytes
      }
      const framing = wireTotal.map((w, i) => Math.max(0, w - Object.values(stacks).reduce((s, arr) => s + arr[i]!, 0)))
      if (framing.some((v) => v > 0)) stacks['framing and other'] = framing
      out.push({
        device,
        bucketS,
        t: times,
        stacks,
        source: 'wire',
        caption: `wire bytes up + down per ${bucketS} s (down ${formatBytes(down)}, up ${formatBytes(up)})`
      })
      continue
    }
    const stacks: Record<string, number[]> = {}
    let any = false
    for (const r of samples.payload) {
      if (r.device !== device) continue
      any = true
      const key = r.duplicate ? 'duplicate' : r.via
      const arr = stacks[key] ?? (stacks[key] = new Array<number>(n).fill(0))
      arr[bucket(r.t)]! += r.bytes
    }
    if (any) out.push({ device, bucketS, t: times, stacks, source: 'payload', caption: `message payload bytes received per ${bucketS} s, by path` })
  }
  return out
}

export function bytesSection(
  results: Results,
  deviceSet: Set<string>,
  samples: BytesSamples,
  deviceOrder: string[],
  S: (t: number) => number,
  endS: number
): ReportData['bytes'] {
  const overTime = bytesOverTime(deviceOrder, samples, S, endS)
  const b = results.bytes
  if (b != null) return { overTime, ...fromBytesResults(b, deviceOrder) }
  const charts = chartsFromMetrics(results.metrics ?? {}, 'bytes', deviceSet)
  return {
    overTime,
    charts,
    tables: [],
    summary:
      charts.length === 0 && overTime.every((o) => o.source === 'payload')
        ? 'This run recorded no wire bytes (capture: off); the charts show message payload bytes only.'
        : ''
  }
}

function fromBytesResults(b: BytesResults, deviceOrder: string[]): Omit<ReportData['bytes'], 'overTime'> {
  const devices = deviceOrder.filter((d) => b.owners[d] != null)
  const charts: BarChart[] = []
  if (devices.length > 0) {
    const owners = devices.map((d) => b.owners[d]!)
    charts.push({
      id: 'bytes-per-message',
      title: 'Wire bytes per delivered message',
      axis: 'bytes',
      labels: devices,
      stacked: false,
      colorByLabel: false,
      note: 'down: bytes the device received per message delivered; total: up + down',
      series: [
        { label: 'down', values: owners.map((o) => o.perMessage.down), texts: owners.map((o) => formatBytes(o.perMessage.down)) },
        { label: 'total', values: owners.map((o) => o.perMessage.total), texts: owners.map((o) => formatBytes(o.perMessage.total)) }
      ]
    })
    const paths = [...new Set(owners.flatMap((o) => Object.keys(o.duplicateBytes ?? {})))].sort()
    if (paths.length > 0) {
      charts.push({
        id: 'bytes-duplicates',
        title: 'Duplicate message bytes by path',
        axis: 'bytes',
        labels: devices,
        stacked: true,
        colorByLabel: false,
        series: paths.map((p) => ({
          label: p,
          values: owners.map((o) => o.duplicateBytes?.[p] ?? 0),
          texts: owners.map((o) => formatBytes(o.duplicateBytes?.[p] ?? 0))
        }))
      })
    } else {
      charts.push({
        id: 'bytes-duplicates',
        title: 'Duplicate message bytes by path',
        empty: 'No duplicate message bytes.',
        axis: 'bytes',
        labels: devices,
        stacked: true,
        colorByLabel: false,
        series: []
      })
    }
    charts.push({
      id: 'bytes-per-day',
      title: 'Projected per day at this message rate',
      axis: 'MB per day',
      labels: devices,
      stacked: false,
      colorByLabel: true,
      series: [
        {
          label: 'MB/day',
          values: owners.map((o) => (o.projected?.perDay == null ? null : o.projected.perDay / 1e6)),
          texts: owners.map((o) => (o.projected?.perDay == null ? 'n/a' : `${formatBytes(o.projected.perDay)}/day`))
        }
      ]
    })
  }
  const names = [
    ...devices,
    ...Object.keys(b.owners)
      .filter((o) => !devices.includes(o))
      .sort()
  ]
  const rows: TableCell[][] = names.map((name) => {
    const o = b.owners[name]!
    const protocols = Object.entries(o.byProtocol ?? {})
      .sort((x, y) => y[1].up + y[1].down - (x[1].up + x[1].down))
      .slice(0, 4)
      .map(([p, v]) => `${p} ${formatBytes(v.up + v.down)}`)
      .join(', ')
    return [
      { text: name, tone: o.kind === 'device' ? undefined : 'muted' },
      o.kind,
      num(formatBytes(o.down)),
      num(formatBytes(o.up)),
      num(formatBytes(o.perMessage?.down)),
      num(formatBytes(o.perMessage?.total)),
      num(o.backgroundPerHour == null ? 'n/a' : `${formatBytes(o.backgroundPerHour)}/h`),
      num(formatBytes(o.storePerRequest)),
      num(o.projected?.perDay == null ? 'n/a' : `${formatBytes(o.projected.perDay)}/day`),
      protocols
    ]
  })
  const tables: TableBlock[] = [
    {
      id: 'bytes-owners',
      title: 'Bytes per device and fleet node',
      note: 'Wire bytes are TCP payload at the sockets (noise and yamux framing included); protocols are what their streams carried.',
      headers: [
        'owner',
        'kind',
        'down',
        'up',
        'per message (down)',
        'per message (total)',
        'background',
        'per store request',
        'projected',
        'largest protocols'
      ],
      rows
    }
  ]
  let summary = `Capture backend: ${b.backend}${b.backendReason != null ? ` (${b.backendReason})` : ''}.`
  if (b.tcpdump != null) {
    const c = b.tcpdump.check
    summary += ` tcpdump: ${formatCount(b.tcpdump.packets)} packets, ${formatBytes(b.tcpdump.wireBytes)} on the wire, ${formatBytes(b.tcpdump.retransmittedBytes)} retransmitted${b.tcpdump.dropped != null ? `, ${formatCount(b.tcpdump.dropped)} dropped` : ''}; socket accounting matched the capture on ${formatCount(c.equal)} of ${formatCount(c.directions)} connection directions.`
    if (c.mismatches.length > 0) {
      tables.push({
        id: 'bytes-mismatches',
        title: 'Socket accounting vs capture: mismatches',
        headers: ['owner', 'connection', 'direction', 'socket', 'capture'],
        rows: c.mismatches
          .slice(0, 50)
          .map((m) => [m.owner, { text: m.connId, mono: true }, m.direction, num(formatBytes(m.socket)), num(formatBytes(m.capture), 'bad')])
      })
    }
  }
  return { charts, tables, summary }
}

export function energySection(results: Results, deviceSet: Set<string>, deviceOrder: string[]): ReportData['energy'] {
  const e = results.energy
  if (e == null || Object.keys(e).length === 0) {
    const charts = chartsFromMetrics(results.metrics ?? {}, 'energy', deviceSet)
    return { charts, tables: [], timeline: null, summary: charts.length > 0 ? 'From energy.* metrics.' : '' }
  }
  const devices = [
    ...deviceOrder.filter((d) => e[d] != null),
    ...Object.keys(e)
      .filter((d) => !deviceOrder.includes(d))
      .sort()
  ]
  const list = devices.map((d) => e[d]!)
  const charts: BarChart[] = [
    {
      id: 'energy-mah',
      title: 'Radio energy per device',
      axis: 'mAh',
      labels: devices,
      stacked: false,
      colorByLabel: true,
      series: [{ label: 'mAh', values: list.map((x) => x.mAh), texts: list.map((x) => `${sig(x.mAh)} mAh (${sig(x.totalJoules)} J)`) }]
    }
  ]
  const kinds = [...new Set(list.flatMap((x) => Object.keys(x.byKind ?? {})))]
  if (kinds.length > 0) {
    charts.push({
      id: 'energy-by-kind',
      title: 'Where the energy went',
      note: 'joules by radio phase: a long tail after each burst is typical of chatty protocols',
      axis: 'joules',
      labels: devices,
      stacked: true,
      colorByLabel: false,
      series: kinds.map((k) => ({
        label: k,
        values: list.map((x) => x.byKind?.[k]?.joules ?? 0),
        texts: list.map((x) => `${sig(x.byKind?.[k]?.joules ?? 0)} J, ${sig(x.byKind?.[k]?.seconds ?? 0)} s`)
      }))
    })
  }
  const purposes = [...new Set(list.flatMap((x) => Object.keys(x.byProtocol ?? {})))]
  if (purposes.length > 0) {
    charts.push({
      id: 'energy-by-protocol',
      title: 'What the energy was for',
      note: 'relay: messages sent and received live; store: history requests; control: gossip control, identify, keep-alives (told from timing: packets are encrypted)',
      axis: 'joules',
      labels: devices,
      stacked: true,
      colorByLabel: false,
      series: purposes.map((k) => ({ label: k, values: list.map((x) => x.byProtocol?.[k] ?? 0), texts: list.map((x) => `${sig(x.byProtocol?.[k] ?? 0)} J`) }))
    })
  }
  const tables: TableBlock[] = [
    {
      id: 'energy-devices',
      title: 'Energy per device',
      headers: ['device', 'radio', 'timeline from', 'packets', 'energy', 'per hour', 'per message', 'radio active', 'tail share', 'promotions', 'profile'],
      rows: devices.map((d, i) => {
        const x = list[i]!
        return [
          d,
          x.radio,
          x.timelineSource,
          num(formatCount(x.packets)),
          num(`${sig(x.mAh)} mAh`),
          num(x.mAhPerHour == null ? 'n/a' : `${sig(x.mAhPerHour)} mAh/h`),
          num(x.joulesPerMessage == null ? 'n/a' : `${sig(x.joulesPerMessage)} J`),
          num(formatMs(x.radioActiveSeconds * 1000)),
          num(formatRatio(x.tailShare), x.tailShare > 0.6 ? 'warn' : undefined),
          num(formatCount(x.promotions)),
          { text: `${x.profile?.name ?? ''}${x.profile?.verified === false ? ' (unverified)' : ''}`, tone: 'muted' }
        ]
      })
    }
  ]
  const whatIfRows: TableCell[][] = []
  for (const [i, d] of devices.entries()) {
    for (const w of list[i]!.whatIf ?? []) {
      whatIfRows.push([
        d,
        w.profile,
        num(`${sig(w.mAh)} mAh`),
        num(w.mAhPerHour == null ? 'n/a' : `${sig(w.mAhPerHour)} mAh/h`),
        num(formatRatio(w.tailShare)),
        w.verified ? 'yes' : 'no'
      ])
    }
  }
  const measuredRows: TableCell[][] = devices.flatMap((d, i): TableCell[][] => {
    const x = list[i]!
    if (x.measured == null) return []
    const pct = (r: number | undefined): string => (r == null ? 'n/a' : formatRatio(r))
    const flagged = x.disagreement?.flagged === true
    return [
      [
        d,
        num(`${sig(x.mAh)} mAh`),
        num(x.measured.mAh == null ? 'n/a' : `${sig(x.measured.mAh)} mAh`),
        num(pct(x.disagreement?.mAh), flagged ? 'warn' : undefined),
        num(formatMs(x.radioActiveSeconds * 1000)),
        num(x.measured.radioActiveSeconds == null ? 'n/a' : formatMs(x.measured.radioActiveSeconds * 1000)),
        num(pct(x.disagreement?.radioActiveSeconds), flagged ? 'warn' : undefined),
        { text: flagged ? `differ by more than ${formatRatio(x.disagreement?.limit ?? 0.25)}` : 'agree', tone: flagged ? 'warn' : 'muted' },
        { text: x.measured.source, tone: 'muted' }
      ]
    ]
  })
  if (measuredRows.length > 0)
    tables.push({
      id: 'energy-measured',
      title: "Model beside the phone's own figures",
      headers: ['device', 'model', 'phone', 'difference', 'model radio active', 'phone radio active', 'difference', 'verdict', 'phone source'],
      rows: measuredRows
    })
  if (whatIfRows.length > 0)
    tables.push({
      id: 'energy-what-if',
      title: 'The same traffic on other radios',
      headers: ['device', 'radio profile', 'energy', 'per hour', 'tail share', 'verified profile'],
      rows: whatIfRows
    })
  const notes = [...new Set(list.flatMap((x) => x.notes ?? []))]
  return { charts, tables, timeline: radioTimeline(devices, list), summary: notes.map((n) => n.trim().replace(/[.;]?$/, '.')).join(' ') }
}

function radioTimeline(devices: string[], list: DeviceEnergy[]): ReportData['energy']['timeline'] {
  const all = list.flatMap((x) => x.timeline ?? [])
  if (all.length === 0) return null
  const origin = all.reduce((m, s) => Math.min(m, s.start), Infinity)
  const states: string[] = []
  const kinds: string[] = []
  const MAX_SPANS = 4000
  const out: RadioTimeline[] = devices.map((device, i) => {
    const spans = (list[i]!.timeline ?? []).filter((s) => s.kind !== 'idle')
    return {
      device,
      truncated: spans.length > MAX_SPANS,
      spans: spans.slice(0, MAX_SPANS).map((s): [number, number, number] => {
        let k = states.indexOf(s.state)
        if (k < 0) {
          k = states.length
          states.push(s.state)
          kinds.push(s.kind)
        }
        return [round3(s.start - origin), round3(s.end - origin), k]
      })
    }
  })
  return { states, kinds, devices: out }
}

export function reliabilitySection(results: Results, S: (t: number) => number): ReportData['reliability'] {
  const r = results.reliability
  if (r == null) return { tables: [], summary: '' }
  const tables: TableBlock[] = []
  // devices pick a store and subscribe while they start, before scenario time 0: say so instead of `-0.014 s`
  const when = (t: number | null): string => (t == null ? 'never' : S(t) < 0 ? 'before start' : `${sig(S(t), 4)} s`)
  if (r.partitions.length > 0) {
    tables.push({
      id: 'rel-partitions',
      title: 'Partitions',
      note: 'Messages sent during a partition to devices in another group, and how long after the heal they all arrived.',
      headers: ['start', 'heal', 'groups', 'cross-group expected', 'delivered', 'lost', 'heal to full delivery'],
      rows: r.partitions.map((p) => [
        num(when(p.start)),
        num(when(p.heal)),
        p.groups.map((g) => `[${g.join(', ')}]`).join(' | '),
        num(formatCount(p.cross.expected)),
        num(formatCount(p.cross.delivered)),
        num(formatCount(p.cross.lost), p.cross.lost > 0 ? 'bad' : undefined),
        num(p.healToFullDeliveryMs == null ? 'not all arrived' : formatMs(p.healToFullDeliveryMs), p.healToFullDeliveryMs == null ? 'bad' : undefined)
      ])
    })
  }
  const pairs = r.partitions.flatMap((p, i) => (p.byGroups ?? []).map((g) => ({ p, i, g })))
  if (pairs.length > 0) {
    const groupName = (p: ReliabilityResults['partitions'][number], index: number): string => `[${p.groups[index]?.join(', ') ?? index}]`
    tables.push({
      id: 'rel-partition-matrix',
      title: 'Who could not reach whom',
      note: "Each partition as a delivery matrix between its groups: messages sent while it lasted, by the sender's group and the receiver's.",
      headers: ['partition', 'lasted', 'from group', 'to group', 'expected', 'delivered', 'lost'],
      rows: pairs.map(({ p, i, g }) => [
        num(`#${i + 1} at ${when(p.start)}`),
        num(p.heal == null ? 'never healed' : formatMs(p.heal - p.start), p.heal == null ? 'bad' : undefined),
        groupName(p, g.from),
        groupName(p, g.to),
        num(formatCount(g.expected)),
        num(formatCount(g.delivered)),
        num(formatCount(g.lost), g.lost > 0 ? 'bad' : 'good')
      ])
    })
  }
  if (r.failover.length > 0) {
    tables.push({
      id: 'rel-failover',
      title: 'Store failover',
      headers: ['store', 'down at', 'device', 'recovered at', 'failover time', 'via'],
      rows: r.failover.map((f) => [
        f.store,
        num(when(f.downAt)),
        f.device,
        num(when(f.recoveredAt), f.recoveredAt == null ? 'bad' : undefined),
        num(f.ms == null ? 'n/a' : formatMs(f.ms)),
        f.via ?? ''
      ])
    })
  }
  const filterFailover = r.filterFailover ?? []
  if (filterFailover.length > 0) {
    tables.push({
      id: 'rel-filter-failover',
      title: 'Light devices: lost filter subscriptions',
      note: "Counted from the service node's death when it died, else from the moment the device noticed (a failed ping).",
      headers: ['device', 'service node', 'died at', 'noticed at', 'why', 'time to notice', 'subscribed again at', 'via', 'failover time'],
      rows: filterFailover.map((f) => [
        f.device,
        f.node,
        num(f.diedAt == null ? 'n/a' : when(f.diedAt)),
        num(when(f.lostAt)),
        f.reason ?? '',
        num(f.noticeMs == null ? 'n/a' : formatMs(f.noticeMs)),
        num(when(f.recoveredAt), f.recoveredAt == null ? 'bad' : undefined),
        f.via ?? '',
        num(f.ms == null ? 'n/a' : formatMs(f.ms))
      ])
    })
  }
  const audit = Object.entries(r.audit?.stores ?? {})
  if (audit.length > 0) {
    tables.push({
      id: 'rel-audit',
      title: 'Store audit after the run',
      note:
        r.audit.inSync == null
          ? 'No audit verdict.'
          : r.audit.inSync
            ? 'Every reachable store holds every message that reached the fleet.'
            : 'The stores disagree: some hold fewer messages than reached the fleet.',
      headers: ['store', 'reachable', 'expected', 'missing', 'extra', 'missing by window'],
      rows: audit.map(([store, a]) => [
        store,
        a.reachable ? 'yes' : { text: 'no', tone: 'bad' },
        num(formatCount(a.expected)),
        num(formatCount(a.missing), a.missing > 0 ? 'bad' : undefined),
        num(formatCount(a.extra)),
        Object.entries(a.missingByWindow ?? {})
          .map(([w, n]) => `${auditWindow(w)}: ${n}`)
          .join(', ')
      ])
    })
  }
  const accounts = Object.entries(r.history?.accounts ?? {})
  if (accounts.length > 0) {
    tables.push({
      id: 'rel-history',
      title: 'History consistency across devices of one account',
      headers: ['account', 'devices', 'consistent', 'differences'],
      rows: accounts.map(([account, a]) => [
        account,
        a.devices.join(', '),
        a.consistent ? { text: 'yes', tone: 'good' } : { text: 'no', tone: 'bad' },
        a.differences
          .slice(0, 5)
          .map((d) => `${d.msgId} shown on ${d.shownOn.join(', ')}, missing on ${d.missingOn.join(', ')}`)
          .join('; ') + (a.differences.length > 5 ? ` (+${a.differences.length - 5} more)` : '')
      ])
    })
  }
  if (r.upToDate != null && r.upToDate.claims > 0) {
    tables.push({
      id: 'rel-uptodate',
      title: '"Up to date" claims',
      note: `${formatCount(r.upToDate.claims)} claims, ${formatCount(r.upToDate.falsePositives)} false: the device said it was up to date while messages were missing.`,
      headers: ['device', 'at', 'missing', 'missing messages'],
      rows: r.upToDate.examples
        .slice(0, 20)
        .map((x) => [x.device, num(when(x.t)), num(formatCount(x.missing), 'bad'), { text: x.missingIds.slice(0, 6).join(', '), mono: true }])
    })
  }
  if (r.stages != null && r.stages.requests > 0) {
    const row = (name: string, l: LatencySummary): TableCell[] => [name, num(formatMs(l.p50)), num(formatMs(l.p95)), num(formatMs(l.max))]
    tables.push({
      id: 'rel-stages',
      title: 'History request stages',
      note: `${formatCount(r.stages.requests)} history requests, from asking to showing the messages.`,
      headers: ['stage', 'p50', 'p95', 'max'],
      rows: [
        row('dial', r.stages.dialMs),
        row('first page', r.stages.firstPageMs),
        row('transfer', r.stages.transferMs),
        row('render', r.stages.renderMs),
        row('total', r.stages.totalMs)
      ]
    })
  }
  const checkpoints = r.history?.checkpoints ?? []
  if (checkpoints.length > 0) {
    tables.push({
      id: 'rel-checkpoints',
      title: 'History at checkpoints',
      note: "Each account's devices compared at the timeline's checkpoints, over messages sent 2 s or more before.",
      headers: ['checkpoint', 'at', 'consistent', 'differences'],
      rows: checkpoints.map((c) => [
        c.name,
        num(when(c.t)),
        c.consistent ? { text: 'yes', tone: 'good' } : { text: 'no', tone: 'bad' },
        c.differences
          .slice(0, 5)
          .map((d) => `${d.msgId} missing on ${d.missingOn.join(', ')}`)
          .join('; ') + (c.differences.length > 5 ? ` (+${c.differences.length - 5} more)` : '')
      ])
    })
  }
  const choice = r.storeChoice
  if (choice != null && (choice.selected.length > 0 || choice.switches.length > 0)) {
    tables.push({
      id: 'rel-store-choice',
      title: 'Store choice',
      note: `Each device pings the stores and picks one of the fastest quarter; after 2 failed requests it switches.${choice.selected.some((x) => S(x.t) < 0) ? ' "before start": picked while the device started, before scenario time 0.' : ''}`,
      headers: ['device', 'at', 'event', 'store', 'detail'],
      rows: [
        ...choice.selected.map((x): TableCell[] => [
          x.device,
          num(when(x.t)),
          'picked',
          x.store,
          Object.entries(x.rttMs)
            .map(([store, ms]) => `${store} ${ms == null ? 'no answer' : formatMs(ms)}`)
            .join(', ')
        ]),
        ...choice.switches.map((x): TableCell[] => [
          x.device,
          num(when(x.t)),
          { text: 'switched', tone: 'warn' },
          x.to,
          `from ${x.from} after ${x.failures} failed requests`
        ])
      ]
    })
  }
  const push = r.push
  if (push != null && push.received > 0) {
    tables.push({
      id: 'rel-push',
      title: push.phantom > 0 ? 'Push notifications: messages not shown in time' : 'Push notifications',
      note: `${formatCount(push.received)} pushes received; ${formatCount(push.phantom)} announced a message the device could not show within ${formatMs(push.boundMs)} of the push (push to shown: p50 ${formatMs(push.renderDelay?.p50)}, p95 ${formatMs(push.renderDelay?.p95)}).`,
      headers: ['device', 'message', 'push at', 'shown at', 'push to shown'],
      rows:
        push.examples.length === 0
          ? [
              [
                { text: 'every device', tone: 'muted' },
                { text: 'every pushed message', tone: 'muted' },
                '',
                '',
                num(`within ${formatMs(push.boundMs)}`, 'good')
              ]
            ]
          : push.examples.map((x) => [
              x.device,
              { text: x.msgId, mono: true },
              num(when(x.pushAt)),
              num(when(x.renderedAt), x.renderedAt == null ? 'bad' : undefined),
              num(x.renderedAt == null ? 'never shown' : formatMs(x.renderedAt - x.pushAt), 'bad')
            ])
    })
  }
  const checks = Object.entries(r.sentChecks ?? {})
  if (checks.length > 0) {
    tables.push({
      id: 'rel-sent',
      title: 'Sent-message checks',
      note: "Hash-only store queries asking whether a device's messages arrived; what was still missing 10 s after sending was resent.",
      headers: ['device', 'sent', 'confirmed', 'resent', 'unconfirmed', 'checks', 'failed checks', 'check bytes'],
      rows: checks.map(([device, c]) => [
        device,
        num(formatCount(c.sent)),
        num(formatCount(c.confirmed)),
        num(formatCount(c.resent), c.resent > 0 ? 'warn' : undefined),
        num(formatCount(c.unconfirmed), c.unconfirmed > 0 ? 'bad' : undefined),
        num(formatCount(c.checks)),
        num(formatCount(c.failedChecks)),
        num(formatBytes(c.bytes))
      ])
    })
  }
  if (r.storeSync != null && (r.storeSync.fetched > 0 || r.storeSync.failedRounds > 0)) {
    tables.push({
      id: 'rel-store-sync',
      title: 'Store sync',
      note: `Stores fetched ${formatCount(r.storeSync.fetched)} messages they lacked from their peers; ${formatCount(r.storeSync.failedRounds)} sync rounds failed (a partition or a dead peer).`,
      headers: ['store', 'messages fetched from peers'],
      rows: Object.entries(r.storeSync.byStore).map(([store, n]) => [store, num(formatCount(n))])
    })
  }
  const crowd = r.crowd
  if (crowd != null && Object.keys(crowd.devices).length > 0) {
    tables.push({
      id: 'rel-crowd',
      title: `The crowded topic's cost (${crowd.topic})`,
      note: `Per hour of traffic at this scenario's rate. A preview lists new messages with their sizes only (${crowd.previewEntryBytes} B a message) so the user can choose what to fetch.`,
      headers: ['device', 'messages per hour', 'message bytes per hour', 'preview bytes per hour', 'preview / full'],
      rows: Object.entries(crowd.devices).map(([device, c]) => [
        device,
        num(formatCount(c.messagesPerHour)),
        num(`${formatBytes(c.messageBytesPerHour)}/h`),
        num(`${formatBytes(c.previewBytesPerHour)}/h`),
        num(c.previewShare == null ? 'n/a' : formatRatio(c.previewShare))
      ])
    })
  }
  const parts: string[] = []
  if (r.audit?.inSync != null) parts.push(r.audit.inSync ? 'stores in sync' : 'stores out of sync')
  if (r.history?.consistent != null) parts.push(r.history.consistent ? 'history consistent across devices' : 'history differs between devices')
  if (r.partitions.length > 0) parts.push(`${r.partitions.length} partition${r.partitions.length === 1 ? '' : 's'}`)
  if (r.failover.length > 0) parts.push(`${r.failover.length} store failover${r.failover.length === 1 ? '' : 's'}`)
  if (filterFailover.length > 0) parts.push(`${filterFailover.length} lost filter subscription${filterFailover.length === 1 ? '' : 's'}`)
  return { tables, summary: parts.length === 0 ? '' : `${parts.join(', ')}.` }
}

/** Per-device bar charts guessed from flat metric names when results has no dedicated section. */
export function chartsFromMetrics(metrics: Record<string, MetricValue>, prefix: 'bytes' | 'energy', devices: Set<string>): BarChart[] {
  const byTitle = new Map<string, BarChart>()
  for (const [name, mv] of Object.entries(metrics).sort((a, b) => a[0].localeCompare(b[0]))) {
    if (!name.startsWith(`${prefix}.`) || typeof mv.value !== 'number') continue
    const rest = name.slice(prefix.length + 1)
    const device = [...devices].find((d) => rest.startsWith(`${d}.`))
    if (device == null) continue
    const figure = rest.slice(device.length + 1)
    let c: { title: string; axis: string; value: number; text: string } | null = null
    if (prefix === 'bytes') {
      if (mv.unit === 'bytes/h')
        c = { title: `Projected per day (${figure})`, axis: 'MB per day', value: (mv.value * 24) / 1e6, text: `${formatBytes(mv.value * 24)}/day` }
      else if (mv.unit === 'bytes' && /perMessage/i.test(figure))
        c = { title: `Bytes per delivered message (${figure})`, axis: 'bytes', value: mv.value, text: formatBytes(mv.value) }
      else if (mv.unit === 'bytes' && /duplicate/i.test(figure))
        c = { title: `Duplicate bytes (${figure})`, axis: 'bytes', value: mv.value, text: formatBytes(mv.value) }
      else if (mv.unit === 'bytes' && /perDay/i.test(figure))
        c = { title: `Projected per day (${figure})`, axis: 'MB per day', value: mv.value / 1e6, text: `${formatBytes(mv.value)}/day` }
    } else if (['mAh', 'mAh/h', 'joules'].includes(mv.unit)) {
      c = { title: `Energy: ${figure} (${mv.unit})`, axis: mv.unit, value: mv.value, text: formatValue(mv.value, mv.unit) }
    }
    if (c == null) continue
    let chart = byTitle.get(c.title)
    if (chart == null)
      byTitle.set(
        c.title,
        (chart = {
          id: `${prefix}-metric`,
          title: c.title,
          axis: c.axis,
          labels: [],
          stacked: false,
          colorByLabel: true,
          series: [{ label: c.axis, values: [], texts: [] }]
        })
      )
    chart.labels.push(device)
    chart.series[0]!.values.push(c.value)
    chart.series[0]!.texts.push(c.text)
  }
  return [...byTitle.values()]
}

function niceStep(raw: number): number {
  const steps = [0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600]
  return steps.find((s) => s >= raw) ?? Math.ceil(raw / 3600) * 3600
}

function round3(v: number): number {
  return Math.round(v * 1000) / 1000
}

import { setMaxListeners } from 'node:events'
import { copyFile, mkdir, readdir, writeFile } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { startTcpdump, tcpdumpAvailability, type TcpdumpCapture } from '../capture/index.js'
import { auditStores, Fleet } from '../fleet/index.js'
import { contentTopicFor } from '../protocol/index.js'
import { exitCodeForVerdict, type Threshold } from '../gate/index.js'
import { netemAvailability } from '../links/index.js'
import {
  InfrastructureError, InvalidInputError, type Clock, type CourierEvent, type Device, type DeviceComponents, type Logger, type Results, type BuildInfo
} from '../interface/index.js'
import { seededRandom, type DeviceConfig, type LoadedScenario } from '../scenario/index.js'
import { EventLog, readEventLog } from './event-log.js'
import { deviceRadioTimelines } from './energy.js'
import { DeviceLinks } from './links.js'
import { NodeLinks } from './node-links.js'
import { startPushService } from './push.js'
import { buildResults, capturePath, loadCapture } from './results.js'
import { startSelfMonitor } from './self-monitor.js'
import { TimelinePlayer } from './timeline.js'
import { toolInfo } from './tool-info.js'

export type CreateDevice = (name: string, config: DeviceConfig, topics: string[], components: DeviceComponents) => Device

export interface Progress {
  phase: 'starting' | 'traffic' | 'grace' | 'stopping'
  /** Scenario time in ms (negative while starting). */
  scenarioMs: number
  durationMs: number
  sent: number
  received: number
  duplicates: number
  lagP99Ms: number
}

export interface RunOptions {
  /** Run directory; created, and must be empty if it exists. */
  runDir: string
  thresholds: Threshold[]
  createDevice: CreateDevice
  signal: AbortSignal
  log: Logger
  onProgress?: (progress: Progress) => void
  /** Called after results.json is written, to render reports. */
  onResults?: (runDir: string, results: Results, events: CourierEvent[]) => Promise<void>
  /** The build under test, recorded in run.start (buildInfo()). */
  build?: BuildInfo
}

export interface RunOutcome {
  runDir: string
  results: Results
  exitCode: number
}

/**
 * One run: fleet up, devices up, crowd and timeline played, grace period, everything torn down in
 * reverse, then results computed from the event log alone. Whatever happens after the event log
 * opens (a signal, a crash of a node or device), teardown runs and results are written.
 */
export async function runScenario (scenario: LoadedScenario, options: RunOptions): Promise<RunOutcome> {
  const { config } = scenario
  // one run-wide signal is handed to every node, device and timer: many listeners by design
  setMaxListeners(Infinity, options.signal)
  const runDir = await prepareRunDir(options.runDir)
  await copyFile(scenario.file, join(runDir, basename(scenario.file).replace(/\.ya?ml$/i, '') + '.yaml')).catch(() => {})

  const t0 = performance.now()
  const clock: Clock = { now: () => performance.now() - t0 }
  const events = new EventLog(join(runDir, 'events.ndjson'), clock)
  const onError = (component: string, error: unknown): void => {
    events.emit('harness.error', { component, error: errorText(error) })
    options.log.debug(`${component}: ${errorText(error)}`)
  }
  events.emit('run.start', { runId: basename(runDir), scenario: config, scenarioFile: scenario.file, seed: config.seed, tool: toolInfo(), ...(options.build == null ? {} : { build: options.build }), wallClockMs: Date.now() - clock.now() })

  // a stray rejection inside a device or node library must not take the whole run down: it is
  // recorded like any component error and the run goes on (rule 3 of DESIGN.md)
  const onStrayRejection = (reason: unknown): void => { onError('unhandled', reason) }
  process.on('unhandledRejection', onStrayRejection)
  const progress = trackProgress(events)
  const monitor = startSelfMonitor(events, 'runner')
  const teardown: Array<{ name: string, stop: () => Promise<void> }> = []
  const devices = new Map<string, Device>()
  const published = new Set<string>()
  let status: 'complete' | 'interrupted' | 'failed' = 'complete'
  let reason: string | undefined
  let infrastructureError: InfrastructureError | undefined
  let scenarioStartedAt: number | undefined
  const report = (phase: Progress['phase']): void => {
    options.onProgress?.({ ...progress.snapshot(), phase, scenarioMs: scenarioStartedAt == null ? 0 : clock.now() - scenarioStartedAt, durationMs: config.duration })
  }
  const ticker = setInterval(() => { report(scenarioStartedAt == null ? 'starting' : clock.now() - scenarioStartedAt > config.duration ? 'grace' : 'traffic') }, 1000)
  ticker.unref()

  try {
    // registered first so it stops last: the capture must see the fleet's closing packets
    const capture = await chooseCapture(config.capture, options.log)
    let tcpdump: TcpdumpCapture | undefined
    teardown.push({
      name: 'capture',
      stop: async () => {
        if (tcpdump == null) return
        await sleep(200) // let the last FINs reach the capture buffer
        const stats = await tcpdump.stop()
        events.emit('capture.stop', { backend: 'tcpdump', packets: stats.packets, dropped: stats.dropped })
      }
    })
    if (capture.backend !== 'tcpdump') events.emit('capture.start', capture)

    // node links reroute fleet dials through shapers; without any, nodes dial each other as before
    const nodeLinks = new NodeLinks(scenario, events, onError)
    const fleet = new Fleet(scenario, { clock, events, onError, dialPort: nodeLinks.active ? nodeLinks.dialPort : undefined })
    // registered before the fleet so it stops after it: nodes close their connections through
    // the shapers first, rather than seeing every one of them reset at once
    teardown.push({ name: 'node links', stop: async () => { await nodeLinks.close() } })
    // devices announce their peer id; partitions need it to tell whose connections to refuse
    events.onEvent((event) => { if (event.type === 'device.up' && event.peerId != null) fleet.partitions.register(event.device, event.peerId) })
    startPushService(config, events, devices, options.signal)
    // what reached the fleet is what a complete store must hold
    events.onEvent((event) => { if (event.type === 'msg.relayed' || event.type === 'msg.stored') published.add(event.hash) })
    teardown.push({ name: 'fleet', stop: async () => { await fleet.stop() } })
    const links = new DeviceLinks(scenario, fleet, events)
    teardown.push({ name: 'links', stop: async () => { await links.close() } })
    const startCapture = async (nodePorts: number[]): Promise<void> => {
      const shaperPorts = [...await nodeLinks.start(fleet), ...await links.start()]
      const ports = [...nodePorts, ...shaperPorts]
      if (shaperPorts.length > 0) await reportLinkBackend(events, options.log)
      if (capture.backend !== 'tcpdump') return
      try {
        tcpdump = await startTcpdump({ file: join(runDir, CAPTURE_FILE), ports, snaplen: CAPTURE_SNAPLEN, bufferKb: CAPTURE_BUFFER_KB, signal: options.signal })
      } catch (error) {
        if (options.signal.aborted) throw error
        throw new InfrastructureError(`tcpdump could not start: ${errorText(error)}`, { cause: error })
      }
      events.emit('capture.start', { backend: 'tcpdump', file: CAPTURE_FILE, argv: tcpdump.argv })
    }
    try {
      await fleet.start(options.signal, startCapture)
    } catch (error) {
      if (options.signal.aborted || error instanceof InfrastructureError) throw error
      throw new InfrastructureError(`the fleet could not start: ${errorText(error)}`, { cause: error })
    }
    options.signal.throwIfAborted()
    // a fleet meant for a phone or an outside client: say where it is, in the forms apps take
    if (!config.network.host.startsWith('127.') || config.network.ports != null) {
      options.log.info(`courier: fleet on cluster ${fleet.clusterId}, shards ${fleet.shards.join(',')} (${fleet.pubsubTopic})`)
      for (const node of fleet.nodes) options.log.info(`  ${node.name} (${node.role})  ${node.multiaddrs.join('  ')}\n    ${node.enr}`)
    }

    const markFailed = (name: string, error: unknown): void => {
      const device = devices.get(name)
      devices.delete(name)
      events.emit('device.failed', { device: name, error: errorText(error) })
      options.log.warn(`device ${name} failed: ${errorText(error)}; the run goes on without it`)
      void device?.stop().catch(() => {})
    }
    await Promise.all(Object.entries(config.devices).map(async ([name, deviceConfig]) => {
      const components: DeviceComponents = {
        clock,
        events,
        log: options.log,
        fleet: links.directoryFor(name, fleet.directory()),
        random: seededRandom(config.seed, `device/${name}`),
        byteAccounting: config.capture !== 'off'
      }
      try {
        const device = options.createDevice(name, deviceConfig, deviceConfig.topics ?? scenario.topics, components)
        devices.set(name, device)
        await device.start({ signal: options.signal })
      } catch (error) {
        if (options.signal.aborted) throw error
        markFailed(name, error)
      }
    }))
    teardown.push({
      name: 'devices',
      stop: async () => {
        await Promise.all([...devices.entries()].map(async ([name, device]) => {
          try { await device.stop() } catch (error) { onError(name, error) }
        }))
      }
    })
    options.signal.throwIfAborted()

    events.emit('scenario.start', {})
    scenarioStartedAt = clock.now()
    fleet.crowd?.start()
    const timeline = new TimelinePlayer({ config, scenarioFile: scenario.file, clock, fleet, links, nodeLinks, devices, events, onDeviceError: markFailed, onError, signal: options.signal })
    timeline.start()
    teardown.push({ name: 'timeline', stop: async () => { fleet.crowd?.stop(); await timeline.stop() } })
    report('traffic')

    await sleep(config.duration, undefined, { signal: options.signal })
    fleet.crowd?.stop()
    await timeline.stop()
    events.emit('scenario.end', {})
    report('grace')
    await sleep(config.grace, undefined, { signal: options.signal })
    if (fleet.stores.length > 0) {
      await auditStores({ stores: fleet.stores, pubsubTopic: fleet.pubsubTopic, contentTopics: scenario.topics.map(contentTopicFor), published: [...published], events, signal: options.signal, accounting: config.capture !== 'off' })
    }
  } catch (error) {
    if (options.signal.aborted) {
      status = 'interrupted'
      reason = `interrupted by ${String(options.signal.reason instanceof Error ? options.signal.reason.message : options.signal.reason ?? 'a signal')}`
    } else if (error instanceof InfrastructureError) {
      status = 'failed'
      reason = error.message
      infrastructureError = error
    } else {
      status = 'failed'
      reason = `internal error: ${errorText(error)}`
      onError('runner', error)
    }
  } finally {
    clearInterval(ticker)
    report('stopping')
    for (const step of teardown.reverse()) {
      try { await step.stop() } catch (error) { onError(step.name, error) }
    }
    monitor.stop()
    events.emit('run.end', { status, reason })
    events.close()
    process.off('unhandledRejection', onStrayRejection)
  }

  const allEvents = await readEventLog(events.path)
  const results = buildResults({
    events: allEvents,
    thresholds: options.thresholds,
    capture: await loadCapture(runDir, allEvents),
    radioTimelines: await deviceRadioTimelines(allEvents, capturePath(runDir, allEvents))
  })
  await writeFile(join(runDir, 'results.json'), JSON.stringify(results, null, 2) + '\n')
  if (options.onResults != null) {
    try { await options.onResults(runDir, results, allEvents) } catch (error) { options.log.warn(`a report could not be written: ${errorText(error)}`) }
  }
  if (infrastructureError != null) throw Object.assign(infrastructureError, { runDir })
  return { runDir, results, exitCode: exitCodeForVerdict(results.verdict) }
}

/** Says once how links are shaped: the issue wants kernel netem where a kernel has it, so its absence is reported, not hidden. */
async function reportLinkBackend (events: EventLog, log: Logger): Promise<void> {
  const netem = await netemAvailability()
  events.emit('link.backend', { backend: 'userspace', netem })
  log.info(`courier: links shaped in user space (${netem.available ? 'this kernel has netem, but courier has no netem backend yet' : `kernel netem unavailable: ${netem.reason}`})`)
}

const CAPTURE_FILE = 'capture.pcap'
// With --immediate-mode libpcap sizes every ring slot for the snaplen: tcpdump's default 256 KiB
// left an 8 MiB buffer 32 slots and dropped ~5% of a smoke run's packets (measured). 70 000 bytes
// still holds loopback's 64 kB offload frames whole, and 128 MiB gives ~1900 slots: no drops.
const CAPTURE_SNAPLEN = 70_000
const CAPTURE_BUFFER_KB = 131_072

type CaptureChoice = { backend: 'tcpdump' | 'socket' | 'off', reason?: string }

/** `auto` falls back to socket accounting, saying why; an explicit `tcpdump` that cannot run is an error. */
async function chooseCapture (wanted: 'auto' | 'tcpdump' | 'socket' | 'off', log: Logger): Promise<CaptureChoice> {
  if (wanted === 'off') return { backend: 'off', reason: 'capture: off in the scenario' }
  if (wanted === 'socket') return { backend: 'socket', reason: 'capture: socket in the scenario' }
  const availability = await tcpdumpAvailability()
  if (availability.usable) return { backend: 'tcpdump' }
  if (wanted === 'tcpdump') throw new InfrastructureError(`capture: tcpdump was asked for but cannot capture here: ${availability.reason ?? 'unknown reason'} (install tcpdump and run as root, or use capture: auto)`)
  log.warn(`tcpdump not usable (${availability.reason ?? 'unknown reason'}); counting bytes at the sockets only`)
  return { backend: 'socket', reason: `tcpdump not usable: ${availability.reason ?? 'unknown reason'}` }
}

async function prepareRunDir (runDir: string): Promise<string> {
  await mkdir(runDir, { recursive: true })
  const existing = await readdir(runDir)
  if (existing.length > 0) {
    throw new InvalidInputError([{ location: { file: runDir }, path: '', message: 'the run directory is not empty; courier never overwrites a recorded run', hint: 'choose another --out directory, or leave --out out to get a new one under runs/' }])
  }
  return runDir
}

function trackProgress (events: EventLog): { snapshot(): Omit<Progress, 'phase' | 'scenarioMs' | 'durationMs'> } {
  let sent = 0
  let received = 0
  let duplicates = 0
  let lagP99Ms = 0
  events.onEvent((event) => {
    if (event.type === 'msg.sent') sent++
    else if (event.type === 'msg.received') { if (event.duplicate) duplicates++; else received++ }
    else if (event.type === 'harness.lag') lagP99Ms = event.p99
  })
  return { snapshot: () => ({ sent, received, duplicates, lagP99Ms }) }
}

function errorText (error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

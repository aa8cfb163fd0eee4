import { setMaxListeners } from 'node:events'
import { constants } from 'node:fs'
import { access, copyFile, mkdir, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises'
import { basename, dirname, join, resolve } from 'node:path'
import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { auditStores, describeFleet, Fleet, statusFleetConfig } from '../fleet/index.js'
import { contentTopicFor } from '../protocol/index.js'
import { exitCodeForVerdict, type Threshold } from '../gate/index.js'
import { netemAvailability } from '../links/index.js'
import {
  ExitCode,
  InfrastructureError,
  InvalidInputError,
  type CreateDevice as CreateDeviceFor,
  type Clock,
  type Device,
  type DeviceComponents,
  type FleetFile,
  type Logger,
  type Results,
  type BuildInfo
} from '../interface/index.js'
import { seededRandom, type DeviceConfig, type LoadedScenario } from '../scenario/index.js'
import { EventLog } from './event-log.js'
import { deviceRadioTimelines } from './energy.js'
import { DeviceLinks } from './links.js'
import { NodeLinks } from './node-links.js'
import { startPushService } from './push.js'
import { buildResults, capturePath, loadCapture } from './results.js'
import { scanRunLogLeaks, type ConfiguredSecret } from './leaks.js'
import { readRunLog, runLogOf, type RunLog } from './stream-analysis.js'
import { fleetHosts, loadDestinations } from './destinations.js'
import { CapturePart, captureImmediately, chooseCapture } from './capture-part.js'
import { RunParts } from './parts.js'
import { planPlacement, startSelfMonitor, WorkerPool } from '../worker/index.js'
import { TimelinePlayer } from './timeline.js'
import { toolInfo } from './tool-info.js'

export type CreateDevice = CreateDeviceFor<DeviceConfig>

export interface Progress {
  /** `up`: a fleet kept up by `courier fleet up`, past its start. */
  phase: 'starting' | 'traffic' | 'grace' | 'stopping' | 'up'
  /** Scenario time in ms (negative while starting). */
  scenarioMs: number
  durationMs: number
  sent: number
  received: number
  duplicates: number
  lagP99Ms: number
  /** Messages relay nodes received, summed over nodes, since the start. */
  relayed: number
  /** Messages store nodes archived, summed over stores, since the start. */
  stored: number
  nodesUp: number
  nodes: number
  /** Peers connected to a fleet node that are neither fleet nodes nor courier's own simulated devices (a phone, a js-waku client). */
  outsidePeers: number
}

export interface RunOptions {
  /** Run directory; created, and must be empty if it exists. */
  runDir: string
  thresholds: Threshold[]
  createDevice: CreateDevice
  signal: AbortSignal
  log: Logger
  onProgress?: (progress: Progress) => void
  /** Called after results.json is written, to render reports (from the log read again, not held). */
  onResults?: (runDir: string, results: Results, log: RunLog) => Promise<void>
  /** The build under test, recorded in run.start (buildInfo()). */
  build?: BuildInfo
  /** Secrets the run is configured with (names and values), looked for in every artifact afterwards. */
  secrets?: readonly ConfiguredSecret[]
  /** Mask what the secrets scan finds in the run's artifacts (`courier run --redact`). */
  redact?: boolean
  /** Hand onResults the delivery latency samples (the history row's; default true): a sample per arrival. */
  latencySamples?: boolean
  /**
   * Processes that carry the fleet (`--workers`): 1 (default) runs everything in this process;
   * N > 1 forks N - 1 worker processes for the relays and crowd gateways (harness/worker).
   */
  workers?: number
  /**
   * Workers on other hosts (`--remote-workers N --worker-listen HOST:PORT`): the run waits for
   * `count` `courier worker --join HOST:PORT` processes to connect before its fleet starts, and
   * gives them relays and crowd gateways like the forked ones.
   */
  remoteWorkers?: { count: number; host: string; port: number; timeoutMs?: number }
}

/** How long a run waits for its remote workers to join by default. */
export const JOIN_TIMEOUT_MS = 120_000

/** `courier fleet up`: what differs from a run. */
export interface FleetUpOptions extends Omit<RunOptions, 'thresholds' | 'onResults'> {
  /** Start the scenario's devices and play its timeline once (default: the network and the crowd only). */
  withDevices: boolean
  /** Stop after this long (ms); default: until the signal. */
  forMs?: number
  /** Called once the fleet is up and its files are written, before any device starts: print the addresses. */
  onUp?: (file: FleetFile, fleet: Fleet) => Promise<void>
}

export interface FleetUpOutcome {
  runDir: string
  status: 'complete' | 'interrupted'
}

/** The part of a run `courier fleet up` changes. */
interface Hold {
  withDevices: boolean
  forMs?: number
  onUp?: (fleet: Fleet, file: FleetFile) => Promise<void>
}

interface Played {
  runDir: string
  eventsPath: string
  status: 'complete' | 'interrupted' | 'failed'
  infrastructureError?: InfrastructureError
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
export async function runScenario(scenario: LoadedScenario, options: RunOptions): Promise<RunOutcome> {
  const { runDir, eventsPath, status, infrastructureError } = await play(scenario, options)
  // the run happened: whatever analysis does from here, events.ndjson (and the capture) stay on disk.
  // It is read as a stream: the folds see every event, and only the log less its bulk is kept
  let pass = await readRunLog(eventsPath)
  const captureGaps: string[] = []
  const optional = async <T>(what: string, read: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await read()
    } catch (error) {
      captureGaps.push(`${what} could not be read (${errorText(error)}); its figures are left out`)
      return undefined
    }
  }
  // before results: with --redact they are built from the masked artifacts (the log is passed again)
  const scanned = await optional(
    'the artifacts (secrets scan)',
    async () => await scanRunLogLeaks(runDir, pass, { secrets: options.secrets, redact: options.redact })
  )
  if (scanned != null) pass = scanned.pass
  const allEvents = pass.kept
  let results: Results
  try {
    results = buildResults({
      leaks: scanned?.leaks,
      destinations: await optional('the capture (destinations)', async () => await loadDestinations(runDir, allEvents)),
      events: allEvents,
      analysis: pass.analysis,
      thresholds: options.thresholds,
      capture: await optional('the capture', async () => await loadCapture(runDir, allEvents)),
      radioTimelines: await optional('the radio timelines', async () => await deviceRadioTimelines(allEvents, capturePath(runDir, allEvents), pass.receptions))
    })
  } catch (error) {
    await writeFile(join(runDir, 'analysis-error.txt'), `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`).catch(() => {})
    throw new InfrastructureError(
      `the run finished (${status}) but its analysis failed: ${errorText(error)}. Its artifacts are kept in ${runDir} (events.ndjson, analysis-error.txt); \`courier report ${runDir}\` retries the analysis. This is a bug in courier: please report it with analysis-error.txt`,
      { cause: error }
    )
  }
  if (captureGaps.length > 0) {
    results.gaps = [...(results.gaps ?? []), ...captureGaps]
    if (results.verdict === 'pass') {
      results.verdict = 'inconclusive'
      results.verdictReasons = [...captureGaps]
    }
  }
  await writeFile(join(runDir, 'results.json'), JSON.stringify(results, null, 2) + '\n')
  // a CI job must not go green on a report it cannot publish: results.json is kept, the exit is 3
  let reportFailed = false
  if (options.onResults != null) {
    try {
      await options.onResults(runDir, results, runLogOf(eventsPath, pass, options.latencySamples !== false))
    } catch (error) {
      reportFailed = true
      options.log.warn(`a report could not be written: ${errorText(error)} (exit 3; results.json is in ${runDir})`)
    }
  }
  if (infrastructureError != null) throw Object.assign(infrastructureError, { runDir })
  return { runDir, results, exitCode: reportFailed ? ExitCode.infrastructure : exitCodeForVerdict(results.verdict) }
}

/**
 * Keeps a scenario's fleet (and crowd) up until the signal or `forMs`: a run without a traffic
 * phase's end, grace, audit or results. The crowd's plan repeats every `duration`; devices and
 * the timeline (played once) only with `withDevices`. `events.ndjson` is written as a run's, so
 * `courier report` can compute figures from it afterwards. A directory a previous `fleet up`
 * left is reused: its files move into `previous-<time>/`.
 */
export async function keepFleetUp(scenario: LoadedScenario, options: FleetUpOptions): Promise<FleetUpOutcome> {
  await setAsidePreviousFleet(options.runDir)
  const onUp = async (fleet: Fleet, file: FleetFile): Promise<void> => {
    // the pid lets a second `fleet up` on this directory see that this one still runs
    await writeFile(join(options.runDir, FLEET_UP_FILES[0]), JSON.stringify({ ...file, pid: process.pid }, null, 2) + '\n')
    await writeFile(join(options.runDir, FLEET_UP_FILES[1]), JSON.stringify(statusFleetConfig(file), null, 2) + '\n')
    await options.onUp?.(file, fleet)
  }
  const played = await play(scenario, { ...options, thresholds: [] }, { withDevices: options.withDevices, forMs: options.forMs, onUp })
  if (played.infrastructureError != null) throw Object.assign(played.infrastructureError, { runDir: played.runDir })
  return { runDir: played.runDir, status: played.status === 'interrupted' ? 'interrupted' : 'complete' }
}

/** What `fleet up` writes; a directory holding the first was a previous `fleet up`. */
const FLEET_UP_FILES = ['fleet.json', 'status-fleet.json']

async function setAsidePreviousFleet(runDir: string): Promise<void> {
  const existing = await readdir(runDir).catch(() => [] as string[])
  if (!existing.includes(FLEET_UP_FILES[0])) return
  const previous = await readFile(join(runDir, FLEET_UP_FILES[0]), 'utf8')
    .then((text) => JSON.parse(text) as { pid?: unknown })
    .catch(() => ({ pid: undefined }))
  if (typeof previous.pid === 'number' && previous.pid !== process.pid && processAlive(previous.pid)) {
    throw new InvalidInputError([
      {
        location: { file: runDir },
        path: '',
        message: `a fleet is already up in this directory (courier process ${previous.pid})`,
        hint: 'stop it first (Ctrl-C in its terminal), or give another --out'
      }
    ])
  }
  // milliseconds too: two quick restarts must not share a folder
  const aside = join(runDir, `previous-${new Date().toISOString().replace(/[-:]/g, '').replace(/Z$/, '').replace('T', '-')}`)
  await mkdir(aside)
  for (const name of existing) if (!name.startsWith('previous-')) await rename(join(runDir, name), join(aside, name))
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

async function play(scenario: LoadedScenario, options: RunOptions, hold?: Hold): Promise<Played> {
  const { config } = scenario
  // one run-wide signal is handed to every node, device and timer: many listeners by design
  setMaxListeners(Infinity, options.signal)
  const runDir = await prepareRunDir(options.runDir, hold != null)
  await copyFile(scenario.file, join(runDir, basename(scenario.file).replace(/\.ya?ml$/i, '') + '.yaml')).catch(() => {})

  const t0 = performance.now()
  const clock: Clock = { now: () => performance.now() - t0 }
  const events = new EventLog(join(runDir, 'events.ndjson'), clock)
  const onError = (component: string, error: unknown): void => {
    events.emit('harness.error', { component, error: errorText(error) })
    options.log.debug(`${component}: ${errorText(error)}`)
  }
  events.emit('run.start', {
    runId: basename(runDir),
    scenario: config,
    scenarioFile: scenario.file,
    seed: config.seed,
    tool: toolInfo(),
    ...(options.build == null ? {} : { build: options.build }),
    wallClockMs: Date.now() - clock.now()
  })

  // a stray rejection inside a device or node library must not take the whole run down: it is
  // recorded like any component error and the run goes on (rule 3 of DESIGN.md)
  const onStrayRejection = (reason: unknown): void => {
    onError('unhandled', reason)
  }
  process.on('unhandledRejection', onStrayRejection)
  const progress = trackProgress(events)
  let fleetForProgress: Fleet | undefined
  const monitor = startSelfMonitor(events, 'runner')
  const parts = new RunParts(onError)
  const devices = new Map<string, Device>()
  const published = new Set<string>()
  let status: 'complete' | 'interrupted' | 'failed' = 'complete'
  let reason: string | undefined
  let infrastructureError: InfrastructureError | undefined
  let scenarioStartedAt: number | undefined
  const report = (phase: Progress['phase']): void => {
    if (options.onProgress == null) return
    options.onProgress({
      ...progress.snapshot(),
      outsidePeers: fleetForProgress == null ? 0 : outsidePeers(fleetForProgress, progress.devicePeers),
      phase,
      scenarioMs: scenarioStartedAt == null ? 0 : clock.now() - scenarioStartedAt,
      durationMs: hold?.forMs ?? config.duration
    })
  }
  const phaseNow = (): Progress['phase'] =>
    scenarioStartedAt == null ? 'starting' : hold != null ? 'up' : clock.now() - scenarioStartedAt > config.duration ? 'grace' : 'traffic'
  const ticker = setInterval(() => {
    report(phaseNow())
  }, 1000)
  ticker.unref()

  try {
    // A fleet kept up for hours would fill a disk with packets: there, `auto` counts at sockets.
    const capture = new CapturePart(
      hold != null && config.capture === 'auto'
        ? { backend: 'socket', reason: 'courier fleet up: no packet capture unless the scenario says capture: tcpdump' }
        : await chooseCapture(config.capture, options.log),
      { runDir, events, hosts: fleetHosts(config), immediate: captureImmediately(config.crowd?.rate) }
    )
    // node links reroute fleet dials through shapers; without any, nodes dial each other as before
    const nodeLinks = new NodeLinks(scenario, events, onError)
    let markFailed: (name: string, error: unknown) => void = () => {}
    const remote = options.remoteWorkers
    const placement = planPlacement(scenario, options.workers ?? 1, nodeLinks.active, remote?.count ?? 0)
    if (placement.byWorker.size > 0 || placement.note != null) {
      events.emit('workers.placement', {
        workers: placement.workers,
        byWorker: Object.fromEntries(placement.byWorker),
        runner: [...scenario.nodes.relays, ...scenario.nodes.stores, ...scenario.nodes.gateways].filter(
          (node) => ![...placement.byWorker.values()].some((nodes) => nodes.includes(node))
        ),
        ...(placement.note == null ? {} : { note: placement.note }),
        ...(Object.keys(config.devices).length === 0 || placement.note != null
          ? {}
          : { devices: Object.fromEntries(placement.devices), devicesKept: Object.fromEntries(placement.devicesKept) })
      })
      const moved = [...placement.devices].filter(([, names]) => names.length > 0)
      if (moved.length > 0) options.log.info(`courier: devices in workers: ${moved.map(([worker, names]) => `${worker} ${names.join(', ')}`).join('; ')}`)
      for (const [device, why] of placement.devicesKept) options.log.info(`courier: device ${device} stays in courier's process: ${why}`)
      if (placement.note != null && remote != null)
        // hosts waiting to join a run that will never take them would wait in vain: say so before anything starts
        throw new InvalidInputError([{ location: { file: '--remote-workers' }, path: '', message: `cannot be used with this scenario: ${placement.note}` }])
      if (placement.note != null) options.log.info(`courier: --workers ${placement.workers} not used: ${placement.note}`)
    }
    const pool = new WorkerPool(
      placement,
      {
        clock,
        events,
        log: options.log,
        onError,
        peerName: (peerId) => fleet.partitions.peerName(peerId),
        onDeviceLost: (device, error) => {
          markFailed(device, error)
        }
      },
      remote == null
        ? undefined
        : { host: remote.host, port: remote.port, count: remote.count, timeoutMs: remote.timeoutMs ?? JOIN_TIMEOUT_MS, signal: options.signal }
    )
    const fleet = new Fleet(scenario, {
      clock,
      events,
      onError,
      dialPort: nodeLinks.active ? nodeLinks.dialPort : undefined,
      place: pool.active ? pool.place : undefined
    })
    fleetForProgress = fleet
    if (pool.active) {
      // the workers' connection gates decide on a copy of the partitions, sent on every change before any enforce
      fleet.partitions.onChange(() => {
        pool.shareGates(fleet.partitions.snapshot())
      })
      // nodes in workers announce themselves through their events: partitions name their peers, and each
      // worker's peer exchange learns the service nodes of other processes that are up (settled a moment later)
      let sharing: NodeJS.Timeout | undefined
      events.onEvent((event) => {
        if (event.type === 'node.up') fleet.partitions.register(event.node, event.peerId)
        if (event.type === 'node.up' || event.type === 'node.down') {
          clearTimeout(sharing)
          sharing = setTimeout(() => {
            void pool.shareExchange(fleet.nodes)
          }, 50)
          sharing.unref()
        }
      })
    }
    // devices announce their peer id; partitions need it to tell whose connections to refuse
    events.onEvent((event) => {
      if (event.type === 'device.up' && event.peerId != null) fleet.partitions.register(event.device, event.peerId)
      // a block of `bootstrap` needs the list the device was given
      if (event.type === 'device.bootstrap') fleet.partitions.setBootstrap(event.device, event.nodes)
    })
    startPushService(config, events, devices, options.signal)
    // what reached the fleet is what a complete store must hold
    events.onEvent((event) => {
      if (event.type === 'msg.relayed' || event.type === 'msg.stored') published.add(event.hash)
    })
    const links = new DeviceLinks(scenario, fleet, events)
    // a device in a worker that dies while it starts fails twice (its start, its worker's exit): recorded once
    const failedDevices = new Set<string>()
    markFailed = (name: string, error: unknown): void => {
      if (failedDevices.has(name)) return
      failedDevices.add(name)
      const device = devices.get(name)
      devices.delete(name)
      events.emit('device.failed', { device: name, error: errorText(error) })
      options.log.warn(`device ${name} failed: ${errorText(error)}; the run goes on without it`)
      void device?.stop().catch(() => {})
    }
    const timeline = new TimelinePlayer({
      config,
      scenarioFile: scenario.file,
      clock,
      fleet,
      links,
      nodeLinks,
      devices,
      events,
      onDeviceError: markFailed,
      onError,
      signal: options.signal
    })
    const startDevices = hold == null || hold.withDevices
    let fleetFile: FleetFile | undefined

    // Started in this order, stopped in reverse. The capture stops last, so it sees the fleet's
    // closing packets; node links stop after the fleet, so nodes close their connections through
    // the shapers rather than seeing every one reset at once. Shapers and tcpdump need the nodes'
    // listening ports, so the fleet starts them between listening and dialling.
    await parts.startInOrder(
      [
        capture,
        { name: 'node links', start: async () => {}, stop: async () => await nodeLinks.close() },
        // the workers outlive the fleet's stop (it stops their nodes through them) and go after it
        { name: 'workers', start: async () => await pool.start(scenario), stop: async () => await pool.stop() },
        {
          name: 'fleet',
          start: async ({ signal }) => {
            const onListening = async (nodePorts: number[]): Promise<void> => {
              const shaperPorts = [...(await nodeLinks.start(fleet)), ...(await links.start())]
              if (shaperPorts.length > 0) await reportLinkBackend(events, options.log)
              await capture.begin([...nodePorts, ...shaperPorts], signal)
            }
            try {
              await fleet.start(signal, onListening)
            } catch (error) {
              if (signal.aborted || error instanceof InfrastructureError) throw error
              throw new InfrastructureError(
                `the fleet could not start: ${portInUse(errorText(error), config.network.ports, scenario.nodes.relays.length + scenario.nodes.stores.length + scenario.nodes.gateways.length) ?? errorText(error)}`,
                { cause: error }
              )
            }
            signal.throwIfAborted()
            // a fleet meant for a phone or an outside client: say where it is, in the forms apps take
            // (`courier fleet up` prints its own fuller list on stdout)
            if (hold == null && (!config.network.host.startsWith('127.') || config.network.ports != null)) {
              options.log.info(`courier: fleet on cluster ${fleet.clusterId}, shards ${fleet.shards.join(',')} (${fleet.pubsubTopic})`)
              for (const node of fleet.nodes) options.log.info(`  ${node.name} (${node.role})  ${node.multiaddrs.join('  ')}\n    ${node.enr}`)
            }
            fleetFile = describeFleet(fleet, scenario)
            // the fleet file is there before any device starts: a phone (or a script) waiting for it need not wait for them
            await hold?.onUp?.(fleet, fleetFile)
          },
          stop: async () => await fleet.stop()
        },
        { name: 'links', start: async () => {}, stop: async () => await links.close() },
        {
          name: 'devices',
          start: async ({ signal }) => {
            const file = fleetFile
            if (file == null) throw new Error('the devices started before the fleet described itself')
            await Promise.all(
              Object.entries(startDevices ? config.devices : {}).map(async ([name, deviceConfig]) => {
                const components: DeviceComponents = {
                  clock,
                  events,
                  log: options.log,
                  fleet: links.directoryFor(name, { ...fleet.directory(), file, refused: (host, port) => fleet.refuses(name, host, port) }),
                  random: seededRandom(config.seed, `device/${name}`),
                  byteAccounting: config.capture !== 'off'
                }
                const topics = deviceConfig.topics ?? scenario.topics
                try {
                  // a device placed in a worker is built there from the same entry, directory and seed;
                  // no block or shaped link reaches it (placement keeps such devices here), so the
                  // directory travels as data
                  const { relays, stores, pubsubTopic, websocket } = components.fleet
                  const device =
                    (pool.deviceWorker(name) == null
                      ? undefined
                      : pool.placeDevice({
                          name,
                          topics,
                          relays,
                          stores,
                          pubsubTopic,
                          peers: Object.fromEntries(fleet.nodes.map((node) => [node.peerId, node.name])),
                          ...(websocket == null ? {} : { websocket }),
                          file,
                          byteAccounting: components.byteAccounting === true
                        })) ?? (await options.createDevice(name, deviceConfig, topics, components))
                  devices.set(name, device)
                  await device.start({ signal })
                } catch (error) {
                  if (signal.aborted) throw error
                  markFailed(name, error)
                }
              })
            )
          },
          stop: async () => {
            await Promise.all(
              [...devices.entries()].map(async ([name, device]) => {
                try {
                  await device.stop()
                } catch (error) {
                  onError(name, error)
                }
              })
            )
          }
        },
        {
          name: 'timeline',
          start: async () => {
            events.emit('scenario.start', {})
            const startedAt = clock.now()
            scenarioStartedAt = startedAt
            const repeatEveryMs = hold != null ? config.duration : undefined
            fleet.crowd?.start({ startedAt, repeatEveryMs })
            await pool.startCrowd(startedAt, repeatEveryMs)
            if (startDevices) timeline.start()
          },
          stop: async () => {
            fleet.crowd?.stop()
            await pool.stopCrowd().catch((error: unknown) => {
              onError('workers', error)
            })
            await timeline.stop()
          }
        }
      ],
      options.signal
    )
    report(phaseNow())

    if (hold != null) {
      // until the signal (a rejection, handled below) or the time asked for
      await sleep(hold.forMs ?? MAX_TIMER_MS, undefined, { signal: options.signal })
      while (hold.forMs == null) await sleep(MAX_TIMER_MS, undefined, { signal: options.signal })
    } else {
      await sleep(config.duration, undefined, { signal: options.signal })
      fleet.crowd?.stop()
      await pool.stopCrowd().catch((error: unknown) => {
        onError('workers', error)
      })
      await timeline.stop()
      events.emit('scenario.end', {})
      report('grace')
      await sleep(config.grace, undefined, { signal: options.signal })
      if (fleet.stores.length > 0) {
        await auditStores({
          stores: fleet.stores,
          pubsubTopic: fleet.pubsubTopic,
          contentTopics: scenario.topics.map(contentTopicFor),
          published: [...published],
          events,
          signal: options.signal,
          accounting: config.capture !== 'off'
        })
      }
    }
  } catch (error) {
    if (options.signal.aborted) {
      status = 'interrupted'
      reason = `interrupted by ${String(options.signal.reason instanceof Error ? options.signal.reason.message : (options.signal.reason ?? 'a signal'))}`
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
    await parts.stopInReverse()
    monitor.stop()
    events.emit('run.end', { status, reason })
    events.close()
    process.off('unhandledRejection', onStrayRejection)
  }
  return { runDir, eventsPath: events.path, status, infrastructureError }
}

/**
 * libp2p reports a taken port with a stack per listen address; with fixed ports (a second
 * `courier fleet up`, or another program) the user needs the port and what to change.
 */
function portInUse(message: string, basePort: number | undefined, nodes: number): string | undefined {
  const taken = /EADDRINUSE[^\n]*?:(\d+)\b/.exec(message)
  if (taken == null) return undefined
  const where = basePort == null ? '' : ` (network.ports ${basePort}: this fleet's ${nodes} nodes use ports ${basePort}-${basePort + 2 * nodes - 1})`
  return `port ${taken[1]} is already in use${where}: stop what holds it (another courier fleet up or run of this scenario?) or choose another network.ports`
}

/** setTimeout's longest delay (~24.8 days); a longer one fires at once. */
const MAX_TIMER_MS = 2 ** 31 - 1

/**
 * Peers on fleet nodes' connections that are neither fleet nodes nor courier's own devices. Only
 * nodes in this process are looked at: a worker's nodes are not asked (the figure is the progress
 * line's, and a phone dials relays and stores alike).
 */
function outsidePeers(fleet: Fleet, devicePeers: ReadonlySet<string>): number {
  const fleetPeers = new Set(fleet.nodes.map((node) => node.peerId))
  const outside = new Set<string>()
  for (const node of fleet.nodes) {
    for (const connection of node.node?.getConnections() ?? []) {
      const peer = connection.remotePeer.toString()
      if (!fleetPeers.has(peer) && !devicePeers.has(peer)) outside.add(peer)
    }
  }
  return outside.size
}

/** Says once how links are shaped: the issue wants kernel netem where a kernel has it, so its absence is reported, not hidden. */
async function reportLinkBackend(events: EventLog, log: Logger): Promise<void> {
  const netem = await netemAvailability()
  events.emit('link.backend', { backend: 'userspace', netem })
  log.info(
    `courier: links shaped in user space (${netem.available ? 'this kernel has netem, but courier has no netem backend yet' : `kernel netem unavailable: ${netem.reason}`})`
  )
}

async function prepareRunDir(runDir: string, keepsPrevious: boolean): Promise<string> {
  await makeDirectory(runDir, 'run directory')
  const existing = (await readdir(runDir)).filter((name) => !(keepsPrevious && name.startsWith('previous-')))
  if (existing.length > 0) {
    throw new InvalidInputError([
      {
        location: { file: runDir },
        path: '',
        message: 'the run directory is not empty; courier never overwrites a recorded run',
        hint: 'choose another --out directory, or leave --out out to get a new one under runs/'
      }
    ])
  }
  return runDir
}

/**
 * Creates a directory and its missing parents one level at a time, each failure an InvalidInputError
 * naming the path. Node's recursive mkdir loops forever under /proc (mkdir there says ENOENT for
 * a parent that exists): a run with --out /proc/x spun a core and ignored Ctrl-C.
 */
export async function makeDirectory(dir: string, what: string, option = '--out'): Promise<void> {
  const refuse = (message: string, hint?: string): InvalidInputError =>
    new InvalidInputError([{ location: { file: dir }, path: '', message, hint: hint ?? `choose a directory you can write to with ${option}` }])
  const missing: string[] = []
  for (let path = resolve(dir); ; path = dirname(path)) {
    const found = await stat(path).catch((error: NodeJS.ErrnoException) => error)
    if (found instanceof Error) {
      if (found.code !== 'ENOENT') throw refuse(`cannot use ${path} for the ${what} (${found.code ?? found.message})`)
      missing.push(path)
      if (dirname(path) === path) break
      continue
    }
    if (!found.isDirectory())
      throw refuse(
        path === resolve(dir) ? `${dir} exists and is not a directory` : `${path} is not a directory, so the ${what} cannot be made under it`,
        `choose another ${option}; courier never writes over a file`
      )
    break
  }
  for (const path of missing.reverse()) {
    try {
      await mkdir(path)
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      if (code === 'EEXIST') continue
      throw refuse(
        `cannot create the ${what}: ${path} (${code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'EROFS' ? 'read-only file system' : code === 'ENOENT' ? 'this file system makes no directories there' : (code ?? String(error))})`
      )
    }
  }
  try {
    await access(resolve(dir), constants.W_OK)
  } catch {
    throw refuse(`the ${what} ${dir} is not writable`)
  }
}

function trackProgress(events: EventLog): {
  snapshot(): Omit<Progress, 'phase' | 'scenarioMs' | 'durationMs' | 'outsidePeers'>
  devicePeers: ReadonlySet<string>
} {
  let sent = 0
  let received = 0
  let duplicates = 0
  let lagP99Ms = 0
  const latestLag = new Map<string, number>()
  let relayed = 0
  let stored = 0
  const up = new Set<string>()
  const known = new Set<string>()
  const devicePeers = new Set<string>()
  events.onEvent((event) => {
    if (event.type === 'msg.sent') sent++
    else if (event.type === 'msg.received') {
      if (event.duplicate) duplicates++
      else received++
    } else if (event.type === 'msg.relayed') relayed++
    else if (event.type === 'msg.stored') stored++
    else if (event.type === 'harness.lag') {
      // with workers each process reports its own second: the line shows the worst latest one
      latestLag.set(event.process, event.p99)
      lagP99Ms = Math.max(...latestLag.values())
    } else if (event.type === 'node.up') {
      up.add(event.node)
      known.add(event.node)
    } else if (event.type === 'node.down') up.delete(event.node)
    else if (event.type === 'device.up' && event.peerId != null) devicePeers.add(event.peerId)
  })
  return { snapshot: () => ({ sent, received, duplicates, lagP99Ms, relayed, stored, nodesUp: up.size, nodes: known.size }), devicePeers }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

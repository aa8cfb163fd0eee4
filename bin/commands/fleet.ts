import { readFile, writeFile } from 'node:fs/promises'
import { isAbsolute, join, relative } from 'node:path'
import { Option, type Command } from 'commander'
import { deviceFactory, prepareDevices } from '../../devices/index.js'
import { STATUS_CLUSTER, statusFleetName } from '../../harness/fleet/index.js'
import { ExitCode, InvalidInputError, type FleetFile } from '../../harness/interface/index.js'
import { manifestsYaml, renderManifests, type ManifestMode } from '../../harness/kube/index.js'
import { keepFleetUp, makeDirectory, resolveScenario, type Progress } from '../../harness/runner/index.js'
import { parseDuration } from '../../harness/scenario/index.js'
import {
  consoleLogger,
  fleetHostProblem,
  interruptOnSignals,
  parseFleetHost,
  parseRemoteWorkers,
  parseWorkers,
  remoteWorkersOption,
  REMOTE_WORKERS_OPTION,
  WORKER_LISTEN_OPTION,
  WORKER_WAIT_OPTION,
  WORKERS_HELP,
  type RemoteWorkerFlags
} from './shared.js'

interface FleetUpFlags extends RemoteWorkerFlags {
  out?: string
  workers?: number
  for?: number
  withDevices?: boolean
  seed?: number
  progress: boolean
  fleetHost?: string
  verbose?: boolean
}

export function registerFleetCommand(program: Command): void {
  const fleet = program.command('fleet').description("Keep a scenario's fleet up for outside clients (a phone, js-waku, nwaku).")
  fleet
    .command('up')
    .description(
      "Start the scenario's network and crowd and keep them up until Ctrl-C; print every node's addresses and write fleet.json and a Status fleet configuration."
    )
    .argument('<scenario>', 'scenario YAML file')
    .option(
      '-o, --out <dir>',
      "directory for fleet.json, status-fleet.json and events.ndjson (default runs/fleet-<name>; a previous fleet's files there move to previous-<time>/)"
    )
    .addOption(new Option('--for <duration>', 'stop by itself after this long, e.g. 10m (exit 0)').argParser(parseFor))
    .option('--with-devices', "also start the scenario's devices and play its timeline once")
    .addOption(new Option('--seed <n>', 'override the scenario seed (peer ids and topology follow it)').argParser(parseSeed))
    .option('--fleet-host <ip>', "IPv4 address the fleet listens on (default: the scenario's network.host, 127.0.0.1); use an interface a real phone can reach")
    .option('--no-progress', 'no progress line while it runs')
    .option('-v, --verbose', 'log component errors as they happen')
    .addOption(new Option('--workers <n>', WORKERS_HELP).argParser(parseWorkers))
    .addOption(REMOTE_WORKERS_OPTION())
    .addOption(WORKER_LISTEN_OPTION())
    .addOption(WORKER_WAIT_OPTION())
    .addHelpText(
      'after',
      `
Exit codes: 0 stopped after --for, 2 invalid input, 3 the fleet could not start, 130 stopped by Ctrl-C or SIGTERM
(everything stopped in reverse order, no process or port left). The crowd's plan repeats every
scenario duration. events.ndjson is kept as a run's (\`courier report DIR\` computes figures from it).
No packet capture unless the scenario says capture: tcpdump.`
    )
    .action(async (file: string, flags: FleetUpFlags) => {
      const remoteWorkers = remoteWorkersOption(flags)
      const { scenario, profiles } = await resolveScenario(file, {
        overrides: { seed: flags.seed, networkHost: flags.fleetHost == null ? undefined : parseFleetHost(flags.fleetHost) },
        devices: async (s) => (flags.withDevices === true ? await prepareDevices(s) : new Map())
      })
      const { config } = scenario
      const hostProblem =
        flags.fleetHost != null
          ? fleetHostProblem(config.network.host, { file: '--fleet-host' }, '')
          : fleetHostProblem(config.network.host, scenario.locate(['network', 'host']), 'network.host')
      if (hostProblem != null) throw new InvalidInputError([hostProblem])
      const runDir = flags.out ?? join('runs', `fleet-${config.name.replace(/[^a-zA-Z0-9_-]+/g, '-')}`)
      // an unwritable --out fails before any node starts
      await makeDirectory(runDir, 'fleet directory')

      const interrupt = interruptOnSignals('stopping the fleet')
      const progress = progressPrinter(scenario.config.name, flags.progress)
      const log = consoleLogger(flags.verbose === true)
      log.info(`courier: starting the fleet of ${scenario.config.name} (${scenario.file}) -> ${runDir}`)
      try {
        const outcome = await keepFleetUp(scenario, {
          runDir,
          createDevice: deviceFactory(profiles),
          withDevices: flags.withDevices === true,
          forMs: flags.for,
          workers: flags.workers,
          ...remoteWorkers,
          signal: interrupt.signal,
          log,
          onProgress: progress.update,
          onUp: async (fleetFile) => {
            progress.pause()
            process.stdout.write(describeForHumans(fleetFile, runDir, flags.for))
          }
        })
        progress.done()
        process.stdout.write(`fleet stopped (${outcome.status}); events: ${join(outcome.runDir, 'events.ndjson')}\n`)
        process.exitCode = outcome.status === 'interrupted' ? ExitCode.interrupted : ExitCode.pass
      } finally {
        progress.done()
        interrupt.release()
      }
    })
  registerManifestsCommand(fleet)
}

interface ManifestFlags {
  mode: ManifestMode
  workerPods?: number
  image: string
  namespace?: string
  for?: string
  storage: string
  out?: string
}

function registerManifestsCommand(fleet: Command): void {
  fleet
    .command('manifests')
    .description("Print the Kubernetes objects that run the scenario's fleet in a cluster (kubectl apply -f -).")
    .argument('<scenario>', "scenario YAML file (it needs network.ports: the pod and the Service declare every node's ports)")
    .addOption(
      new Option('--mode <mode>', 'up: a StatefulSet keeping the fleet up for outside clients; run: a Job running the scenario once')
        .choices(['up', 'run'])
        .default('up')
    )
    .option('--image <ref>', "container image holding courier (the repository's Dockerfile builds one)", 'courier:latest')
    .option('--namespace <name>', "namespace of every object (default: kubectl's current one)")
    .addOption(
      new Option('--for <duration>', 'mode up: the fleet stops after this long, e.g. 10m (the StatefulSet starts it again)').argParser((value) => {
        parseFor(value)
        return value
      })
    )
    .addOption(
      new Option(
        '--worker-pods <n>',
        'worker pods (courier worker --join) that carry relays and crowd gateways beside the coordinator pod, on their own addresses'
      ).argParser(parseRemoteWorkers)
    )
    .option('--storage <quantity>', 'mode run: size of the volume claim holding the run directory', '1Gi')
    .option('-o, --out <file>', 'write the manifests to this file instead of stdout')
    .addHelpText(
      'after',
      `
Objects: a ConfigMap with the scenario, a headless Service naming every node's TCP and WebSocket
port, and a StatefulSet (courier fleet up) or a Job with a PersistentVolumeClaim (courier run; the
Job fails when the run fails). Each is checked against Kubernetes' own schema before it is printed.
All nodes run in one pod; the pod announces its own address (status.podIP).
Exit codes: 0 printed, 2 invalid input (the scenario cannot run in a pod as written).`
    )
    .action(async (file: string, flags: ManifestFlags) => {
      const { scenario } = await resolveScenario(file)
      // resolveScenario read and checked it: a regular file of at most 1 MiB of UTF-8
      const scenarioText = await readFile(file, 'utf8')
      const yaml = manifestsYaml(
        renderManifests(scenario, {
          mode: flags.mode,
          image: flags.image,
          namespace: flags.namespace,
          forArg: flags.for,
          storage: flags.storage,
          scenarioText,
          workers: flags.workerPods
        })
      )
      if (flags.out == null) process.stdout.write(yaml)
      else await writeFile(flags.out, yaml)
    })
}

/** What a person configuring a phone needs: every node's addresses and ENR, and where the files are. */
function describeForHumans(file: FleetFile, runDir: string, forMs: number | undefined): string {
  const lines = [
    `fleet ${file.name} is up: cluster ${file.cluster}, shard ${file.shards.join(', ')} (${file.pubsubTopics.join(', ')}); content topics ${file.contentTopics.join(', ')}`
  ]
  const width = Math.max(...file.nodes.map((node) => node.name.length))
  for (const node of file.nodes) {
    const pad = ' '.repeat(width + 2)
    lines.push(`  ${node.name.padEnd(width)}  ${node.role}${node.services.length > 0 ? ` (${node.services.join(', ')})` : ''}`)
    for (const addr of node.multiaddrs) lines.push(`  ${pad}${addr}`)
    lines.push(`  ${pad}${node.enr ?? 'ENR: none (this fleet has no ENRs yet)'}`)
  }
  const show = (path: string): string => (isAbsolute(path) ? path : relative('.', path) || path)
  lines.push(`fleet file: ${show(join(runDir, 'fleet.json'))}`)
  lines.push(
    `Status fleet configuration: ${show(join(runDir, 'status-fleet.json'))} (fleet "${statusFleetName(file)}", cluster ${file.cluster}${file.cluster === STATUS_CLUSTER ? '' : `; Status builds expect cluster ${STATUS_CLUSTER}`})`
  )
  lines.push(forMs == null ? 'Ctrl-C stops the fleet.' : `The fleet stops in ${Math.round(forMs / 1000)} s (or on Ctrl-C).`)
  return lines.join('\n') + '\n'
}

function parseFor(value: string): number {
  const parsed = parseDuration(value)
  if (!parsed.ok || parsed.value <= 0) {
    throw new InvalidInputError([
      { location: { file: '--for' }, path: '', message: 'not a duration', expected: 'a duration such as 90s, 10m or 2h', found: value }
    ])
  }
  return parsed.value
}

function parseSeed(value: string): number {
  const seed = Number(value)
  if (!Number.isInteger(seed) || seed < 0) {
    throw new InvalidInputError([{ location: { file: '--seed' }, path: '', message: 'not a seed', expected: 'a whole number >= 0', found: value }])
  }
  return seed
}

/** One line, rewritten in place on a terminal; otherwise every 30 s and on a change of nodes up or outside peers (a log stays readable). */
function progressPrinter(name: string, enabled: boolean): { update: (p: Progress) => void; pause: () => void; done: () => void } {
  const tty = process.stderr.isTTY === true
  // rates over the last few seconds: one tick's delta says little about a Poisson crowd
  const samples: Array<{ at: number; relayed: number; stored: number }> = []
  let lastPrinted = 0
  let lastShape = ''
  let inline = false
  const endLine = (): void => {
    if (inline) process.stderr.write('\n')
    inline = false
  }
  return {
    update: (p) => {
      if (!enabled) return
      const now = Date.now()
      while (samples.length > 1 && now - samples[1].at >= RATE_WINDOW_MS) samples.shift()
      const first = samples[0]
      const seconds = first == null ? 0 : (now - first.at) / 1000
      const rate = (value: number, before: number | undefined): string => (seconds >= 0.5 && before != null ? ((value - before) / seconds).toFixed(1) : '-')
      const line = `[fleet ${name}] ${p.phase.padEnd(8)} ${formatUptime(p.scenarioMs)}  nodes ${p.nodesUp}/${p.nodes}  relayed ${rate(p.relayed, first?.relayed)}/s  stored ${rate(p.stored, first?.stored)}/s  outside peers ${p.outsidePeers}  harness lag p99 ${p.lagP99Ms.toFixed(1)} ms`
      samples.push({ at: now, relayed: p.relayed, stored: p.stored })
      if (tty) {
        process.stderr.write(`\r\x1b[2K${line}`)
        inline = true
      } else if (now - lastPrinted >= 30_000 || p.phase === 'stopping' || `${p.nodesUp}/${p.outsidePeers}` !== lastShape) {
        // a log shows at once when a node goes down or an outside client comes or goes
        process.stderr.write(`${line}\n`)
        lastPrinted = now
      }
      lastShape = `${p.nodesUp}/${p.outsidePeers}`
    },
    pause: endLine,
    done: endLine
  }
}

const RATE_WINDOW_MS = 5000

function formatUptime(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000))
  const h = Math.floor(total / 3600)
  const m = Math.floor((total % 3600) / 60)
  const s = total % 60
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : `${m}m${String(s).padStart(2, '0')}s`
}

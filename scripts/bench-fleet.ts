// Benchmark (not a test): the highest crowd rate on one topic at which every device still receives
// everything and the harness's own event-loop delay p99 stays under 20 ms, for 4 relays + 2 stores
// + 4 devices on this machine; plus memory per real libp2p node. Prints JSON.
// Run: npm run bench   (or node dist/scripts/bench-fleet.js [--rates 5,10,20] [--seconds 10]
//      [--capture auto|tcpdump|socket|off]: auto, a user's default, is tcpdump as root)
//      [--all]: every rate given, not only up to the first that is not clean
//      [--baseline FILE]: compare each rate's CPU per delivery with an earlier output of this script
//      (npm run bench uses fixtures/bench/fleet-baseline.json) and exit 1 when a step got more than
//      25 % dearer; [--record FILE] writes this run's output there too, to become the next baseline;
//      [--keep]: keep each step's run directory in the temp folder (removed by default)
//      [--workers 1,2]: the search once per process count (`courier run --workers`), in the same run,
//      and the ratio of each highest clean rate to the first's (the baseline compares the first only)
//      [--relay-counts 4,8,16,32]: also the largest clean relay count at --relay-rate (default 10) msg/s, per process count
import '../harness/polyfill.js'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir, cpus } from 'node:os'
import { join } from 'node:path'
import { createDevice } from '../devices/index.js'
import { validateExpectations } from '../harness/gate/index.js'
import { runScenario } from '../harness/runner/index.js'
import { parseScenario } from '../harness/scenario/index.js'
import { createWakuNode } from '../harness/protocol/index.js'
import { crowdedTopicScenario } from './bench-common.js'

const args = process.argv.slice(2)
const flag = (name: string, fallback: string): string => {
  const i = args.indexOf(name)
  return i >= 0 ? args[i + 1] : fallback
}
const rates = flag('--rates', '10,20,40,80,160,240,320,480,640').split(',').map(Number)
const seconds = Number(flag('--seconds', '10'))
const capture = flag('--capture', 'auto')
const workerCounts = flag('--workers', '1').split(',').map(Number)
if (workerCounts.some((w) => !Number.isInteger(w) || w < 1)) throw new Error(`--workers: whole numbers >= 1, comma-separated, not ${flag('--workers', '')}`)
const relayCounts = args.includes('--relay-counts') ? flag('--relay-counts', '').split(',').map(Number) : []
const relayRate = Number(flag('--relay-rate', '10'))
if (!['auto', 'tcpdump', 'socket', 'off'].includes(capture)) throw new Error(`--capture: auto, tcpdump, socket or off, not ${capture}`)
const LAG_LIMIT_MS = 20
const silent = { info: () => {}, warn: () => {}, debug: () => {} }

interface Step {
  rate: number
  workers: number
  relays: number
  sent: number
  expected: number
  lost: number
  latencyP95Ms: number | null
  lagP99Ms: number | null
  cpuMaxPercent: number | null
  /** With workers: each harness process's lag p99 and busiest second (CPU %), to see which one saturates first. */
  processes?: Record<string, { lagP99Ms: number; cpuMaxPercent: number }>
  /** CPU seconds of the whole step (start, traffic, teardown, analysis): courier's process, and its children (tcpdump, ss). */
  cpuSeconds: { courier: number; children: number }
  clean: boolean
}

/** This process's waited-for children's CPU seconds (tcpdump and the socket-owner poller), from /proc. */
async function childrenCpuSeconds(): Promise<number> {
  const fields = (await readFile('/proc/self/stat', 'utf8')).replace(/^.*\) /, '').split(' ')
  // after the command name: cutime and cstime are fields 16 and 17 of stat(5), in clock ticks (100 per second here)
  return (Number(fields[13]) + Number(fields[14])) / 100
}

async function step(rate: number, workers = 1, relays = 4): Promise<Step> {
  const dir = await mkdtemp(join(tmpdir(), 'courier-bench-'))
  const text = crowdedTopicScenario({ name: `bench-${rate}`, relays, rate, seconds, capture, maxLagP99Ms: LAG_LIMIT_MS })
  const file = join(dir, 'bench.yaml')
  await writeFile(file, text)
  const scenario = parseScenario(text, file)
  const cpuBefore = process.cpuUsage()
  const childrenBefore = await childrenCpuSeconds()
  const { results } = await runScenario(scenario, {
    runDir: join(dir, 'run'),
    thresholds: validateExpectations(scenario),
    createDevice,
    signal: new AbortController().signal,
    log: silent,
    workers
  })
  const cpu = process.cpuUsage(cpuBefore)
  const courierCpu = Math.round((cpu.user + cpu.system) / 1e4) / 100
  const childrenCpu = Math.round(((await childrenCpuSeconds()) - childrenBefore) * 100) / 100
  // a step's run directory (events, capture) is tens of MB; --keep leaves them for a look
  if (!args.includes('--keep')) await rm(dir, { recursive: true, force: true })
  const overall = results.delivery.overall
  return {
    rate,
    workers,
    relays,
    sent: results.delivery.messages.sent,
    expected: overall.expected,
    lost: overall.lost,
    latencyP95Ms: overall.latency.p95,
    lagP99Ms: results.harness.lagP99Ms,
    cpuMaxPercent: results.harness.cpuMaxPercent,
    ...(results.harness.processes == null
      ? {}
      : {
          processes: Object.fromEntries(
            Object.entries(results.harness.processes).map(([name, p]) => [name, { lagP99Ms: p.lagP99Ms, cpuMaxPercent: p.cpuMaxPercent }])
          )
        }),
    cpuSeconds: { courier: courierCpu, children: childrenCpu },
    clean: overall.lost === 0 && (results.harness.lagP99Ms ?? Infinity) < LAG_LIMIT_MS
  }
}

/** Memory a real node costs, after forced GCs (run with --expose-gc, as `npm run bench` does). */
async function memoryPerNode(count: number): Promise<{ heapMb: number; rssMb: number }> {
  const settle = async (): Promise<{ heap: number; rss: number }> => {
    for (let i = 0; i < 3; i++) {
      global.gc?.()
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    const usage = process.memoryUsage()
    return { heap: usage.heapUsed + usage.external + usage.arrayBuffers, rss: usage.rss }
  }
  const before = await settle()
  const nodes = await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const node = await createWakuNode({ identitySeed: `bench/${i}` })
      await node.start()
      return node
    })
  )
  for (let i = 1; i < nodes.length; i++) await nodes[i].dial(nodes[i - 1].getMultiaddrs()[0])
  for (const node of nodes) node.services.pubsub.subscribe('/waku/2/rs/16/32')
  await new Promise((resolve) => setTimeout(resolve, 3000))
  const after = await settle()
  await Promise.all(
    nodes.map(async (node) => {
      await node.stop()
    })
  )
  const mb = (bytes: number): number => Math.round((bytes / count / 1e6) * 100) / 100
  return { heapMb: mb(after.heap - before.heap), rssMb: mb(after.rss - before.rss) }
}

/** CPU seconds (courier and its children) per delivery to a device: the cost a change can move. */
const cpuPerDelivery = (s: Step): number | null => (s.expected > 0 ? (s.cpuSeconds.courier + s.cpuSeconds.children) / s.expected : null)
// CPU time on a shared two-core machine moves by a tenth between identical runs (measured); a
// quarter is well outside that and well inside the several-fold change this exists to catch
const SLOWER_BEYOND = 1.25

interface BaselineStep {
  rate: number
  expected: number
  cpuSeconds: { courier: number; children: number }
}

async function compareWithBaseline(file: string, now: Step[]): Promise<{ lines: string[]; slower: boolean; recorded: string | null }> {
  const baseline = JSON.parse(await readFile(file, 'utf8')) as { steps: BaselineStep[]; recordedAt?: string; capture?: string }
  const lines: string[] = []
  let slower = false
  for (const step of now) {
    const before = baseline.steps.find((b) => b.rate === step.rate)
    const nowCost = cpuPerDelivery(step)
    if (before == null || nowCost == null || before.expected === 0) continue
    const beforeCost = (before.cpuSeconds.courier + before.cpuSeconds.children) / before.expected
    const ratio = nowCost / beforeCost
    const worse = ratio > SLOWER_BEYOND
    slower ||= worse
    lines.push(
      `rate ${step.rate}/s: ${(nowCost * 1000).toFixed(2)} ms CPU per delivery vs ${(beforeCost * 1000).toFixed(2)} ms in the baseline (x${ratio.toFixed(2)})${worse ? ' SLOWER' : ''}`
    )
  }
  if (baseline.capture != null && baseline.capture !== capture)
    lines.push(`note: the baseline was measured with capture: ${baseline.capture}, this run with ${capture}`)
  return { lines, slower, recorded: baseline.recordedAt ?? null }
}

const report = (result: Step): void => {
  process.stderr.write(
    `workers ${result.workers}, relays ${result.relays}, rate ${result.rate}/s: lost ${result.lost}/${result.expected}, p95 ${result.latencyP95Ms ?? '-'} ms, harness lag p99 ${result.lagP99Ms ?? '-'} ms (worst process)${
      result.processes == null
        ? ''
        : ` [${Object.entries(result.processes)
            .map(([name, p]) => `${name} ${p.lagP99Ms} ms, CPU max ${p.cpuMaxPercent} %`)
            .join('; ')}]`
    }, CPU ${result.cpuSeconds.courier} s + ${result.cpuSeconds.children} s children -> ${result.clean ? 'clean' : 'not clean'}\n`
  )
}
const byWorkers: Array<{ workers: number; steps: Step[]; highestCleanRate: number | null; relaySteps: Step[]; largestCleanRelays: number | null }> = []
for (const workers of workerCounts) {
  const found: Step[] = []
  for (const rate of rates) {
    const result = await step(rate, workers)
    found.push(result)
    report(result)
    // the search stops at the first rate that is not clean, unless every rate's figures are wanted
    if (!result.clean && !args.includes('--all')) break
  }
  const relaySteps: Step[] = []
  for (const relays of relayCounts) {
    const result = await step(relayRate, workers, relays)
    relaySteps.push(result)
    report(result)
    if (!result.clean && !args.includes('--all')) break
  }
  byWorkers.push({
    workers,
    steps: found,
    highestCleanRate: found.filter((s) => s.clean).at(-1)?.rate ?? null,
    relaySteps,
    largestCleanRelays: relaySteps.filter((s) => s.clean).at(-1)?.relays ?? null
  })
}
// the baseline and the single-process figures are the first process count's
const steps = byWorkers[0].steps
const best = steps.filter((s) => s.clean).at(-1)
const ratio = (a: number | null, b: number | null): number | null => (a != null && b != null && b > 0 ? Math.round((a / b) * 100) / 100 : null)
const perNode = await memoryPerNode(50)
const baselineFile = args.includes('--baseline') ? flag('--baseline', '') : null
const comparison =
  baselineFile == null
    ? null
    : existsSync(baselineFile)
      ? await compareWithBaseline(baselineFile, steps)
      : { lines: [`no baseline at ${baselineFile} yet: record one with --record ${baselineFile}`], slower: false, recorded: null }
if (comparison != null) {
  process.stderr.write(`against ${baselineFile}${comparison.recorded == null ? '' : ` (recorded ${comparison.recorded})`}:\n`)
  for (const line of comparison.lines) process.stderr.write(`  ${line}\n`)
  if (comparison.lines.length === 0) process.stderr.write('  no rate in common with the baseline\n')
}
const output =
  JSON.stringify(
    {
      recordedAt: new Date().toISOString(),
      benchmark: 'fleet',
      machine: { cpus: cpus().length, node: process.version },
      topology: `4 relays + 2 stores + 2 crowd gateways + 4 simulated devices; processes (--workers): ${workerCounts.join(', ')}`,
      criterion: `every device receives every message and harness event-loop delay p99 < ${LAG_LIMIT_MS} ms`,
      secondsPerStep: seconds,
      capture,
      highestCleanRateMsgPerSecond: best?.rate ?? null,
      deliveriesPerSecondAtThatRate: best == null ? null : Math.round((best.expected / seconds) * 10) / 10,
      steps,
      ...(workerCounts.length > 1 || workerCounts[0] !== 1 || relayCounts.length > 0
        ? {
            byWorkers: byWorkers.map((w) => ({
              workers: w.workers,
              highestCleanRateMsgPerSecond: w.highestCleanRate,
              rateRatioToFirst: ratio(w.highestCleanRate, byWorkers[0].highestCleanRate),
              ...(relayCounts.length > 0
                ? {
                    largestCleanRelayCount: w.largestCleanRelays,
                    relayRateMsgPerSecond: relayRate,
                    relayRatioToFirst: ratio(w.largestCleanRelays, byWorkers[0].largestCleanRelays)
                  }
                : {}),
              steps: w.steps,
              relaySteps: w.relaySteps
            }))
          }
        : {}),
      memoryPerNode: {
        ...perNode,
        nodes: 50,
        note: 'connected in a chain, subscribed to one topic, idle; heap = heapUsed + external + arrayBuffers after forced GC'
      },
      gcExposed: typeof global.gc === 'function',
      peerTool: 'none measured: no other Waku test harness runs on this machine',
      ...(comparison == null ? {} : { baseline: { file: baselineFile, slowerBeyond: SLOWER_BEYOND, lines: comparison.lines, slower: comparison.slower } })
    },
    null,
    2
  ) + '\n'
process.stdout.write(output)
if (args.includes('--record')) await writeFile(flag('--record', ''), output)
process.exit(comparison?.slower === true ? 1 : 0)

// Analysis memory and time for big event logs, this build against an older commit in the same
// run. Writes a synthetic events.ndjson of N events (crowd and device publishes, deliveries on four
// devices with duplicates, renders, relays, byte samples, the harness's per-second samples), then
// times `courier report RUN_DIR` in a child process of each build and prints wall time, peak RSS
// and report.html's size as JSON lines. The older commit is checked out and built in a temporary
// worktree. Run: npm run build && node dist/scripts/bench-analysis.js [--events 1000000,10000000]
// [--baseline <commit>] [--heap-mb N] [--timeout-s 1800]; `--write DIR` only writes the first
// size's run directory into DIR (events.ndjson), to profile `courier report DIR` by hand.
import { spawn, spawnSync } from 'node:child_process'
import { createWriteStream, existsSync, rmSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { seededRandom } from '../harness/interface/index.js'
import { REPO_ROOT, withOlderBuild } from './bench-common.js'
const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 && process.argv[i + 1] != null ? process.argv[i + 1] : fallback
}
const sizes = arg('events', '1000000,10000000').split(',').map(Number)
// the commit before analysis became a stream
const baseline = arg('baseline', 'bdda291')
// none by default: `courier report` as a user runs it (the old default of 3072 MB let the older
// builds finish; it also let garbage pile up to that size)
const heapMb = arg('heap-mb', '') === '' ? null : Number(arg('heap-mb', ''))
const timeoutS = Number(arg('timeout-s', '1800'))

const DEVICES = ['alice', 'bob', 'carol', 'dave']

/** Streams a synthetic run of about `count` events to `path`, in time order. */
async function writeRun(path: string, count: number): Promise<void> {
  const out = createWriteStream(path)
  const rnd = seededRandom(42, 'bench-analysis')
  let written = 0
  const write = async (event: Record<string, unknown>): Promise<void> => {
    written++
    if (!out.write(JSON.stringify(event) + '\n')) await new Promise((r) => out.once('drain', r))
  }
  const scenario = {
    name: 'bench-analysis',
    seed: 42,
    devices: Object.fromEntries(DEVICES.map((d) => [d, { driver: 'simulated' }])),
    network: { relays: 4, stores: 1 },
    capture: 'socket',
    grace: 0
  }
  await write({ t: 0, type: 'run.start', runId: 'bench', scenarioFile: 'bench.yaml', seed: 42, scenario, tool: { courier: 'bench', node: process.version } })
  for (let i = 1; i <= 4; i++) await write({ t: 1, type: 'node.up', node: `relay-${i}`, role: 'relay', peerId: `16Uiu2relay${i}`, addrs: [] })
  await write({ t: 1, type: 'node.up', node: 'store-1', role: 'store', peerId: '16Uiu2store1', addrs: [] })
  for (const d of DEVICES) {
    await write({ t: 2, type: 'device.up', device: d, driver: 'simulated' })
    await write({ t: 2, type: 'device.subscribe', device: d, topic: '/bench/1/chat/proto' })
    await write({ t: 2, type: 'device.online', device: d })
  }
  await write({ t: 1000, type: 'scenario.start' })
  // each message is about 10 events: a send, a relay, a store, 4 arrivals, some renders and duplicates
  let t = 1000
  let n = 0
  let nextSecond = 2000
  while (written < count - 10) {
    t += rnd() * 4
    if (t >= nextSecond) {
      await write({ t: nextSecond, type: 'harness.lag', process: 'courier', p50: 1, p99: 3 + rnd() * 5, max: 12, cpu: 40, rssMb: 300 })
      for (const d of DEVICES) await write({ t: nextSecond, type: 'bytes.sample', owner: d, connId: `${d}-c`, protocol: 'wire', up: 500, down: 4000 })
      nextSecond += 1000
    }
    n++
    const sender = rnd() < 0.1 ? DEVICES[n % 4] : undefined
    const msgId = `m${n}`
    const hash = (n * 2654435761).toString(16).padStart(64, '0').slice(-64)
    await write({
      t: round(t),
      type: 'msg.sent',
      msgId,
      hash,
      topic: '/bench/1/chat/proto',
      bytes: 300,
      ...(sender != null ? { device: sender } : { node: 'relay-1', user: `u${n % 500}` })
    })
    await write({ t: round(t + 1), type: 'msg.relayed', node: 'relay-2', hash })
    await write({ t: round(t + 2), type: 'msg.stored', store: 'store-1', hash })
    for (const d of DEVICES) {
      if (d === sender || rnd() < 0.01) continue
      const at = t + 20 + rnd() * 200
      await write({ t: round(at), type: 'msg.received', device: d, hash, msgId, via: 'relay', bytes: 300, duplicate: false })
      if (rnd() < 0.1) await write({ t: round(at + 5), type: 'msg.rendered', device: d, hash, msgId })
      if (rnd() < 0.05) await write({ t: round(at + 30), type: 'msg.received', device: d, hash, msgId, via: 'store', bytes: 300, duplicate: true })
    }
  }
  await write({ t: round(t + 500), type: 'scenario.end' })
  await write({ t: round(t + 600), type: 'run.end', status: 'complete' })
  await new Promise((r) => out.end(r))
}

function round(t: number): number {
  return Math.round(t * 1000) / 1000
}

/** `courier report` of one build on `runDir`: wall time and peak RSS (from GNU time when there is one). */
async function measure(root: string, runDir: string): Promise<Record<string, unknown>> {
  rmSync(join(runDir, 'report.html'), { force: true })
  const gnuTime = existsSync('/usr/bin/time')
  const node = [...(heapMb == null ? [] : [`--max-old-space-size=${heapMb}`]), join(root, 'dist/bin/courier.js'), 'report', runDir]
  const [cmd, args] = gnuTime ? ['/usr/bin/time', ['-f', 'maxrss_kb=%M', process.execPath, ...node]] : [process.execPath, node]
  const started = performance.now()
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000)
  })
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutS * 1000)
  const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)))
  clearTimeout(timer)
  const wallS = Math.round((performance.now() - started) / 100) / 10
  const rss = /maxrss_kb=(\d+)/.exec(stderr)
  const finished = code != null && code <= 3 && existsSync(join(runDir, 'report.html'))
  return {
    finished: finished
      ? true
      : `did not finish under ${timeoutS} s${heapMb == null ? '' : ` and a ${heapMb} MB heap`} (exit ${code ?? 'killed'}: ${stderr.split('\n').filter((l) => /heap|memory|Error/i.test(l))[0] ?? ''})`,
    wallS,
    peakRssMb: rss == null ? null : Math.round(Number(rss[1]) / 1024),
    reportHtmlMb: finished ? Math.round((statSync(join(runDir, 'report.html')).size / 1e6) * 100) / 100 : null
  }
}

const writeOnly = arg('write', '')
if (writeOnly !== '') {
  spawnSync('mkdir', ['-p', writeOnly])
  await writeRun(join(writeOnly, 'events.ndjson'), sizes[0]!)
  process.exit(0)
}

await withOlderBuild(baseline, ['npm', 'run', 'build'], async (older, work) => {
  for (const size of sizes) {
    const runDir = join(work, `run-${size}`)
    spawnSync('mkdir', ['-p', runDir])
    const written = performance.now()
    await writeRun(join(runDir, 'events.ndjson'), size)
    const logMb = Math.round(statSync(join(runDir, 'events.ndjson')).size / 1e6)
    console.log(JSON.stringify({ events: size, logMb, generatedS: Math.round((performance.now() - written) / 1000) }))
    for (const [label, root] of [
      [`older ${baseline}`, older],
      ['this build', REPO_ROOT]
    ]) {
      console.log(JSON.stringify({ events: size, build: label, ...(await measure(root, runDir)) }))
    }
    rmSync(runDir, { recursive: true, force: true })
  }
})

// Relay hops carried per core-second: what one message's trip through the fleet costs, this build
// against an older commit in the same run (issue 12 asks for today's code against the main it
// started from). Each step is one `courier run` of the same scenario by each build's own CLI, in a
// child process under GNU time: its CPU seconds include the worker processes and tcpdump, start-up
// and the analysis after the run, which both builds pay alike. A hop is one `msg.relayed` event (a
// relay node accepting a message from the topic's mesh); both builds emit it from the same place.
// The builds take turns step by step so that a change in the machine's load hits both.
// A whole run's figure is dominated by what does not depend on traffic when relays are many (36
// nodes' keys, handshakes, teardown: 11-15 s of CPU for a 5 s run of 32 relays), so each step also
// runs for --base-seconds, and the marginal figure divides the difference in hops by the
// difference in CPU: what the traffic itself costs.
// Run: npm run build && node dist/scripts/bench-hops.js [--against 09399b6~1] [--steps 4x80,32x10]
// [--seconds 20] [--base-seconds 5] [--repeat 2] [--capture off] [--workers 1]: a step RxM is R
// relays at M msg/s.
import { spawn } from 'node:child_process'
import { createReadStream, existsSync, rmSync, writeFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { crowdedTopicScenario, REPO_ROOT, withOlderBuild } from './bench-common.js'

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 && process.argv[i + 1] != null ? process.argv[i + 1] : fallback
}
// main before issue 12's first commit (09399b6, the bench's baseline)
const against = arg('against', '09399b6~1')
const steps = arg('steps', '4x80,32x10')
  .split(',')
  .map((s) => {
    const [relays, rate] = s.split('x').map(Number)
    if (!Number.isInteger(relays) || !(rate > 0)) throw new Error(`--steps: RELAYSxRATE, comma-separated (4x80,32x10), not ${s}`)
    return { relays, rate }
  })
const seconds = Number(arg('seconds', '20'))
const baseSeconds = Number(arg('base-seconds', '5'))
const repeat = Number(arg('repeat', '2'))
const capture = arg('capture', 'off')
const workers = Number(arg('workers', '1'))
if (!existsSync('/usr/bin/time')) throw new Error('bench-hops needs GNU time (/usr/bin/time) for the CPU seconds of a run and its children')

async function countRelayed(eventsFile: string): Promise<number> {
  let hops = 0
  for await (const line of createInterface({ input: createReadStream(eventsFile) })) if (line.includes('"msg.relayed"')) hops++
  return hops
}

interface Measured {
  build: string
  relays: number
  rate: number
  seconds: number
  exit: number | null
  hops: number
  cpuS: number
  wallS: number
  hopsPerCoreSecond: number
  lost: number | null
  lagP99Ms: number | null
}

async function runOnce(root: string, build: string, file: string, out: string, relays: number, rate: number, duration: number): Promise<Measured> {
  const args = ['-f', 'cpu_s=%U+%S wall_s=%e', process.execPath, join(root, 'dist/bin/courier.js'), 'run', file, '--out', out, '--no-progress']
  if (workers > 1) args.push('--workers', String(workers))
  const child = spawn('/usr/bin/time', args, { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8')
  })
  const exit = await new Promise<number | null>((done) => child.on('close', done))
  const cpu = /cpu_s=([\d.]+)\+([\d.]+)/.exec(stderr)
  const wall = /wall_s=([\d.]+)/.exec(stderr)
  if (cpu == null || wall == null) throw new Error(`${build}: no GNU time figures; stderr:\n${stderr}`)
  const cpuS = Number(cpu[1]) + Number(cpu[2])
  const hops = await countRelayed(join(out, 'events.ndjson'))
  const results = JSON.parse(await readFile(join(out, 'results.json'), 'utf8').catch(() => '{}')) as {
    delivery?: { overall?: { lost?: number } }
    harness?: { lagP99Ms?: number }
  }
  return {
    build,
    relays,
    rate,
    seconds: duration,
    exit,
    hops,
    cpuS: Math.round(cpuS * 100) / 100,
    wallS: Number(wall[1]),
    hopsPerCoreSecond: Math.round(hops / cpuS),
    lost: results.delivery?.overall?.lost ?? null,
    lagP99Ms: results.harness?.lagP99Ms ?? null
  }
}

await withOlderBuild(against, ['npx', 'tsc', '-p', '.'], async (older, work) => {
  const builds: Array<[string, string]> = [
    [`older ${against}`, older],
    ['this build', REPO_ROOT]
  ]
  const all: Measured[] = []
  for (const { relays, rate } of steps) {
    for (let round = 0; round < repeat; round++) {
      // alternate which build goes first
      for (const [label, root] of round % 2 === 0 ? builds : [...builds].reverse()) {
        for (const duration of [baseSeconds, seconds]) {
          const file = join(work, `hops-${relays}x${rate}-${duration}s.yaml`)
          writeFileSync(file, crowdedTopicScenario({ name: `hops-${relays}x${rate}`, relays, rate, seconds: duration, capture }))
          const out = join(work, `run-${relays}x${rate}-${duration}s-${round}-${label === 'this build' ? 'new' : 'old'}`)
          const measured = await runOnce(root, label, file, out, relays, rate, duration)
          console.log(JSON.stringify(measured))
          all.push(measured)
          rmSync(out, { recursive: true, force: true })
        }
      }
    }
  }
  const median = (xs: number[]): number => {
    const s = [...xs].sort((a, b) => a - b)
    return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
  }
  // per step and build: the median whole-run figure of the long runs, and the marginal figure
  // (hops added by the longer run per CPU second it added) of each round's pair of runs
  for (const { relays, rate } of steps) {
    const figures = (label: string): { whole: number; marginal: number } => {
      const runs = all.filter((m) => m.relays === relays && m.rate === rate && m.build === label)
      const long = runs.filter((m) => m.seconds === seconds)
      const short = runs.filter((m) => m.seconds === baseSeconds)
      const marginal = long.map((m, i) => Math.round((m.hops - short[i].hops) / (m.cpuS - short[i].cpuS)))
      return { whole: median(long.map((m) => m.hopsPerCoreSecond)), marginal: median(marginal) }
    }
    const old = figures(`older ${against}`)
    const now = figures('this build')
    console.log(
      JSON.stringify({
        step: `${relays} relays, ${rate} msg/s`,
        hopsPerCoreSecond: { older: old.whole, thisBuild: now.whole, ratio: Math.round((now.whole / old.whole) * 100) / 100 },
        marginalHopsPerCoreSecond: { older: old.marginal, thisBuild: now.marginal, ratio: Math.round((now.marginal / old.marginal) * 100) / 100 }
      })
    )
  }
})

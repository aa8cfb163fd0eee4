// False-alarm benchmark of `courier compare`: N pairs of runs of one scenario with the same seed
// (nothing differs but timing noise), each pair compared. Prints JSON: how many pairs had any
// figure flagged worse, per test kind how often a figure was significant / worse, and how far
// identical runs drifted apart on each figure (largestChanges, in %). Not a
// timed test: it takes minutes.
//   node dist/scripts/bench-compare.js [--pairs 20] [--scenario scenarios/smoke.yaml] [--uneven-load] [--keep]
import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { compareRuns, NOISE_FLOOR } from '../harness/compare/index.js'
import { loadRunSet } from '../bin/commands/compare.js'

const BIN = fileURLToPath(new URL('../bin/courier.js', import.meta.url))

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? process.argv[i + 1] : fallback
}

const running = new Set<ReturnType<typeof spawn>>()
// a signal aimed at this script alone (not its process group) must still stop the run it started
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    for (const child of running) child.kill(signal)
    process.exitCode = 130
    setTimeout(() => process.exit(130), 20_000).unref()
  })
}

async function run(scenario: string, out: string): Promise<number> {
  return await new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, 'run', scenario, '--out', out, '--no-progress'], { stdio: 'ignore' })
    running.add(child)
    child.on('close', (code) => {
      running.delete(child)
      resolve(code ?? -1)
    })
  })
}

async function withBurner<T>(on: boolean, work: () => Promise<T>): Promise<T> {
  if (!on) return await work()
  const burner = spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' })
  running.add(burner)
  try {
    return await work()
  } finally {
    burner.kill('SIGKILL')
    running.delete(burner)
  }
}

async function main(): Promise<void> {
  const pairs = Number(option('pairs', '20'))
  // --uneven-load: one core kept busy during each pair's second run only, as when something else
  // ran on the machine beside one of two nightly runs
  const unevenLoad = process.argv.includes('--uneven-load')
  const scenario = option('scenario', 'scenarios/smoke.yaml')
  const dir = await mkdtemp(join(tmpdir(), 'courier-bench-compare-'))
  const perPair: Array<{ worse: string[]; latencyP: number | null }> = []
  // how far identical runs drift apart, per figure: the evidence for compare's noise floor
  const largestChange: Record<string, number> = {}
  const kinds: Record<string, { figures: number; significant: number; worse: number }> = {}
  let skipped = 0
  for (let i = 0; i < pairs && process.exitCode !== 130; i++) {
    // one after the other: two at once saturate a loaded 2-core machine (inconclusive, exit 3)
    const codes = [await run(scenario, join(dir, `${i}-a`)), await withBurner(unevenLoad, async () => await run(scenario, join(dir, `${i}-b`)))]
    if (codes.some((c) => c !== 0 && c !== 1)) {
      skipped++
      process.stderr.write(`pair ${i}: exit ${codes.join(', ')} (inconclusive or failed), skipped\n`)
      continue
    }
    const comparison = compareRuns((await loadRunSet(join(dir, `${i}-a`), 'a')).runs, (await loadRunSet(join(dir, `${i}-b`), 'b')).runs)
    for (const f of comparison.figures) {
      const k = (kinds[f.test.kind] ??= { figures: 0, significant: 0, worse: 0 })
      k.figures++
      if (f.significant) k.significant++
      if (f.change === 'worse') k.worse++
      if (f.percent != null && f.direction !== 'neutral') largestChange[f.metric] = Math.max(largestChange[f.metric] ?? 0, Math.abs(f.percent))
    }
    const latency = comparison.figures.find((f) => f.metric === 'delivery.latency.p50')
    perPair.push({
      worse: comparison.figures.filter((f) => f.change === 'worse').map((f) => f.metric),
      latencyP: latency?.test.kind === 'mann-whitney' ? latency.test.p : null
    })
    process.stderr.write(`pair ${i}: ${comparison.worse} worse, latency p=${perPair.at(-1)?.latencyP?.toPrecision(2) ?? 'n/a'}\n`)
  }
  const withAlarm = perPair.filter((p) => p.worse.length > 0).length
  const latencyAlarms = perPair.filter((p) => p.latencyP != null && p.latencyP < 0.05).length
  const worstFigures = Object.entries(
    perPair
      .flatMap((p) => p.worse)
      .reduce<Record<string, number>>((acc, m) => {
        acc[m] = (acc[m] ?? 0) + 1
        return acc
      }, {})
  )
    .sort((a, b) => b[1] - a[1])
    .slice(0, 10)
  process.stdout.write(
    JSON.stringify(
      {
        date: new Date().toISOString(),
        scenario,
        unevenLoad,
        pairs: perPair.length,
        skippedPairs: skipped,
        pairsWithAnyWorse: withAlarm,
        falseAlarmRate: perPair.length === 0 ? null : withAlarm / perPair.length,
        latencyMannWhitneySignificant: latencyAlarms,
        latencyFalsePositiveRate: perPair.length === 0 ? null : latencyAlarms / perPair.length,
        byTest: kinds,
        mostFlagged: worstFigures,
        noiseFloor: NOISE_FLOOR,
        // share of judged figures whose largest change between identical runs stayed under the floor
        figuresUnderFloor:
          Object.keys(largestChange).length === 0
            ? null
            : Object.values(largestChange).filter((v) => v <= NOISE_FLOOR).length / Object.keys(largestChange).length,
        largestChanges: Object.entries(largestChange)
          .sort((a, b) => b[1] - a[1])
          .slice(0, 12)
          .map(([metric, ratio]) => [metric, Math.round(ratio * 1000) / 10])
      },
      null,
      2
    ) + '\n'
  )
  if (!process.argv.includes('--keep')) await rm(dir, { recursive: true, force: true })
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
  process.exitCode = 1
})

// Benchmark (not a test): the userspace shaper's own cost. Prints JSON:
// - added latency at profile `perfect`: RTT p50/p99 of small messages direct vs through the relay;
// - scheduling error: RTT through a 10 ms + 10 ms link minus the 20 ms configured;
// - max throughput direct vs through the relay (MB/s, ratio), and CPU the relay adds per MB;
// - the rate limiter's accuracy at high configured rates.
// The probe server runs in a child process, so this process holds only the client and the relay:
// the CPU difference between a direct and a relayed transfer is the relay's own cost.
// Run: npm run build && node dist/scripts/bench-links.js [--mb 200] [--trips 3000]
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { quantile } from 'simple-statistics'
import { startShapedLink, type LinkProfile } from '../harness/links/index.js'
import { measureDownload, measureRoundTrips, measureUpload, startProbeServer } from '../test/helpers/link-measure.js'

const args = process.argv.slice(2)
const flag = (name: string, fallback: string): string => {
  const i = args.indexOf(name)
  return i >= 0 ? args[i + 1] : fallback
}

if (args[0] === '--probe-server') {
  const server = await startProbeServer()
  process.stdout.write(`${server.port}\n`)
  process.on('disconnect', () => {
    void server.close().then(() => process.exit(0))
  })
} else {
  await main()
}

async function main(): Promise<void> {
  const megabytes = Number(flag('--mb', '200'))
  const trips = Number(flag('--trips', '3000'))
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--probe-server'], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] })
  try {
    const port = await new Promise<number>((resolve, reject) => {
      if (child.stdout == null) {
        reject(new Error('probe server has no stdout'))
        return
      }
      child.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim())))
      child.once('exit', (code) => reject(new Error(`probe server exited with ${String(code)}`)))
    })
    const perfect: LinkProfile = { latencyMs: 0, jitterMs: 0, lossRate: 0, bandwidthBps: 0 }
    const link = await startShapedLink({ target: { host: '127.0.0.1', port }, up: perfect, down: perfect })
    try {
      const ms = (x: number): number => Number(x.toFixed(3))
      const summary = (samples: number[]): { p50: number; p99: number; mean: number } => ({
        p50: ms(quantile(samples, 0.5)),
        p99: ms(quantile(samples, 0.99)),
        mean: ms(samples.reduce((a, b) => a + b, 0) / samples.length)
      })
      // Warm both paths (JIT, socket buffers) before timing.
      await measureRoundTrips({ port, count: 300 })
      await measureRoundTrips({ port: link.port, count: 300 })
      // Interleaved blocks, so a burst of load from elsewhere on the machine hits both paths alike.
      const direct: number[] = []
      const relayed: number[] = []
      const block = Math.max(1, Math.floor(trips / 10))
      for (let done = 0; done < trips; done += block) {
        direct.push(...(await measureRoundTrips({ port, count: block, timeoutMs: 120_000 })).rttMs)
        relayed.push(...(await measureRoundTrips({ port: link.port, count: block, timeoutMs: 120_000 })).rttMs)
      }
      const d = summary(direct)
      const r = summary(relayed)

      link.update({ ...perfect, latencyMs: 10 }, { ...perfect, latencyMs: 10 })
      const shaped = summary((await measureRoundTrips({ port: link.port, count: 300, timeoutMs: 60_000 })).rttMs.map((x) => x - 20))
      link.update(perfect, perfect)

      const bytes = megabytes * 1_000_000
      const transfer = async (target: number, direction: 'down' | 'up'): Promise<{ mbPerSecond: number; cpuMs: number }> => {
        const cpu = process.cpuUsage()
        const started = performance.now()
        if (direction === 'down') await measureDownload({ port: target, bytes, timeoutMs: 300_000 })
        else await measureUpload({ port: target, bytes, timeoutMs: 300_000 })
        const seconds = (performance.now() - started) / 1000
        const used = process.cpuUsage(cpu)
        return { mbPerSecond: megabytes / seconds, cpuMs: (used.user + used.system) / 1000 }
      }
      await transfer(port, 'down')
      await transfer(link.port, 'down')
      const throughput: Record<string, unknown> = {}
      for (const direction of ['down', 'up'] as const) {
        // Best of three each: the machine is shared, and the best run says most about the code.
        const runs = { direct: [] as Array<{ mbPerSecond: number; cpuMs: number }>, relayed: [] as Array<{ mbPerSecond: number; cpuMs: number }> }
        for (let i = 0; i < 3; i++) {
          runs.direct.push(await transfer(port, direction))
          runs.relayed.push(await transfer(link.port, direction))
        }
        const best = (list: Array<{ mbPerSecond: number; cpuMs: number }>): { mbPerSecond: number; cpuMs: number } =>
          list.reduce((a, b) => (b.mbPerSecond > a.mbPerSecond ? b : a))
        const bd = best(runs.direct)
        const br = best(runs.relayed)
        throughput[direction] = {
          directMBps: Number(bd.mbPerSecond.toFixed(1)),
          relayedMBps: Number(br.mbPerSecond.toFixed(1)),
          ratio: Number((br.mbPerSecond / bd.mbPerSecond).toFixed(3)),
          directCpuMsPerMB: Number((bd.cpuMs / megabytes).toFixed(3)),
          relayedCpuMsPerMB: Number((br.cpuMs / megabytes).toFixed(3)),
          relayCpuMsPerMB: Number(((br.cpuMs - bd.cpuMs) / megabytes).toFixed(3))
        }
      }

      const limiter: Array<{ configuredMbit: number; measuredMbit: number; error: number }> = []
      for (const mbit of [10, 50, 100, 400]) {
        link.update(perfect, { ...perfect, bandwidthBps: mbit * 1e6 })
        const result = await measureDownload({ port: link.port, bytes: Math.round(((mbit * 1e6) / 8) * 1.5), timeoutMs: 60_000 })
        limiter.push({
          configuredMbit: mbit,
          measuredMbit: Number((result.bitsPerSecond / 1e6).toFixed(2)),
          error: Number((result.bitsPerSecond / (mbit * 1e6) - 1).toFixed(4))
        })
      }

      console.log(
        JSON.stringify(
          {
            node: process.version,
            roundTrips: trips,
            perfectProfileRttMs: { direct: d, relayed: r, addedP50: ms(r.p50 - d.p50), addedP99: ms(r.p99 - d.p99) },
            schedulingErrorMs: { configuredRttMs: 20, ...shaped },
            transferMB: megabytes,
            throughput,
            rateLimiter: limiter
          },
          null,
          2
        )
      )
    } finally {
      await link.close()
    }
  } finally {
    child.disconnect()
  }
}

import { monitorEventLoopDelay } from 'node:perf_hooks'
import type { EventSink } from '../interface/index.js'

const RESOLUTION_MS = 5

/** Samples this process's event-loop delay, CPU and memory every second into `harness.lag` events. */
export function startSelfMonitor(events: EventSink, processName: string, intervalMs = 1000): { stop(): { p99: number } } {
  // the histogram counts the sampling timer's own period in every value; it is subtracted below
  const histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS })
  histogram.enable()
  let lastCpu = process.cpuUsage()
  let lastAt = process.hrtime.bigint()
  let worstP99 = 0
  const timer = setInterval(() => {
    const now = process.hrtime.bigint()
    const cpu = process.cpuUsage(lastCpu)
    const elapsedUs = Number(now - lastAt) / 1000
    lastCpu = process.cpuUsage()
    lastAt = now
    const delay = (nanoseconds: number): number => Math.max(0, nanoseconds / 1e6 - RESOLUTION_MS)
    const p99 = delay(histogram.percentile(99))
    worstP99 = Math.max(worstP99, p99)
    events.emit('harness.lag', {
      process: processName,
      p50: round(delay(histogram.percentile(50))),
      p99: round(p99),
      max: round(delay(histogram.max)),
      cpu: round(((cpu.user + cpu.system) / elapsedUs) * 100),
      rssMb: round(process.memoryUsage.rss() / 1e6)
    })
    histogram.reset()
  }, intervalMs)
  timer.unref()
  return {
    stop() {
      clearInterval(timer)
      histogram.disable()
      return { p99: worstP99 }
    }
  }
}

function round(value: number): number {
  return Math.round(value * 100) / 100
}

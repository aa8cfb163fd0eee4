// Reading a run directory and finding Chromium processes: shared by the browser's end-to-end and nightly tests.
import { readFile, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import type { CourierEvent, Results } from '../../harness/interface/index.js'

export async function load(out: string): Promise<{ results: Results; events: CourierEvent[] }> {
  const results = JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as Results
  const events = (await readFile(join(out, 'events.ndjson'), 'utf8'))
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as CourierEvent)
  return { results, events }
}

/** Chromium processes started for a courier browser device (their profile directory names it). */
export async function chromiumProcesses(): Promise<Array<{ pid: number; main: boolean }>> {
  const found: Array<{ pid: number; main: boolean }> = []
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    // Chromium's children rewrite their command line as one space-separated string
    const argv = (await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '')).split(/[\0 ]/)
    if (!argv.some((arg) => arg.startsWith('--user-data-dir=') && arg.includes('courier-chromium-'))) continue
    found.push({ pid: Number(entry), main: !argv.some((arg) => arg.startsWith('--type=')) })
  }
  return found
}

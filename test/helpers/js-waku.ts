// Running scenarios/clients.yaml (or its first seconds) through the CLI while watching its js-waku
// processes: shared by the end-to-end file and the nightly suite.
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { isMap, isSeq, parseDocument } from 'yaml'
import type { CourierEvent, Results } from '../../harness/interface/index.js'
import { REPO_ROOT, startCourier, tempDir, type CliResult } from './cli.js'
export { alive } from './cli.js'

export const SCENARIO = join(REPO_ROOT, 'scenarios', 'clients.yaml')
export const CHILD = 'js-waku/child.js'

/**
 * The first 11 s of clients.yaml (both clients up, relay-1's death, sends from all three), without
 * js-waku's periodic store check: a broken client's losses are then not repaired from the store.
 */
export async function firstSeconds(): Promise<string> {
  const doc = parseDocument(await readFile(SCENARIO, 'utf8'))
  doc.set('duration', '11s')
  doc.set('grace', '4s')
  doc.deleteIn(['devices', 'jswaku', 'syncInterval'])
  const timeline = doc.get('timeline')
  assert.ok(isSeq(timeline))
  const seconds = (at: string): number => (at.endsWith('ms') ? Number(at.slice(0, -2)) / 1000 : Number(at.slice(0, -1)))
  timeline.items = timeline.items.filter((item) => isMap(item) && seconds(String(item.get('at'))) < 11)
  // sends must fit in the shorter traffic phase
  for (const item of timeline.items) {
    const send = isMap(item) ? item.get('send') : undefined
    if (!isMap(send)) continue
    const at = seconds(String((item as { get: (key: string) => unknown }).get('at')))
    const every = seconds(String(send.get('every') ?? '1s'))
    send.set('count', Math.min(Number(send.get('count') ?? 1), Math.floor((10.5 - at) / every) + 1))
  }
  const file = join(await tempDir('courier-jswaku-'), 'clients-11s.yaml')
  await writeFile(file, doc.toString())
  return file
}

/** The js-waku processes under a courier process, as `ps` lists them. */
export function jsWakuChildren(courierPid: number): number[] {
  const out = execFileSync('ps', ['-e', '-o', 'pid=,ppid=,args='], { encoding: 'utf8' })
  return out.split('\n').flatMap((line) => {
    const match = /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(line)
    return match != null && Number(match[2]) === courierPid && match[3].includes(CHILD) ? [Number(match[1])] : []
  })
}

export interface Outcome {
  result: CliResult
  results: Results
  events: CourierEvent[]
  children: number[]
}

/** Runs the scenario; `during` sees the js-waku pids once the run's traffic has started. */
export async function run(scenario: string, env: Record<string, string>, during?: (children: number[]) => Promise<void>): Promise<Outcome> {
  const out = join(await tempDir('courier-jswaku-'), 'run')
  const { child, done } = startCourier(['run', scenario, '--out', out, '--no-progress'], { env })
  const seen = new Set<number>()
  let finished = false
  const watching = (async () => {
    while (!finished) {
      for (const pid of jsWakuChildren(child.pid ?? -1)) seen.add(pid)
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
  })()
  const timer = setTimeout(() => {
    child.kill('SIGKILL')
  }, 300_000)
  try {
    if (during != null) {
      const events = join(out, 'events.ndjson')
      for (let i = 0; i < 600; i++) {
        const text = await readFile(events, 'utf8').catch(() => '')
        if ((text.includes('"type":"scenario.start"') && seen.size > 0) || child.exitCode != null) break
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
      await during([...seen])
    }
    const result = await done
    finished = true
    await watching
    const results = JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as Results
    const events = (await readFile(join(out, 'events.ndjson'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as CourierEvent)
    return { result, results, events, children: [...seen] }
  } finally {
    finished = true
    clearTimeout(timer)
  }
}

export const failedThresholds = (r: Results): string[] =>
  r.thresholds
    .filter((t) => !t.passed)
    .map((t) => t.metric)
    .sort()

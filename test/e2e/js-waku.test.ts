import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { isMap, isSeq, parseDocument } from 'yaml'
import type { CourierEvent, Results } from '../../harness/interface/index.js'
import { REPO_ROOT, runCourier, startCourier, tempDir, type CliResult } from '../helpers/cli.js'

/**
 * scenarios/clients.yaml through the CLI with a real js-waku process: healthy, with a js-waku that
 * drops every third pushed message (caught by its loss figures), and with its process killed
 * mid-run (device.failed, the run completes, nothing left running).
 */
const SCENARIO = join(REPO_ROOT, 'scenarios', 'clients.yaml')
const CHILD = 'js-waku/child.js'

/**
 * The first 11 s of clients.yaml (both clients up, relay-1's death, sends from all three), without
 * js-waku's periodic store check: a broken client's losses are then not repaired from the store.
 */
async function firstSeconds (): Promise<string> {
  const doc = parseDocument(await readFile(SCENARIO, 'utf8'))
  doc.set('duration', '11s')
  doc.set('grace', '4s')
  doc.deleteIn(['devices', 'jswaku', 'syncInterval'])
  const timeline = doc.get('timeline')
  assert.ok(isSeq(timeline))
  const seconds = (at: string): number => at.endsWith('ms') ? Number(at.slice(0, -2)) / 1000 : Number(at.slice(0, -1))
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
function jsWakuChildren (courierPid: number): number[] {
  const out = execFileSync('ps', ['-e', '-o', 'pid=,ppid=,args='], { encoding: 'utf8' })
  return out.split('\n').flatMap((line) => {
    const match = /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(line)
    return match != null && Number(match[2]) === courierPid && match[3].includes(CHILD) ? [Number(match[1])] : []
  })
}

function alive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

interface Outcome { result: CliResult, results: Results, events: CourierEvent[], children: number[] }

/** Runs the scenario; `during` sees the js-waku pids once the run's traffic has started. */
async function run (scenario: string, env: Record<string, string>, during?: (children: number[]) => Promise<void>): Promise<Outcome> {
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
  const timer = setTimeout(() => { child.kill('SIGKILL') }, 300_000)
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
    const events = (await readFile(join(out, 'events.ndjson'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as CourierEvent)
    return { result, results, events, children: [...seen] }
  } finally {
    finished = true
    clearTimeout(timer)
  }
}

const failedThresholds = (r: Results): string[] => r.thresholds.filter((t) => !t.passed).map((t) => t.metric).sort()

// one run at a time (tests in a file run in order): each starts a fleet, three devices and a
// js-waku process on a shared 2-core machine
test('scenarios/clients.yaml with js-waku in Node and in Chromium beside the reference client passes, with what the README says js-waku did', async () => {
  const { result, results, events, children } = await run(SCENARIO, {})
  const label = `healthy clients run: exit ${result.code}\n${result.stdout}\n${result.stderr}`
  assert.equal(result.code, 0, label)
  assert.deepEqual(failedThresholds(results), [], label)
  assert.equal(children.length, 1, 'one js-waku process')
  assert.ok(!alive(children[0]), 'the js-waku process ended with the run')
  const of = (type: string): CourierEvent[] => events.filter((e) => e.type === type && (e as { device?: string }).device === 'jswaku')
  assert.deepEqual(of('device.clock').map((e) => (e as { phase: string }).phase), ['start', 'end'], 'the clock offset is measured and recorded')
  const received = of('msg.received') as Array<Extract<CourierEvent, { type: 'msg.received' }>>
  assert.ok(received.some((e) => e.via === 'filter'), 'pushes through js-waku\'s filter')
  const catchUp = of('store.response') as Array<Extract<CourierEvent, { type: 'store.response' }>>
  assert.ok(catchUp.some((e) => e.status === 200 && e.messages > 0 && e.store === 'store-2'), 'the catch-up came from the living store')
  assert.ok(received.some((e) => e.via === 'store' && !e.duplicate), 'something missed while offline came from the store')
  // alice's messages sent by courier's client reach js-waku, and js-waku's reach courier's
  const sentBy = (device: string): Set<string> => new Set(events.flatMap((e) => e.type === 'msg.sent' && e.device === device ? [e.msgId] : []))
  for (const id of sentBy('jswaku')) assert.ok(events.some((e) => e.type === 'msg.rendered' && e.device === 'ref' && e.msgId === id), `ref shows ${id}`)
  // the two clients courier did not write, side by side: js-waku in Node and js-waku in Chromium see each other
  for (const id of sentBy('jswaku')) assert.ok(events.some((e) => e.type === 'msg.rendered' && e.device === 'web' && e.msgId === id), `the browser shows ${id}`)
  for (const id of sentBy('web')) assert.ok(events.some((e) => e.type === 'msg.rendered' && e.device === 'jswaku' && e.msgId === id), `js-waku shows ${id}`)
  assert.ok(results.bytes?.owners.jswaku?.byProtocol.filter != null, 'bytes at js-waku\'s sockets, by protocol')
  // relay-1's death: every js-waku subscription lost to it came back
  const episodes = (results.reliability?.filterFailover ?? []).filter((f) => f.device === 'jswaku')
  const heldRelay1 = events.some((e) => e.type === 'filter.subscription' && e.device === 'jswaku' && e.node === 'relay-1' && e.state === 'subscribed')
  if (heldRelay1) assert.ok(episodes.some((f) => f.node === 'relay-1' && f.ms != null), 'js-waku replaced the subscription relay-1 took with it')
  assert.ok(episodes.every((f) => f.ms != null))
  // README's findings: its store client dials a store peer at once after the network is back (and
  // its filter subscribes there), but dials made while offline put the relays in js-waku's 60 s
  // failed-dial cooldown, so it reconnects to them about a minute after going offline
  const away = events.find((e) => e.type === 'device.offline' && e.device === 'jswaku')?.t ?? Infinity
  const back = events.find((e) => e.type === 'device.online' && e.device === 'jswaku' && e.t > away)?.t ?? Infinity
  const relayPeers = new Set(events.flatMap((e) => e.type === 'node.up' && e.role === 'relay' ? [e.peerId] : []))
  const relayBack = events.find((e) => e.type === 'conn.open' && e.owner === 'jswaku' && e.t > back && relayPeers.has(e.remote.split('/p2p/')[1] ?? ''))?.t
  assert.ok(relayBack != null && relayBack - away > 50_000 && relayBack - away < 75_000, `js-waku redialled a relay ${relayBack == null ? 'never' : `${Math.round(relayBack - away)} ms`} after going offline`)
  const resubscribed = events.find((e) => e.type === 'filter.subscription' && e.device === 'jswaku' && e.state === 'subscribed' && e.t > back)?.t
  assert.ok(resubscribed != null && resubscribed - back < 5000, 'subscribed again within seconds, on the store node its store client dialled')
})

test('a js-waku that never shows every third pushed message fails on its losses', async () => {
  const { result, results } = await run(await firstSeconds(), { COURIER_JSWAKU_BROKEN: 'drop-third' })
  const label = `drop-third: exit ${result.code}\n${result.stdout}`
  assert.equal(result.code, 1, label)
  assert.deepEqual(failedThresholds(results), ['delivery.jswaku.lost', 'delivery.loss'], label)
})

test('a js-waku process killed mid-run is one device.failed, the run completes and nothing is left running', async () => {
  let killed: number | undefined
  const { result, results, events, children } = await run(await firstSeconds(), {}, async (pids) => {
    assert.equal(pids.length, 1)
    killed = pids[0]
    process.kill(killed, 'SIGKILL')
  })
  const label = `killed js-waku: exit ${result.code}\n${result.stdout}\n${result.stderr}`
  assert.equal(results.status, 'complete', label)
  const failed = events.filter((e) => e.type === 'device.failed')
  assert.deepEqual(failed.map((e) => (e as { device: string }).device), ['jswaku'], label)
  assert.match((failed[0] as { error: string }).error, /js-waku process exited \(SIGKILL\)/)
  assert.equal(events.at(-1)?.type, 'run.end')
  assert.ok(failedThresholds(results).includes('devices.failed'), label)
  assert.equal(result.code, 1, label)
  assert.ok(killed != null && !alive(killed))
  assert.deepEqual(children.filter(alive), [], 'nothing left running')
})

test('courier itself killed (SIGKILL): its js-waku process goes too', async () => {
  const out = join(await tempDir('courier-jswaku-'), 'run')
  const { child, done } = startCourier(['run', await firstSeconds(), '--out', out, '--no-progress'])
  let pids: number[] = []
  for (let i = 0; i < 600 && pids.length === 0 && child.exitCode == null; i++) {
    const text = await readFile(join(out, 'events.ndjson'), 'utf8').catch(() => '')
    if (text.includes('"type":"scenario.start"')) pids = jsWakuChildren(child.pid ?? -1)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  assert.equal(pids.length, 1, 'the js-waku process was running')
  child.kill('SIGKILL')
  await done
  for (let i = 0; i < 30 && alive(pids[0]); i++) await new Promise((resolve) => setTimeout(resolve, 100))
  assert.ok(!alive(pids[0]), 'the js-waku process outlived courier by 3 s')
})


test('courier doctor says what a js-waku device needs and whether it is there', async () => {
  const result = await runCourier(['doctor', SCENARIO, '--json'], { timeoutMs: 60_000 })
  const doc = JSON.parse(result.stdout) as { checks: Array<{ id: string, status: string, neededBy: string[], found: string }> }
  const check = doc.checks.find((c) => c.id === 'js-waku')
  assert.ok(check != null, result.stdout)
  assert.deepEqual(check.neededBy, ['jswaku'])
  assert.equal(check.status, 'ok', check.found)
  assert.match(check.found, /@waku\/sdk 0\.0\.36/)
})

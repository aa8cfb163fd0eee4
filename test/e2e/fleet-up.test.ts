import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { readdir, readFile } from 'node:fs/promises'
import { connect } from 'node:net'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import type { FleetFile } from '../../harness/interface/index.js'
import { runCourier, startCourier, tempDir, writeScenario, type CliResult } from '../helpers/cli.js'
import { freeBasePort } from '../helpers/ports.js'

const SCENARIO = (basePort: number): string => `name: fleet-e2e
seed: 21
duration: 5s
network: { relays: 2, stores: 1, ports: ${basePort} }
crowd: { topic: lobby, users: 10, rate: 2/s, gateways: 1 }
`

async function refused(port: number): Promise<boolean> {
  return await new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    socket.on('connect', () => {
      socket.destroy()
      resolve(false)
    })
    socket.on('error', () => {
      resolve(true)
    })
  })
}

async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 45_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await check()) return
    await sleep(200)
  }
  throw new Error(`timed out waiting for ${what}`)
}

async function readJson<T>(file: string): Promise<T> {
  return JSON.parse(await readFile(file, 'utf8')) as T
}

function tcpPort(addr: string): number {
  return Number(/\/tcp\/(\d+)/.exec(addr)?.[1])
}

/** What must stay the same from one start to the next: who the nodes are and where they listen. */
function identities(file: FleetFile): Array<[string, string, string[], string | null]> {
  return file.nodes.map((node) => [node.name, node.peerId, node.multiaddrs, node.enr])
}

test('courier fleet up: prints and writes the fleet, an outside libp2p client joins it, Ctrl-C exits 130 leaving no port, and a second start has the same addresses', async () => {
  const dir = await tempDir()
  const file = await writeScenario(dir, 'fleet.yaml', SCENARIO(await freeBasePort()))
  const out = join(dir, 'fleet')

  const first = startCourier(['fleet', 'up', file, '--out', out])
  captured(first)
  let stopped: CliResult | undefined
  void first.done.then((result) => {
    stopped = result
  })
  const fleetJson = join(out, 'fleet.json')
  await waitFor('fleet.json', () => existsSync(fleetJson) || stopped != null)
  assert.equal(stopped, undefined, `courier fleet up ended early: ${stopped?.stderr ?? ''}`)

  const fleet = await readJson<FleetFile & { pid: number }>(fleetJson)
  assert.equal(fleet.name, 'fleet-e2e')
  assert.equal(fleet.pid, first.child.pid, 'the file names the process keeping the fleet up')
  assert.deepEqual(
    fleet.nodes.map((node) => [node.name, node.role]),
    [
      ['relay-1', 'relay'],
      ['relay-2', 'relay'],
      ['store-1', 'store'],
      ['crowd-1', 'crowd']
    ]
  )
  for (const node of fleet.nodes) {
    assert.deepEqual(
      node.multiaddrs.map((addr) => (/\/ws\//.test(addr) ? 'ws' : 'tcp')),
      ['tcp', 'ws'],
      `${node.name} listens on TCP and WebSocket`
    )
    for (const addr of node.multiaddrs) assert.ok(addr.endsWith(`/p2p/${node.peerId}`), `${addr} names ${node.name}'s peer id`)
    assert.match(node.enr ?? '', /^enr:[-_A-Za-z0-9]+$/, `${node.name} has an ENR`)
  }
  assert.deepEqual(fleet.peerExchange, fleet.lightpush, 'relays and stores answer peer exchange')
  assert.equal(fleet.cluster, 16)
  assert.deepEqual(fleet.shards, [32])
  assert.deepEqual(fleet.pubsubTopics, ['/waku/2/rs/16/32'])
  assert.deepEqual(fleet.contentTopics, ['/courier/1/lobby/proto'])
  const byName = new Map(fleet.nodes.map((node) => [node.name, node]))
  assert.deepEqual(
    fleet.boot,
    ['relay-1', 'relay-2'].map((name) => byName.get(name)?.multiaddrs[0])
  )
  assert.deepEqual(fleet.store, [byName.get('store-1')?.multiaddrs[0]])
  assert.deepEqual(fleet.lightpush, [...fleet.boot, ...fleet.store], 'relays and stores serve light clients; the crowd gateway does not')

  const status = await readJson<
    Record<
      string,
      { wakuNodes: string[]; discV5BootstrapNodes: string[]; clusterID: number; storeNodes: Array<{ id: string; addr: string; enr: string; custom: boolean }> }
    >
  >(join(out, 'status-fleet.json'))
  assert.deepEqual(Object.keys(status), ['courier.fleet-e2e'])
  const statusFleet = status['courier.fleet-e2e']
  assert.deepEqual(statusFleet.wakuNodes, fleet.boot)
  assert.equal(statusFleet.clusterID, 16)
  assert.deepEqual(
    statusFleet.storeNodes.map((s) => [s.id, s.addr, s.enr, s.custom]),
    [['store-1', fleet.store[0], byName.get('store-1')?.enr, true]]
  )

  // every node's addresses (and ENR) are on stdout, for a person to type into a phone
  await waitFor('the printed node list', () => /Ctrl-C stops the fleet/.test(stdoutSoFar(first)))
  for (const node of fleet.nodes)
    for (const text of [...node.multiaddrs, node.enr ?? 'no ENR']) assert.ok(stdoutSoFar(first).includes(text), `${text} is printed`)

  // a plain libp2p client (not courier's code) dials a relay by the address in the file
  const client = await createLibp2p({ transports: [tcp()], connectionEncrypters: [noise()], streamMuxers: [yamux()], services: { identify: identify() } })
  try {
    const relay = byName.get('relay-1')
    assert.ok(relay != null)
    const connection = await client.dial(multiaddr(fleet.boot[0]), { signal: AbortSignal.timeout(10_000) })
    assert.equal(connection.remotePeer.toString(), relay.peerId)
    await waitFor('the progress line to count the outside client', () => /outside peers 1/.test(stderrSoFar(first)), 15_000)
  } finally {
    await client.stop()
  }

  // while it is up: the same directory is refused (exit 2), the same ports elsewhere fail to start (exit 3) naming the port
  const sameDir = await runCourier(['fleet', 'up', file, '--out', out, '--no-progress'])
  assert.equal(sameDir.code, 2, sameDir.stderr)
  assert.match(sameDir.stderr, new RegExp(`a fleet is already up in this directory \\(courier process ${first.child.pid ?? 0}\\)`))
  const samePorts = await runCourier(['fleet', 'up', file, '--out', join(dir, 'other'), '--no-progress'])
  assert.equal(samePorts.code, 3, samePorts.stderr)
  assert.match(samePorts.stderr, new RegExp(`port ${tcpPort(fleet.boot[0])} is already in use \\(network.ports`))
  assert.doesNotMatch(samePorts.stderr, /\n\s+at /, 'no stack trace')

  first.child.kill('SIGINT')
  const firstResult = await first.done
  assert.equal(firstResult.code, 130, firstResult.stderr)
  const ports = fleet.nodes.flatMap((node) => node.multiaddrs.map(tcpPort))
  for (const port of ports) assert.ok(await refused(port), `port ${port} still accepts connections after Ctrl-C`)
  assert.throws(() => process.kill(first.child.pid ?? -1, 0), 'the courier process is gone')
  const log = (await readFile(join(out, 'events.ndjson'), 'utf8'))
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { type: string; status?: string })
  assert.equal(log.at(-1)?.type, 'run.end')
  assert.equal(log.at(-1)?.status, 'interrupted')
  assert.ok(
    log.some((e) => e.type === 'msg.relayed'),
    'the crowd was relayed while the fleet was up'
  )

  // the same scenario again, in the same directory, stopping by itself: the same nodes at the same addresses
  const second = await runCourier(['fleet', 'up', file, '--out', out, '--for', '3s', '--no-progress'])
  assert.equal(second.code, 0, second.stderr)
  const again = await readJson<FleetFile>(fleetJson)
  assert.deepEqual(identities(again), identities(fleet), 'a phone configured for the first start still reaches every node')
  assert.deepEqual(await readJson(join(out, 'status-fleet.json')), status)
  const previous = (await readdir(out)).filter((name) => name.startsWith('previous-'))
  assert.equal(previous.length, 1, "the first start's files are kept aside, not overwritten")
  assert.ok(existsSync(join(out, previous[0], 'events.ndjson')))
  for (const port of ports) assert.ok(await refused(port), `port ${port} still accepts connections after --for`)
})

test('courier fleet up refuses a bad --for before starting anything (exit 2, names the flag)', async () => {
  const dir = await tempDir()
  const file = await writeScenario(dir, 'fleet.yaml', SCENARIO(await freeBasePort()))
  const result = await runCourier(['fleet', 'up', file, '--out', join(dir, 'fleet'), '--for', 'soon'])
  assert.equal(result.code, 2, result.stderr)
  assert.match(result.stderr, /--for.*not a duration/s)
  assert.equal(existsSync(join(dir, 'fleet')), false, 'nothing was started or written')
})

const outputs = new WeakMap<object, { stdout: string; stderr: string }>()

function captured(started: ReturnType<typeof startCourier>): { stdout: string; stderr: string } {
  let seen = outputs.get(started.child)
  if (seen == null) {
    const record = { stdout: '', stderr: '' }
    started.child.stdout?.on('data', (chunk: Buffer) => {
      record.stdout += chunk.toString()
    })
    started.child.stderr?.on('data', (chunk: Buffer) => {
      record.stderr += chunk.toString()
    })
    outputs.set(started.child, record)
    seen = record
  }
  return seen
}

function stdoutSoFar(started: ReturnType<typeof startCourier>): string {
  return captured(started).stdout
}

function stderrSoFar(started: ReturnType<typeof startCourier>): string {
  return captured(started).stderr
}

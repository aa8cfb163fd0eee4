import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createSocket } from 'node:dgram'
import { connect } from 'node:net'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Results } from '../../harness/interface/index.js'
import { runCourier, tempDir, writeScenario } from '../helpers/cli.js'
import { createTestNamespace } from '../helpers/netns.js'

// A "remote host" in a network namespace of the test's own: the device's telemetry reaches it
// over a veth, not loopback, as a real server's traffic leaves by the host's network interface.
// The test process itself (another program, as far as courier knows) keeps a connection of its
// own to the same host during the run: the capture sees it too, and it must not count.
const SERVER = `
const http = require('node:http'), net = require('node:net')
let posts = 0
http.createServer((req, res) => { req.resume(); req.on('end', () => { posts++; res.end('ok') }) }).listen(8080, process.argv[1])
net.createServer((socket) => { socket.on('data', () => {}); socket.on('error', () => {}) }).listen(8081, process.argv[1], () => { console.log('ready') })
`

test("a device that posts to a host in another network namespace is a third-party destination; another program's connection to that host is not counted", async () => {
  const ns = await createTestNamespace()
  try {
    const server = await ns.startNode(SERVER.replace('process.argv[1]', JSON.stringify(ns.address)).replace('process.argv[1]', JSON.stringify(ns.address)))
    assert.ok(server.pid != null)
    const bystander = connect(8081, ns.address)
    bystander.on('error', () => {})
    // and name lookups of its own, each from a socket that lives a moment, as any program's do
    const lookup = (): void => {
      const socket = createSocket('udp4')
      socket.send(Buffer.from('not a real query'), 53, ns.address, () => {
        socket.close()
      })
    }
    const chatter = setInterval(() => {
      bystander.write("not courier's\n")
      lookup()
    }, 100)
    try {
      const dir = await tempDir()
      const scenario = await writeScenario(
        dir,
        'remote.yaml',
        `name: remote-telemetry
seed: 6
duration: 3s
grace: 1s
network: { relays: 2, stores: 0 }
devices:
  alice: { driver: simulated, telemetry: "http://${ns.address}:8080/v1/report" }
  bob: { driver: simulated }
timeline:
  - { at: 500ms, send: { from: bob, topic: chat, count: 2, every: 300ms } }
harness: { maxLagP99: 400ms }
expect:
  destinations.thirdParty: "== 0"
`
      )
      const out = join(dir, 'run')
      const run = await runCourier(['run', scenario, '--out', out, '--no-progress'])
      assert.equal(run.code, 1, run.stdout + run.stderr)
      assert.match(run.stdout, /FAIL\s+destinations\.thirdParty\s+1\b/)
      const results = JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as Results
      const destinations = results.destinations
      assert.ok(destinations != null)
      assert.deepEqual(
        destinations.list.map((d) => `${d.protocol} ${d.ip}:${d.port}`),
        [`tcp ${ns.address}:8080`],
        'the telemetry server, over the veth'
      )
      const [telemetry] = destinations.list
      assert.ok(
        telemetry.from.every((endpoint) => endpoint.startsWith(`${ns.hostAddress}:`)),
        `sent from the host's end of the veth: ${telemetry.from.join(', ')}`
      )
      assert.ok(telemetry.connections >= 2 && telemetry.bytesUp > 0 && telemetry.bytesDown > 0, JSON.stringify(telemetry))
      // the bystander's connection was open through the whole run: ss saw it held by this test's node process
      assert.ok(
        destinations.otherPrograms?.some((d) => `${d.protocol} ${d.ip}:${d.port}` === `tcp ${ns.address}:8081`),
        JSON.stringify(destinations.otherPrograms)
      )
      // the lookups: not destinations (the list above has only the telemetry server); no poll saw
      // their sockets (listed as lookups), or one did and saw this test's process (other programs)
      assert.ok(
        (destinations.lookups ?? []).some((l) => l.ip === ns.address && l.port === 53 && l.queries > 10) ||
          (destinations.otherPrograms ?? []).some((d) => d.ip === ns.address && d.port === 53),
        JSON.stringify(destinations)
      )
      assert.ok(
        destinations.attribution != null && destinations.attribution.polls >= 4 && destinations.attribution.error == null,
        JSON.stringify(destinations.attribution)
      )
      assert.match(run.stdout, new RegExp(`tcp ${ns.address.replace(/\./g, '\\.')}:8080`))
    } finally {
      clearInterval(chatter)
      bystander.destroy()
    }
  } finally {
    await ns.remove()
  }
})

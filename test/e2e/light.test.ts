// Light mode end to end through the real CLI: a light phone and a relay phone on a crowded shard,
// what each pays in bytes, and a light phone whose service node is killed mid-run.
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { CourierEvent, OwnerBytes, Results } from '../../harness/interface/index.js'
import { runCourier, tempDir, writeScenario } from '../helpers/cli.js'
import { nightlyTest, test } from '../helpers/suite.js'

async function load(out: string): Promise<{ results: Results; events: CourierEvent[] }> {
  const results = JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as Results
  const events = (await readFile(join(out, 'events.ndjson'), 'utf8'))
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as CourierEvent)
  return { results, events }
}

const kB = (n: number): string => `${(n / 1000).toFixed(1)} kB`

test("light mode on a crowded shard: zero loss both ways, bytes on filter and lightpush only, a fraction of a relay phone's", async (t) => {
  const out = join(await tempDir(), 'run')
  const result = await runCourier(['run', 'scenarios/light-mode.yaml', '--out', out, '--no-progress'])
  assert.equal(result.code, 0, result.stderr + result.stdout)
  const { results, events } = await load(out)
  const delivery = results.delivery.devices
  const owners = results.bytes?.owners ?? {}
  const owner = (name: string): OwnerBytes => owners[name] ?? assert.fail(`no byte figures for ${name}`)

  // both ways, nothing lost: the light phone's sends went out by LIGHTPUSH and reached the relay phone over relay
  assert.equal(delivery['phone-light'].expected, 12)
  assert.equal(delivery['phone-light'].lost, 0)
  assert.deepEqual(delivery['phone-light'].firstByPath, { filter: 12 })
  assert.equal(delivery['phone-relay'].expected, 12)
  assert.equal(delivery['phone-relay'].lost, 0)
  assert.deepEqual(delivery['phone-relay'].firstByPath, { relay: 12 })
  const lightSends = events.filter((e): e is Extract<CourierEvent, { type: 'msg.sent' }> => e.type === 'msg.sent' && e.device === 'phone-light')
  assert.ok(lightSends.length === 12 && lightSends.every((e) => e.via === 'lightpush'))
  const accepted = new Set(events.flatMap((e) => (e.type === 'lightpush.response' && e.status === 200 ? [e.hash] : [])))
  assert.ok(
    lightSends.every((e) => accepted.has(e.hash)),
    'every send has a 200 from a service node'
  )

  // a light phone's bytes are filter and lightpush (and identify), never relay
  for (const name of ['phone-light', 'reader-light']) {
    const protocols = owner(name).byProtocol
    assert.equal(protocols.relay, undefined, `${name} has relay bytes: ${JSON.stringify(protocols)}`)
    assert.ok((protocols.filter?.down ?? 0) > 0, `${name} filter bytes`)
  }
  assert.ok((owner('phone-light').byProtocol.lightpush?.up ?? 0) > 12 * 300, 'twelve 300 B messages went up as lightpush')
  assert.ok((owner('phone-relay').byProtocol.relay?.down ?? 0) > 0)

  // The crowd posts on a content topic phone-light did not join; phone-relay did not join it
  // either, but relay carries the whole shard. Measured: 35 kB against 218 kB down (6x).
  const lightDown = owner('phone-light').down
  const relayDown = owner('phone-relay').down
  assert.ok(lightDown * 4 < relayDown, `phone-light ${kB(lightDown)} down, phone-relay ${kB(relayDown)}`)
  assert.ok(owner('phone-light').up * 4 < owner('phone-relay').up, "a light phone forwards nobody's messages")

  // Reading the crowded topic itself, both get every crowd message. What is true there: the
  // light reader receives exactly what it subscribed to, once per subscription (two service
  // nodes), with no gossip; the relay reader pays gossip on top of the messages. Measured: the
  // light reader's down bytes come out a little above the relay reader's (one stream per push),
  // its up bytes about half (it forwards nothing).
  const crowdSent = results.delivery.messages.byCrowd
  assert.equal(delivery['reader-light'].expected, crowdSent)
  assert.equal(delivery['reader-light'].lost, 0)
  assert.equal(delivery['reader-relay'].lost, 0)
  assert.equal(delivery['reader-light'].duplicates.byPath.filter, crowdSent, 'each message pushed by each of its two service nodes, no more')
  const receptions = events.filter((e): e is Extract<CourierEvent, { type: 'msg.received' }> => e.type === 'msg.received' && e.device === 'reader-light')
  const pushedBytes = receptions.reduce((n, e) => n + e.bytes, 0)
  const filterDown = owner('reader-light').byProtocol.filter?.down ?? 0
  // the MessagePush envelope (pubsub topic, field tags, length prefix) is well under 64 B
  assert.ok(
    filterDown >= pushedBytes && filterDown <= pushedBytes + 64 * receptions.length,
    `filter ${kB(filterDown)} for ${kB(pushedBytes)} of pushed messages`
  )
  const messageBytes = pushedBytes / 2
  const relayReaderDown = owner('reader-relay').byProtocol.relay?.down ?? 0
  assert.ok(relayReaderDown > 1.5 * messageBytes, `relay reader: ${kB(relayReaderDown)} of relay for ${kB(messageBytes)} of messages`)
  assert.ok(owner('reader-light').up < owner('reader-relay').up)

  t.diagnostic(
    `down/up: phone-light ${kB(lightDown)}/${kB(owner('phone-light').up)}, phone-relay ${kB(relayDown)}/${kB(owner('phone-relay').up)}, ` +
      `reader-light ${kB(owner('reader-light').down)}/${kB(owner('reader-light').up)}, reader-relay ${kB(owner('reader-relay').down)}/${kB(owner('reader-relay').up)}; ` +
      `crowd messages ${kB(messageBytes)}, relay reader's relay stream ${kB(relayReaderDown)}, light reader's filter stream ${kB(filterDown)}`
  )
})

// The light phone subscribes on one service node only (relays: 1), so killing it leaves the phone
// with no subscription until it has noticed and subscribed elsewhere. "Expected" is what courier
// always expects: every message on its topics sent while it was online, including those sent in
// that gap; they were pushed to nobody, so they must come from the store catch-up the client
// asks for when it subscribes again. Later it goes offline for 1.5 s: what it sends meanwhile
// waits in its outbox, what it misses comes from the store on return (late enough that the
// first catch-up is done: going offline cuts a history request short, and it would count failed).
nightlyTest("a light phone's service node is killed: it notices, resubscribes elsewhere, and loses nothing", async (t) => {
  const dir = await tempDir()
  const file = await writeScenario(
    dir,
    'light-kill.yaml',
    `name: light-kill
seed: 9
duration: 11s
grace: 4s
network: { relays: 3, stores: 1 }
crowd: { topic: lobby, users: 200, rate: 4/s, size: 500B }
devices:
  alice: { topics: [chat] }
  lite: { mode: light, topics: [chat], relays: 1, service: relay-2, link: 3g }
timeline:
  - { at: 500ms, send: { from: alice, topic: chat, count: 50, every: 200ms } }
  - { at: 1s, send: { from: lite, topic: chat, count: 18, every: 500ms } }
  - { at: 4s, kill: relay-2 }
  - { at: 8s, offline: { device: lite, for: 1500ms } }
# outcomes, not milliseconds: other test files run beside this one
harness: { maxLagP99: 200ms }
expect:
  delivery.loss: "== 0"
  filter.failover.unrecovered: "== 0"
`
  )
  const out = join(dir, 'run')
  const result = await runCourier(['run', file, '--out', out, '--no-progress'])
  assert.equal(result.code, 0, result.stderr + result.stdout)
  const { results, events } = await load(out)
  const lite = results.delivery.devices.lite
  assert.equal(lite.expected, 50)
  assert.equal(lite.lost, 0)
  assert.ok((lite.firstByPath.store ?? 0) >= 1, `messages sent in the gap came from the store: ${JSON.stringify(lite.firstByPath)}`)
  assert.equal(
    results.delivery.devices.alice.lost,
    0,
    "lite's sends during the gap went through another service node, and those made offline left its outbox on return"
  )
  const offline = events.find((e) => e.type === 'device.offline' && e.device === 'lite')?.t ?? assert.fail('lite never went offline')
  const online = events.find((e) => e.type === 'device.online' && e.device === 'lite' && e.t > offline)?.t ?? assert.fail('lite never came back')
  const sentOffline = events.flatMap((e) => (e.type === 'msg.sent' && e.device === 'lite' && e.t > offline && e.t < online ? [e.hash] : []))
  assert.ok(sentOffline.length >= 2, `sends while offline: ${sentOffline.length}`)
  for (const hash of sentOffline) {
    assert.ok(
      events.some((e) => e.type === 'lightpush.response' && e.hash === hash && e.status === 200 && e.t > online),
      'pushed once back online'
    )
  }

  const subscriptions = events.filter(
    (e): e is Extract<CourierEvent, { type: 'filter.subscription' }> => e.type === 'filter.subscription' && e.device === 'lite'
  )
  assert.equal(subscriptions[0]?.node, 'relay-2', 'service: relay-2 is the first service node')
  assert.ok(
    events.some((e) => e.type === 'filter.drop' && e.node === 'relay-2' && e.peer === 'lite' && e.reason === 'node-down'),
    "the killed node's subscriptions vanished with it"
  )
  const episodes = results.reliability?.filterFailover ?? []
  assert.equal(episodes.length, 1, JSON.stringify(episodes))
  const [episode] = episodes
  assert.equal(episode.node, 'relay-2')
  assert.equal(episode.reason, 'connection closed')
  assert.notEqual(episode.via, 'relay-2')
  // noticed when the closed connection reached it through the 3G link (150 ms one way), not by a ping a minute later
  assert.ok(episode.noticeMs != null && episode.noticeMs < 1000, `noticed after ${episode.noticeMs} ms`)
  assert.ok(episode.ms != null && episode.ms < 5000, `subscribed again ${episode.ms} ms after the kill`)
  assert.equal(results.metrics['filter.notice.max'].value, episode.noticeMs)
  assert.ok(results.store.queries >= 1 && results.store.failed === 0)
  t.diagnostic(
    `noticed ${episode.noticeMs?.toFixed(0)} ms after the kill, subscribed on ${episode.via ?? '?'} after ${episode.ms?.toFixed(0)} ms; ` +
      `${lite.firstByPath.store ?? 0} messages from the store, ${lite.duplicates.byPath.store ?? 0} store duplicates (the catch-up's margin)`
  )
})

test('mode and service are checked before anything starts, with file, line and a did-you-mean', async () => {
  const dir = await tempDir()
  const base = 'name: bad\nduration: 5s\nnetwork: { relays: 2, stores: 1 }\ndevices:\n'
  const typo = await runCourier(['validate', await writeScenario(dir, 'typo.yaml', `${base}  lite: { mode: lite }\n`)])
  assert.equal(typo.code, 2)
  assert.match(typo.stderr, /typo\.yaml:5:\d+: devices\.lite\.mode/)
  assert.match(typo.stderr, /relay|light/)
  const unknown = await runCourier(['validate', await writeScenario(dir, 'unknown.yaml', `${base}  lite: { mode: light, service: relay-3 }\n`)])
  assert.equal(unknown.code, 2)
  assert.match(unknown.stderr, /unknown\.yaml:5:\d+: devices\.lite\.service: no relay or store node named "relay-3"/)
  assert.match(unknown.stderr, /did you mean "relay-\d"/)
  const relayMode = await runCourier(['validate', await writeScenario(dir, 'relay.yaml', `${base}  bob: { service: relay-1 }\n`)])
  assert.equal(relayMode.code, 2)
  assert.match(relayMode.stderr, /relay\.yaml:5:\d+: devices\.bob\.service: service: is for light mode/)
  const fine = await runCourier(['validate', 'scenarios/light-mode.yaml'])
  assert.equal(fine.code, 0, fine.stderr)
})

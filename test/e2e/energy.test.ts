import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Results } from '../../harness/interface/index.js'
import { runCourier, tempDir, writeScenario } from '../helpers/cli.js'
import { nightlyTest, test } from '../helpers/suite.js'

// One phone alone on the fleet sends the same six messages either spread out (every 2 s: the
// radio wakes for each) or batched (50 ms apart: one wake-up). Everything else is equal.
const scenario = (name: string, every: string, expect: string): string => `name: ${name}
seed: 9
duration: 13s
grace: 3s
network: { relays: 2, stores: 1 }
devices:
  phone: { radio: wifi }
timeline:
  - { at: 0s, send: { from: phone, topic: chat, count: 6, every: ${every}, size: 400B } }
expect:
${expect}
`

async function energyOf(every: string, expect: string): Promise<NonNullable<Results['energy']>[string] & { exit: number | null }> {
  const dir = await tempDir()
  const file = await writeScenario(dir, 'energy.yaml', scenario(`energy-${every}`, every, expect))
  const result = await runCourier(['run', file, '--out', join(dir, 'run'), '--no-progress'])
  const results = JSON.parse(await readFile(join(dir, 'run', 'results.json'), 'utf8')) as Results
  const phone = results.energy?.phone
  assert.ok(phone != null, `no energy figures: ${result.stderr}`)
  return { ...phone, exit: result.code }
}

test('batched traffic costs less energy per message than the same messages spread out, and the tail share says why', async () => {
  // independent runs, side by side: the radio figures come from each run's own packets
  const [spread, batched] = await Promise.all([energyOf('2s', '  energy.phone.mAhPerHour: "< 1000"'), energyOf('50ms', '  energy.phone.mAhPerHour: "< 1000"')])
  assert.equal(spread.exit, 0)
  assert.equal(batched.exit, 0)
  assert.equal(spread.radio, 'wifi')
  assert.ok(spread.joulesPerMessage != null && batched.joulesPerMessage != null)
  assert.ok(batched.joulesPerMessage < spread.joulesPerMessage, `batched ${batched.joulesPerMessage} J/msg vs spread ${spread.joulesPerMessage} J/msg`)
  assert.ok(spread.promotions > batched.promotions, `promotions: spread ${spread.promotions}, batched ${batched.promotions}`)
  // the explanation: the spread-out phone pays a wake-up and a tail per message
  const tailJoules = (e: typeof spread): number => (e.byKind.tail?.joules ?? 0) + (e.byKind.promotion?.joules ?? 0)
  assert.ok(tailJoules(spread) > tailJoules(batched))
  // attribution names the fleet node at the other end and sums to the total
  const attributed = Object.values(spread.byLabel).reduce((a, b) => a + b, 0)
  assert.ok(Math.abs(attributed - spread.totalJoules) < 1e-6 * Math.max(1, spread.totalJoules))
  assert.ok(Object.keys(spread.byLabel).some((label) => label.startsWith('relay-')))
  // and what it was for: the messages themselves are relay traffic, and both splits add up
  assert.ok((spread.byProtocol.relay ?? 0) > 0, `by purpose: ${JSON.stringify(spread.byProtocol)}`)
  const byPurpose = Object.values(spread.byProtocol).reduce((a, b) => a + b, 0)
  assert.ok(Math.abs(byPurpose - spread.totalJoules) < 1e-6 * Math.max(1, spread.totalJoules))
  // the same traffic priced on the other radios: WiFi cheapest for small periodic traffic
  assert.equal(spread.whatIf[0].profile, 'wifi')
})

nightlyTest('an energy threshold that cannot be met fails the run', async () => {
  const tight = await energyOf('2s', '  energy.phone.joules: "< 0.000001"')
  assert.equal(tight.exit, 1)
})

test('courier pcap --radio prices any capture and orders the radios as the literature does', async () => {
  const text = await runCourier(['pcap', 'fixtures/pcap/energybox/test1.pcap', '--radio', '3g'])
  assert.equal(text.code, 0, text.stderr)
  assert.match(text.stdout, /radio energy \(3g\) of device 90\.235\.80\.224/)
  const json = await runCourier(['pcap', 'fixtures/pcap/energybox/test1.pcap', '--radio', 'lte', '--json'])
  const doc = JSON.parse(json.stdout) as { extensions: { radio: { report: { totalJoules: number; promotions: number }; whatIf: Array<{ profile: string }> } } }
  assert.ok(doc.extensions.radio.report.totalJoules > 0)
  assert.equal(doc.extensions.radio.whatIf[0].profile, 'wifi')
  const bad = await runCourier(['pcap', 'fixtures/pcap/energybox/test1.pcap', '--radio', 'lte3'])
  assert.equal(bad.code, 2)
  assert.match(bad.stderr, /--radio: unknown radio profile "lte3"[\s\S]*did you mean lte/)
})

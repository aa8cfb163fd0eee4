import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { readPcap } from '../../harness/capture/index.js'
import {
  chooseDeviceAddress,
  energyBoxProfileFromConfigs,
  energyBoxStates3g,
  energyBoxStatesWifi,
  energyBoxTraceEnergy,
  formatEnergyBoxCsv,
  loadEnergyBoxProfile,
  loadRadioProfile,
  parseEnergyBoxConfig,
  parseEnergyBoxCsv,
  priceTimeline,
  radioPacketsFromCapture,
  type EnergyBoxPoint
} from '../../harness/energy/index.js'
import { InvalidInputError, type CapturedPacket } from '../../harness/interface/index.js'

// The EnergyBox captures, configs and oracle traces, copied into the repository (MIT, see the
// folder's README and LICENSE) so the test needs nothing beside it. Compiled tests run from dist/test/unit.
const dir = fileURLToPath(new URL('../../../fixtures/pcap/energybox/', import.meta.url))

async function frames(name: string): Promise<CapturedPacket[]> {
  assert.ok(existsSync(dir), `EnergyBox fixtures not found at ${dir}`)
  const out: CapturedPacket[] = []
  for await (const p of readPcap(`${dir}${name}.pcap`)) out.push(p)
  return out
}

const oracle = (name: string): EnergyBoxPoint[] => parseEnergyBoxCsv(readFileSync(`${dir}oracle/${name}.csv`, 'utf8'))

/** Upstream's own comparison: same number of points, same states, times within 1e-5 s. */
function mismatch(actual: EnergyBoxPoint[], expected: EnergyBoxPoint[]): string | null {
  if (actual.length !== expected.length) return `${actual.length} points, oracle has ${expected.length}`
  for (let i = 0; i < expected.length; i++) {
    if (actual[i].state !== expected[i].state || Math.abs(actual[i].time - expected[i].time) > 1e-5) {
      return `point ${i}: ${actual[i].state},${actual[i].time} vs oracle ${expected[i].state},${expected[i].time}`
    }
  }
  return null
}

const umts = (): ReturnType<typeof loadRadioProfile> => loadRadioProfile('energybox-3g-teliasonera')
const wifi = (): ReturnType<typeof loadRadioProfile> => loadRadioProfile('energybox-wifi-general')

test('device address: most frequent address in test1; the tie in test2 goes to the address seen first', async () => {
  const one = chooseDeviceAddress(await frames('test1'))
  assert.deepEqual(one, { address: '90.235.80.224', rule: 'most-frequent', count: 177 })
  const two = chooseDeviceAddress(await frames('test2'))
  assert.deepEqual(two, { address: '10.173.16.30', rule: 'most-frequent', count: 161 })
})

test('EnergyBox oracles: test1/test2 x 3G/WiFi reproduced point for point (states equal, times within 1e-5 s)', async () => {
  for (const capture of ['test1', 'test2']) {
    const { packets } = radioPacketsFromCapture(await frames(capture))
    assert.equal(mismatch(energyBoxStates3g(packets, umts()), oracle(`${capture}_3g`)), null, `${capture}_3g`)
    assert.equal(mismatch(energyBoxStatesWifi(packets, wifi()), oracle(`${capture}_wifi`)), null, `${capture}_wifi`)
  }
  // test2_wifi is the one with high CAM, so the rewrite is exercised.
  assert.ok(oracle('test2_wifi').some((p) => p.state === 3))
})

test('EnergyBox CSV: our trace prints exactly as upstream wrote the oracle (Java doubles, window drift included)', async () => {
  for (const capture of ['test1', 'test2']) {
    const { packets } = radioPacketsFromCapture(await frames(capture))
    assert.equal(formatEnergyBoxCsv(energyBoxStates3g(packets, umts())), readFileSync(`${dir}oracle/${capture}_3g.csv`, 'utf8'), `${capture}_3g`)
    assert.equal(formatEnergyBoxCsv(energyBoxStatesWifi(packets, wifi())), readFileSync(`${dir}oracle/${capture}_wifi.csv`, 'utf8'), `${capture}_wifi`)
  }
})

test('EnergyBox deviations break the oracles: sorting by time, no +1 ms CAMH offset, the other device address', async () => {
  const one = radioPacketsFromCapture(await frames('test1')).packets
  const twoFrames = await frames('test2')
  const two = radioPacketsFromCapture(twoFrames).packets
  assert.notEqual(mismatch(energyBoxStates3g(one, umts(), { sortByTime: true }), oracle('test1_3g')), null, 'sorted test1_3g')
  assert.notEqual(mismatch(energyBoxStatesWifi(one, wifi(), { sortByTime: true }), oracle('test1_wifi')), null, 'sorted test1_wifi')
  assert.notEqual(mismatch(energyBoxStatesWifi(two, wifi(), { camhDemotionOffsetSeconds: 0 }), oracle('test2_wifi')), null, 'no CAMH offset')
  const other = radioPacketsFromCapture(twoFrames, { deviceAddress: '173.194.69.109' }).packets
  assert.notEqual(mismatch(energyBoxStates3g(other, umts()), oracle('test2_3g')), null, 'other device address')
  // Dropping the IPv6 loopback frames (they count as downlink) breaks test2 too.
  const ipv4 = radioPacketsFromCapture(twoFrames.filter((f) => f.ip?.version === 4)).packets
  assert.notEqual(mismatch(energyBoxStates3g(ipv4, umts()), oracle('test2_3g')), null, 'IPv4 only')
})

test("EnergyBox energy: the README figures (power of each point's state x time to the next point) from our traces and from priceTimeline", async () => {
  const readme = { test1_3g: 151.5161, test2_3g: 129.8691, test1_wifi: 14.0383, test2_wifi: 12.3036 }
  for (const capture of ['test1', 'test2'] as const) {
    const { packets } = radioPacketsFromCapture(await frames(capture))
    assert.equal(energyBoxTraceEnergy(energyBoxStates3g(packets, umts()), umts()).toFixed(4), readme[`${capture}_3g`].toFixed(4))
    assert.equal(energyBoxTraceEnergy(energyBoxStatesWifi(packets, wifi()), wifi()).toFixed(4), readme[`${capture}_wifi`].toFixed(4))
  }
  // test2 is time-ordered, so pricing (which sorts) walks the same states and must agree.
  const two = radioPacketsFromCapture(await frames('test2'))
  const r3g = priceTimeline(two.packets, umts())
  const rWifi = priceTimeline(two.packets, wifi())
  assert.equal(r3g.totalJoules.toFixed(4), readme.test2_3g.toFixed(4))
  assert.equal(rWifi.totalJoules.toFixed(4), readme.test2_wifi.toFixed(4))
  assert.ok(rWifi.states.camh.seconds > 0)
  for (const r of [r3g, rWifi]) {
    const sum = Object.values(r.byLabel).reduce((a, b) => a + b, 0)
    assert.ok(Math.abs(sum - r.totalJoules) < 1e-9, `${r.profile.name}: labels sum to ${sum}, total ${r.totalJoules}`)
  }
  // Labels name the remote end: test2 holds one TCP flow (IMAPS, port 993, as tcpdump shows) and
  // the IPv6 loopback UDP frames; idle time is kept apart.
  assert.deepEqual(Object.keys(r3g.byLabel).sort(), ['(idle)', 'tcp 173.194.69.109:993', 'udp [::1]:37203'])
})

test('EnergyBox configs: the built-in profiles are exactly what the upstream config files say', () => {
  const fromFiles3g = loadEnergyBoxProfile(`${dir}config/3g_teliasonera.config`, `${dir}config/device_3g.config`)
  const fromFilesWifi = loadEnergyBoxProfile(`${dir}config/wifi_general.config`, `${dir}config/samsungS2_wifi.config`)
  const strip = (p: object): object => {
    const { name, source, notes, description, ...numbers } = p as Record<string, unknown>
    return numbers
  }
  assert.deepEqual(strip(fromFiles3g), strip(umts()))
  assert.deepEqual(strip(fromFilesWifi), strip(wifi()))
  assert.equal(fromFilesWifi.model === 'energybox-wifi' && fromFilesWifi.highThresholdBytes, 3000, 'last line without newline')
  // A device config of the wrong kind is refused with both files named.
  const net = parseEnergyBoxConfig(readFileSync(`${dir}config/3g_teliasonera.config`, 'utf8'), '3g_teliasonera.config')
  const dev = parseEnergyBoxConfig(readFileSync(`${dir}config/samsungS2_wifi.config`, 'utf8'), 'samsungS2_wifi.config')
  assert.throws(
    () => energyBoxProfileFromConfigs(net, dev),
    (err: unknown) => err instanceof InvalidInputError && err.problems[0].location.file === 'samsungS2_wifi.config' && err.problems[0].found === 'DeviceWifi'
  )
})

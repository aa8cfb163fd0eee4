import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parseBatterystats, parsePackageUid, uidLabel } from '../../devices/appium/index.js'
import { BatteryModel } from '../../devices/appium/courier-appium-driver/src/battery.js'

// Shaped after `dumpsys batterystats <pkg>` on Android 9-11 (text format); numbers made up by hand.
const DUMP = `Statistics since last charge:
  Time on battery: 10m 0s 0ms (100.0%) realtime, 10m 0s 0ms (100.0%) uptime

  Estimated power use (mAh):
    Capacity: 3000, Computed drain: 40.5, actual drain: 30-60
    Screen: 20.1 Excluded from smearing
    Uid u0a77: 9.87 ( cpu=3.21 radio=6.66 )
    Uid u0a123: 4.32 ( cpu=1.00 radio=3.32 )

  u0a77:
    Mobile network: 1.50MB received, 200.00KB sent (packets 900 received, 300 sent)
    Mobile radio active: 2m 5s 10ms (20.8%) 12x @ 139 mspp
  u0a123:
    Mobile network: 12.00KB received, 3.50KB sent (packets 20 received, 10 sent)
    Mobile radio active: 1m 2s 300ms (10.4%) 5x @ 3115 mspp
    Wake lock *alarm*: 10ms partial (1 times) max=10 realtime
`

test("the app's uid comes from dumpsys package and prints as u0aNNN", () => {
  assert.equal(parsePackageUid('  Package [im.status.ethereum] (abc):\n    userId=10123\n'), 10123)
  assert.equal(parsePackageUid('no uid here'), undefined)
  assert.equal(uidLabel(10123), 'u0a123')
  assert.equal(uidLabel(1010123), 'u10a123')
})

test("mAh, radio-active time and bytes are read for the app's uid only", () => {
  assert.deepEqual(parseBatterystats(DUMP, 10123), { mAh: 4.32, bytesRx: 12 * 1024, bytesTx: Math.round(3.5 * 1024), radioActiveMs: 62_300 })
  assert.deepEqual(parseBatterystats(DUMP, 10077), { mAh: 9.87, bytesRx: Math.round(1.5 * 1024 * 1024), bytesTx: 200 * 1024, radioActiveMs: 125_010 })
})

test('Android 12+ writes UID in capitals; a uid that is not in the dump gives no figures, not zeros', () => {
  assert.equal(parseBatterystats(DUMP.replace('Uid u0a123', 'UID u0a123'), 10123).mAh, 4.32)
  assert.deepEqual(parseBatterystats(DUMP, 10999), {})
})

test("the courier driver's dump reads back to its own model (the CI path checks the real parser)", () => {
  let now = 0
  const model = new BatteryModel(() => now)
  model.traffic('down', 5000)
  now = 2000
  model.traffic('up', 700)
  now = 20_000
  model.traffic('down', 300)
  now = 30_000
  const parsed = parseBatterystats(model.dumpsys('org.courier.testapp'), 10123)
  // active 0..7 s (the second write extends the first window) and 20..25 s: 12 s
  assert.equal(model.radioActiveMs(), 12_000)
  assert.equal(parsed.radioActiveMs, 12_000)
  assert.equal(parsed.bytesTx, 700)
  assert.ok(Math.abs((parsed.bytesRx ?? 0) - 5300) <= 6, `bytesRx ${parsed.bytesRx}`)
  assert.equal(parsed.mAh, Number(model.mAh().toFixed(3)))
})

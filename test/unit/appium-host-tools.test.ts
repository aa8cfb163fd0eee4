import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { androidSdk, installedAppiumDrivers, parseAdbDevices, parseXctraceDevices } from '../../devices/appium/index.js'

test('adb devices -l: serial, state and model per line; the header and daemon chatter are skipped', () => {
  const text = [
    '* daemon not running; starting now at tcp:5037',
    '* daemon started successfully',
    'List of devices attached',
    'emulator-5554          device product:sdk_gphone64_x86_64 model:sdk_gphone64_x86_64 device:emu64x transport_id:1',
    'R58M1234ABC            unauthorized usb:1-1 transport_id:2',
    '0123456789             offline transport_id:3',
    ''
  ].join('\n')
  assert.deepEqual(parseAdbDevices(text), [
    { serial: 'emulator-5554', state: 'device', model: 'sdk_gphone64_x86_64' },
    { serial: 'R58M1234ABC', state: 'unauthorized', transport: 'usb 1-1' },
    { serial: '0123456789', state: 'offline' }
  ])
  assert.deepEqual(parseAdbDevices('List of devices attached\n\n'), [])
})

test('xcrun xctrace list devices: phones by section with their OS and udid; the Mac itself is not a device', () => {
  const text = [
    '== Devices ==',
    'Jane’s MacBook Pro (0000FE00-1234-5678-9ABC-DEF012345678)',
    "Jane's iPhone (17.4.1) (00008110-001A2B3C4D5E6F70)",
    '',
    '== Devices Offline ==',
    'Old iPad (16.7) (00008020-000A1B2C3D4E5F60)',
    '',
    '== Simulators ==',
    'iPhone 15 Simulator (17.4) (12345678-ABCD-1234-ABCD-1234567890AB)',
    ''
  ].join('\n')
  const devices = parseXctraceDevices(text)
  assert.deepEqual(devices.online, [{ name: "Jane's iPhone", os: '17.4.1', udid: '00008110-001A2B3C4D5E6F70', simulator: false }])
  assert.deepEqual(
    devices.offline.map((d) => d.name),
    ['Old iPad']
  )
  assert.deepEqual(
    devices.simulators.map((d) => [d.name, d.simulator]),
    [['iPhone 15 Simulator', true]]
  )
})

test("Appium drivers from an Appium home's manifest; none without one", async () => {
  const home = await mkdtemp(join(tmpdir(), 'courier-appium-home-'))
  assert.deepEqual(await installedAppiumDrivers(home), {})
  await mkdir(join(home, 'node_modules', '.cache', 'appium'), { recursive: true })
  await writeFile(
    join(home, 'node_modules', '.cache', 'appium', 'extensions.yaml'),
    'drivers:\n  uiautomator2:\n    pkgName: appium-uiautomator2-driver\n    version: 4.2.1\n    installType: npm\nplugins: {}\nschemaRev: 4\n'
  )
  assert.deepEqual(Object.keys(await installedAppiumDrivers(home)), ['uiautomator2'])
  assert.equal((await installedAppiumDrivers(home)).uiautomator2?.version, '4.2.1')
})

test('the Android SDK from ANDROID_HOME, then ANDROID_SDK_ROOT', async () => {
  const sdk = await mkdtemp(join(tmpdir(), 'courier-sdk-'))
  assert.deepEqual(androidSdk({}), { platformTools: false })
  assert.deepEqual(androidSdk({ ANDROID_SDK_ROOT: sdk }), { variable: 'ANDROID_SDK_ROOT', dir: sdk, platformTools: false })
  await mkdir(join(sdk, 'platform-tools'))
  assert.deepEqual(androidSdk({ ANDROID_HOME: sdk, ANDROID_SDK_ROOT: '/elsewhere' }), { variable: 'ANDROID_HOME', dir: sdk, platformTools: true })
})

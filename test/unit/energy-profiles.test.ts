import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { listBuiltinProfiles, loadEnergyBoxProfile, loadRadioProfile, parseJavaProperties, priceTimeline } from '../../harness/energy/index.js'
import { InvalidInputError } from '../../harness/interface/index.js'

function tempDir(): { dir: string; [Symbol.dispose]: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'courier-energy-'))
  return { dir, [Symbol.dispose]: () => rmSync(dir, { recursive: true, force: true }) }
}

test('built-in profiles: the promised set, each with a source and a verified flag; 5G NSA is marked unverified', () => {
  const list = listBuiltinProfiles()
  const names = list.map((p) => p.name)
  for (const name of ['lte', '3g', 'wifi', '5g-nsa', 'energybox-3g-teliasonera', 'energybox-wifi-general']) assert.ok(names.includes(name), name)
  for (const p of list) {
    assert.ok(p.source.length > 10, `${p.name} has a source`)
    assert.equal(typeof p.verified, 'boolean')
  }
  assert.equal(list.find((p) => p.name === '5g-nsa')?.verified, false)
  assert.equal(list.find((p) => p.name === 'energybox-3g-teliasonera')?.verified, true)
  // A profile that says unverified says so in every report priced on it.
  const report = priceTimeline([{ time: 0, bytes: 1, direction: 'up' }], loadRadioProfile('5g-nsa'))
  assert.match(report.notes.join('\n'), /5g-nsa is not verified/)
})

test('loadRadioProfile returns copies: editing one (a what-if on a timer) does not change the next load', () => {
  const a = loadRadioProfile('lte')
  assert.equal(a.model, 'tail')
  if (a.model === 'tail') a.tail[0].watts = 99
  const b = loadRadioProfile('lte')
  assert.equal(b.model === 'tail' && b.tail[0].watts, 1.06)
})

test('a user profile file is loaded, validated and priced', () => {
  using tmp = tempDir()
  const path = join(tmp.dir, 'flat.json')
  writeFileSync(
    path,
    JSON.stringify({
      name: 'flat',
      model: 'tail',
      source: 'test',
      verified: false,
      active: { inactivitySeconds: 0.5, betaWatts: 1 },
      tail: [{ state: 'tail', seconds: 2, watts: 0.5 }],
      idle: { watts: 0.1 }
    })
  )
  const profile = loadRadioProfile(path)
  const report = priceTimeline(
    [
      { time: 0, bytes: 10, direction: 'up' },
      { time: 0.25, bytes: 10, direction: 'down' },
      { time: 10, bytes: 10, direction: 'up' }
    ],
    profile
  )
  // 0.25 s active at 1 W, a 2 s tail at 0.5 W, idle 7.75 s at 0.1 W, another 2 s tail.
  assert.ok(Math.abs(report.totalJoules - (0.25 + 1 + 0.775 + 1)) < 1e-9, String(report.totalJoules))
  // Defaults were applied to what the user left out.
  assert.equal(profile.model === 'tail' && profile.active.windowSeconds, 0.5)
  assert.equal(profile.model === 'tail' && profile.idle.state, 'idle')
})

test('a bad profile file: InvalidInputError naming the file, the field, its line, what was expected and what was found', () => {
  using tmp = tempDir()
  const path = join(tmp.dir, 'bad.json')
  const text = `{
  "name": "bad",
  "model": "tail",
  "source": "test",
  "verified": true,
  "active": { "inactivitySeconds": 0.1, "betaWatts": 1 },
  "tail": [
    { "state": "tail", "seconds": 1, "watts": 0.5 },
    { "state": "drx", "seconds": 1, "watts": 0.5, "pulse": { "cycleSeconds": -0.04, "onSeconds": 0.001, "onWatts": 1 } }
  ],
  "idle": { "watts": 0.1, "beacon": true }
}
`
  writeFileSync(path, text)
  let caught: unknown
  try {
    loadRadioProfile(path)
  } catch (err) {
    caught = err
  }
  assert.ok(caught instanceof InvalidInputError, String(caught))
  const problems = caught.problems
  const cycle = problems.find((p) => p.path === 'tail[1].pulse.cycleSeconds')
  assert.ok(cycle, JSON.stringify(problems))
  assert.equal(cycle.location.file, path)
  assert.equal(cycle.location.line, 9)
  assert.equal(cycle.expected, '> 0')
  assert.equal(cycle.found, '-0.04')
  const extra = problems.find((p) => p.path === 'idle.beacon')
  assert.ok(extra, JSON.stringify(problems))
  assert.equal(extra.location.line, 11)
  assert.equal(extra.found, 'beacon')
  assert.match(caught.message, /tail\[1\]\.pulse\.cycleSeconds/)
})

test('profile errors: missing field, a tail phase without seconds, an unknown model, bad JSON, an unknown built-in name', () => {
  using tmp = tempDir()
  const write = (name: string, value: unknown): string => {
    const path = join(tmp.dir, name)
    writeFileSync(path, typeof value === 'string' ? value : JSON.stringify(value, null, 2))
    return path
  }
  const base = { name: 'x', model: 'tail', source: 's', verified: false, active: { inactivitySeconds: 0.1, betaWatts: 1 }, idle: { watts: 0 } }
  const problemsOf = (fn: () => unknown) => {
    try {
      fn()
    } catch (err) {
      assert.ok(err instanceof InvalidInputError, String(err))
      return err.problems
    }
    assert.fail('no error')
  }
  const missing = problemsOf(() => loadRadioProfile(write('missing.json', { ...base, tail: [{ state: 'tail', seconds: 1, watts: 1 }], verified: undefined })))
  assert.ok(
    missing.some((p) => p.path === 'verified' && p.found === 'nothing' && p.expected === 'a boolean'),
    JSON.stringify(missing)
  )
  const open = problemsOf(() => loadRadioProfile(write('open.json', { ...base, tail: [{ state: 'tail', watts: 1 }] })))
  assert.deepEqual(
    open.map((p) => p.path),
    ['tail[0].seconds']
  )
  const long = problemsOf(() =>
    loadRadioProfile(write('long.json', { ...base, active: { inactivitySeconds: 5, betaWatts: 1 }, tail: [{ state: 'tail', seconds: 1, watts: 1 }] }))
  )
  assert.deepEqual(
    long.map((p) => p.path),
    ['active.inactivitySeconds']
  )
  const model = problemsOf(() => loadRadioProfile(write('model.json', { ...base, model: 'lte-ish', tail: [] })))
  assert.equal(model[0].path, 'model')
  const json = problemsOf(() => loadRadioProfile(write('broken.json', '{\n  "name": "x",\n  "model": tail\n}\n')))
  assert.equal(json[0].location.line, 3)
  const name = problemsOf(() => loadRadioProfile('lte4'))
  assert.equal(name[0].hint, 'did you mean lte?')
  const absent = problemsOf(() => loadRadioProfile(join(tmp.dir, 'absent.json')))
  assert.match(absent[0].message, /radio profile not found \(no such file\)/)
})

test('Java properties: comments, = : and space separators, continuation lines, escapes, no final newline', () => {
  const props = parseJavaProperties(
    ['# comment', '! also a comment', 'A=1', 'B : two words ', 'C three', '  D = long \\', '      value', 'E=tab\\tand\\u0041', 'F\\=key=v', 'LAST=3000'].join(
      '\n'
    )
  )
  assert.deepEqual(Object.fromEntries([...props].map(([k, v]) => [k, v.value])), {
    A: '1',
    B: 'two words ',
    C: 'three',
    D: 'long value',
    E: 'tab\tandA',
    'F=key': 'v',
    LAST: '3000'
  })
  assert.equal(props.get('D')?.line, 6)
  assert.equal(props.get('LAST')?.line, 10)
})

test('EnergyBox config errors name the file, the key and its line', () => {
  using tmp = tempDir()
  const net = join(tmp.dir, 'net.config')
  const dev = join(tmp.dir, 'dev.config')
  writeFileSync(net, 'TYPE=Wifi\nCAM_PSM_INACTIVITY_TIME=220\nCAM_TIME_WIMDOW=fifty\nWINDOW_DATA_RATE_THRESHOLD=3000')
  writeFileSync(dev, 'TYPE=DeviceWifi\nPOWER_IN_PSM=0.03\nPOWER_IN_CAM=0.25\n')
  let caught: unknown
  try {
    loadEnergyBoxProfile(net, dev)
  } catch (err) {
    caught = err
  }
  assert.ok(caught instanceof InvalidInputError)
  assert.deepEqual(
    caught.problems.map((p) => [p.location.file, p.path, p.location.line, p.found]),
    [
      [net, 'CAM_TIME_WIMDOW', 3, '"fifty"'],
      [dev, 'POWER_IN_CAMH', undefined, 'nothing']
    ]
  )
  writeFileSync(dev, 'TYPE=DeviceWifi\nPOWER_IN_PSM=0.03\nPOWER_IN_CAM=0.25\nPOWER_IN_CAMH=0.45\n')
  writeFileSync(net, 'TYPE=Wifi\nCAM_PSM_INACTIVITY_TIME=220\nCAM_TIME_WIMDOW=50\nWINDOW_DATA_RATE_THRESHOLD=3000')
  const profile = loadEnergyBoxProfile(net, dev, { name: 'mine' })
  assert.equal(profile.name, 'mine')
  assert.equal(profile.model === 'energybox-wifi' && profile.windowSeconds, 0.05)
})

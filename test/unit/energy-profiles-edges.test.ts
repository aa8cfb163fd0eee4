import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  energyBoxProfileFromConfigs,
  parseEnergyBoxConfig,
  parseJavaProperties,
  parseRadioProfile,
  loadRadioProfile,
  loadEnergyBoxProfile,
  listBuiltinProfiles,
  type EnergyBoxConfig
} from '../../harness/energy/index.js'
import { InvalidInputError, type InputProblem } from '../../harness/interface/index.js'

// The edges of the profile readers: Java .properties text as java.util.Properties.load reads it
// (its Javadoc is the reference for every expected value here), EnergyBox's config files, and the
// errors a user sees.

const values = (text: string): Record<string, string> => Object.fromEntries([...parseJavaProperties(text)].map(([k, v]) => [k, v.value]))
const lines = (text: string): Record<string, number> => Object.fromEntries([...parseJavaProperties(text)].map(([k, v]) => [k, v.line]))

test('Java properties: \\r\\n, \\r and \\n all end a line; blank lines and indented # or ! comments are skipped', () => {
  const text = 'A=1\r\nB=2\rC=3\n\n   \n  # indented comment\n\t! another\n   D = 4'
  assert.deepEqual(values(text), { A: '1', B: '2', C: '3', D: '4' })
  assert.deepEqual(lines(text), { A: 1, B: 2, C: 3, D: 8 })
})

test('Java properties: separators are =, : or white space, with white space around them; only the first counts', () => {
  assert.deepEqual(values('A:1\nB = 2\nC\t3\nD\f4\nE  =  5\nF==6\nG = : 7\nH\nI=\nJ=trailing  '), {
    A: '1',
    B: '2',
    C: '3',
    D: '4',
    E: '5',
    F: '=6',
    G: ': 7',
    H: '',
    I: '',
    J: 'trailing  '
  })
})

test('Java properties: continuation lines drop their leading white space, a # there is data, an even run of backslashes is no continuation', () => {
  const text = 'A=one \\\n    two\\\n  three\nB=x\\\n#not a comment\nC=ends\\\\\nD=4\nE=last\\'
  assert.deepEqual(values(text), { A: 'one twothree', B: 'x#not a comment', C: 'ends\\', D: '4', E: 'last' })
  // A key is on the line where it starts.
  assert.deepEqual(lines(text), { A: 1, B: 4, C: 6, D: 7, E: 8 })
})

test('Java properties: escapes in keys and values (\\t \\n \\r \\f \\\\ \\uXXXX, any other character as itself); a later key wins', () => {
  const props = parseJavaProperties('a\\ b=c\nk\\:x=v\n\\#k=v2\nE=\\t\\n\\r\\f\\\\\\u00e9\\q\\=\nA=first\nA=second')
  assert.deepEqual(Object.fromEntries([...props].map(([k, v]) => [k, v.value])), {
    'a b': 'c',
    'k:x': 'v',
    '#k': 'v2',
    E: '\t\n\r\f\\éq=',
    A: 'second'
  })
  assert.equal(props.get('A')?.line, 6)
})

/** The problems of an InvalidInputError thrown by fn. */
function problemsOf(fn: () => unknown): InputProblem[] {
  try {
    fn()
  } catch (err) {
    assert.ok(err instanceof InvalidInputError, String(err))
    return err.problems
  }
  assert.fail('no error')
}

test('EnergyBox config TYPE: missing or unknown is refused with what was found and its line; white space around it is allowed', () => {
  const missing = problemsOf(() => parseEnergyBoxConfig('A=1\n', 'a.config'))
  assert.deepEqual(missing, [
    {
      location: { file: 'a.config', line: undefined },
      path: 'TYPE',
      message: 'not an EnergyBox config: the TYPE line is missing or unknown',
      expected: '3G, Device3G, Wifi, DeviceWifi',
      found: 'no TYPE line'
    }
  ])
  const unknown = problemsOf(() => parseEnergyBoxConfig('# x\nTYPE=LTE\n', 'b.config'))
  assert.equal(unknown[0].location.line, 2)
  assert.equal(unknown[0].found, 'LTE')
  assert.equal(parseEnergyBoxConfig('TYPE = Wifi \n', 'c.config').type, 'Wifi')
})

const net3g = (extra = ''): EnergyBoxConfig =>
  parseEnergyBoxConfig(
    `TYPE=3G\nDCH_FACH_INACTIVITY_TIME=4100\nFACH_IDLE_INACTIVITY_TIME=5600\nUPLINK_BUFFER_IDLE_TO_FACH_OR_DCH=1000\nDOWNLINK_BUFFER_IDLE_TO_FACH_OR_DCH=515\nUPLINK_BUFFER_FACH_TO_DCH=294\nDOWNLINK_BUFFER_FACH_TO_DCH=515\nUPLINK_BUFFER_EMPTY_TIME=1.2\nDOWNLINK_BUFFER_EMPTY_TIME=30\nIDLE_TO_DCH_TRANSITION_TIME=1700\n${extra}`,
    'configs/3g_mine.config'
  )
const dev3g = (): EnergyBoxConfig => parseEnergyBoxConfig('TYPE=Device3G\nPOWER_IN_IDLE=0.2\nPOWER_IN_FACH=0.5\nPOWER_IN_DCH=1.3\n', 'configs/phone.config')

test('EnergyBox 3G configs: ms become seconds (1.2 ms per byte is 0.0012 s), bytes and watts stay, the name and source come from the files', () => {
  const p = energyBoxProfileFromConfigs(net3g(), dev3g())
  assert.equal(p.model, 'energybox-3g')
  if (p.model !== 'energybox-3g') return
  assert.equal(p.name, 'energybox-3g-3g_mine')
  assert.equal(p.source, 'EnergyBox config files 3g_mine.config + phone.config')
  assert.equal(p.technology, '3g')
  assert.equal(p.verified, true)
  assert.equal(p.dchTailSeconds, 4.1)
  assert.equal(p.fachTailSeconds, 5.6)
  assert.deepEqual(p.idleToDchBytes, { upBytes: 1000, downBytes: 515 })
  assert.deepEqual(p.fachToDchBytes, { upBytes: 294, downBytes: 515 })
  assert.equal(p.uplinkDrainSecondsPerByte, 0.0012)
  assert.equal(p.downlinkDrainSeconds, 0.03)
  assert.equal(p.idleToDchDelaySeconds, 1.7)
  assert.deepEqual(p.power, { idleWatts: 0.2, fachWatts: 0.5, dchWatts: 1.3 })
  assert.equal(energyBoxProfileFromConfigs(net3g(), dev3g(), 'chosen').name, 'chosen')
})

test('EnergyBox WiFi configs: the name drops wifi_ and .config; the correct spelling CAM_TIME_WINDOW wins over upstream WIMDOW', () => {
  const net = (window: string): EnergyBoxConfig =>
    parseEnergyBoxConfig(`TYPE=Wifi\nCAM_PSM_INACTIVITY_TIME=220\n${window}\nWINDOW_DATA_RATE_THRESHOLD=3000`, 'x/wifi_office.config')
  const dev = parseEnergyBoxConfig('TYPE=DeviceWifi\nPOWER_IN_PSM=0.03\nPOWER_IN_CAM=0.25\nPOWER_IN_CAMH=0.45', 'x/s2.config')
  const upstream = energyBoxProfileFromConfigs(net('CAM_TIME_WIMDOW=50'), dev)
  assert.equal(upstream.name, 'energybox-wifi-office')
  assert.equal(upstream.technology, 'wifi')
  assert.equal(upstream.model === 'energybox-wifi' && upstream.windowSeconds, 0.05)
  assert.equal(upstream.model === 'energybox-wifi' && upstream.camTailSeconds, 0.22)
  assert.deepEqual(upstream.model === 'energybox-wifi' && upstream.power, { psmWatts: 0.03, camWatts: 0.25, camhWatts: 0.45 })
  const both = energyBoxProfileFromConfigs(net('CAM_TIME_WIMDOW=50\nCAM_TIME_WINDOW=100'), dev)
  assert.equal(both.model === 'energybox-wifi' && both.windowSeconds, 0.1)
})

test('EnergyBox config values: missing, empty, not a number, infinite or negative are each named with their file, key and line', () => {
  const problems = problemsOf(() =>
    energyBoxProfileFromConfigs(
      parseEnergyBoxConfig(
        'TYPE=3G\nDCH_FACH_INACTIVITY_TIME=\nFACH_IDLE_INACTIVITY_TIME=abc\nUPLINK_BUFFER_IDLE_TO_FACH_OR_DCH=Infinity\nDOWNLINK_BUFFER_IDLE_TO_FACH_OR_DCH=-1\nUPLINK_BUFFER_FACH_TO_DCH=294\nDOWNLINK_BUFFER_FACH_TO_DCH= 515 \nUPLINK_BUFFER_EMPTY_TIME=1.2e0\nDOWNLINK_BUFFER_EMPTY_TIME=0\nIDLE_TO_DCH_TRANSITION_TIME=1700',
        'n.config'
      ),
      parseEnergyBoxConfig('TYPE=Device3G\nPOWER_IN_IDLE=0.2\nPOWER_IN_FACH=0.5', 'd.config')
    )
  )
  assert.deepEqual(problems, [
    {
      location: { file: 'n.config', line: 2 },
      path: 'DCH_FACH_INACTIVITY_TIME',
      message: 'bad value for DCH_FACH_INACTIVITY_TIME',
      expected: 'a non-negative number (ms)',
      found: '""'
    },
    {
      location: { file: 'n.config', line: 3 },
      path: 'FACH_IDLE_INACTIVITY_TIME',
      message: 'bad value for FACH_IDLE_INACTIVITY_TIME',
      expected: 'a non-negative number (ms)',
      found: '"abc"'
    },
    {
      location: { file: 'n.config', line: 4 },
      path: 'UPLINK_BUFFER_IDLE_TO_FACH_OR_DCH',
      message: 'bad value for UPLINK_BUFFER_IDLE_TO_FACH_OR_DCH',
      expected: 'a non-negative number (bytes)',
      found: '"Infinity"'
    },
    {
      location: { file: 'n.config', line: 5 },
      path: 'DOWNLINK_BUFFER_IDLE_TO_FACH_OR_DCH',
      message: 'bad value for DOWNLINK_BUFFER_IDLE_TO_FACH_OR_DCH',
      expected: 'a non-negative number (bytes)',
      found: '"-1"'
    },
    {
      location: { file: 'd.config', line: undefined },
      path: 'POWER_IN_DCH',
      message: 'missing key POWER_IN_DCH',
      expected: 'a non-negative number (W)',
      found: 'nothing'
    }
  ])
})

test('EnergyBox configs in the wrong roles: a device config as the network one, a WiFi device for a 3G network', () => {
  const asNetwork = problemsOf(() => energyBoxProfileFromConfigs(dev3g(), dev3g()))
  assert.deepEqual(asNetwork, [
    {
      location: { file: 'configs/phone.config', line: 1 },
      path: 'TYPE',
      message: 'expected the network (TYPE=3G or Wifi) config here',
      expected: '3G or Wifi',
      found: 'Device3G'
    }
  ])
  const wifiDevice = parseEnergyBoxConfig('POWER_IN_PSM=0.03\nTYPE=DeviceWifi', 'w.config')
  const wrong = problemsOf(() => energyBoxProfileFromConfigs(net3g(), wifiDevice))
  assert.deepEqual(wrong, [
    {
      location: { file: 'w.config', line: 2 },
      path: 'TYPE',
      message: 'expected the device (TYPE=Device3G) config here',
      expected: 'Device3G',
      found: 'DeviceWifi'
    }
  ])
})

// A minimal valid tail-model profile; each case below changes one thing.
const tailBase = () => ({
  name: 'mine',
  model: 'tail',
  source: 'a test',
  verified: false,
  active: { inactivitySeconds: 0.1, betaWatts: 1 },
  tail: [{ state: 'tail', seconds: 2, watts: 0.5 }],
  idle: { watts: 0.1 }
})
const pathsOf = (value: unknown): string[] => problemsOf(() => parseRadioProfile(value)).map((p) => p.path)

test('profile defaults: state names, window, slopes, EnergyBox delay and attribution window are filled in', () => {
  const tail = parseRadioProfile({ ...tailBase(), promotion: { seconds: 0.2, watts: 1 } })
  assert.ok(tail.model === 'tail')
  assert.equal(tail.promotion?.state, 'promotion')
  assert.deepEqual(tail.active, {
    state: 'connected',
    inactivitySeconds: 0.1,
    betaWatts: 1,
    alphaUpWattsPerMbps: 0,
    alphaDownWattsPerMbps: 0,
    windowSeconds: 0.5
  })
  assert.equal(tail.idle.state, 'idle')
  const eb = parseRadioProfile({
    name: 'eb',
    model: 'energybox-3g',
    source: 's',
    verified: true,
    dchTailSeconds: 4.1,
    fachTailSeconds: 5.6,
    idleToDchBytes: { upBytes: 1000, downBytes: 515 },
    fachToDchBytes: { upBytes: 294, downBytes: 515 },
    uplinkDrainSecondsPerByte: 0.0012,
    downlinkDrainSeconds: 0.03,
    power: { idleWatts: 0.2, fachWatts: 0.5, dchWatts: 1.3 }
  })
  assert.ok(eb.model === 'energybox-3g')
  assert.equal(eb.idleToDchDelaySeconds, 0)
  assert.equal(eb.attributionWindowSeconds, 0.5)
  const wifi = parseRadioProfile({
    name: 'w',
    model: 'energybox-wifi',
    source: 's',
    verified: true,
    camTailSeconds: 0.22,
    windowSeconds: 0.05,
    highThresholdBytes: 3000,
    power: { psmWatts: 0.03, camWatts: 0.25, camhWatts: 0.45 }
  })
  assert.equal(wifi.model === 'energybox-wifi' && wifi.attributionWindowSeconds, 0.5)
})

test('profile limits: equal is allowed (pulse on for its whole cycle, phases filling tailSeconds, Ti equal to the tail), more is refused', () => {
  const pulse = (onSeconds: number) => ({
    ...tailBase(),
    tail: [{ state: 'drx', seconds: 2, watts: 0.5, pulse: { cycleSeconds: 0.04, onSeconds, onWatts: 1 } }]
  })
  assert.doesNotThrow(() => parseRadioProfile(pulse(0.04)))
  assert.deepEqual(pathsOf(pulse(0.041)), ['tail[0].pulse.onSeconds'])
  const filled = {
    ...tailBase(),
    tailSeconds: 3,
    tail: [
      { state: 'a', seconds: 1, watts: 1 },
      { state: 'b', seconds: 2, watts: 1 }
    ]
  }
  assert.doesNotThrow(() => parseRadioProfile(filled))
  assert.deepEqual(pathsOf({ ...filled, tailSeconds: 2.9 }), ['tailSeconds'])
  // The last phase may stay open when tailSeconds says how long the tail is.
  assert.doesNotThrow(() =>
    parseRadioProfile({
      ...filled,
      tail: [
        { state: 'a', seconds: 1, watts: 1 },
        { state: 'b', watts: 1 }
      ]
    })
  )
  assert.deepEqual(
    pathsOf({
      ...filled,
      tail: [
        { state: 'a', watts: 1 },
        { state: 'b', seconds: 2, watts: 1 }
      ]
    }),
    ['tail[0].seconds']
  )
  assert.doesNotThrow(() => parseRadioProfile({ ...tailBase(), active: { inactivitySeconds: 2, betaWatts: 1 } }))
  assert.deepEqual(pathsOf({ ...tailBase(), active: { inactivitySeconds: 2.1, betaWatts: 1 } }), ['active.inactivitySeconds'])
  // With tailSeconds, Ti is checked against it, not against the phases.
  assert.doesNotThrow(() => parseRadioProfile({ ...tailBase(), tailSeconds: 5, active: { inactivitySeconds: 4, betaWatts: 1 } }))
})

test('profile values: negative seconds, watts or bytes, a zero cycle or window, empty name or source, a state name not lower-case', () => {
  assert.deepEqual(pathsOf({ ...tailBase(), promotion: { seconds: -1, watts: 1 } }), ['promotion.seconds'])
  assert.deepEqual(pathsOf({ ...tailBase(), idle: { watts: -0.1 } }), ['idle.watts'])
  assert.deepEqual(pathsOf({ ...tailBase(), active: { inactivitySeconds: 0.1, betaWatts: 1, windowSeconds: 0 } }), ['active.windowSeconds'])
  assert.deepEqual(pathsOf({ ...tailBase(), idle: { watts: 0, pulse: { cycleSeconds: 0, onSeconds: 0, onWatts: 1 } } }), ['idle.pulse.cycleSeconds'])
  assert.deepEqual(pathsOf({ ...tailBase(), name: '' }), ['name'])
  assert.deepEqual(pathsOf({ ...tailBase(), source: '' }), ['source'])
  assert.deepEqual(pathsOf({ ...tailBase(), tail: [{ state: 'Long', seconds: 2, watts: 0.5 }] }), ['tail[0].state'])
  assert.deepEqual(pathsOf({ ...tailBase(), tail: [{ state: '1x', seconds: 2, watts: 0.5 }] }), ['tail[0].state'])
  assert.deepEqual(pathsOf({ ...tailBase(), tail: [{ state: 'long_drx', seconds: 2, watts: 0.5 }] }), ['tail[0].state'])
  assert.doesNotThrow(() => parseRadioProfile({ ...tailBase(), tail: [{ state: 'long-drx2', seconds: 2, watts: 0.5 }] }))
  // No phase: the tail is 0 s long, shorter than Ti too.
  assert.deepEqual(pathsOf({ ...tailBase(), tail: [] }), ['tail', 'active.inactivitySeconds'])
  assert.deepEqual(pathsOf({ ...tailBase(), verified: 'yes' }), ['verified'])
})

test('profile errors say what was expected: a number, one of the technologies, a known model, no other keys (with a hint)', () => {
  const problems = (value: unknown): InputProblem[] => problemsOf(() => parseRadioProfile(value, 'p.json'))
  const number = problems({ ...tailBase(), idle: { watts: '0.1' } })
  assert.deepEqual(
    number.map((p) => [p.path, p.expected, p.found]),
    [['idle.watts', 'a number', '"0.1"']]
  )
  const technology = problems({ ...tailBase(), technology: '4g' })
  assert.deepEqual(
    technology.map((p) => [p.path, p.expected, p.found]),
    [['technology', '"lte" | "3g" | "wifi" | "5g-nsa" | "other"', '"4g"']]
  )
  const model = problems({ ...tailBase(), model: 'lte' })
  assert.deepEqual(
    model.map((p) => [p.path, p.expected]),
    [['model', 'model: "tail", "energybox-3g" or "energybox-wifi"']]
  )
  // Two unknown keys in one object: one problem, at the first key, finding both.
  const keys = problems({ ...tailBase(), idle: { watts: 0.1, beacon: true, dtim: 3 } })
  assert.deepEqual(keys, [
    {
      location: { file: 'p.json', line: undefined },
      path: 'idle.beacon',
      message: keys[0].message,
      expected: 'no other keys',
      found: 'beacon, dtim',
      hint: 'check the spelling against harness/energy/README.md'
    }
  ])
  // A rule of courier's own (a refinement) has no expected value to show.
  const refined = problems({ ...tailBase(), active: { inactivitySeconds: 3, betaWatts: 1 } })
  assert.equal(refined[0].expected, undefined)
  assert.equal(refined[0].message, 'inactivitySeconds exceeds the whole tail (2 s)')
})

test('profile errors: a long found value is cut to 57 characters and ...; the summary names the profile, the file and each path', () => {
  const long = 'x'.repeat(80)
  const [problem] = problemsOf(() => parseRadioProfile({ ...tailBase(), verified: long }, 'p.json'))
  // JSON.stringify adds the quotes: 82 characters, over 60, so the first 57 and "...".
  assert.equal(problem.found, `"${'x'.repeat(56)}...`)
  assert.equal(problem.found?.length, 60)
  // 60 characters exactly are shown whole.
  const [whole] = problemsOf(() => parseRadioProfile({ ...tailBase(), verified: 'y'.repeat(58) }, 'p.json'))
  assert.equal(whole.found, `"${'y'.repeat(58)}"`)
  let message = ''
  try {
    parseRadioProfile({ ...tailBase(), name: 'mine', idle: {} }, 'dir/p.json')
  } catch (err) {
    message = (err as Error).message
  }
  assert.ok(message.startsWith('invalid radio profile mine in dir/p.json:\n  idle.watts: '), message)
  assert.equal(message.split('\n').length, 2)
  // Without a name the summary has none.
  const noName = { ...tailBase(), name: undefined }
  assert.throws(
    () => parseRadioProfile(noName, 'q.json'),
    (err: unknown) => err instanceof Error && err.message.startsWith('invalid radio profile in q.json:\n  name: ')
  )
})

test('profile file errors: each problem at the line of its field, a missing field at the line of the object that lacks it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'courier-profile-'))
  try {
    const path = join(dir, 'p.json')
    const text = [
      '{',
      '  "name": "mine",',
      '  "model": "tail",',
      '  "source": "a test",',
      '  "verified": false,',
      '  "active": { "inactivitySeconds": 0.1, "betaWatts": 1 },',
      '  "tail": [',
      '    { "state": "tail", "seconds": 2, "watts": 0.5 }',
      '  ],',
      '  "idle": {',
      '    "state": "idle"',
      '  }',
      '}'
    ].join('\n')
    writeFileSync(path, text)
    const missing = problemsOf(() => loadRadioProfile(path))
    assert.deepEqual(
      missing.map((p) => [p.path, p.location.file, p.location.line, p.found]),
      [['idle.watts', path, 10, 'nothing']]
    )
    // A missing top-level field: the object that lacks it starts on line 1 (idle.watts is still
    // missing, its object now on line 9).
    writeFileSync(path, text.replace('  "source": "a test",\n', ''))
    const source = problemsOf(() => loadRadioProfile(path))
    assert.deepEqual(
      source.map((p) => [p.path, p.location.line, p.found]),
      [
        ['source', 1, 'nothing'],
        ['idle.watts', 9, 'nothing']
      ]
    )
    // Bad JSON (a doubled comma): the parser's position is on line 3.
    writeFileSync(path, '{\n  "name": "x",\n  "model": "tail",,\n}\n')
    const json = problemsOf(() => loadRadioProfile(path))
    assert.equal(json[0].location.file, path)
    assert.equal(json[0].location.line, 3)
    assert.equal(json[0].hint, 'EnergyBox .config files go through loadEnergyBoxProfile(networkConfig, deviceConfig)')
    // A path without a slash but ending in .json, or naming an existing file, is a file too.
    writeFileSync(path, JSON.stringify(tailBase()))
    const cwd = process.cwd()
    process.chdir(dir)
    try {
      assert.equal(loadRadioProfile('p.json').name, 'mine')
      writeFileSync(join(dir, 'profile'), JSON.stringify({ ...tailBase(), name: 'no-extension' }))
      assert.equal(loadRadioProfile('profile').name, 'no-extension')
    } finally {
      process.chdir(cwd)
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('an unknown built-in name suggests the nearest one and lists them all', () => {
  const [problem] = problemsOf(() => loadRadioProfile('wify'))
  const names = listBuiltinProfiles().map((p) => p.name)
  assert.equal(problem.hint, 'did you mean wifi?')
  assert.equal(problem.expected, `one of ${names.join(', ')}, or a path to a JSON profile`)
  assert.equal(problem.found, 'wify')
  assert.equal(problem.message, 'unknown radio profile "wify"')
  // Edit distances: energybox-wifi-general 8 (the nearest), wifi 10; 3g-huang2012 4, 5g-nsa 5, 3g 6.
  assert.equal(problemsOf(() => loadRadioProfile('energybox-wifi'))[0].hint, 'did you mean energybox-wifi-general?')
  assert.equal(problemsOf(() => loadRadioProfile('3g-huang'))[0].hint, 'did you mean 3g-huang2012?')
  // two built-ins as near as each other (two edits each): both are named, in the list's order
  assert.equal(problemsOf(() => loadRadioProfile('atg'))[0].hint, 'did you mean lte or 3g?')
  // A built-in's listing carries its model and provenance.
  const lte = listBuiltinProfiles().find((p) => p.name === 'lte')
  assert.deepEqual(lte && { model: lte.model, technology: lte.technology, verified: lte.verified }, { model: 'tail', technology: 'lte', verified: false })
  assert.match(lte?.source ?? '', /Huang/)
  assert.match(lte?.description ?? '', /LTE/)
})

test('a profile that is not an object: one problem at the root, no path in the summary, no name', () => {
  let caught: unknown
  try {
    parseRadioProfile('lte', 'r.json')
  } catch (err) {
    caught = err
  }
  assert.ok(caught instanceof InvalidInputError)
  assert.equal(caught.problems.length, 1)
  assert.equal(caught.problems[0].path, '')
  assert.equal(caught.problems[0].found, '"lte"')
  assert.equal(caught.message, `invalid radio profile in r.json:\n  ${caught.problems[0].message}`)
  assert.throws(
    () => parseRadioProfile(null, 'n.json'),
    (err: unknown) => err instanceof InvalidInputError && err.problems[0].found === 'null'
  )
})

test("the schema's own messages: what is wrong and what to write", () => {
  const messages = (value: unknown): string[] => problemsOf(() => parseRadioProfile(value)).map((p) => `${p.path}: ${p.message}`)
  assert.deepEqual(messages({ ...tailBase(), tail: [{ state: 'drx', seconds: 2, watts: 0.5, pulse: { cycleSeconds: 0.04, onSeconds: 0.05, onWatts: 1 } }] }), [
    'tail[0].pulse.onSeconds: onSeconds must not exceed cycleSeconds'
  ])
  assert.deepEqual(
    messages({
      ...tailBase(),
      tailSeconds: 1.5,
      tail: [
        { state: 'a', seconds: 1, watts: 1 },
        { state: 'b', seconds: 1, watts: 1 }
      ]
    }),
    ['tailSeconds: tail phases add up to 2 s, more than tailSeconds']
  )
  assert.deepEqual(
    messages({
      ...tailBase(),
      tail: [
        { state: 'a', watts: 1 },
        { state: 'b', watts: 1 }
      ]
    }),
    ['tail[0].seconds: only the last tail phase may omit seconds', 'tail[1].seconds: the last tail phase needs seconds unless tailSeconds is given']
  )
  assert.deepEqual(messages({ ...tailBase(), tail: [{ state: 'Drx', seconds: 2, watts: 0.5 }] }), ['tail[0].state: a lower-case state name such as long-drx'])
})

test('Java properties, more: a line of one backslash continues, an escaped letter before hex digits is only that letter, inner blanks of a continuation line stay', () => {
  assert.deepEqual(values('\\\n  A=1\nF=\\a1234\nG=a\\\nb c'), { A: '1', F: 'a1234', G: 'ab c' })
  assert.equal(parseJavaProperties('\\\n  A=1').get('A')?.line, 1)
})

test('EnergyBox configs with nothing but TYPE: every key is reported missing with its unit, the window under upstream spelling', () => {
  const units3g = problemsOf(() => energyBoxProfileFromConfigs(parseEnergyBoxConfig('TYPE=3G', 'n'), parseEnergyBoxConfig('TYPE=Device3G', 'd'))).map(
    (p) => `${p.location.file} ${p.path}: ${p.expected}`
  )
  assert.deepEqual(units3g, [
    'n DCH_FACH_INACTIVITY_TIME: a non-negative number (ms)',
    'n FACH_IDLE_INACTIVITY_TIME: a non-negative number (ms)',
    'n UPLINK_BUFFER_IDLE_TO_FACH_OR_DCH: a non-negative number (bytes)',
    'n DOWNLINK_BUFFER_IDLE_TO_FACH_OR_DCH: a non-negative number (bytes)',
    'n UPLINK_BUFFER_FACH_TO_DCH: a non-negative number (bytes)',
    'n DOWNLINK_BUFFER_FACH_TO_DCH: a non-negative number (bytes)',
    'n UPLINK_BUFFER_EMPTY_TIME: a non-negative number (ms per byte)',
    'n DOWNLINK_BUFFER_EMPTY_TIME: a non-negative number (ms)',
    'n IDLE_TO_DCH_TRANSITION_TIME: a non-negative number (ms)',
    'd POWER_IN_IDLE: a non-negative number (W)',
    'd POWER_IN_FACH: a non-negative number (W)',
    'd POWER_IN_DCH: a non-negative number (W)'
  ])
  const unitsWifi = problemsOf(() => energyBoxProfileFromConfigs(parseEnergyBoxConfig('TYPE=Wifi', 'n'), parseEnergyBoxConfig('TYPE=DeviceWifi', 'd'))).map(
    (p) => `${p.path}: ${p.expected}`
  )
  assert.deepEqual(unitsWifi, [
    'CAM_PSM_INACTIVITY_TIME: a non-negative number (ms)',
    'CAM_TIME_WIMDOW: a non-negative number (ms)',
    'WINDOW_DATA_RATE_THRESHOLD: a non-negative number (bytes per window)',
    'POWER_IN_PSM: a non-negative number (W)',
    'POWER_IN_CAM: a non-negative number (W)',
    'POWER_IN_CAMH: a non-negative number (W)'
  ])
  // The correct spelling, when present, is the one checked.
  const window = problemsOf(() =>
    energyBoxProfileFromConfigs(
      parseEnergyBoxConfig('TYPE=Wifi\nCAM_PSM_INACTIVITY_TIME=220\nCAM_TIME_WINDOW=x\nWINDOW_DATA_RATE_THRESHOLD=3000', 'n'),
      parseEnergyBoxConfig('TYPE=DeviceWifi\nPOWER_IN_PSM=0.03\nPOWER_IN_CAM=0.25\nPOWER_IN_CAMH=0.45', 'd')
    )
  )
  assert.deepEqual(
    window.map((p) => [p.path, p.location.line, p.expected]),
    [['CAM_TIME_WINDOW', 3, 'a non-negative number (ms)']]
  )
})

test('EnergyBox configs the schema refuses (a window of 0 ms) are reported against both files; names keep inner .config and wifi_', () => {
  const net = parseEnergyBoxConfig(
    'TYPE=Wifi\nCAM_PSM_INACTIVITY_TIME=220\nCAM_TIME_WIMDOW=0\nWINDOW_DATA_RATE_THRESHOLD=3000',
    'cfg/home_wifi_1.configured.config'
  )
  const dev = parseEnergyBoxConfig('TYPE=DeviceWifi\nPOWER_IN_PSM=0.03\nPOWER_IN_CAM=0.25\nPOWER_IN_CAMH=0.45', 'cfg/dev.config')
  const [problem] = problemsOf(() => energyBoxProfileFromConfigs(net, dev))
  assert.equal(problem.path, 'windowSeconds')
  assert.equal(problem.location.file, 'cfg/home_wifi_1.configured.config + cfg/dev.config')
  const ok = parseEnergyBoxConfig(
    'TYPE=Wifi\nCAM_PSM_INACTIVITY_TIME=220\nCAM_TIME_WIMDOW=50\nWINDOW_DATA_RATE_THRESHOLD=3000',
    'cfg/home_wifi_1.configured.config'
  )
  assert.equal(energyBoxProfileFromConfigs(ok, dev).name, 'energybox-wifi-home_wifi_1.configured')
  const net3 = net3g()
  assert.equal(energyBoxProfileFromConfigs({ ...net3, file: 'x/3g.configured.config' }, dev3g()).name, 'energybox-3g-3g.configured')
  // A config file that is not there: the problem says which kind of file was looked for.
  const [absent] = problemsOf(() => loadEnergyBoxProfile('/nonexistent/courier/net.config', '/nonexistent/courier/dev.config'))
  assert.equal(absent.message, 'EnergyBox config not found (no such file)')
  assert.equal(absent.location.file, '/nonexistent/courier/net.config')
})

test('profile errors, more: ">= 0" for a negative value, the default file name, a built-in name that is a path', () => {
  const [negative] = problemsOf(() => parseRadioProfile({ ...tailBase(), promotion: { seconds: -1, watts: 1 } }))
  assert.equal(negative.expected, '>= 0')
  assert.equal(negative.found, '-1')
  assert.equal(negative.location.file, '<profile>')
  // A name ending in .json is a file even without a slash.
  const [missing] = problemsOf(() => loadRadioProfile('courier-no-such-profile.json'))
  assert.equal(missing.message, 'radio profile not found (no such file)')
  assert.equal(missing.hint, 'a JSON radio profile (harness/energy/README.md), or a built-in name: lte, 3g, wifi')
  const [unknown] = problemsOf(() => loadRadioProfile('wify'))
  assert.equal(unknown.location.file, '<radio>')
  assert.equal(unknown.path, 'radio')
})

test('profile files that are not JSON: the first line of the parser message, its line; a trailing comma at its line; an empty file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'courier-profile-'))
  try {
    const path = join(dir, 'p.json')
    const parserMessage = (text: string): string => {
      try {
        JSON.parse(text)
      } catch (err) {
        return (err as Error).message.split('\n')[0]
      }
      return ''
    }
    // A trailing comma: YAML would take it, the JSON parser gives a position on line 3.
    const trailing = '{\n  "name": "x",\n}\n'
    writeFileSync(path, trailing)
    const [comma] = problemsOf(() => loadRadioProfile(path))
    assert.deepEqual(comma, {
      location: { file: path, line: 3 },
      path: '',
      message: `not valid JSON: ${parserMessage(trailing)}`,
      expected: 'a JSON radio profile',
      hint: 'EnergyBox .config files go through loadEnergyBoxProfile(networkConfig, deviceConfig)'
    })
    // An empty file: no position, and nothing for YAML to point at either.
    writeFileSync(path, '')
    const [empty] = problemsOf(() => loadRadioProfile(path))
    assert.equal(empty.location.line, undefined)
    assert.equal(empty.message, `not valid JSON: ${parserMessage('')}`)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('small things a user reads: an escaped blank is no number, the WiFi device role, the hint only for unknown keys, one summary line per problem', () => {
  const blank = problemsOf(() =>
    energyBoxProfileFromConfigs(
      parseEnergyBoxConfig('TYPE=Wifi\nCAM_PSM_INACTIVITY_TIME=\\ \nCAM_TIME_WIMDOW=50\nWINDOW_DATA_RATE_THRESHOLD=3000', 'n'),
      parseEnergyBoxConfig('TYPE=DeviceWifi\nPOWER_IN_PSM=0.03\nPOWER_IN_CAM=0.25\nPOWER_IN_CAMH=0.45', 'd')
    )
  )
  assert.deepEqual(
    blank.map((p) => [p.path, p.found]),
    [['CAM_PSM_INACTIVITY_TIME', '" "']]
  )
  const role = problemsOf(() => energyBoxProfileFromConfigs(parseEnergyBoxConfig('TYPE=Wifi', 'n'), dev3g()))
  assert.equal(role[0].message, 'expected the device (TYPE=DeviceWifi) config here')
  const [technology] = problemsOf(() => parseRadioProfile({ ...tailBase(), technology: '4g' }))
  assert.equal(technology.hint, undefined)
  let message = ''
  try {
    parseRadioProfile({ ...tailBase(), name: 'two', source: '', idle: {} }, 'p.json')
  } catch (err) {
    message = (err as Error).message
  }
  const summary = message.split('\n')
  assert.equal(summary.length, 3, message)
  assert.equal(summary[0], 'invalid radio profile two in p.json:')
  assert.ok(summary[1].startsWith('  source: ') && summary[2].startsWith('  idle.watts: '), message)
})

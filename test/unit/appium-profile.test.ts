import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { loadProfileFile, parseProfile } from '../../devices/appium/index.js'
import { InvalidInputError, type InputProblem } from '../../harness/interface/index.js'
import { REPO_ROOT } from '../helpers/cli.js'

const GOOD = `name: pixel
platform: android
capabilities:
  appium:udid: emulator-5554
app: { id: im.status.ethereum }
signIn:
  - { type: "id=password", env: STATUS_PASSWORD }
  - { tap: "~Sign in" }
screen:
  usable: "~chat-list"
  chatOpener: "//*[@text='{topic}']"
  messageInput: "~chat-message-input"
  sendButton: "~send-message-button"
  messageItem: "~message-item"
  messageText: "~message-text"
`

function problemsOf(text: string): InputProblem[] {
  try {
    parseProfile(text, 'pixel.yaml')
  } catch (error) {
    assert.ok(error instanceof InvalidInputError, String(error))
    return error.problems
  }
  assert.fail('the profile was accepted')
}

test('a good profile loads with defaults (timeouts in ms, poll, message id pattern)', () => {
  const profile = parseProfile(GOOD, 'pixel.yaml')
  assert.equal(profile.platform, 'android')
  assert.equal(profile.timeouts.start, 90_000)
  assert.equal(profile.poll, 250)
  assert.equal(new RegExp(profile.screen.messageId).exec('[courier:alice-3] hi')?.[1], 'alice-3')
  assert.deepEqual(profile.signIn[0], { type: 'id=password', env: 'STATUS_PASSWORD' })
})

test('the shipped profiles are valid', async () => {
  const ci = await loadProfileFile(join(REPO_ROOT, 'devices/profiles/courier-ci.yaml'))
  assert.equal(ci.profile.platform, 'courier')
  for (const name of ['android-status.yaml', 'ios-status.yaml']) {
    const loaded = await loadProfileFile(join(REPO_ROOT, 'devices/profiles', name))
    assert.ok(loaded.profile.screen.messageInput.length > 0)
  }
})

test('an unknown key names the file, line, column and field, with did-you-mean', () => {
  const problems = problemsOf(GOOD.replace('  sendButton:', '  sendButon:'))
  const problem = problems.find((p) => p.path === 'screen.sendButon')
  assert.ok(problem != null, JSON.stringify(problems))
  assert.ok(
    problems.some((p) => p.path === 'screen.sendButton' && /missing/.test(p.message)),
    'and the real key is missing'
  )
  assert.equal(problem.location.file, 'pixel.yaml')
  assert.equal(problem.location.line, 13)
  assert.equal(problem.location.column, 3)
  assert.equal(problem.hint, 'did you mean "sendButton"?')
  assert.match(problem.expected ?? '', /sendButton/)
})

test('a missing screen field is reported at its parent with the field path', () => {
  const problems = problemsOf(GOOD.replace('  messageText: "~message-text"\n', ''))
  const problem = problems.find((p) => p.path === 'screen.messageText')
  assert.ok(problem != null, JSON.stringify(problems))
  assert.match(problem.message, /missing/)
  // reported where the screen mapping starts
  assert.equal(problem.location.line, 10)
})

test('a wrong platform says what is accepted and suggests the nearest', () => {
  const [problem] = problemsOf(GOOD.replace('platform: android', 'platform: andriod'))
  assert.equal(problem.path, 'platform')
  assert.equal(problem.location.line, 2)
  assert.match(problem.expected ?? '', /"android", "ios", "courier"/)
  assert.equal(problem.hint, 'did you mean "android"?')
  assert.equal(problem.found, '"andriod"')
})

test('a message id pattern without exactly one capture group is refused', () => {
  const [problem] = problemsOf(GOOD.replace('  messageText: "~message-text"\n', '  messageText: "~message-text"\n  messageId: "courier:\\\\S+"\n'))
  assert.equal(problem.path, 'screen.messageId')
  assert.match(problem.message, /capture group/)
})

test('a sign-in step of no known form is refused with the accepted forms', () => {
  const [problem] = problemsOf(GOOD.replace('{ tap: "~Sign in" }', '{ press: "~Sign in" }'))
  assert.equal(problem.path, 'signIn[1]')
  assert.match(problem.expected ?? '', /tap: sel/)
})

test('a secret must be named by an environment variable, and a server URL is checked', () => {
  const [env] = problemsOf(GOOD.replace('env: STATUS_PASSWORD', 'env: hunter2'))
  assert.equal(env.path, 'signIn[0].env')
  assert.equal(env.location.line, 7)
  const [url] = problemsOf(GOOD + 'server: { url: "not a url", key: COURIER_APPIUM_KEY }\n')
  assert.equal(url.path, 'server.url')
})

test('YAML syntax errors are located', async () => {
  const [problem] = problemsOf('name: x\nplatform: [android\n')
  assert.match(problem.message, /YAML syntax/)
  assert.ok((problem.location.line ?? 0) >= 2)
  const text = await readFile(join(REPO_ROOT, 'devices/profiles/courier-ci.yaml'), 'utf8')
  assert.doesNotThrow(() => parseProfile(text, 'courier-ci.yaml'))
})

test('elements: more named selectors for flows; a name the screen map already uses, or not an identifier, is refused where it is written', () => {
  assert.deepEqual(parseProfile(`${GOOD}elements:\n  backButton: "~Back"\n`, 'pixel.yaml').elements, { backButton: '~Back' })
  assert.deepEqual(parseProfile(GOOD, 'pixel.yaml').elements, {})
  const taken = problemsOf(`${GOOD}elements:\n  sendButton: "~Other"\n`)
  assert.equal(taken.length, 1)
  assert.equal(taken[0].path, 'elements.sendButton')
  assert.equal(taken[0].location.line, 17)
  assert.match(taken[0].message, /"sendButton" is already a screen: selector/)
  const badName = problemsOf(`${GOOD}elements:\n  back-button: "~Back"\n`)
  assert.equal(badName[0].path, 'elements.back-button')
  assert.match(badName[0].message, /"back-button" is not an accepted name/)
  assert.match(badName[0].expected ?? '', /letters, digits and _/)
})

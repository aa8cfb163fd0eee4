// An example QA flow: a WebdriverIO + Mocha spec that courier runs against a device's live
// Appium session (`flow:` in a scenario's timeline) and times. Globals: describe/it (Mocha),
// driver (= browser, $, $$: WebdriverIO), `screen` (the device profile's screen map and
// elements: by name, so selectors live in the profile only) and `flow` (device, topic, deadline).
// Written for devices/profiles/courier-ci.yaml; for a real app, name the same elements in its
// profile. Run it: courier run scenarios/appium-flow.yaml
import assert from 'node:assert/strict'

describe('open the chat and send a message', () => {
  it('goes back to the chat list', async () => {
    await screen.tap('back')
    await screen.waitFor('chatList')
  })

  it('opens the chat of the device\'s topic', async () => {
    // chatOpener's {topic} is the device's topic unless given: screen.tap('chatOpener', { vars: { topic } })
    await screen.tap('chatOpener')
    const title = await screen.waitFor('chatTitle')
    assert.equal(await title.getText(), flow.topic)
  })

  it('sends a message and sees it in the message list', async () => {
    const text = `hello from a QA flow on ${flow.device} at ${new Date().toISOString()}`
    await screen.type('messageInput', text)
    await screen.tap('sendButton')
    await screen.waitForText('messageText', text)
    assert.equal(await screen.$('messageInput').getText(), '', 'the input is empty once the message is sent')
  })
})

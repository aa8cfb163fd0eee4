import { join } from 'node:path'
import { AppiumDevice, loadProfileFile, startAppiumServer, type AppiumServer, type DeviceProfile } from '../../devices/appium/index.js'
import { REPO_ROOT, tempDir } from '../helpers/cli.js'
import { deviceCompliance } from './device-compliance.js'

// One Appium server for the suite (the "given URL" path); each device opens its own session on it.
let server: AppiumServer | undefined
let profile: DeviceProfile
let artifacts: string

deviceCompliance({
  driver: 'appium',
  setup: async () => {
    profile = (await loadProfileFile(join(REPO_ROOT, 'devices/profiles/courier-ci.yaml'))).profile
    artifacts = await tempDir('courier-appium-compliance-')
    server = await startAppiumServer({ drivers: ['courier'], allowInsecure: ['courier:adb_shell'] })
  },
  teardown: async () => {
    await server?.stop()
  },
  create: (name, topics, components) =>
    new AppiumDevice({ name, topics, profile, server: { url: server?.url ?? '' }, artifactsDir: join(artifacts, name) }, components),
  // a phone behind a server that is not there: start must fail within the start timeout, not hang
  failing: (name, topics, components) =>
    new AppiumDevice(
      {
        name,
        topics,
        profile: { ...profile, timeouts: { ...profile.timeouts, start: 3000 } },
        server: { url: 'http://127.0.0.1:9' },
        artifactsDir: join(artifacts, name)
      },
      components
    )
})

import { join } from 'node:path'
import { BrowserDevice } from '../../devices/browser/index.js'
import { peerIdForIdentity } from '../../harness/protocol/index.js'
import { tempDir } from '../helpers/cli.js'
import { deviceCompliance } from './device-compliance.js'

const artifacts = await tempDir('courier-browser-compliance-')

// a WebSocket address nobody listens on: the page's real start path finds no peer and must fail
const deadRelay = `/ip4/127.0.0.1/tcp/9/ws/p2p/${await peerIdForIdentity('compliance/nobody')}`

deviceCompliance({
  driver: 'browser',
  create: (name, topics, components) => new BrowserDevice({ name, topics, peers: 2, artifactsDir: join(artifacts, name) }, components),
  failing: (name, topics, components) =>
    new BrowserDevice(
      { name, topics, peers: 2, startTimeoutMs: 6_000, artifactsDir: join(artifacts, name) },
      { ...components, fleet: { ...components.fleet, websocket: { relays: [deadRelay], stores: [] } } }
    )
})

// js-waku (@waku/sdk 0.0.36, a light node in its own process) passes the same suite as every driver.
import { JsWakuDevice } from '../../devices/js-waku/index.js'
import { peerIdForIdentity } from '../../harness/protocol/index.js'
import { deviceCompliance } from './device-compliance.js'

// a service node nobody listens on: js-waku finds no peer to subscribe on and must fail to start
const deadService = `/ip4/127.0.0.1/tcp/9/p2p/${await peerIdForIdentity('compliance/nobody')}`

deviceCompliance({
  driver: 'js-waku',
  create: (name, topics, components) => new JsWakuDevice({ name, topics }, components),
  failing: (name, topics, components) =>
    new JsWakuDevice({ name, topics, startTimeoutMs: 3000 }, { ...components, fleet: { ...components.fleet, relays: [deadService], stores: [] } })
})

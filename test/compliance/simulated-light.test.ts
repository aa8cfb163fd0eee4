// The simulated device in light mode passes the same suite as every driver: FILTER instead of a
// gossipsub mesh to receive, LIGHTPUSH to send, the store to catch up.
import { SimulatedDevice } from '../../devices/simulated/index.js'
import { peerIdForIdentity } from '../../harness/protocol/index.js'
import { deviceCompliance } from './device-compliance.js'

// a service node nobody listens on, and no store to fall back to: the real start path subscribes nowhere
const deadService = `/ip4/127.0.0.1/tcp/9/p2p/${await peerIdForIdentity('compliance/nobody')}`

deviceCompliance({
  driver: 'simulated',
  label: 'simulated (light mode)',
  create: (name, topics, components) => new SimulatedDevice({ name, topics, relays: 2, mode: 'light' }, components),
  failing: (name, topics, components) =>
    new SimulatedDevice({ name, topics, relays: 2, mode: 'light' }, { ...components, fleet: { ...components.fleet, relays: [deadService], stores: [] } })
})

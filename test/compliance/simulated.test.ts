import { SimulatedDevice } from '../../devices/simulated/index.js'
import { peerIdForIdentity } from '../../harness/protocol/index.js'
import { deviceCompliance } from './device-compliance.js'

// a relay address nobody listens on: the device's real start path finds no relay and must fail
const deadRelay = `/ip4/127.0.0.1/tcp/9/p2p/${await peerIdForIdentity('compliance/nobody')}`

deviceCompliance({
  driver: 'simulated',
  create: (name, topics, components) => new SimulatedDevice({ name, topics, relays: 2 }, components),
  failing: (name, topics, components) =>
    new SimulatedDevice({ name, topics, relays: 2 }, { ...components, fleet: { ...components.fleet, relays: [deadRelay] } })
})

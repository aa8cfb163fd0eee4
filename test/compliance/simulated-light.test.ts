// The simulated device in light mode passes the same suite as every driver: FILTER instead of a
// gossipsub mesh to receive, LIGHTPUSH to send, the store to catch up.
import { SimulatedDevice } from '../../devices/simulated/index.js'
import { deviceCompliance } from './device-compliance.js'

deviceCompliance({
  driver: 'simulated',
  label: 'simulated (light mode)',
  create: (name, topics, components) => new SimulatedDevice({ name, topics, relays: 2, mode: 'light' }, components)
})

import { SimulatedDevice } from '../../devices/simulated/index.js'
import { deviceCompliance } from './device-compliance.js'

deviceCompliance({
  driver: 'simulated',
  create: (name, topics, components) => new SimulatedDevice({ name, topics, relays: 2 }, components)
})

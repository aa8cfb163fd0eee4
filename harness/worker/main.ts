// A worker process forked by the runner (pool.ts): hosts some of a run's fleet nodes and simulated devices.
// Run with `--import dist/harness/polyfill.js` on Node 20; the runner talks over fd 4 (frames.ts).
import { Socket } from 'node:net'
// the one import of a driver in harness/worker: the forked entry wires courier's reference client into the host
import { createSimulatedOnly } from '../../devices/simulated-driver.js'
import { serveRunner } from './serve.js'

const CHANNEL_FD = 4

serveRunner(new Socket({ fd: CHANNEL_FD, readable: true, writable: true }), { watchParent: true, createDevice: createSimulatedOnly })

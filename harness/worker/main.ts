// A worker process forked by the runner (pool.ts): hosts some of a run's fleet nodes.
// Run with `--import dist/harness/polyfill.js` on Node 20; the runner talks over fd 4 (frames.ts).
import { Socket } from 'node:net'
import { serveRunner } from './serve.js'

const CHANNEL_FD = 4

serveRunner(new Socket({ fd: CHANNEL_FD, readable: true, writable: true }), { watchParent: true })

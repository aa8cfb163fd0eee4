// A worker process: hosts some of a run's fleet nodes for the runner that forked it (pool.ts).
// Run with `--import dist/harness/polyfill.js` on Node 20; the runner talks over fd 4 (frames.ts).
import { Socket } from 'node:net'
import { FramedChannel } from './frames.js'
import { WorkerHost } from './host.js'
import type { RunnerCommand } from './protocol.js'

const CHANNEL_FD = 4
/** Stopping nodes after the runner is gone is a courtesy to their peers; it must never keep the process alive. */
const LEAVE_WITHIN_MS = 1500

const socket = new Socket({ fd: CHANNEL_FD, readable: true, writable: true })
let host: WorkerHost | undefined
const channel = new FramedChannel(socket, (message) => {
  void host?.receive(message as RunnerCommand)
})
host = new WorkerHost((message) => {
  channel.send(message)
})

let leaving = false
function leave(why: string): void {
  if (leaving) return
  leaving = true
  process.stderr.write(`courier worker ${process.pid}: ${why}; stopping\n`)
  setTimeout(() => {
    process.exit(0)
  }, LEAVE_WITHIN_MS).unref()
  void host?.shutdown().finally(() => {
    process.exit(0)
  })
}

// The runner went away, however it went (SIGKILL included: the kernel closes its ends of both the
// frame socket and the IPC channel), or it asked us to go: no worker outlives its runner.
channel.onClose((reason) => {
  leave(`the runner's channel closed (${reason})`)
})
process.on('disconnect', () => {
  leave('the IPC channel to the runner closed')
})
const parent = process.ppid
setInterval(() => {
  // reparented: the runner died and something kept our channel open (an inherited descriptor)
  if (process.ppid !== parent) leave('the runner process is gone')
}, 500).unref()

// Ctrl-C in a terminal signals the whole process group, workers included: the runner stops them in
// order (its first Ctrl-C) or goes at once (its second), and either way the channel tells us; dying on
// the signal ourselves would be recorded as a crash of every node here
process.on('SIGINT', () => {})

// a library's stray rejection is recorded like any component error, as in the runner's process
process.on('unhandledRejection', (reason) => {
  host?.onError('unhandled', reason)
})

import type { Duplex } from 'node:stream'
import { FramedChannel } from './frames.js'
import { WorkerHost, type WorkerHostOptions } from './host.js'
import type { RunnerCommand, WorkerMessage } from './protocol.js'

/** Stopping nodes after the runner is gone is a courtesy to their peers; it must never keep the process alive. */
const LEAVE_WITHIN_MS = 1500

export interface ServeOptions extends WorkerHostOptions {
  /** Said first on the channel: a runner that accepts workers over TCP learns who joined. */
  hello?: Extract<WorkerMessage, { kind: 'hello' }>
  /** Also leave when this process is reparented (a forked worker whose runner died). */
  watchParent?: boolean
}

/**
 * A worker's life on one channel to its runner: it hosts the nodes the runner places, and leaves
 * (stopping them, then exiting) as soon as the channel closes, however the runner went (SIGKILL
 * included: the kernel closes its end), or when the runner asks it to.
 */
export function serveRunner(stream: Duplex, options: ServeOptions = {}): void {
  let host: WorkerHost | undefined
  const channel = new FramedChannel(stream, (message) => {
    void host?.receive(message as RunnerCommand)
  })
  host = new WorkerHost((message) => {
    channel.send(message)
  }, options)
  if (options.hello != null) channel.send(options.hello)

  let leaving = false
  const leave = (why: string): void => {
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
  channel.onClose((reason) => {
    leave(`the runner's channel closed (${reason})`)
  })
  if (options.watchParent === true) {
    process.on('disconnect', () => {
      leave('the IPC channel to the runner closed')
    })
    const parent = process.ppid
    setInterval(() => {
      // reparented: the runner died and something kept our channel open (an inherited descriptor)
      if (process.ppid !== parent) leave('the runner process is gone')
    }, 500).unref()
  }
  process.on('SIGINT', () => {
    // forked: Ctrl-C in a terminal signals the whole process group, workers included; the runner
    // stops them in order (its first Ctrl-C) or goes at once (its second), and either way the
    // channel tells us, so dying on the signal ourselves would be recorded as a crash of every node
    // here. Joined from another host: Ctrl-C is this worker's own, and it leaves in order.
    if (options.watchParent !== true) leave('stopped by Ctrl-C')
  })
  // a library's stray rejection is recorded like any component error, as in the runner's process
  process.on('unhandledRejection', (reason) => {
    host?.onError('unhandled', reason)
  })
}

// libp2p v3 and @waku/* call Promise.withResolvers (Node 22+), and @libp2p/websockets 10 dials
// with the global WebSocket (Node 22+; behind a flag on 20). This module must be evaluated before
// any of them, so every entry point imports it first.
import { WebSocket as NodeWebSocket } from 'ws'
type WithResolvers = <T>() => {
  promise: Promise<T>
  resolve: (value: T | PromiseLike<T>) => void
  reject: (reason?: unknown) => void
}
const promiseCtor = Promise as unknown as { withResolvers?: WithResolvers }
if (typeof promiseCtor.withResolvers !== 'function') {
  promiseCtor.withResolvers = function withResolvers<T>() {
    let resolve!: (value: T | PromiseLike<T>) => void
    let reject!: (reason?: unknown) => void
    const promise = new Promise<T>((res, rej) => {
      resolve = res
      reject = rej
    })
    return { promise, resolve, reject }
  }
}
const globals = globalThis as unknown as { WebSocket?: unknown }
if (typeof globals.WebSocket !== 'function') globals.WebSocket = NodeWebSocket

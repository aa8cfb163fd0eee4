export {
  acceptWorkers,
  planPlacement,
  REMOTE_PREFIX,
  runOriginNs,
  WorkerPool,
  WorkerProcess,
  type JoinedWorker,
  type JoinOptions,
  type Placement,
  type WorkerComponents
} from './pool.js'
export { serveRunner, type ServeOptions } from './serve.js'
export { WORKER_PROTOCOL } from './protocol.js'
export { RemoteNode } from './remote-node.js'
export { startSelfMonitor } from './self-monitor.js'
export { encodeFrame, FrameDecoder, FramedChannel, MAX_FRAME_BYTES } from './frames.js'
export type { RunnerCommand, WorkerMessage, WorkerInit, NodeInfo } from './protocol.js'
export { RemoteDevice } from './remote-device.js'
export type { WorkerDeviceInit } from './protocol.js'

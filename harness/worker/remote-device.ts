import type { AbortOptions, Device, OutgoingMessage } from '../interface/index.js'
import type { DeviceCall, WorkerDeviceInit } from './protocol.js'
import type { WorkerProcess } from './pool.js'

/**
 * The runner's stand-in for a simulated device a worker process hosts: the timeline, the push
 * service and teardown call it as they call a device of their own process; each call is a request
 * on the worker's channel that resolves when the device's own call did (its events, sent before
 * the reply, are in the runner's log by then). The device emits its own events in the worker.
 */
export class RemoteDevice implements Device {
  readonly name: string
  readonly driver = 'simulated'
  private created?: Promise<unknown>
  private stopped = false

  constructor(
    private readonly init: WorkerDeviceInit,
    private readonly host: WorkerProcess
  ) {
    this.name = init.name
  }

  get worker(): string {
    return this.host.name
  }

  async start(options: AbortOptions = {}): Promise<void> {
    this.created ??= this.host.request({ cmd: 'device', init: this.init })
    await abortable(this.created, options.signal)
    await this.call({ op: 'start' }, options)
  }

  /**
   * Safe twice and after its worker died (the device died with it, recorded then). Unlike its other
   * calls, bounded by the channel's request limit: teardown must end even if the worker is wedged
   * (its shutdown, after this, stops the device or the process is killed).
   */
  async stop(): Promise<void> {
    if (this.stopped || this.created == null || !this.host.alive) return
    this.stopped = true
    await this.host.request({ cmd: 'deviceCall', device: this.name, call: { op: 'stop' } })
  }

  async send(message: OutgoingMessage, options?: AbortOptions): Promise<void> {
    await this.call({ op: 'send', message }, options)
  }

  async setOnline(online: boolean, options?: AbortOptions): Promise<void> {
    await this.call({ op: 'online', online }, options)
  }

  async syncHistory(options?: AbortOptions): Promise<void> {
    await this.call({ op: 'sync' }, options)
  }

  async onPush(hash: string, options?: AbortOptions): Promise<void> {
    await this.call({ op: 'push', hash }, options)
  }

  async setClockSkew(skewMs: number, options?: AbortOptions): Promise<void> {
    await this.call({ op: 'skew', skewMs }, options)
  }

  /** Its worker died: whether the device had been built there, for the runner to record its failure. */
  lost(): boolean {
    const wasThere = this.created != null && !this.stopped
    this.stopped = true
    return wasThere
  }

  /**
   * No request timeout: a device's own calls have none in courier's process either (a catch-up
   * after offline may wait on several stores' 30 s timeouts). A worker that dies fails them at once.
   */
  private async call(call: DeviceCall, options: AbortOptions = {}): Promise<void> {
    await abortable(this.host.request({ cmd: 'deviceCall', device: this.name, call }, { timeoutMs: null }), options.signal)
  }
}

/** The run's signal ends the wait here; the worker's own shutdown ends the call there. */
async function abortable<T>(promise: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (signal == null) return await promise
  signal.throwIfAborted()
  return await new Promise<T>((resolve, reject) => {
    const onAbort = (): void => {
      reject(signal.reason)
    }
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(resolve, reject).finally(() => {
      signal.removeEventListener('abort', onAbort)
    })
  })
}

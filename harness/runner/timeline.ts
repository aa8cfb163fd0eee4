import type { Clock, Device, EventSink } from '../interface/index.js'
import { parseBlockRule, type Fleet } from '../fleet/index.js'
import type { DeviceLinks } from './links.js'
import type { NodeLinks } from './node-links.js'
import { findUserFile, flowName, TIMELINE_ACTIONS, type FlowAction, type ScenarioConfig, type TimelineEntry } from '../scenario/index.js'

export interface TimelineContext {
  config: ScenarioConfig
  /** The scenario file: flow specs are found relative to it. */
  scenarioFile: string
  clock: Clock
  fleet: Fleet
  links: DeviceLinks
  nodeLinks?: NodeLinks
  devices: Map<string, Device>
  events: EventSink
  /** A device call failed: the runner marks the device failed and the run goes on. */
  onDeviceError: (device: string, error: unknown) => void
  onError: (component: string, error: unknown) => void
  signal: AbortSignal
}

/** What a pending or running action was, so that one that never happened can be named and counted. */
interface Scheduled {
  index: number
  action: string
  dueMs: number
}

/**
 * Plays the scenario's timeline on timers relative to scenario start; `stop()` cancels what is left.
 * Work the scenario asked for within the traffic phase that did not happen (a timer still pending
 * at the end because the harness was late, a send whose device had failed or refused it, an action
 * still running when the phase ended) is a `timeline.dropped` event: analysis counts it and the run
 * cannot pass.
 */
export class TimelinePlayer {
  private readonly timers = new Map<NodeJS.Timeout, Scheduled>()
  private readonly inFlight = new Map<Promise<void>, Scheduled>()
  private startedAt = 0
  /** Sends that could not be made, by timeline entry: emitted once each at the end, not per message. */
  private readonly missedSends = new Map<number, { count: number; reason: string }>()
  private sendSeq = new Map<string, number>()
  /** Flows never outlive the traffic phase: a queued or slow one is stopped with it. */
  private readonly flowsAbort = new AbortController()

  constructor(private readonly context: TimelineContext) {}

  start(): void {
    this.startedAt = this.context.clock.now()
    this.context.config.timeline.forEach((entry, index) => {
      this.at(entry.at, () => this.run(entry, index), { index, action: actionOf(entry), dueMs: entry.at })
    })
  }

  private stopping?: Promise<void>

  /** Cancels pending actions and waits (bounded) for running ones; what was due and did not happen is recorded, once. */
  async stop(): Promise<void> {
    this.stopping ??= this.stopOnce()
    await this.stopping
  }

  private async stopOnce(): Promise<void> {
    const endMs = this.context.config.duration
    const ranToEnd = !this.context.signal.aborted
    const pending = [...this.timers.entries()]
    for (const [timer] of pending) clearTimeout(timer)
    this.timers.clear()
    this.flowsAbort.abort(new Error('the traffic phase ended'))
    // an interrupted run is already not a pass: only a phase that ran to its end counts what it missed
    if (ranToEnd)
      this.dropped(
        pending.map(([, s]) => s).filter((s) => s.dueMs < endMs),
        'still pending when the traffic phase ended (its timer fired late: was the harness saturated?)'
      )
    await Promise.race([Promise.allSettled([...this.inFlight.keys()]), new Promise((resolve) => setTimeout(resolve, 5000).unref())])
    if (ranToEnd)
      this.dropped(
        [...this.inFlight.values()].filter((s) => s.action === 'send'),
        'still running 5 s after the traffic phase ended'
      )
    if (ranToEnd)
      for (const [index, { count, reason }] of this.missedSends) this.context.events.emit('timeline.dropped', { index, action: 'send', count, reason })
  }

  /** One `timeline.dropped` event per timeline entry and reason, with how many of its actions. */
  private dropped(actions: Scheduled[], reason: string): void {
    const byEntry = new Map<number, { action: string; count: number }>()
    for (const { index, action } of actions) {
      const entry = byEntry.get(index) ?? { action, count: 0 }
      entry.count++
      byEntry.set(index, entry)
    }
    for (const [index, { action, count }] of byEntry) this.context.events.emit('timeline.dropped', { index, action, count, reason })
  }

  /** `dueMs`: when the scenario meant it to happen (default: now plus the delay). */
  private at(delayMs: number, action: () => Promise<void>, what: Omit<Scheduled, 'dueMs'> & { dueMs?: number }): void {
    const scheduled = { ...what, dueMs: what.dueMs ?? this.context.clock.now() - this.startedAt + delayMs }
    const timer = setTimeout(() => {
      this.timers.delete(timer)
      if (this.context.signal.aborted) return
      const running = action()
        .catch((error: unknown) => {
          this.context.onError('timeline', error)
        })
        .finally(() => {
          this.inFlight.delete(running)
        })
      this.inFlight.set(running, scheduled)
    }, delayMs)
    this.timers.set(timer, scheduled)
  }

  private async run(entry: TimelineEntry, index: number): Promise<void> {
    const { events, fleet, config } = this.context
    const entryAt = entry.at
    if (entry.send != null) {
      const send = entry.send
      const topic = send.topic ?? config.crowd?.topic ?? 'default'
      events.emit('timeline.action', { index, action: 'send', detail: { from: send.from, topic, count: send.count, every: send.every, size: send.size } })
      for (let i = 0; i < send.count; i++) {
        this.at(
          i * send.every,
          async () => {
            const n = (this.sendSeq.get(send.from) ?? 0) + 1
            this.sendSeq.set(send.from, n)
            const sent = await this.onDevice(send.from, async (device) => {
              await device.send({ msgId: `${send.from}-${n}`, topic, bytes: send.size, text: send.text }, { signal: this.context.signal })
            })
            if (!sent && !this.context.signal.aborted) {
              const missed = this.missedSends.get(index) ?? { count: 0, reason: `device ${send.from} had failed, or failed on the send` }
              missed.count++
              this.missedSends.set(index, missed)
            }
          },
          { index, action: 'send', dueMs: entryAt + i * send.every }
        )
      }
    } else if (entry.offline != null) {
      const { device: name, for: forMs } = entry.offline
      events.emit('timeline.action', { index, action: 'offline', detail: { device: name, for: forMs } })
      await this.onDevice(name, async (device) => {
        await device.setOnline(false, { signal: this.context.signal })
      })
      if (forMs != null)
        this.at(
          forMs,
          async () => {
            await this.online(name, index)
          },
          { index, action: 'online' }
        )
    } else if (entry.online != null) {
      await this.online(entry.online.device, index)
    } else if (entry.kill != null) {
      const name = typeof entry.kill === 'string' ? entry.kill : entry.kill.node
      const forMs = typeof entry.kill === 'string' ? undefined : entry.kill.for
      events.emit('timeline.action', { index, action: 'kill', detail: { node: name, for: forMs } })
      await fleet.node(name)?.kill()
      if (forMs != null)
        this.at(
          forMs,
          async () => {
            await this.restart(name, index)
          },
          { index, action: 'restart' }
        )
    } else if (entry.restart != null) {
      await this.restart(entry.restart, index)
    } else if (entry.partition != null) {
      const spec = entry.partition
      events.emit('timeline.action', { index, action: 'partition', detail: { groups: spec.groups, for: spec.for } })
      const groups = await fleet.partition({ groups: spec.groups })
      events.emit('partition.start', { groups })
      if (spec.for != null)
        this.at(
          spec.for,
          async () => {
            await this.heal(index)
          },
          { index, action: 'heal' }
        )
    } else if (entry.heal != null) {
      await this.heal(index)
    } else if (entry.desync != null) {
      const { store, for: forMs } = entry.desync
      events.emit('timeline.action', { index, action: 'desync', detail: { store, for: forMs } })
      const node = fleet.stores.find((s) => s.name === store)
      if (node != null) node.desyncUntil = this.context.clock.now() + forMs
    } else if (entry.slow != null) {
      const { store, delay, for: forMs } = entry.slow
      events.emit('timeline.action', { index, action: 'slow', detail: { store, delay, for: forMs } })
      const node = fleet.stores.find((s) => s.name === store)
      if (node != null) {
        node.answerDelayMs = delay
        if (forMs != null)
          this.at(
            forMs,
            async () => {
              node.answerDelayMs = 0
            },
            { index, action: 'slow' }
          )
      }
    } else if (entry.link != null) {
      const { device, node, to } = entry.link
      events.emit('timeline.action', { index, action: 'link', detail: node != null ? { node, to } : { device, to } })
      if (device != null) this.context.links.change(device, to)
      if (node != null) this.context.nodeLinks?.change(node, to)
    } else if (entry.checkpoint != null) {
      // analysis compares histories at this event's time; nothing to do to the network
      events.emit('timeline.action', { index, action: 'checkpoint', detail: { name: entry.checkpoint } })
    } else if (entry.flow != null) {
      await this.flow(entry.flow, entry.at, index)
    } else if (entry.block != null) {
      const { device, for: forMs, addresses } = entry.block
      const rules = addresses?.map(parseBlockRule)
      const nodes =
        rules != null ? fleet.nodesMatching(rules) : entry.block.nodes === 'bootstrap' ? fleet.partitions.bootstrap(device) : (entry.block.nodes ?? [])
      events.emit('timeline.action', { index, action: 'block', detail: { device, nodes, ...(addresses == null ? {} : { addresses }), for: forMs } })
      events.emit('block.start', { device, nodes, ...(addresses == null ? {} : { addresses }) })
      await fleet.block(device, nodes, rules)
      if (forMs != null) {
        this.at(
          forMs,
          async () => {
            fleet.unblock(device, nodes, rules)
            events.emit('block.end', { device, nodes })
          },
          { index, action: 'block' }
        )
      }
    } else if (entry.skew != null) {
      const { device: name, by } = entry.skew
      events.emit('timeline.action', { index, action: 'skew', detail: { device: name, by } })
      await this.onDevice(name, async (device) => {
        await device.setClockSkew?.(by, { signal: this.context.signal })
      })
    }
  }

  /**
   * A flow's failure is the flow's, never the device's: whatever happens, it ends in `flow.end`
   * and the device goes on. The device emits the flow's events; when it cannot even start the
   * flow (it failed earlier, or its driver has no flows), the timeline records the flow as not run.
   */
  private async flow(flow: FlowAction, at: number, index: number): Promise<void> {
    const { events, devices, config } = this.context
    const name = flowName(flow)
    const timeoutMs = flow.timeout ?? Math.max(0, config.duration - at)
    events.emit('timeline.action', { index, action: 'flow', detail: { device: flow.device, flow: name, spec: flow.spec, timeout: timeoutMs } })
    const notRun = (error: string): void => {
      events.emit('flow.end', { device: flow.device, flow: name, spec: flow.spec, passed: false, tests: 0, passes: 0, failures: 0, durationMs: null, error })
    }
    const device = devices.get(flow.device)
    if (device == null) {
      notRun(`device ${flow.device} was not running (it failed earlier)`)
      return
    }
    if (device.runFlow == null) {
      notRun(`the ${device.driver} driver runs no flows`)
      return
    }
    const file = findUserFile(flow.spec, this.context.scenarioFile)
    if (file == null) {
      notRun(`spec ${flow.spec} not found`)
      return
    }
    try {
      await device.runFlow({ name, file, spec: flow.spec, timeoutMs }, { signal: AbortSignal.any([this.context.signal, this.flowsAbort.signal]) })
    } catch (error) {
      notRun(`the flow could not start: ${error instanceof Error ? error.message : String(error)}`)
    }
  }

  private async heal(index: number): Promise<void> {
    if (!this.context.fleet.partitions.active) return
    this.context.events.emit('timeline.action', { index, action: 'heal', detail: {} })
    this.context.events.emit('partition.heal', {})
    await this.context.fleet.heal(this.context.signal)
  }

  private async online(name: string, index: number): Promise<void> {
    this.context.events.emit('timeline.action', { index, action: 'online', detail: { device: name } })
    await this.onDevice(name, async (device) => {
      await device.setOnline(true, { signal: this.context.signal })
    })
  }

  private async restart(name: string, index: number): Promise<void> {
    this.context.events.emit('timeline.action', { index, action: 'restart', detail: { node: name } })
    await this.context.fleet.node(name)?.restart(this.context.signal)
  }

  /** Whether the action was done: false when the device had failed earlier (already reported) or failed now. */
  private async onDevice(name: string, action: (device: Device) => Promise<void>): Promise<boolean> {
    const device = this.context.devices.get(name)
    if (device == null) return false
    try {
      await action(device)
      return true
    } catch (error) {
      if (!this.context.signal.aborted) this.context.onDeviceError(name, error)
      return false
    }
  }
}

function actionOf(entry: TimelineEntry): string {
  return TIMELINE_ACTIONS.find((key) => entry[key] !== undefined) ?? 'none'
}

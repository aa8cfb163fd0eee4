// A real fleet of a scenario, started in this process for wire-level tests: the same Fleet class
// a run starts, on real TCP and WebSocket sockets, with every event recorded.
import { performance } from 'node:perf_hooks'
import { Fleet } from '../../harness/fleet/index.js'
import type { CourierEvent, EventSink, EventType } from '../../harness/interface/index.js'
import { parseScenario } from '../../harness/scenario/index.js'

export class RecordedEvents implements EventSink {
  readonly events: CourierEvent[] = []
  private readonly t0 = performance.now()
  emit<K extends EventType>(type: K, data: object): void {
    this.events.push({ t: performance.now() - this.t0, type, ...data } as unknown as CourierEvent)
  }

  of<K extends EventType>(type: K): Array<Extract<CourierEvent, { type: K }>> {
    return this.events.filter((e): e is Extract<CourierEvent, { type: K }> => e.type === type)
  }
}

export interface StartedFleet {
  fleet: Fleet
  events: RecordedEvents
  errors: string[]
  stop: () => Promise<void>
}

/** Starts the fleet a scenario YAML describes (its network and crowd gateways; no crowd traffic, no devices). */
export async function startScenarioFleet(yaml: string): Promise<StartedFleet> {
  const scenario = parseScenario(yaml, 'fleet-test.yaml')
  const events = new RecordedEvents()
  const errors: string[] = []
  const t0 = performance.now()
  const fleet = new Fleet(scenario, {
    clock: { now: () => performance.now() - t0 },
    events,
    onError: (component, error) => {
      errors.push(`${component}: ${(error as Error).message}`)
    }
  })
  const controller = new AbortController()
  try {
    await fleet.start(controller.signal)
  } catch (error) {
    await fleet.stop()
    throw error
  }
  return {
    fleet,
    events,
    errors,
    stop: async () => {
      controller.abort()
      await fleet.stop()
    }
  }
}

export async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

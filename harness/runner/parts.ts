import type { Startable } from '../interface/index.js'

/**
 * The one start-in-order, stop-in-reverse helper of a run. A part is stopped when its start was
 * called, even if that start threw or was aborted halfway (a fleet half up still holds ports). A
 * stop that throws is reported and the parts before it still stop: teardown never ends early.
 */
export class RunParts {
  readonly #entered: Startable[] = []

  constructor(private readonly onStopError: (part: string, error: unknown) => void) {}

  async startInOrder(parts: readonly Startable[], signal: AbortSignal): Promise<void> {
    for (const part of parts) {
      signal.throwIfAborted()
      this.#entered.push(part)
      await part.start({ signal })
    }
    signal.throwIfAborted()
  }

  async stopInReverse(): Promise<void> {
    for (const part of this.#entered.splice(0).reverse()) {
      try {
        await part.stop()
      } catch (error) {
        this.onStopError(part.name, error)
      }
    }
  }
}

/**
 * A part of a run (the capture, the fleet, the devices, the timeline; a device is one too): the
 * runner starts its parts in order and stops, in reverse, every part whose start it called.
 */
export interface Startable {
  readonly name: string
  start(options: { signal: AbortSignal }): Promise<void>
  /** Must be safe after a start that failed or was aborted halfway: whatever it opened closes. */
  stop(): Promise<void>
}

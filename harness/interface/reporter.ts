import type { CourierEvent } from './events.js'
import type { Results } from './results.js'

/** What every report format renders: a finished (or interrupted) run's results and, when read, its events. */
export interface ReportInput {
  results: Results
  /** The run's event log; formats that only summarise results ignore it. */
  events?: Iterable<CourierEvent>
  /** Artifact file names in RUN_DIR (events.ndjson, *.pcap, logs), linked relatively. */
  artifacts?: string[]
}

/** A report format. Reporters only render: every figure comes from results or events (see DESIGN.md). */
export interface Reporter {
  /** Short name used on the command line, e.g. `html`, `junit`, `markdown`. */
  readonly name: string
  /** File written into RUN_DIR, e.g. `report.html`. */
  readonly fileName: string
  render(input: ReportInput): string
}

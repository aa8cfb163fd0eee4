/** Process exit codes of the `courier` CLI; documented in README.md. */
export const ExitCode = {
  /** Every threshold passed (or none was set) and the run completed. */
  pass: 0,
  /** At least one `expect:` threshold failed. */
  thresholdFailed: 1,
  /** Invalid scenario, file or command-line usage; nothing was started. */
  invalidInput: 2,
  /** Infrastructure error: a node, device or capture could not start. */
  infrastructure: 3,
  /** Interrupted by SIGINT or SIGTERM; partial results were written. */
  interrupted: 130
} as const
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode]

import { ExitCode } from './exit-codes.js'

/** Where in a user's file a problem is. Lines and columns are 1-based. */
export interface SourceLocation {
  file: string
  line?: number
  column?: number
}

/** One problem found in a user's input: a scenario, a profile, a capture, a flag. */
export interface InputProblem {
  location: SourceLocation
  /** Dotted field path, e.g. `timeline[2].send.every`. Empty for file-level problems. */
  path: string
  message: string
  expected?: string
  found?: string
  hint?: string
}

/** A user's mistake: printed without a stack trace, exit code 2. */
export class InvalidInputError extends Error {
  override readonly name = 'InvalidInputError'
  readonly exitCode = ExitCode.invalidInput
  constructor(
    readonly problems: InputProblem[],
    summary?: string
  ) {
    super(summary ?? formatProblems(problems))
  }
}

/** Something courier needed could not start (a node, a device, a capture): exit code 3. */
export class InfrastructureError extends Error {
  override readonly name = 'InfrastructureError'
  readonly exitCode = ExitCode.infrastructure
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
  }
}

/** The run was aborted by a signal: exit code 130. */
export class InterruptedError extends Error {
  override readonly name = 'InterruptedError'
  readonly exitCode = ExitCode.interrupted
  constructor(readonly signal: string) {
    super(`interrupted by ${signal}`)
  }
}

/** Longest user-written text courier echoes to a terminal in one piece (README: Limits). */
export const MAX_ECHOED_CHARS = 200

/**
 * User-controlled text made safe for a terminal: control characters (ANSI escapes included),
 * C1 controls and bidirectional overrides shown as \u escapes, and anything past `max`
 * characters cut with a count of what was left out. A 50 MB name or a colour code in a
 * scenario name cannot then flood or repaint the terminal.
 */
export function printable(text: string, max = MAX_ECHOED_CHARS): string {
  const cut = text.length > max ? text.slice(0, max) : text
  // eslint-disable-next-line no-control-regex
  const safe = cut.replace(
    /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`
  )
  return text.length > max ? `${safe}... (${text.length - max} more characters)` : safe
}

export function formatLocation(location: SourceLocation): string {
  let text = printable(location.file, 1000)
  if (location.line != null) text += `:${location.line}`
  if (location.line != null && location.column != null) text += `:${location.column}`
  return text
}

export function formatProblem(problem: InputProblem): string {
  // messages and hints are courier's own sentences that quote user text: a longer cap
  const lines = [`${formatLocation(problem.location)}: ${problem.path === '' ? '' : `${printable(problem.path)}: `}${printable(problem.message, 2000)}`]
  if (problem.expected != null) lines.push(`  expected: ${printable(problem.expected, 2000)}`)
  if (problem.found != null) lines.push(`  found:    ${printable(problem.found)}`)
  if (problem.hint != null) lines.push(`  hint:     ${printable(problem.hint, 2000)}`)
  return lines.join('\n')
}

/** Problems past this many are counted, not printed: a broken file can have thousands. */
export const MAX_PRINTED_PROBLEMS = 50

export function formatProblems(problems: InputProblem[]): string {
  const shown = problems.slice(0, MAX_PRINTED_PROBLEMS).map(formatProblem)
  if (problems.length > MAX_PRINTED_PROBLEMS) shown.push(`... and ${problems.length - MAX_PRINTED_PROBLEMS} more problem(s)`)
  return shown.join('\n')
}

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
  constructor (readonly problems: InputProblem[], summary?: string) {
    super(summary ?? formatProblems(problems))
  }
}

/** Something courier needed could not start (a node, a device, a capture): exit code 3. */
export class InfrastructureError extends Error {
  override readonly name = 'InfrastructureError'
  readonly exitCode = ExitCode.infrastructure
  constructor (message: string, options?: { cause?: unknown }) {
    super(message, options)
  }
}

/** The run was aborted by a signal: exit code 130. */
export class InterruptedError extends Error {
  override readonly name = 'InterruptedError'
  readonly exitCode = ExitCode.interrupted
  constructor (readonly signal: string) {
    super(`interrupted by ${signal}`)
  }
}

export function formatLocation (location: SourceLocation): string {
  let text = location.file
  if (location.line != null) text += `:${location.line}`
  if (location.line != null && location.column != null) text += `:${location.column}`
  return text
}

export function formatProblem (problem: InputProblem): string {
  const lines = [`${formatLocation(problem.location)}: ${problem.path === '' ? '' : `${problem.path}: `}${problem.message}`]
  if (problem.expected != null) lines.push(`  expected: ${problem.expected}`)
  if (problem.found != null) lines.push(`  found:    ${problem.found}`)
  if (problem.hint != null) lines.push(`  hint:     ${problem.hint}`)
  return lines.join('\n')
}

export function formatProblems (problems: InputProblem[]): string {
  return problems.map(formatProblem).join('\n')
}

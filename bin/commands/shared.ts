import type { Logger } from '../../harness/interface/index.js'

export function consoleLogger (verbose: boolean): Logger {
  return {
    info: (message) => { process.stderr.write(`${message}\n`) },
    warn: (message) => { process.stderr.write(`warning: ${message}\n`) },
    debug: (message) => { if (verbose) process.stderr.write(`debug: ${message}\n`) }
  }
}

/** Exit codes of several runs combine to the most serious one. */
export function worstExitCode (codes: number[]): number {
  const rank = [0, 1, 2, 3, 130]
  return codes.reduce((worst, code) => (rank.indexOf(code) > rank.indexOf(worst) ? code : worst), 0)
}

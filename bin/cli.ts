import { Command, CommanderError } from 'commander'
import { ExitCode, InvalidInputError, InfrastructureError, InterruptedError, printable } from '../harness/interface/index.js'
import { registerCommands } from './commands/index.js'

/** Runs the CLI and returns the exit code; user errors are printed without a stack trace. */
export async function main(argv: string[]): Promise<number> {
  const program = new Command()
  program
    .name('courier')
    .description('Reliability and bandwidth test harness for peer-to-peer messengers (Waku v2 on libp2p).')
    .version(await courierVersion())
    .option('--debug', 'print stack traces with errors (for reporting a bug in courier)')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeErr: (text) => process.stderr.write(text) })
  await registerCommands(program, argv)
  try {
    await program.parseAsync(argv)
    return typeof process.exitCode === 'number' ? process.exitCode : ExitCode.pass
  } catch (error) {
    return exitCodeFor(error, argv.includes('--debug') || process.env.COURIER_DEBUG != null)
  }
}

function exitCodeFor(error: unknown, debug: boolean): number {
  if (error instanceof CommanderError) {
    // help and version exit 0; every other commander error is a usage mistake
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return ExitCode.pass
    return ExitCode.invalidInput
  }
  if (error instanceof InvalidInputError) {
    process.stderr.write(`error: invalid input\n${error.message}\n`)
    return ExitCode.invalidInput
  }
  if (error instanceof InfrastructureError) {
    process.stderr.write(`error: ${printable(error.message, 4000)}\n`)
    if (error.cause instanceof Error && debug) process.stderr.write(`${error.cause.stack ?? ''}\n`)
    return ExitCode.infrastructure
  }
  if (error instanceof InterruptedError) {
    process.stderr.write(`${error.message}\n`)
    return ExitCode.interrupted
  }
  // a bug in courier, not a user's mistake: the stack is what a maintainer needs, with --debug
  const message = error instanceof Error ? error.message : String(error)
  process.stderr.write(
    debug && error instanceof Error
      ? `courier: internal error: ${error.stack ?? message}\n`
      : `courier: internal error: ${printable(message, 2000)}\n(a bug in courier: run again with --debug for the stack trace, and report it)\n`
  )
  return ExitCode.infrastructure
}

async function courierVersion(): Promise<string> {
  const { readFile } = await import('node:fs/promises')
  const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
  return pkg.version
}

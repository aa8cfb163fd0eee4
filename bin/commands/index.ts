import type { Command } from 'commander'

type Register = (program: Command) => void

// Each subcommand lives in its own file. They are imported on demand: `run` pulls in libp2p,
// WebdriverIO and Playwright (about 2 s of module loading), which `courier report` or
// `courier pcap` must not pay on every call.
const COMMANDS: Record<string, () => Promise<Register>> = {
  run: async () => (await import('./run.js')).registerRunCommand,
  validate: async () => (await import('./validate.js')).registerValidateCommand,
  report: async () => (await import('./report.js')).registerReportCommand,
  compare: async () => (await import('./compare.js')).registerCompareCommand,
  schema: async () => (await import('./schema.js')).registerSchemaCommand,
  pcap: async () => (await import('./pcap.js')).registerPcapCommand,
  doctor: async () => (await import('./doctor.js')).registerDoctorCommand,
  fleet: async () => (await import('./fleet.js')).registerFleetCommand,
  trend: async () => (await import('./trend.js')).registerTrendCommand,
  worker: async () => (await import('./worker.js')).registerWorkerCommand
}

/**
 * Registers the subcommand argv names, or every subcommand when it names none of them (the
 * overview help, `help`, or a mistyped name that needs the list for its suggestion). Global options
 * come before the name, so the first argument that is not an option is the subcommand.
 */
export async function registerCommands(program: Command, argv: string[]): Promise<void> {
  const name = argv.slice(2).find((arg) => !arg.startsWith('-'))
  const names = name != null && name in COMMANDS ? [name] : Object.keys(COMMANDS)
  for (const register of await Promise.all(names.map(async (n) => await (COMMANDS[n] as () => Promise<Register>)()))) register(program)
}

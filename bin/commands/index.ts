import type { Command } from 'commander'
import { registerCompareCommand } from './compare.js'
import { registerDoctorCommand } from './doctor.js'
import { registerFleetCommand } from './fleet.js'
import { registerPcapCommand } from './pcap.js'
import { registerReportCommand } from './report.js'
import { registerRunCommand } from './run.js'
import { registerSchemaCommand } from './schema.js'
import { registerValidateCommand } from './validate.js'

/** Each subcommand lives in its own file and registers itself here. */
export function registerCommands (program: Command): void {
  registerRunCommand(program)
  registerValidateCommand(program)
  registerReportCommand(program)
  registerCompareCommand(program)
  registerSchemaCommand(program)
  registerPcapCommand(program)
  registerDoctorCommand(program)
  registerFleetCommand(program)
}

import type { Command } from 'commander'
import { registerPcapCommand } from './pcap.js'

/** Each subcommand lives in its own file and registers itself here. */
export function registerCommands (program: Command): void {
  void program
  registerPcapCommand(program)
}

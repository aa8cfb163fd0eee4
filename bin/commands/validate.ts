import type { Command } from 'commander'
import { ExitCode, InvalidInputError, printable } from '../../harness/interface/index.js'
import { resolveScenario } from '../../harness/runner/index.js'
import { prepareDevices } from '../../devices/index.js'

export function registerValidateCommand(program: Command): void {
  program
    .command('validate')
    .description('Check scenario files without starting anything: schema, units, references, thresholds, radio profiles, link presets, device profiles.')
    .argument('<scenario...>', 'scenario YAML files')
    .addHelpText('after', '\nExit codes: 0 all valid, 2 at least one invalid (each problem names file:line:column and the field).')
    .action(async (files: string[]) => {
      let invalid = 0
      for (const file of files) {
        try {
          const { scenario, thresholds } = await resolveScenario(file, { devices: async (s) => await prepareDevices(s, { checkServers: false }) })
          const { config } = scenario
          process.stdout.write(
            `ok  ${printable(file)}: ${printable(config.name)} (${config.network.relays} relays, ${config.network.stores} stores, ${Object.keys(config.devices).length} devices, ${config.timeline.length} timeline actions, ${thresholds.length} thresholds)\n`
          )
        } catch (error) {
          if (!(error instanceof InvalidInputError)) throw error
          invalid++
          process.stderr.write(`${error.message}\n`)
        }
      }
      if (invalid > 0) process.stderr.write(`${invalid} of ${files.length} scenario file(s) invalid\n`)
      process.exitCode = invalid > 0 ? ExitCode.invalidInput : ExitCode.pass
    })
}

import { writeFile } from 'node:fs/promises'
import type { Command } from 'commander'
import { scenarioJsonSchema } from '../../harness/scenario/index.js'

export function registerSchemaCommand (program: Command): void {
  program
    .command('schema')
    .description('Print the scenario format as JSON Schema (for editor completion; the repo ships it as schema/scenario.schema.json).')
    .option('-o, --out <file>', 'write to a file instead of standard output')
    .action(async (flags: { out?: string }) => {
      const text = JSON.stringify({ title: 'courier scenario', ...scenarioJsonSchema() }, null, 2) + '\n'
      if (flags.out != null) await writeFile(flags.out, text)
      else process.stdout.write(text)
    })
}

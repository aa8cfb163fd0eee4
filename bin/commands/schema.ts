import { writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { InvalidInputError } from '../../harness/interface/index.js'
import type { Command } from 'commander'
import { scenarioJsonSchema } from '../../harness/scenario/index.js'

export function registerSchemaCommand(program: Command): void {
  program
    .command('schema')
    .description('Print the scenario format as JSON Schema (for editor completion; the repo ships it as schema/scenario.schema.json).')
    .option('-o, --out <file>', 'write to a file instead of standard output')
    .action(async (flags: { out?: string }) => {
      const text = JSON.stringify({ title: 'courier scenario', ...scenarioJsonSchema() }, null, 2) + '\n'
      if (flags.out != null) {
        try {
          await writeFile(flags.out, text)
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code
          const why =
            code === 'ENOENT'
              ? 'its folder does not exist'
              : code === 'EISDIR'
                ? 'it is a directory'
                : code === 'EACCES' || code === 'EPERM'
                  ? 'permission denied'
                  : (code ?? String(error))
          throw new InvalidInputError([
            {
              location: { file: flags.out },
              path: '',
              message: `cannot write the schema there: ${why}`,
              expected: 'a file path in an existing, writable folder',
              hint: code === 'ENOENT' ? `create the folder first (mkdir -p ${dirname(flags.out)})` : undefined
            }
          ])
        }
      } else process.stdout.write(text)
    })
}

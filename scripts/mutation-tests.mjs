// The test command of a mutation run: the compiled test files whose path contains one of the
// arguments, imported into this one process (node:test runs them here and sets the exit code).
// One process instead of run-tests.mjs's runner and one child per file, because every mutant
// pays this start-up. Usage: node --import ./dist/harness/polyfill.js scripts/mutation-tests.mjs unit/gate-
import { readdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'

const filters = process.argv.slice(2)
const dir = 'dist/test/unit'
const files = readdirSync(dir)
  .map((name) => join(dir, name))
  .filter((path) => path.endsWith('.test.js') && filters.some((f) => path.includes(f)))
if (files.length === 0) {
  console.error(`no compiled test files match ${filters.join(' ')} (build first)`)
  process.exit(2)
}
// tests that cannot kill a mutant of the pure modules but cost seconds skip themselves in a mutation run
process.env.COURIER_MUTATION_RUN = '1'
for (const file of files) await import(pathToFileURL(resolve(file)).href)

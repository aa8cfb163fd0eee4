// Runs Stryker with stryker.config.mjs (npm run mutation). Stryker 10 refuses Node 20 (it asks
// for >= 22) as soon as its package entry is loaded; its Stryker class, loaded by file, has no
// such guard, and the run works on Node 20 with courier's Promise.withResolvers polyfill.
import '../dist/harness/polyfill.js'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'

const config = (await import('../stryker.config.mjs')).default
// Incremental mode (COURIER_MUTATE_INCREMENTAL=1): with the command runner Stryker knows no test
// coverage and reuses every stored result, survivors included. Only killed mutants (and those
// that timed out or did not compile) may be reused after tests are added, so the others are
// dropped from the file here and run again. Changing a source file makes Stryker re-test its
// mutants itself; changing or removing a test needs a run without the file (delete it).
if (config.incremental && existsSync(config.incrementalFile)) {
  const report = JSON.parse(readFileSync(config.incrementalFile, 'utf8'))
  const keep = new Set(['Killed', 'Timeout', 'CompileError', 'RuntimeError'])
  let dropped = 0
  for (const file of Object.values(report.files)) {
    const before = file.mutants.length
    file.mutants = file.mutants.filter((m) => keep.has(m.status))
    dropped += before - file.mutants.length
  }
  writeFileSync(config.incrementalFile, JSON.stringify(report))
  console.log(`incremental: ${dropped} mutants neither killed nor timed out will run again`)
}

const { Stryker } = await import(new URL('../node_modules/@stryker-mutator/core/dist/src/stryker.js', import.meta.url).href)
const stryker = new Stryker({ configFile: 'stryker.config.mjs' })
const results = await stryker.runMutationTest()
const counts = {}
for (const r of results) counts[r.status] = (counts[r.status] ?? 0) + 1
console.log(JSON.stringify(counts))

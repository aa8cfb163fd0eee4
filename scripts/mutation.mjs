// Runs Stryker with stryker.config.mjs (npm run mutation). Stryker 10 refuses Node 20 (it asks
// for >= 22) as soon as its package entry is loaded; its Stryker class, loaded by file, has no
// such guard, and the run works on Node 20 with courier's Promise.withResolvers polyfill.
import '../dist/harness/polyfill.js'

const { Stryker } = await import(new URL('../node_modules/@stryker-mutator/core/dist/src/stryker.js', import.meta.url).href)
const stryker = new Stryker({ configFile: 'stryker.config.mjs' })
const results = await stryker.runMutationTest()
const counts = {}
for (const r of results) counts[r.status] = (counts[r.status] ?? 0) + 1
console.log(JSON.stringify(counts))

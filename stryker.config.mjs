// Mutation testing of the pure modules (npm run mutation; never part of npm test).
// TypeScript 7 is the native compiler, which no Stryker checker or runner plugin drives, so the
// `command` runner is used: Stryker writes every mutant into one instrumented copy of the source,
// buildCommand compiles that copy once, and each mutant is a run of the compiled unit tests with
// __STRYKER_ACTIVE_MUTANT__ set (scripts/mutation-tests.mjs imports them into one process).
//
// COURIER_MUTATE picks the modules (comma separated): gate, analysis (or its parts analysis-folds
// and analysis-rest), units, capture-decode,
// capture-reader, capture-flows (capture is the three), energy-pricing, energybox (energy is
// both), energy-profiles. Default: all of them. COURIER_MUTATE_INCREMENTAL=1 keeps the results in
// runs/mutation/<scopes>-incremental.json and re-tests only what scripts/mutation.mjs left out of it.
const CAPTURE_TESTS = ['unit/capture-decode', 'unit/capture-flows', 'unit/capture-malformed', 'unit/capture-reader', 'unit/hostile-capture']
const SCOPES = {
  gate: { mutate: ['harness/gate/**/*.ts'], tests: ['unit/gate-'] },
  // columns.ts is the folds' per-message storage, kept in harness/interface for the modules that may import only that
  analysis: { mutate: ['harness/analysis/**/*.ts', 'harness/interface/columns.ts'], tests: ['unit/analysis-', 'unit/light-analysis', 'unit/gate-'] },
  // the four smallest analysis files, a first part of analysis that fits in a few minutes
  'analysis-small': {
    mutate: ['harness/analysis/stats.ts', 'harness/analysis/peers.ts', 'harness/analysis/censorship.ts', 'harness/analysis/flows.ts'],
    tests: ['unit/analysis-', 'unit/light-analysis', 'unit/gate-']
  },
  // the whole scope in two parts, each a run that fits in an hour: the folds over messages and
  // bytes, and the rest (the reliability figures, the run's assembly, stats, peers, the metric
  // catalogue and the columns)
  'analysis-folds': {
    mutate: [
      'harness/analysis/bytes.ts',
      'harness/analysis/censorship.ts',
      'harness/analysis/delivery.ts',
      'harness/analysis/flows.ts',
      'harness/analysis/fold.ts',
      'harness/analysis/ledger.ts',
      'harness/analysis/matrix.ts'
    ],
    tests: ['unit/analysis-', 'unit/light-analysis', 'unit/gate-']
  },
  'analysis-rest': {
    mutate: [
      'harness/analysis/reliability.ts',
      'harness/analysis/run.ts',
      'harness/analysis/stats.ts',
      'harness/analysis/peers.ts',
      'harness/analysis/metric-catalogue.ts',
      'harness/interface/columns.ts'
    ],
    tests: ['unit/analysis-', 'unit/light-analysis', 'unit/gate-']
  },
  units: { mutate: ['harness/scenario/units.ts'], tests: ['unit/scenario-units', 'unit/gate-'] },
  // packet decoding, the pcap reader and the flow tables (not tcpdump, ss or the map file, which
  // talk to processes or read user files), one scope each (COURIER_MUTATE=capture is all three);
  // capture-generated is left out of the tests, as it runs tcpdump on every file and doubles each
  // mutant's run (the edge tests cover its frames)
  'capture-decode': { mutate: ['harness/capture/decode.ts'], tests: CAPTURE_TESTS },
  'capture-reader': { mutate: ['harness/capture/pcap-reader.ts'], tests: CAPTURE_TESTS },
  'capture-flows': { mutate: ['harness/capture/flows.ts', 'harness/capture/tcp-session.ts'], tests: CAPTURE_TESTS },
  // the radio pricing: the shared attribution core, the tail model, the comparison, the timeline
  // (COURIER_MUTATE=energy is this and energybox)
  'energy-pricing': {
    mutate: ['harness/energy/pricing-core.ts', 'harness/energy/tail-model.ts', 'harness/energy/price.ts', 'harness/energy/capture-timeline.ts'],
    tests: ['unit/energy-']
  },
  // EnergyBox's state machines, their pricing and their traces
  energybox: {
    mutate: ['harness/energy/energybox.ts', 'harness/energy/energybox-pricing.ts', 'harness/energy/energybox-trace.ts'],
    tests: ['unit/energy-']
  },
  // the radio profiles: their schema, the built-in and YAML ones, EnergyBox's .config files
  'energy-profiles': {
    mutate: ['harness/energy/profiles.ts', 'harness/energy/profile-schema.ts', 'harness/energy/energybox-config.ts', 'harness/energy/java-properties.ts'],
    tests: ['unit/energy-']
  }
}
const chosen = (process.env.COURIER_MUTATE ?? 'gate,analysis,units,capture,energy,energy-profiles')
  .split(',')
  .map((s) => s.trim())
  .filter((s) => s !== '')
// shorthands for groups of scopes
const GROUPS = { capture: ['capture-decode', 'capture-reader', 'capture-flows'], energy: ['energy-pricing', 'energybox'] }
chosen.splice(0, chosen.length, ...chosen.flatMap((name) => GROUPS[name] ?? [name]))
for (const name of chosen) if (SCOPES[name] == null) throw new Error(`COURIER_MUTATE: unknown scope "${name}" (known: ${Object.keys(SCOPES).join(', ')})`)
const mutate = chosen.flatMap((name) => SCOPES[name].mutate)
const tests = [...new Set(chosen.flatMap((name) => SCOPES[name].tests))]
const label = chosen.join('-')

export default {
  testRunner: 'command',
  commandRunner: {
    command: `node --import ./dist/harness/polyfill.js --test-reporter=./scripts/mutation-bail.mjs scripts/mutation-tests.mjs ${tests.join(' ')}`
  },
  // the build runs before Stryker links node_modules into the sandbox (.stryker-tmp/sandbox-*)
  buildCommand: 'node ../../node_modules/typescript/bin/tsc -p .',
  // Stryker rewrites tsconfig.json paths with TypeScript's JS API, which TypeScript 7 no longer
  // has; courier's tsconfig has no extends or references to rewrite, so point it at no file
  tsconfigFile: 'no-tsconfig-to-rewrite.json',
  mutate,
  // the command runner cannot tell which test covers which mutant: every mutant runs them all
  coverageAnalysis: 'off',
  // two cores shared with other people: one mutant at a time, unless COURIER_MUTATE_CONCURRENCY
  // says the machine is free
  concurrency: Number(process.env.COURIER_MUTATE_CONCURRENCY ?? 1),
  timeoutMS: 30_000,
  dryRunTimeoutMinutes: 5,
  // anchored: an unanchored 'runs' also dropped fixtures/runs, which analysis-stream reads
  ignorePatterns: ['/dist', '/runs', '/test-artifacts', '/.stryker-tmp'],
  tempDirName: '.stryker-tmp',
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: `runs/mutation/${label}.html` },
  jsonReporter: { fileName: `runs/mutation/${label}.json` },
  thresholds: { high: 90, low: 80 },
  // the command runner reports no per-test coverage, so Stryker would reuse every old result,
  // survivors included: scripts/mutation.mjs drops the survivors from the file before the run
  incremental: process.env.COURIER_MUTATE_INCREMENTAL === '1',
  incrementalFile: `runs/mutation/${label}-incremental.json`
}

import { test } from 'node:test'
import { pool } from '../helpers/cli.js'
import { faultCases, runFaultCase } from '../helpers/fault-scenarios.js'

// The healthy fault-scenario runs npm test leaves out for its time (their broken variants run there).
test('the healthy runs of multi-device history, store desync, phantom push and up-to-date pass with the reference client', async () => {
  await pool(
    faultCases.filter((c) => c.nightly === true),
    2,
    runFaultCase
  )
})

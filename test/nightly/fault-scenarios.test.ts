import { test } from 'node:test'
import { pool } from '../helpers/cli.js'
import { nightlyFaultCases, runFaultCase } from '../helpers/fault-scenarios.js'

// The fault cases npm test leaves out: healthy twins of broken variants it runs, and second broken
// variants of scenarios it already breaks once (test/helpers/fault-scenarios.ts marks them).
test('the fault scenarios npm test leaves out pass healthy and fail on the named threshold when broken', async () => {
  await pool(nightlyFaultCases(), 2, runFaultCase)
})

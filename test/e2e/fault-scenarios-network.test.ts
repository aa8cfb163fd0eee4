import { test } from 'node:test'
import { pool } from '../helpers/cli.js'
import { faultCasesOf, runFaultCase } from '../helpers/fault-scenarios.js'

test('the network fault scenarios (partition, phantom push, up to date) pass with the reference client and fail on the named threshold when the behaviour they rely on is broken', async () => {
  await pool(faultCasesOf('network'), 2, runFaultCase)
})

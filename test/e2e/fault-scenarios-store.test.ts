import { test } from 'node:test'
import { pool } from '../helpers/cli.js'
import { faultCasesOf, runFaultCase } from '../helpers/fault-scenarios.js'

test('the store fault scenarios (failover, multi-device history, desync, offline catch-up) pass with the reference client and fail on the named threshold when the behaviour they rely on is broken', async () => {
  await pool(faultCasesOf('store'), 2, runFaultCase)
})

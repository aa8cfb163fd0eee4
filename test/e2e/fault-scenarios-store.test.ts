import { test } from 'node:test'
import { pool } from '../helpers/cli.js'
import { faultCasesOf, runFaultCase } from '../helpers/fault-scenarios.js'

test('the store fault scenarios (failover, multi-device history, desync) fail on the named threshold when the behaviour they rely on is broken; store-failover passes with the reference client (the healthy twins run nightly)', async () => {
  await pool(faultCasesOf('store'), 2, runFaultCase)
})

import { test } from 'node:test'
import { pool } from '../helpers/cli.js'
import { faultCasesOf, runFaultCase } from '../helpers/fault-scenarios.js'

test('the network fault scenarios (partition, up to date) fail on the named threshold when the behaviour they rely on is broken; network-partition passes with the reference client (phantom push and the other twins run nightly)', async () => {
  await pool(faultCasesOf('network'), 2, runFaultCase)
})

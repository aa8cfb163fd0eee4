import { test } from 'node:test'
import { pool } from '../helpers/cli.js'
import { problemCases, runProblemCase } from '../helpers/problems.js'

// The seed problems npm test leaves out (near twins of fault scenarios' broken variants).
test('the seed problems that are near twins of fault-scenario broken variants fail on the threshold that names them', async () => {
  await pool(
    problemCases.filter((c) => c.nightly === true),
    2,
    runProblemCase
  )
})

import { test } from 'node:test'
import { pool } from '../helpers/cli.js'
import { problemCases, runProblemCase } from '../helpers/problems.js'

// The seed problems npm test leaves out: near twins of fault scenarios' broken variants, and the
// healthy dead-store (store-hangs' twin) and crowded-topic, which must pass.
test('the seed problems npm test leaves out fail on the threshold that names them; dead-store and crowded-topic pass', async () => {
  await pool(
    problemCases.filter((c) => c.nightly === true),
    2,
    runProblemCase
  )
})

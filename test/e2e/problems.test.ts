import { test } from 'node:test'
import { pool } from '../helpers/cli.js'
import { problemCases, runProblemCase } from '../helpers/problems.js'

// Each seed problem scenario must fail on exactly the threshold that names its problem. The four
// whose broken behaviour a fault scenario's broken variant already shows in npm test, and the
// healthy dead-store and crowded-topic, run in the nightly suite (test/nightly/problems.test.ts).
test('each seed problem scenario fails on the threshold that names its problem', async () => {
  await pool(
    problemCases.filter((c) => c.nightly !== true),
    2,
    runProblemCase
  )
})

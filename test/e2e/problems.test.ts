import { test } from 'node:test'
import { pool } from '../helpers/cli.js'
import { problemCases, runProblemCase } from '../helpers/problems.js'

// Each seed problem scenario must fail on exactly the threshold that names its problem; dead-store
// (the healthy twin of store-hangs) and crowded-topic must pass. The four whose broken behaviour a
// fault scenario's broken variant already shows in npm test, and crowded-topic (a healthy run),
// run in the nightly suite.
test('each seed problem scenario fails on the threshold that names its problem; the healthy twins pass', async () => {
  await pool(
    problemCases.filter((c) => c.nightly !== true),
    2,
    runProblemCase
  )
})

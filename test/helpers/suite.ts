// Two suites from one set of files. `npm test` must stay well under ten minutes on two cores, so the
// slower twins of what it already checks (a second crash of another driver, the healthy run beside a
// broken variant that already passes in npm test, a second phone) run in `npm run test:nightly`,
// which sets COURIER_SUITE=nightly and runs the files that hold them. In each suite the other
// suite's tests are listed as skipped with where they run, so nothing is dropped silently.
import { type TestContext, test as nodeTest } from 'node:test'

export const inNightlySuite = process.env.COURIER_SUITE === 'nightly'

type TestBody = (t: TestContext) => Promise<void> | void

/** A test of npm test (skipped when the nightly suite runs its file for the nightly twins). */
export function test(name: string, body: TestBody): void {
  nodeTest(name, { skip: inNightlySuite ? 'runs in npm test' : false }, body)
}

/** A test of the nightly suite only (listed as skipped by npm test). */
export function nightlyTest(name: string, body: TestBody): void {
  nodeTest(name, { skip: inNightlySuite ? false : 'nightly suite: npm run test:nightly' }, body)
}

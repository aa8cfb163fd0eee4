import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import initSqlJs from 'sql.js'
import { checkHistoryFile, HISTORY_SCHEMA_VERSION, HistoryDb, updateHistory } from '../../harness/history/index.js'
import { historyRun } from '../helpers/history.js'
import { InfrastructureError, InvalidInputError } from '../../harness/interface/index.js'

async function tempFile(name = 'history.sqlite'): Promise<string> {
  return join(await mkdtemp(join(tmpdir(), 'courier-history-')), name)
}

test('a run goes in and comes back with its figures, build, tolerances and latencies; recording it again replaces it', async () => {
  const file = await tempFile()
  await updateHistory(file, (db) => {
    db.insert(historyRun())
  })
  await updateHistory(file, (db) => {
    db.insert(historyRun({ runId: 'run-b', set: '/runs/b', startedAt: '2026-12-02T02:00:00.000Z', seed: 6 }))
  })
  const db = await HistoryDb.open(file)
  const runs = db.runs({ scenarioName: 'pair' })
  assert.deepEqual(
    runs.map((r) => r.runId),
    ['run-a', 'run-b']
  )
  const a = runs[0]
  assert.deepEqual(a.metrics['delivery.latency.p95'], { value: 120.5, unit: 'ms' })
  assert.deepEqual(a.metrics['store.inSync'], { value: true, unit: 'boolean' })
  assert.deepEqual(a.metrics['delivery.latency.max'], { value: null, unit: 'ms' })
  assert.equal(a.build.label, 'im.example 1.2.3 (123)')
  assert.equal(a.build.courierCommit, 'deadbeef')
  assert.deepEqual(a.tolerances, [{ pattern: 'delivery.latency.*', ratio: 0.1 }])
  // microseconds are kept, digits past them are not
  assert.deepEqual(a.latencies.overall, [10.123, 20, 30])
  assert.deepEqual(a.latencies.devices.bob, [10.123])
  assert.deepEqual(db.scenarios(), [{ name: 'pair', hash: 'h'.repeat(64), runs: 2, last: '2026-12-02T02:00:00.000Z' }])
  assert.equal(db.runs({ scenarioName: 'other' }).length, 0)
  db.close()

  await updateHistory(file, (d) => {
    d.insert(historyRun({ verdict: 'fail', metrics: { 'delivery.loss': { value: 0.5, unit: 'ratio' } } }))
  })
  const again = await HistoryDb.open(file)
  const replaced = again.runs().filter((r) => r.runId === 'run-a')
  assert.equal(replaced.length, 1, 'one row per run')
  assert.equal(replaced[0].verdict, 'fail')
  assert.deepEqual(Object.keys(replaced[0].metrics), ['delivery.loss'], 'the old figures went with the old row')
  again.close()
  // every night's `courier run --repeat` has a run-1: the same name at another time is another run
  await updateHistory(file, (d) => {
    d.insert(historyRun({ runId: 'run-1', startedAt: '2026-12-03T02:00:00.000Z' }))
    d.insert(historyRun({ runId: 'run-1', startedAt: '2026-12-04T02:00:00.000Z' }))
  })
  const nights = await HistoryDb.open(file)
  assert.deepEqual(
    nights
      .runs()
      .filter((r) => r.runId === 'run-1')
      .map((r) => r.startedAt),
    ['2026-12-03T02:00:00.000Z', '2026-12-04T02:00:00.000Z']
  )
  nights.close()
})

test("a new file carries the schema version and courier's mark; a newer schema, another program's database and a damaged file are refused naming the file", async () => {
  const SQL = await initSqlJs()
  const file = await tempFile()
  await updateHistory(file, (db) => {
    db.insert(historyRun())
  })
  const raw = new SQL.Database(await readFile(file))
  assert.equal(raw.exec('PRAGMA user_version')[0].values[0][0], HISTORY_SCHEMA_VERSION)
  assert.equal(raw.exec("SELECT value FROM courier_history WHERE key = 'format'")[0].values[0][0], 'courier-history')

  raw.run(`PRAGMA user_version = ${HISTORY_SCHEMA_VERSION + 1}`)
  const newer = await tempFile('newer.sqlite')
  await writeFile(newer, raw.export())
  raw.close()
  await assert.rejects(
    HistoryDb.open(newer),
    (error: unknown) =>
      error instanceof InvalidInputError && error.problems[0].location.file === newer && /schema version 2; this courier reads up to 1/.test(error.message)
  )

  const foreign = new SQL.Database()
  foreign.run('CREATE TABLE invoices (id INTEGER, total REAL)')
  const foreignFile = await tempFile('shop.db')
  await writeFile(foreignFile, foreign.export())
  foreign.close()
  await assert.rejects(
    HistoryDb.open(foreignFile),
    (error: unknown) =>
      error instanceof InvalidInputError &&
      error.problems[0].location.file === foreignFile &&
      /something else/.test(error.message) &&
      /invoices/.test(error.message)
  )
  // nor does recording write into it
  await assert.rejects(
    updateHistory(foreignFile, (db) => {
      db.insert(historyRun())
    }),
    InvalidInputError
  )

  const damaged = await tempFile('damaged.sqlite')
  await writeFile(damaged, 'SQLite format 3\0'.padEnd(4096, 'x'))
  await assert.rejects(
    HistoryDb.open(damaged),
    (error: unknown) => error instanceof InvalidInputError && error.problems[0].location.file === damaged && /SQLite cannot read it/.test(error.message)
  )
  const text = await tempFile('notes.txt')
  await writeFile(text, 'not a database at all\n'.repeat(300))
  await assert.rejects(checkHistoryFile(text), (error: unknown) => error instanceof InvalidInputError && error.problems[0].location.file === text)

  await assert.rejects(
    HistoryDb.open(await tempFile('missing.sqlite')),
    (error: unknown) => error instanceof InvalidInputError && /no such history database/.test(error.message)
  )
})

test('an empty SQLite file (schema version 0) is migrated up the ladder to the current schema', async () => {
  const SQL = await initSqlJs()
  const empty = new SQL.Database()
  empty.run('PRAGMA user_version = 0')
  const file = await tempFile()
  await writeFile(file, empty.export())
  empty.close()
  await updateHistory(file, (db) => {
    db.insert(historyRun())
  })
  const db = await HistoryDb.open(file)
  assert.equal(db.runs().length, 1)
  db.close()
  const raw = new SQL.Database(await readFile(file))
  assert.equal(raw.exec('PRAGMA user_version')[0].values[0][0], HISTORY_SCHEMA_VERSION)
  raw.close()
})

test('two recordings into one file at once both land (the lock file), and a lock left by a dead process is taken over', async () => {
  const file = await tempFile()
  await Promise.all(
    ['x', 'y', 'z'].map(
      async (id) =>
        await updateHistory(file, (db) => {
          db.insert(historyRun({ runId: id, set: id }))
        })
    )
  )
  const db = await HistoryDb.open(file)
  assert.deepEqual(
    db
      .runs()
      .map((r) => r.runId)
      .sort(),
    ['x', 'y', 'z']
  )
  db.close()
  assert.ok(!existsSync(`${file}.lock`), 'the lock is released')
  // pid 2^22 + 1 is above Linux's pid_max: no such process
  await writeFile(`${file}.lock`, String(4194305))
  await updateHistory(file, (d) => {
    d.insert(historyRun({ runId: 'w', set: 'w' }))
  })
  assert.ok(!existsSync(`${file}.lock`))
})

test('a history path under a file is refused before a run; a save that cannot write is an infrastructure error naming the file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'courier-history-'))
  await writeFile(join(dir, 'plain'), 'x')
  const under = join(dir, 'plain', 'history.sqlite')
  await assert.rejects(checkHistoryFile(under), (error: unknown) => error instanceof InvalidInputError && error.problems[0].location.file === under)
  await checkHistoryFile(join(dir, 'new', 'deeper', 'history.sqlite'))
  const db = await HistoryDb.open(join(dir, 'ok.sqlite'), { create: true })
  Object.defineProperty(db, 'file', { value: under })
  await assert.rejects(db.save(), (error: unknown) => error instanceof InfrastructureError && error.message.includes(under))
  db.close()
})

// The history database: every recorded run's figures in one SQLite file (sql.js: SQLite compiled
// to WebAssembly, so nothing is compiled on install and no server runs). sql.js holds the database
// in memory, so a write is read, change, write back whole; a lock file keeps two nightlies that
// share one file from losing each other's rows, and the write goes through a temporary file and a
// rename so a crash never leaves half a database.
import { constants } from 'node:fs'
import { access, mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import initSqlJs, { type Database, type SqlJsStatic, type SqlValue } from 'sql.js'
import { InfrastructureError, InvalidInputError, type MetricUnit, type MetricValue } from '../interface/index.js'
import type { LatencySamples } from '../analysis/index.js'
import type { Tolerance } from '../compare/index.js'

/** One run as the history keeps it. */
export interface HistoryRun {
  /**
   * results.json's runId (the run directory's name, so `run-1` every night). With `startedAt` it
   * names one run: recording it again replaces it; another night's `run-1` is another run.
   */
  runId: string
  /** Runs recorded together (one `courier run`, its repeats included) form one point of a trend. */
  set: string
  /** Wall-clock start of the run, ISO 8601. */
  startedAt: string
  scenario: { name: string; hash: string }
  seed: number
  build: HistoryBuild
  verdict: string
  status: string
  dir: string
  /** The scenario's `regress:` tolerances, so a trend judges figures as `courier compare` would. */
  tolerances: Tolerance[]
  metrics: Record<string, MetricValue>
  latencies: LatencySamples
}

export interface HistoryBuild {
  /** What tells builds apart: the app file's sha256, else courier's version and commit. */
  key: string
  /** The axis label: app version (build), or courier's version and commit. */
  label: string
  appSha256: string | null
  appId: string | null
  appVersion: string | null
  courierVersion: string
  courierCommit: string | null
}

/** The schema this courier writes; older files are migrated, newer ones refused. */
export const HISTORY_SCHEMA_VERSION = 1
const FORMAT = 'courier-history'

/** MIGRATIONS[i] takes a database from schema version i to i + 1. */
const MIGRATIONS: Array<(db: Database) => void> = [
  (db) => {
    db.exec(`
      CREATE TABLE courier_history (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        run_id TEXT NOT NULL,
        set_key TEXT NOT NULL,
        started_at TEXT NOT NULL,
        scenario_name TEXT NOT NULL,
        scenario_hash TEXT NOT NULL,
        seed INTEGER NOT NULL,
        build_key TEXT NOT NULL,
        build_label TEXT NOT NULL,
        app_sha256 TEXT,
        app_id TEXT,
        app_version TEXT,
        courier_version TEXT NOT NULL,
        courier_commit TEXT,
        verdict TEXT NOT NULL,
        status TEXT NOT NULL,
        dir TEXT NOT NULL,
        tolerances TEXT NOT NULL,
        latencies TEXT NOT NULL,
        UNIQUE (run_id, started_at)
      );
      CREATE INDEX runs_by_scenario ON runs (scenario_name, scenario_hash, started_at);
      CREATE TABLE figures (
        run INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        metric TEXT NOT NULL,
        value REAL,
        unit TEXT NOT NULL,
        PRIMARY KEY (run, metric)
      );`)
    db.run('INSERT INTO courier_history (key, value) VALUES (?, ?)', ['format', FORMAT])
  }
]

let engine: Promise<SqlJsStatic> | null = null
function sqlite(): Promise<SqlJsStatic> {
  engine ??= initSqlJs()
  return engine
}

function refuse(file: string, message: string, hint: string, found?: string): InvalidInputError {
  return new InvalidInputError([{ location: { file: resolve(file) }, path: '', message, hint, ...(found == null ? {} : { found }) }])
}

/** An open history database, in memory until `save`. */
export class HistoryDb {
  private constructor(
    private readonly db: Database,
    readonly file: string
  ) {}

  /**
   * Opens FILE; with `create`, a missing file is a new empty history. A file that is not SQLite,
   * is another program's database or comes from a newer courier is the user's mistake (exit 2).
   */
  static async open(file: string, options: { create?: boolean } = {}): Promise<HistoryDb> {
    const found = await stat(file).catch((error: NodeJS.ErrnoException) => error)
    let bytes: Uint8Array | null = null
    if (found instanceof Error) {
      if (found.code !== 'ENOENT')
        throw refuse(file, `cannot read the history database (${found.code ?? found.message})`, 'give a history file you can read and write')
      if (options.create !== true)
        throw refuse(file, 'no such history database', 'record runs into it first: courier run --history FILE, or courier report RUN_DIR --history FILE')
    } else if (!found.isFile()) {
      throw refuse(file, 'the history database path is not a file', 'give a file path (e.g. runs/history.sqlite)')
    } else {
      bytes = await readFile(file)
    }
    const SQL = await sqlite()
    const db = bytes == null || bytes.length === 0 ? new SQL.Database() : new SQL.Database(bytes)
    try {
      migrate(db, file)
    } catch (error) {
      db.close()
      if (error instanceof InvalidInputError) throw error
      // sqlite reads the header lazily: a damaged or foreign file fails on the first query
      throw refuse(
        file,
        'not a courier history database: SQLite cannot read it',
        'it is damaged or not SQLite; move it away and courier starts a new history there',
        error instanceof Error ? error.message : String(error)
      )
    }
    return new HistoryDb(db, file)
  }

  /** Adds a run, replacing an earlier recording of the same run (runId and start). */
  insert(run: HistoryRun): void {
    const { db } = this
    db.run('BEGIN')
    try {
      db.run('DELETE FROM figures WHERE run IN (SELECT id FROM runs WHERE run_id = ? AND started_at = ?)', [run.runId, run.startedAt])
      db.run('DELETE FROM runs WHERE run_id = ? AND started_at = ?', [run.runId, run.startedAt])
      db.run(
        `INSERT INTO runs (run_id, set_key, started_at, scenario_name, scenario_hash, seed, build_key, build_label, app_sha256, app_id, app_version, courier_version, courier_commit, verdict, status, dir, tolerances, latencies)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          run.runId,
          run.set,
          run.startedAt,
          run.scenario.name,
          run.scenario.hash,
          run.seed,
          run.build.key,
          run.build.label,
          run.build.appSha256,
          run.build.appId,
          run.build.appVersion,
          run.build.courierVersion,
          run.build.courierCommit,
          run.verdict,
          run.status,
          run.dir,
          JSON.stringify(run.tolerances),
          JSON.stringify(compactLatencies(run.latencies))
        ]
      )
      const id = Number(db.exec('SELECT last_insert_rowid()')[0].values[0][0])
      const statement = db.prepare('INSERT INTO figures (run, metric, value, unit) VALUES (?, ?, ?, ?)')
      try {
        for (const [metric, m] of Object.entries(run.metrics)) {
          const value = typeof m.value === 'boolean' ? (m.value ? 1 : 0) : typeof m.value === 'number' && Number.isFinite(m.value) ? m.value : null
          statement.bind([id, metric, value, m.unit])
          statement.step()
        }
      } finally {
        statement.free()
      }
      db.run('COMMIT')
    } catch (error) {
      db.run('ROLLBACK')
      throw error
    }
  }

  /** The scenarios recorded: name, content hash, how many runs and when the last started. */
  scenarios(): Array<{ name: string; hash: string; runs: number; last: string }> {
    return rows(
      this.db,
      'SELECT scenario_name, scenario_hash, COUNT(*), MAX(started_at) FROM runs GROUP BY scenario_name, scenario_hash ORDER BY MAX(started_at)'
    ).map(([name, hash, runs, last]) => ({ name: String(name), hash: String(hash), runs: Number(runs), last: String(last) }))
  }

  /** Runs in the order they started, optionally of one scenario (by name, and content hash if given). */
  runs(filter: { scenarioName?: string; scenarioHash?: string } = {}): HistoryRun[] {
    const where: string[] = []
    const params: SqlValue[] = []
    if (filter.scenarioName != null) {
      where.push('scenario_name = ?')
      params.push(filter.scenarioName)
    }
    if (filter.scenarioHash != null) {
      where.push('scenario_hash = ?')
      params.push(filter.scenarioHash)
    }
    const selection = where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`
    const list = rows(
      this.db,
      `SELECT id, run_id, set_key, started_at, scenario_name, scenario_hash, seed, build_key, build_label, app_sha256, app_id, app_version, courier_version, courier_commit, verdict, status, dir, tolerances, latencies
      FROM runs ${selection} ORDER BY started_at, id`,
      params
    )
    const figures = new Map<number, Record<string, MetricValue>>()
    for (const [run, metric, value, unit] of rows(
      this.db,
      `SELECT run, metric, value, unit FROM figures WHERE run IN (SELECT id FROM runs ${selection})`,
      params
    )) {
      const id = Number(run)
      let table = figures.get(id)
      if (table == null) figures.set(id, (table = {}))
      const u = String(unit) as MetricUnit
      table[String(metric)] = { value: value == null ? null : u === 'boolean' ? Number(value) !== 0 : Number(value), unit: u }
    }
    const text = (v: SqlValue): string | null => (v == null ? null : String(v))
    return list.map((r) => ({
      runId: String(r[1]),
      set: String(r[2]),
      startedAt: String(r[3]),
      scenario: { name: String(r[4]), hash: String(r[5]) },
      seed: Number(r[6]),
      build: {
        key: String(r[7]),
        label: String(r[8]),
        appSha256: text(r[9]),
        appId: text(r[10]),
        appVersion: text(r[11]),
        courierVersion: String(r[12]),
        courierCommit: text(r[13])
      },
      verdict: String(r[14]),
      status: String(r[15]),
      dir: String(r[16]),
      tolerances: JSON.parse(String(r[17])) as Tolerance[],
      latencies: JSON.parse(String(r[18])) as LatencySamples,
      metrics: figures.get(Number(r[0])) ?? {}
    }))
  }

  /** Writes the database back to its file: a temporary file, then a rename. */
  async save(): Promise<void> {
    const tmp = `${this.file}.${process.pid}.tmp`
    try {
      await mkdir(dirname(resolve(this.file)), { recursive: true })
      await writeFile(tmp, this.db.export())
      await rename(tmp, this.file)
    } catch (error) {
      await rm(tmp, { force: true }).catch(() => {})
      throw new InfrastructureError(
        `could not write the history database ${resolve(this.file)}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
        { cause: error }
      )
    }
  }

  close(): void {
    this.db.close()
  }
}

/**
 * Before a run: can FILE be a history database (readable if it exists, its folder writable)?
 * A history that fails only after the run would cost the whole run.
 */
export async function checkHistoryFile(file: string): Promise<void> {
  const db = await HistoryDb.open(file, { create: true })
  db.close()
  let dir = dirname(resolve(file))
  // the folder may not exist yet: the nearest one that does must be writable
  for (;;) {
    const found = await stat(dir).catch(() => null)
    if (found != null) {
      if (!found.isDirectory()) throw refuse(file, `${dir} is not a directory, so the history database cannot be made there`, 'give another --history path')
      break
    }
    if (dirname(dir) === dir) break
    dir = dirname(dir)
  }
  try {
    await access(dir, constants.W_OK)
  } catch {
    throw refuse(file, `cannot write the history database there: ${dir} is not writable`, 'give a --history path in a folder you can write to')
  }
}

/**
 * Opens FILE (created when missing), lets `change` add to it and saves it, under FILE.lock: two
 * processes recording into one file take turns instead of overwriting each other's runs.
 */
export async function updateHistory<T>(file: string, change: (db: HistoryDb) => T): Promise<T> {
  const release = await lock(file)
  try {
    const db = await HistoryDb.open(file, { create: true })
    try {
      const result = change(db)
      await db.save()
      return result
    } finally {
      db.close()
    }
  } finally {
    await release()
  }
}

const LOCK_WAIT_MS = 30_000

async function lock(file: string): Promise<() => Promise<void>> {
  const path = `${resolve(file)}.lock`
  await mkdir(dirname(path), { recursive: true }).catch(() => {})
  const deadline = Date.now() + LOCK_WAIT_MS
  for (;;) {
    try {
      const handle = await open(path, 'wx')
      await handle.writeFile(String(process.pid))
      await handle.close()
      return async () => {
        await rm(path, { force: true })
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new InfrastructureError(`could not lock the history database (${path}): ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, {
          cause: error
        })
      }
    }
    // a lock whose process is gone (killed mid-write) is stale
    const owner = Number((await readFile(path, 'utf8').catch(() => '')).trim())
    if (Number.isInteger(owner) && owner > 0 && !alive(owner)) {
      await rm(path, { force: true })
      continue
    }
    if (Date.now() > deadline)
      throw new InfrastructureError(`the history database is locked by process ${owner} (${path}); remove the lock file if that process is gone`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

function migrate(db: Database, file: string): void {
  const version = Number(db.exec('PRAGMA user_version')[0].values[0][0])
  const tables = rows(db, "SELECT name FROM sqlite_master WHERE type = 'table'").map((r) => String(r[0]))
  if (version > HISTORY_SCHEMA_VERSION) {
    throw refuse(
      file,
      `the history database has schema version ${version}; this courier reads up to ${HISTORY_SCHEMA_VERSION}`,
      'it was written by a newer courier: use that one, or another --history file'
    )
  }
  if (tables.length > 0) {
    const format = tables.includes('courier_history') ? rows(db, "SELECT value FROM courier_history WHERE key = 'format'")[0]?.[0] : undefined
    if (format !== FORMAT)
      throw refuse(
        file,
        'not a courier history database: it is an SQLite database of something else',
        'give another --history file; courier never writes into a database it did not make',
        `tables ${tables.slice(0, 5).join(', ')}`
      )
  }
  for (let v = version; v < HISTORY_SCHEMA_VERSION; v++) {
    db.run('BEGIN')
    MIGRATIONS[v](db)
    db.run(`PRAGMA user_version = ${v + 1}`)
    db.run('COMMIT')
  }
}

function rows(db: Database, sql: string, params: SqlValue[] = []): SqlValue[][] {
  const statement = db.prepare(sql)
  const out: SqlValue[][] = []
  try {
    statement.bind(params)
    while (statement.step()) out.push(statement.get())
  } finally {
    statement.free()
  }
  return out
}

/** Microseconds are finer than any clock that measured them; fewer digits keep a year of nights small. */
function compactLatencies(samples: LatencySamples): LatencySamples {
  const round = (xs: number[]): number[] => xs.map((x) => Math.round(x * 1000) / 1000)
  const each = (table: Record<string, number[]>): Record<string, number[]> => Object.fromEntries(Object.entries(table).map(([k, v]) => [k, round(v)]))
  return { overall: round(samples.overall), render: round(samples.render), devices: each(samples.devices), renderDevices: each(samples.renderDevices) }
}

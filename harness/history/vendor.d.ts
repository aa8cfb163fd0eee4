// The part of sql.js (SQLite compiled to WebAssembly) the history store uses; @types/sql.js would
// bring @types/emscripten along for four calls.
declare module 'sql.js' {
  export type SqlValue = number | string | Uint8Array | null
  export interface QueryExecResult { columns: string[], values: SqlValue[][] }
  export interface Statement {
    bind (values?: SqlValue[]): boolean
    step (): boolean
    get (): SqlValue[]
    getColumnNames (): string[]
    free (): boolean
  }
  export interface Database {
    run (sql: string, params?: SqlValue[]): Database
    exec (sql: string, params?: SqlValue[]): QueryExecResult[]
    prepare (sql: string): Statement
    export (): Uint8Array
    close (): void
  }
  export interface SqlJsStatic { Database: new (data?: ArrayLike<number> | Buffer | null) => Database }
  export default function initSqlJs (config?: { locateFile?: (file: string) => string }): Promise<SqlJsStatic>
}

// The part of Mocha's API courier's flow runner uses. Mocha ships no types, and @types/mocha
// would also declare describe/it as globals across the whole project, where node:test is used.
declare module 'mocha' {
  interface MochaOptions {
    timeout?: number
    reporter?: new (runner: Runner) => unknown
    ui?: 'bdd'
    color?: boolean
    allowUncaught?: boolean
    checkLeaks?: boolean
    fullTrace?: boolean
  }

  interface Runnable {
    title: string
    type: 'test' | 'hook'
    duration?: number
    state?: 'passed' | 'failed' | 'pending'
    parent?: Suite
    fullTitle(): string
  }

  interface Suite {
    title: string
    parent?: Suite
  }

  interface Runner {
    total: number
    on(event: 'pass', listener: (test: Runnable) => void): this
    on(event: 'fail', listener: (runnable: Runnable, error: unknown) => void): this
    on(event: 'pending', listener: (test: Runnable) => void): this
    on(event: 'end', listener: () => void): this
    abort(): this
  }

  class Mocha {
    constructor (options?: MochaOptions)
    addFile (file: string): this
    /** `esmDecorator` rewrites each module URL before it is imported (here: to load a spec afresh). */
    loadFilesAsync (options?: { esmDecorator?: (file: URL | string) => string }): Promise<void>
    run (done?: (failures: number) => void): Runner
    dispose (): void
  }

  export default Mocha
}

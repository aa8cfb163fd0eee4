// What the benchmark scripts share: the crowded-topic fleet they measure, and an older commit
// built beside this one to measure against in the same run.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export const REPO_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)))

/**
 * The benchmarks' scenario: `relays` relays and 2 stores, a crowd of 3000 on one topic posting
 * 512 B messages at `rate` per second, 4 simulated devices in it, for `seconds`.
 */
export function crowdedTopicScenario(options: { name: string; relays: number; rate: number; seconds: number; capture: string; maxLagP99Ms?: number }): string {
  return `name: ${options.name}
seed: 1
duration: ${options.seconds}s
grace: 3s
network: { relays: ${options.relays}, stores: 2 }
crowd: { topic: lobby, users: 3000, rate: ${options.rate}/s, size: 512B }
devices:
  d1: {}
  d2: {}
  d3: {}
  d4: {}
capture: ${options.capture}
${options.maxLagP99Ms == null ? '' : `harness: { maxLagP99: ${options.maxLagP99Ms}ms }\n`}`
}

/**
 * Checks `commit` out into a temporary worktree (sharing this checkout's node_modules), builds it
 * with `build` (a command and its arguments, run there), hands its root to `use`, and removes it
 * whatever happens.
 */
export async function withOlderBuild<T>(commit: string, build: string[], use: (root: string, work: string) => Promise<T>): Promise<T> {
  const work = mkdtempSync(join(tmpdir(), 'courier-bench-older-'))
  const older = join(work, 'older')
  try {
    const add = spawnSync('git', ['-C', REPO_ROOT, 'worktree', 'add', '--detach', older, commit], { encoding: 'utf8' })
    if (add.status !== 0) throw new Error(`git worktree add ${commit}: ${add.stderr}`)
    symlinkSync(join(REPO_ROOT, 'node_modules'), join(older, 'node_modules'))
    const built = spawnSync(build[0], build.slice(1), { cwd: older, encoding: 'utf8' })
    if (built.status !== 0) throw new Error(`${build.join(' ')} at ${commit}: ${built.stdout}${built.stderr}`)
    return await use(older, work)
  } finally {
    spawnSync('git', ['-C', REPO_ROOT, 'worktree', 'remove', '--force', older])
    rmSync(work, { recursive: true, force: true })
  }
}

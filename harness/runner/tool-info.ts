import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { cpus, hostname, totalmem } from 'node:os'
import type { ToolInfo } from '../interface/index.js'

export function toolInfo(): ToolInfo {
  return {
    courier: packageVersion('../../../package.json'),
    node: process.version,
    libp2p: packageVersion('../../../node_modules/libp2p/package.json'),
    gitCommit: gitCommit(),
    host: { platform: process.platform, arch: process.arch, cpus: cpus().length, memoryGb: Math.round(totalmem() / 1e9), hostname: hostname() }
  }
}

function packageVersion(relative: string): string {
  try {
    return (JSON.parse(readFileSync(new URL(relative, import.meta.url), 'utf8')) as { version: string }).version
  } catch {
    return 'unknown'
  }
}

function gitCommit(): string | undefined {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: new URL('../../..', import.meta.url), stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim()
  } catch {
    return undefined
  }
}

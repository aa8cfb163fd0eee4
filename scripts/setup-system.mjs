// Installs the Debian packages the tests need (tcpdump, chromium) when they are missing and we
// are root; prints what it did. Without root it only reports, and the tests that need a missing
// tool say so.
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'

const wanted = [
  { pkg: 'tcpdump', present: () => which('tcpdump') },
  { pkg: 'chromium', present: () => existsSync('/usr/bin/chromium') }
]
const missing = wanted.filter((w) => !w.present()).map((w) => w.pkg)
if (missing.length === 0) process.exit(0)
if (process.getuid?.() !== 0) {
  console.log(`setup: missing ${missing.join(', ')} and not root; tests needing them will report it`)
  process.exit(0)
}
console.log(`setup: installing ${missing.join(', ')} from Debian packages`)
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
run(['apt-get', 'update', '-qq'])
run(['apt-get', 'install', '-y', '-qq', '--no-install-recommends', ...missing])

function run(argv) {
  const result = spawnSync(argv[0], argv.slice(1), { stdio: ['ignore', 'ignore', 'inherit'], env })
  if (result.status !== 0) console.log(`setup: ${argv.join(' ')} failed (exit ${result.status}); tests needing it will report it`)
}
function which(cmd) {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

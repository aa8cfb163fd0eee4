// Kernel shaping probe: what it reports must agree with the kernel's own build configuration, it
// must leave no namespace behind, and a backend that is unavailable is never selected.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { release } from 'node:os'
import { gunzipSync } from 'node:zlib'
import { kernelShapingSupport, linkBackends, netemAvailability, selectLinkBackend } from '../../harness/links/index.js'
import { InfrastructureError } from '../../harness/interface/index.js'

/** The kernel's build config, from /proc/config.gz or /boot; undefined when neither is readable. */
function kernelConfig(): string | undefined {
  try {
    if (existsSync('/proc/config.gz')) return gunzipSync(readFileSync('/proc/config.gz')).toString()
    const boot = `/boot/config-${release()}`
    if (existsSync(boot)) return readFileSync(boot, 'utf8')
  } catch {}
  return undefined
}

function configured(config: string, option: string): boolean | undefined {
  if (new RegExp(`^# ${option} is not set$`, 'm').test(config)) return false
  if (new RegExp(`^${option}=y$`, 'm').test(config)) return true
  return undefined // a module (=m) may or may not load; the probe is the judge
}

const root = process.platform === 'linux' && process.getuid?.() === 0

test('the probe agrees with the kernel build config on netem and tbf, and explains a missing netem', {
  skip: root ? false : 'needs root on Linux'
}, async () => {
  const support = await kernelShapingSupport()
  const config = kernelConfig()
  if (config == null) {
    assert.equal(typeof support.netem.available, 'boolean')
    return
  }
  const netem = configured(config, 'CONFIG_NET_SCH_NETEM')
  if (netem != null) assert.equal(support.netem.available, netem, support.netem.reason)
  if (netem === false) assert.match(support.netem.reason, /netem/i)
  const tbf = configured(config, 'CONFIG_NET_SCH_TBF')
  if (tbf != null) assert.equal(support.tbf.available, tbf, support.tbf.reason)
  assert.equal((await netemAvailability()).available, support.netem.available)
})

test('the probe leaves no namespace behind', { skip: root ? false : 'needs root on Linux' }, async () => {
  await kernelShapingSupport()
  const namespaces = execFileSync('ip', ['netns', 'list']).toString()
  assert.doesNotMatch(namespaces, new RegExp(`courier-probe-${process.pid}-`))
})

test('backends: userspace is always available and chosen by auto; netem is unavailable and refuses to be selected', async () => {
  const backends = await linkBackends()
  assert.deepEqual(
    backends.map((b) => b.name),
    ['userspace', 'netem']
  )
  assert.equal(backends[0].available, true)
  assert.equal(backends[1].available, false)
  assert.match(backends[1].reason, /not implemented/)
  assert.equal((await selectLinkBackend('auto')).name, 'userspace')
  assert.equal((await selectLinkBackend('userspace')).name, 'userspace')
  await assert.rejects(selectLinkBackend('netem'), (err: unknown) => err instanceof InfrastructureError && /netem is unavailable/.test(err.message))
})

// What the kernel can shape here, found by trying it in a network namespace courier creates and
// deletes: the host's own interfaces are never touched.
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { InfrastructureError } from '../interface/index.js'

/** Whether a kernel facility works here, and why not when it does not. */
export interface Availability {
  available: boolean
  reason: string
}

/** Kernel shaping facilities probed in a throwaway namespace. */
export interface KernelShapingSupport {
  /** `tc qdisc ... netem` (delay, jitter, loss, rate): needs CONFIG_NET_SCH_NETEM. */
  netem: Availability
  /** `tc qdisc ... tbf` (rate limiting). */
  tbf: Availability
  /** The `nft` tool, for `numgen random` drops. */
  nftables: Availability
}

/** The link shaping backends courier knows, and whether each can be used here. */
export interface LinkBackendInfo {
  name: 'userspace' | 'netem'
  available: boolean
  reason: string
}

interface RunResult {
  code: number
  stdout: string
  stderr: string
}

async function run(argv: string[], timeoutMs = 5000): Promise<RunResult> {
  return await new Promise((resolve) => {
    execFile(argv[0], argv.slice(1), { timeout: timeoutMs }, (error, stdout, stderr) => {
      const code = error == null ? 0 : typeof (error as NodeJS.ErrnoException).code === 'number' ? Number((error as NodeJS.ErrnoException).code) : -1
      const missing = (error as NodeJS.ErrnoException | null)?.code === 'ENOENT'
      resolve({ code, stdout: String(stdout), stderr: missing ? `${argv[0]}: not found` : String(stderr).trim() || (error?.message ?? '') })
    })
  })
}

let cached: Promise<KernelShapingSupport> | undefined

/**
 * Probes netem, tbf and nft: creates a namespace `courier-probe-<pid>-<random>` holding a veth
 * pair, adds a 1 ms netem delay and a tbf rate limit to one end, and deletes the namespace (which
 * takes the veths and qdiscs with it). Needs root and iproute2; without them everything is
 * reported unavailable with the reason. The answer is cached for the process.
 */
export async function kernelShapingSupport(): Promise<KernelShapingSupport> {
  cached ??= probe()
  return await cached
}

/** netem only: what the kernel backend needs. */
export async function netemAvailability(): Promise<Availability> {
  return (await kernelShapingSupport()).netem
}

async function probe(): Promise<KernelShapingSupport> {
  const nft = await run(['nft', '--version'])
  const nftables: Availability =
    nft.code === 0 ? { available: true, reason: nft.stdout.trim() } : { available: false, reason: `nft is not usable: ${nft.stderr}` }
  const none = (reason: string): KernelShapingSupport => ({ netem: { available: false, reason }, tbf: { available: false, reason }, nftables })
  if (process.platform !== 'linux') return none(`kernel shaping needs Linux; this is ${process.platform}`)
  if (process.getuid?.() !== 0) return none('kernel shaping needs root (network namespaces and tc)')
  const namespace = `courier-probe-${process.pid}-${randomBytes(3).toString('hex')}`
  const added = await run(['ip', 'netns', 'add', namespace])
  if (added.code !== 0) return none(`cannot create a network namespace: ${added.stderr}`)
  try {
    const veth = await run(['ip', '-n', namespace, 'link', 'add', 'cpa', 'type', 'veth', 'peer', 'name', 'cpb'])
    if (veth.code !== 0) return none(`cannot create a veth pair in a namespace: ${veth.stderr}`)
    const inNs = (args: string[]): string[] => ['ip', 'netns', 'exec', namespace, ...args]
    const netemRun = await run(inNs(['tc', 'qdisc', 'add', 'dev', 'cpa', 'root', 'netem', 'delay', '1ms']))
    const netem: Availability =
      netemRun.code === 0
        ? { available: true, reason: 'tc accepted a netem qdisc on a veth in a test namespace' }
        : { available: false, reason: `tc refused netem on a veth in a test namespace: ${netemRun.stderr} (kernel built without CONFIG_NET_SCH_NETEM?)` }
    const tbfRun = await run(inNs(['tc', 'qdisc', 'replace', 'dev', 'cpb', 'root', 'tbf', 'rate', '1mbit', 'burst', '32kbit', 'latency', '400ms']))
    const tbf: Availability =
      tbfRun.code === 0
        ? { available: true, reason: 'tc accepted a tbf qdisc on a veth in a test namespace' }
        : { available: false, reason: `tc refused tbf: ${tbfRun.stderr}` }
    return { netem, tbf, nftables }
  } finally {
    // Deleting the namespace removes its veths and their qdiscs.
    await run(['ip', 'netns', 'del', namespace])
  }
}

/**
 * Every backend and whether it can shape links here. `userspace` always can. `netem` is listed
 * as unavailable: courier has no netem backend yet (it could not be tested on the machines it is
 * built on, whose kernel lacks netem), and the reason says whether this kernel would support one.
 */
export async function linkBackends(): Promise<LinkBackendInfo[]> {
  const netem = await netemAvailability()
  return [
    { name: 'userspace', available: true, reason: 'a TCP relay on the connections courier owns; needs nothing from the kernel' },
    {
      name: 'netem',
      available: false,
      reason: `not implemented in courier (see harness/links/README.md, "Kernel backend"); this kernel: ${netem.available ? 'has netem' : netem.reason}`
    }
  ]
}

/**
 * The backend to use for `preference`: `auto` and `userspace` give `userspace`; asking for a
 * backend that is unavailable throws InfrastructureError with the reason rather than quietly
 * shaping some other way.
 */
export async function selectLinkBackend(preference: 'auto' | 'userspace' | 'netem' = 'auto'): Promise<LinkBackendInfo> {
  const backends = await linkBackends()
  if (preference === 'auto') return backends.find((b) => b.available) as LinkBackendInfo
  const chosen = backends.find((b) => b.name === preference)
  if (chosen == null) throw new InfrastructureError(`unknown link backend "${String(preference)}"`)
  if (!chosen.available) throw new InfrastructureError(`link backend ${chosen.name} is unavailable: ${chosen.reason}`)
  return chosen
}

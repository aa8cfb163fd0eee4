import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { randomBytes } from 'node:crypto'

/**
 * A network namespace of the test's own, reached from the host over a veth pair: a "remote host"
 * whose traffic crosses an interface that is not loopback, as a real server's would.
 */
export interface TestNamespace {
  name: string
  /** The host's end of the veth. */
  hostAddress: string
  /** The namespace's end: where its services listen. */
  address: string
  /** Runs `node -e source` inside the namespace; it must print `ready` once listening. */
  startNode: (source: string) => Promise<ChildProcess & { output: () => string }>
  remove: () => Promise<void>
}

export async function createTestNamespace(): Promise<TestNamespace> {
  const tag = randomBytes(3).toString('hex')
  const name = `courier-t-${tag}`
  const [hostIf, nsIf] = [`ct${tag}h`, `ct${tag}n`]
  // a /30 from 10.231.0.0/16 picked from the tag: two tests at once take different ones
  const block = (parseInt(tag, 16) % 16_000) * 4
  const base = `10.231.${Math.floor(block / 256)}.`
  const [hostAddress, address] = [`${base}${(block % 256) + 1}`, `${base}${(block % 256) + 2}`]
  const children: ChildProcess[] = []
  await ip('netns', 'add', name)
  const remove = async (): Promise<void> => {
    for (const child of children) child.kill('SIGKILL')
    await ip('netns', 'del', name).catch(() => {})
    await ip('link', 'del', hostIf).catch(() => {})
  }
  try {
    await ip('link', 'add', hostIf, 'type', 'veth', 'peer', 'name', nsIf)
    await ip('link', 'set', nsIf, 'netns', name)
    await ip('addr', 'add', `${hostAddress}/30`, 'dev', hostIf)
    await ip('link', 'set', hostIf, 'up')
    await ip('-n', name, 'addr', 'add', `${address}/30`, 'dev', nsIf)
    await ip('-n', name, 'link', 'set', nsIf, 'up')
    await ip('-n', name, 'link', 'set', 'lo', 'up')
  } catch (error) {
    await remove()
    throw error
  }
  return {
    name,
    hostAddress,
    address,
    remove,
    startNode: async (source) => {
      const child = spawn('ip', ['netns', 'exec', name, process.execPath, '-e', source], { stdio: ['ignore', 'pipe', 'pipe'] })
      children.push(child)
      let output = ''
      child.stdout.setEncoding('utf8')
      child.stderr.setEncoding('utf8')
      const ready = new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (chunk: string) => {
          output += chunk
          if (output.includes('ready')) resolve()
        })
        child.stderr.on('data', (chunk: string) => {
          output += chunk
        })
        void once(child, 'exit').then(() => {
          reject(new Error(`the namespace's node exited: ${output}`))
        })
      })
      await ready
      return Object.assign(child, { output: () => output })
    }
  }
}

async function ip(...args: string[]): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    execFile('ip', args, (error, _stdout, stderr) => {
      if (error != null) reject(new Error(`ip ${args.join(' ')}: ${stderr.trim() || error.message}`))
      else resolve()
    })
  })
}

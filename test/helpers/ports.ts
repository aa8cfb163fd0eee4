import { createServer } from 'node:net'

/**
 * A run of free TCP ports for a fleet with stable ports (network.ports). The base is drawn below
 * the kernel's ephemeral range (32768 and up here), so an outgoing connection of another test
 * cannot take one of them between this check and the fleet's listen.
 */
export async function freeBasePort(span = 40): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * (32_000 - span - 20_000))
    let free = true
    for (let port = base; port < base + span && free; port++) free = await portFree(port)
    if (free) return base
  }
  throw new Error('no free run of ports found')
}

export async function portFree(port: number): Promise<boolean> {
  return await new Promise((resolve) => {
    const server = createServer()
    server.once('error', () => {
      resolve(false)
    })
    server.listen(port, '127.0.0.1', () => {
      server.close(() => {
        resolve(true)
      })
    })
  })
}

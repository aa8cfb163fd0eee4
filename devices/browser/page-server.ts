import { createServer, type Server } from 'node:http'
import { readFile } from 'node:fs/promises'
import { extname, join } from 'node:path'

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.map': 'application/json',
  '.json': 'application/json'
}

export interface PageServer {
  url: string
  close: () => Promise<void>
}

/**
 * Serves the bundled page and this device's config.json on loopback, on a port of its own: one
 * server per browser device, so a page can only ever read its own configuration.
 */
export async function startPageServer(dir: string, config: unknown): Promise<PageServer> {
  const configJson = JSON.stringify(config)
  const files = new Map<string, Buffer>()
  const server: Server = createServer((request, response) => {
    void (async () => {
      const path = new URL(request.url ?? '/', 'http://localhost').pathname
      if (path === '/config.json') {
        response.writeHead(200, { 'content-type': TYPES['.json'], 'cache-control': 'no-store' })
        response.end(configJson)
        return
      }
      const name = path === '/' ? 'index.html' : path.slice(1)
      if (!/^[\w.-]+$/.test(name)) {
        response.writeHead(404).end()
        return
      }
      let body = files.get(name)
      if (body == null) {
        body = await readFile(join(dir, name)).catch(() => undefined)
        if (body == null) {
          response.writeHead(404).end()
          return
        }
        files.set(name, body)
      }
      response.writeHead(200, { 'content-type': TYPES[extname(name)] ?? 'application/octet-stream' })
      response.end(body)
    })().catch(() => {
      response.destroy()
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      resolve()
    })
  })
  const address = server.address()
  const port = typeof address === 'object' && address != null ? address.port : 0
  return {
    url: `http://127.0.0.1:${port}/`,
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>((resolve) => {
        server.close(() => {
          resolve()
        })
      })
    }
  }
}

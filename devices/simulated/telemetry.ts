import { request as httpRequest } from 'node:http'
import { request as httpsRequest } from 'node:https'

/** The reference client's telemetry, as status-go's (`TelemetryServerURL`): what it reports, when online. */
export interface TelemetryInit {
  url: string
  everyMs: number
  /** The report's body, read at each post. */
  report: () => Record<string, unknown>
  /** Posts only while this says the device is online. */
  online: () => boolean
  onError: (error: unknown) => void
}

const POST_TIMEOUT_MS = 5000

/**
 * Posts the device's counters as JSON to a server outside the p2p network, every `everyMs` and
 * once at start: the kind of contact the destinations report (results.destinations) exists to
 * show. One connection per post (no pooled sockets outlive the device). Returns the stop.
 */
export function startTelemetry(init: TelemetryInit): () => void {
  const url = new URL(init.url)
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest
  const pending = new Set<ReturnType<typeof httpRequest>>()
  const post = (): void => {
    if (!init.online()) return
    const body = JSON.stringify(init.report())
    const req = send(
      url,
      {
        method: 'POST',
        agent: false,
        timeout: POST_TIMEOUT_MS,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), connection: 'close' }
      },
      (res) => {
        res.resume()
        res.on('end', () => {
          pending.delete(req)
        })
      }
    )
    pending.add(req)
    req.on('timeout', () => {
      req.destroy(new Error(`telemetry: no answer from ${url.host} in ${POST_TIMEOUT_MS} ms`))
    })
    req.on('error', (error) => {
      pending.delete(req)
      init.onError(error)
    })
    req.end(body)
  }
  post()
  const timer = setInterval(post, init.everyMs)
  return () => {
    clearInterval(timer)
    for (const req of pending) req.destroy()
    pending.clear()
  }
}

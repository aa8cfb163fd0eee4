import { decode as decodeDns } from '@dnsquery/dns-packet'

/**
 * The server name a TLS ClientHello asks for (server_name extension, RFC 6066), from the first
 * bytes a client sent on a connection. No installed library reads a ClientHello from bytes (node's
 * tls only from a live socket it terminates itself); the record is simple and bounded, and every
 * length is checked against what is there, so a truncated or hostile packet gives undefined.
 */
export function clientHelloServerName(bytes: Uint8Array): string | undefined {
  const b = bytes
  // record: handshake (22), version 3.x; handshake: client_hello (1)
  if (b.length < 43 || b[0] !== 22 || b[1] !== 3 || b[5] !== 1) return undefined
  const end = Math.min(b.length, 5 + ((b[3] << 8) | b[4]))
  let o = 5 + 4 + 2 + 32 // handshake header, client version, random
  if (o >= end) return undefined
  o += 1 + b[o] // session id
  if (o + 2 > end) return undefined
  o += 2 + ((b[o] << 8) | b[o + 1]) // cipher suites
  if (o + 1 > end) return undefined
  o += 1 + b[o] // compression methods
  if (o + 2 > end) return undefined
  const extensionsEnd = Math.min(end, o + 2 + ((b[o] << 8) | b[o + 1]))
  o += 2
  while (o + 4 <= extensionsEnd) {
    const type = (b[o] << 8) | b[o + 1]
    const length = (b[o + 2] << 8) | b[o + 3]
    o += 4
    if (type === 0 && o + 5 <= extensionsEnd) {
      // server_name_list: length (2), then entries of type (1, 0 = host_name), length (2), name
      if (b[o + 2] !== 0) return undefined
      const nameLength = (b[o + 3] << 8) | b[o + 4]
      if (o + 5 + nameLength > extensionsEnd) return undefined
      const name = Buffer.from(b.buffer, b.byteOffset + o + 5, nameLength).toString('latin1')
      return /^[A-Za-z0-9.-]{1,253}$/.test(name) ? name.toLowerCase() : undefined
    }
    o += length
  }
  return undefined
}

/** The A and AAAA answers of a DNS response (UDP payload), through `@dnsquery/dns-packet`; anything else gives none. */
export function dnsAddressAnswers(bytes: Uint8Array): Array<{ name: string; address: string }> {
  try {
    const packet = decodeDns(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length))
    if (packet.type !== 'response') return []
    return (packet.answers ?? []).flatMap((a) =>
      (a.type === 'A' || a.type === 'AAAA') && typeof a.data === 'string' ? [{ name: a.name.toLowerCase(), address: a.data }] : []
    )
  } catch {
    return []
  }
}

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer, type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect } from 'node:tls'
import { encode as encodeDns, RECURSION_DESIRED } from '@dnsquery/dns-packet'
import {
  buildFrame,
  captureDestinations,
  clientHelloServerName,
  dnsAddressAnswers,
  LinkType,
  pcapGlobalHeader,
  pcapRecord,
  tcpdumpFilter,
  TcpFlags
} from '../../harness/capture/index.js'
import { destinationAllowed } from '../../harness/runner/index.js'

/** The first bytes a real TLS client (node's OpenSSL) sends for this server name, caught by a plain TCP server. */
async function realClientHello(servername: string): Promise<Buffer> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const first = new Promise<Buffer>((resolve) => {
    server.once('connection', (socket) => {
      socket.once('data', (data: Buffer) => {
        resolve(data)
        socket.destroy()
      })
    })
  })
  const client = connect({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, servername, rejectUnauthorized: false })
  client.on('error', () => {})
  try {
    return await first
  } finally {
    client.destroy()
    server.close()
  }
}

test('the server name of a real ClientHello is read; cut or foreign bytes give none', async () => {
  const hello = await realClientHello('telemetry.example')
  assert.equal(clientHelloServerName(hello), 'telemetry.example')
  // never a piece of the name: the whole name or nothing
  for (let cut = 0; cut < hello.length; cut++) assert.ok([undefined, 'telemetry.example'].includes(clientHelloServerName(hello.subarray(0, cut))))
  assert.equal(clientHelloServerName(hello.subarray(0, 60)), undefined)
  assert.equal(clientHelloServerName(Buffer.from('GET / HTTP/1.1\r\nHost: a\r\n\r\n')), undefined)
  assert.equal(clientHelloServerName(await realClientHello('other.example')), 'other.example')
})

test('DNS answers name addresses; a query or garbage names none', () => {
  const response = encodeDns({
    type: 'response',
    id: 7,
    flags: RECURSION_DESIRED,
    questions: [{ type: 'A', name: 'Push.Example' }],
    answers: [
      { type: 'A', name: 'Push.Example', data: '127.0.0.9', ttl: 30 },
      { type: 'AAAA', name: 'push.example', data: '::9', ttl: 30 }
    ]
  })
  assert.deepEqual(dnsAddressAnswers(response), [
    { name: 'push.example', address: '127.0.0.9' },
    { name: 'push.example', address: '::9' }
  ])
  assert.deepEqual(dnsAddressAnswers(encodeDns({ type: 'query', id: 7, questions: [{ type: 'A', name: 'push.example' }] })), [])
  assert.deepEqual(dnsAddressAnswers(Buffer.from([1, 2, 3])), [])
})

test('destinations: contacts outside the fleet grouped by server, named by SNI or DNS, with bytes and times; fleet traffic and traffic between fleet addresses are not', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'courier-dest-'))
  try {
    const init = { linkType: LinkType.ethernet }
    const records: Buffer[] = [pcapGlobalHeader(init)]
    let t = 1_000_000_000
    const packet = (
      src: string,
      sp: number,
      dst: string,
      dp: number,
      payload: Uint8Array | number,
      flags = TcpFlags.ack | TcpFlags.psh,
      protocol: 'tcp' | 'udp' = 'tcp'
    ): void => {
      records.push(
        pcapRecord(
          init,
          buildFrame({ linkType: LinkType.ethernet, src, dst, protocol, srcPort: sp, dstPort: dp, payload, ...(protocol === 'tcp' ? { tcp: { flags } } : {}) }),
          t
        )
      )
      t += 1000
    }
    // the fleet: a device and a relay, both on 127.0.0.1
    packet('127.0.0.1', 50000, '127.0.0.1', 60001, 500)
    packet('127.0.0.1', 60001, '127.0.0.1', 50000, 700)
    // an outside client (a phone) joining the fleet: the fleet is its server, not a destination
    packet('127.0.0.7', 45000, '127.0.0.1', 60001, 100)
    packet('127.0.0.1', 60001, '127.0.0.7', 45000, 900)
    // a DNS lookup of push.example at the host's resolver, then a TLS connection to it
    packet('127.0.0.1', 41000, '127.0.0.53', 53, encodeDns({ type: 'query', id: 1, questions: [{ type: 'A', name: 'push.example' }] }), 0, 'udp')
    packet(
      '127.0.0.53',
      53,
      '127.0.0.1',
      41000,
      encodeDns({
        type: 'response',
        id: 1,
        questions: [{ type: 'A', name: 'push.example' }],
        answers: [{ type: 'A', name: 'push.example', data: '127.0.0.9', ttl: 30 }]
      }),
      0,
      'udp'
    )
    packet('127.0.0.1', 42000, '127.0.0.9', 443, 0, TcpFlags.syn)
    packet('127.0.0.9', 443, '127.0.0.1', 42000, 0, TcpFlags.syn | TcpFlags.ack)
    const hello = await realClientHello('cdn.push.example')
    const helloAt = records.length
    packet('127.0.0.1', 42000, '127.0.0.9', 443, hello)
    packet('127.0.0.9', 443, '127.0.0.1', 42000, 1200)
    // plain HTTP to a telemetry server on another loopback address, twice, no name anywhere
    const telemetryFrom = t
    packet('127.0.0.1', 43000, '127.0.0.2', 8080, 300)
    packet('127.0.0.2', 8080, '127.0.0.1', 43000, 40)
    packet('127.0.0.1', 43001, '127.0.0.2', 8080, 310)
    const telemetryTo = t - 1000
    await writeFile(join(dir, 'c.pcap'), Buffer.concat(records))
    const found = await captureDestinations(join(dir, 'c.pcap'), { fleetHosts: new Set(['127.0.0.1']) })
    assert.deepEqual(
      found.map((d) => [d.protocol, `${d.ip}:${d.port}`, d.host, d.named, d.connections, d.bytesUp, d.bytesDown]),
      [
        ['udp', '127.0.0.53:53', undefined, undefined, 1, found[0].bytesUp, found[0].bytesDown],
        ['tcp', '127.0.0.9:443', 'cdn.push.example', 'sni', 1, found[1].bytesUp, 1200],
        ['tcp', '127.0.0.2:8080', undefined, undefined, 2, 610, 40]
      ]
    )
    assert.deepEqual(found[2].from, ['127.0.0.1:43000', '127.0.0.1:43001'])
    assert.equal(found[2].firstUs, telemetryFrom)
    assert.equal(found[2].lastUs, telemetryTo)
    // without the ClientHello (a plain connection) the DNS answer names it
    await writeFile(join(dir, 'd.pcap'), Buffer.concat(records.filter((_, i) => i !== helloAt)))
    const named = await captureDestinations(join(dir, 'd.pcap'), { fleetHosts: new Set(['127.0.0.1']) })
    assert.deepEqual(
      named.map((d) => [d.ip, d.host, d.named]),
      [
        ['127.0.0.53', undefined, undefined],
        ['127.0.0.9', 'push.example', 'dns'],
        ['127.0.0.2', undefined, undefined]
      ]
    )
    // counted as the fleet's address, the telemetry server is no destination
    assert.deepEqual(
      (await captureDestinations(join(dir, 'c.pcap'), { fleetHosts: new Set(['127.0.0.1', '127.0.0.2']) })).map((d) => d.ip),
      ['127.0.0.53', '127.0.0.9']
    )
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})

test('destinations.allow entries: host, *.domain, ip, with or without port', () => {
  const d = { ip: '127.0.0.9', port: 443, host: 'cdn.push.example' }
  assert.equal(destinationAllowed('cdn.push.example', d), true)
  assert.equal(destinationAllowed('*.push.example', d), true)
  assert.equal(destinationAllowed('*.push.example:443', d), true)
  assert.equal(destinationAllowed('*.push.example:80', d), false)
  assert.equal(destinationAllowed('push.example', d), false)
  assert.equal(destinationAllowed('127.0.0.9:443', d), true)
  assert.equal(destinationAllowed('127.0.0.2', d), false)
  assert.equal(destinationAllowed('[::9]:53', { ip: '::9', port: 53 }), true)
  assert.equal(destinationAllowed('::9', { ip: '::9', port: 53 }), true)
})

test('the capture filter keeps fleet ports and anything not between two fleet addresses', () => {
  assert.equal(
    tcpdumpFilter('lo', [4000, 4001], ['127.0.0.1', '::1']),
    '(tcp or udp) and (port 4000 or port 4001 or not ((src host 127.0.0.1 or src host ::1) and (dst host 127.0.0.1 or dst host ::1)))'
  )
  assert.throws(() => tcpdumpFilter('lo', [4000], ['localhost']), /not an IP address/)
})

test('destinations: two connections on one reused client port count as two; a resent SYN does not add one', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'courier-dest-'))
  try {
    const init = { linkType: LinkType.ethernet }
    const records: Buffer[] = [pcapGlobalHeader(init)]
    let t = 1_000_000_000
    const packet = (from: 'client' | 'server', flags: number, seq: number, payload = 0): void => {
      const [src, sp, dst, dp] = from === 'client' ? ['127.0.0.1', 50000, '127.0.0.2', 34651] : ['127.0.0.2', 34651, '127.0.0.1', 50000]
      records.push(
        pcapRecord(init, buildFrame({ linkType: LinkType.ethernet, src, dst, protocol: 'tcp', srcPort: sp, dstPort: dp, payload, tcp: { seq, flags } }), t)
      )
      t += 1000
    }
    const connection = (isn: number, synSent: number): void => {
      for (let i = 0; i < synSent; i++) packet('client', TcpFlags.syn, isn)
      packet('server', TcpFlags.syn | TcpFlags.ack, 7)
      packet('client', TcpFlags.ack | TcpFlags.psh, isn + 1, 120)
      packet('client', TcpFlags.fin | TcpFlags.ack, isn + 121)
      packet('server', TcpFlags.fin | TcpFlags.ack, 8)
    }
    // the first SYN is sent twice (a resend keeps its sequence number); the next connection reuses the port
    connection(1000, 2)
    connection(50_000, 1)
    await writeFile(join(dir, 'c.pcap'), Buffer.concat(records))
    const found = await captureDestinations(join(dir, 'c.pcap'), { fleetHosts: new Set(['127.0.0.1']) })
    assert.deepEqual(
      found.map((d) => [`${d.ip}:${d.port}`, d.connections, d.packets, d.bytesUp, d.from]),
      [['127.0.0.2:34651', 2, 11, 240, ['127.0.0.1:50000']]]
    )
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})

import type { CapturedPacket, Destination } from '../interface/index.js'
import { clientHelloServerName, dnsAddressAnswers } from './names.js'
import { readPcapBatches } from './pcap-reader.js'
import { TcpFlags } from './pcap-writer.js'
import { newTcpSessionMarks, noteTcpSegment, opensNewConnection, type TcpSessionMarks } from './tcp-session.js'

/**
 * One remote endpoint that something in the capture contacted, outside the fleet: results'
 * `Destination` on the capture's clock (microseconds), before the runner places it on the run
 * clock and judges it against the allow-list.
 */
export type CapturedDestination = Omit<Destination, 'firstMs' | 'lastMs' | 'allowedBy'> & { firstUs: number; lastUs: number }

export interface DestinationsInit {
  /** Addresses of the fleet: a conversation whose server is on one of them is never a destination. */
  fleetHosts: ReadonlySet<string>
  signal?: AbortSignal
}

interface Conv {
  protocol: 'tcp' | 'udp'
  client: string
  server: { ip: string; port: number }
  sni?: string
  packets: number
  up: number
  down: number
  firstUs: number
  lastUs: number
  tcp?: TcpSessionMarks
}

/**
 * Every remote endpoint the capture shows being contacted that is not the fleet: conversations
 * whose server (the receiver of the first packet, or the sender of a SYN-ACK) is not on one of
 * `fleetHosts`, grouped by that server. Names come from the capture
 * alone: a ClientHello's server name, or a DNS answer that gave the address.
 */
export async function captureDestinations(file: string, init: DestinationsInit): Promise<CapturedDestination[]> {
  const conversations = new Map<string, Conv>()
  const finished: Conv[] = []
  const dnsNames = new Map<string, string>()
  const add = (packet: CapturedPacket): void => {
    const ip = packet.ip
    const t = packet.transport
    if (ip == null || t == null || (ip.protocol !== 'tcp' && ip.protocol !== 'udp')) return
    // between two of courier's addresses: the fleet, or another program on the same address
    if (init.fleetHosts.has(ip.src) && init.fleetHosts.has(ip.dst)) return
    const src = `${ip.src}:${t.srcPort}`
    const dst = `${ip.dst}:${t.dstPort}`
    const key = `${ip.protocol} ${src < dst ? `${src} ${dst}` : `${dst} ${src}`}`
    let conv = conversations.get(key)
    if (conv?.tcp != null && t.tcp != null && opensNewConnection(conv.tcp, t.tcp)) {
      // the port was reused: the earlier connection stays counted as one of its own
      finished.push(conv)
      conv = undefined
    }
    if (conv == null) {
      // a SYN-ACK first (the capture began after the SYN) comes from the server
      const fromServer = t.tcp != null && (t.tcp.flags & (TcpFlags.syn | TcpFlags.ack)) === (TcpFlags.syn | TcpFlags.ack)
      conv = fromServer
        ? {
            protocol: ip.protocol,
            client: dst,
            server: { ip: ip.src, port: t.srcPort },
            packets: 0,
            up: 0,
            down: 0,
            firstUs: packet.timestampUs,
            lastUs: packet.timestampUs
          }
        : {
            protocol: ip.protocol,
            client: src,
            server: { ip: ip.dst, port: t.dstPort },
            packets: 0,
            up: 0,
            down: 0,
            firstUs: packet.timestampUs,
            lastUs: packet.timestampUs
          }
      if (ip.protocol === 'tcp') conv.tcp = newTcpSessionMarks()
      conversations.set(key, conv)
    }
    if (conv.tcp != null && t.tcp != null) noteTcpSegment(conv.tcp, t.tcp)
    conv.packets++
    conv.firstUs = Math.min(conv.firstUs, packet.timestampUs)
    conv.lastUs = Math.max(conv.lastUs, packet.timestampUs)
    const up = src === conv.client
    if (up) conv.up += t.payloadLength
    else conv.down += t.payloadLength
    const payload = packet.payload
    if (payload == null || payload.length === 0) return
    if (up && conv.protocol === 'tcp' && conv.sni == null && payload[0] === 22) conv.sni = clientHelloServerName(payload)
    if (!up && t.srcPort === 53) for (const { name, address } of dnsAddressAnswers(payload)) dnsNames.set(address, name)
  }
  for await (const batch of readPcapBatches(file, { payloads: true, signal: init.signal, onTruncated: () => {} })) {
    for (const packet of batch) add(packet)
  }
  const byServer = new Map<string, CapturedDestination>()
  for (const conv of [...finished, ...conversations.values()]) {
    // a device on loopback reaching 127.0.0.2 sends from 127.0.0.1: what counts is where it went
    if (init.fleetHosts.has(conv.server.ip)) continue
    const key = `${conv.protocol} ${conv.server.ip}:${conv.server.port}`
    let d = byServer.get(key)
    if (d == null) {
      d = {
        protocol: conv.protocol,
        ip: conv.server.ip,
        port: conv.server.port,
        from: [],
        connections: 0,
        packets: 0,
        bytesUp: 0,
        bytesDown: 0,
        firstUs: conv.firstUs,
        lastUs: conv.lastUs
      }
      byServer.set(key, d)
    }
    if (!d.from.includes(conv.client)) d.from.push(conv.client)
    d.connections++
    d.packets += conv.packets
    d.bytesUp += conv.up
    d.bytesDown += conv.down
    d.firstUs = Math.min(d.firstUs, conv.firstUs)
    d.lastUs = Math.max(d.lastUs, conv.lastUs)
    if (conv.sni != null && d.named !== 'sni') Object.assign(d, { host: conv.sni, named: 'sni' })
  }
  for (const d of byServer.values()) {
    const name = dnsNames.get(d.ip)
    if (d.host == null && name != null) Object.assign(d, { host: name, named: 'dns' })
  }
  return [...byServer.values()].sort((a, b) => a.firstUs - b.firstUs)
}

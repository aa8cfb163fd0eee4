import { createHash } from 'node:crypto'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import { gossipsub, type GossipSub } from '@libp2p/gossipsub'
import { identify, type Identify } from '@libp2p/identify'
import { ping, type Ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { createLibp2p, type Libp2p, type Libp2pOptions } from 'libp2p'
import { multiaddr } from '@multiformats/multiaddr'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { Ed25519PrivateKey } from '@libp2p/interface'
import { RELAY_PROTOCOL } from './codecs.js'
import { SocketAccounting, socketAccountingMetrics, type SocketAccountingInit } from './socket-accounting.js'

export type WakuLibp2p = Libp2p<{ identify: Identify, ping: Ping, pubsub: GossipSub }>

export interface WakuNodeInit {
  /** Stable identity: the same name and seed give the same peer id, so a restarted node is the same peer. */
  identitySeed: string
  /** TCP port on `host`; 0 picks a free one. */
  port?: number
  host?: string
  /** Whether to listen at all (simulated devices behind NAT need not). */
  listen?: boolean
  /** Socket byte accounting per connection and protocol, into the run's events. */
  accounting?: SocketAccountingInit
  /** Refuse to connect with a peer (a partition): asked on every dial and every inbound connection. */
  denyPeer?: (peerId: string) => boolean
  /**
   * How long gossipsub remembers a message id (default: gossipsub's 2 minutes). A client that
   * resends an unconfirmed message needs its own node to forget it sooner, or gossipsub refuses
   * the resend as a duplicate before it leaves the device.
   */
  seenTtlMs?: number
  /**
   * Where a TCP dial to `host:port` really goes (a link shaper's port in front of that peer).
   * Asked on every dial libp2p makes: topology dials, redials of keep-alive peers, protocol dials,
   * so an address a peer learned through identify cannot bypass the shaper.
   */
  dialPort?: (host: string, port: number) => number
}

/** The private key a node with this identity seed uses (a js-waku child builds its node from it, so partitions know its peer id). */
export async function identityKey (identitySeed: string): Promise<Ed25519PrivateKey> {
  const seed = createHash('sha256').update(`courier-identity/${identitySeed}`).digest()
  return await generateKeyPairFromSeed('Ed25519', new Uint8Array(seed))
}

/** The peer id a node created with this identity seed has, known before it starts. */
export async function peerIdForIdentity (identitySeed: string): Promise<string> {
  return peerIdFromPrivateKey(await identityKey(identitySeed)).toString()
}

/**
 * The libp2p recipe every courier node and simulated device shares: TCP, noise, yamux, identify,
 * and gossipsub configured as 11/WAKU2-RELAY (StrictNoSign, message id = sha256(data), the relay
 * protocol id). The loopback allowances are needed because every peer shares one IP here: without
 * them libp2p's inbound rate limit refuses dials and gossipsub's IP-colocation score keeps meshes
 * from forming (measured; see DESIGN.md).
 */
export async function createWakuNode (init: WakuNodeInit): Promise<WakuLibp2p> {
  const { options, accounting } = await baseOptions(init)
  const node = await createLibp2p({
    ...options,
    services: {
      identify: identify(),
      // clients pick their store node by libp2p ping round trip, as status-go does
      ping: ping(),
      pubsub: gossipsub({
        protocols: [RELAY_PROTOCOL],
        globalSignaturePolicy: 'StrictNoSign',
        msgIdFn: (message) => new Uint8Array(createHash('sha256').update(message.data).digest()),
        allowPublishToZeroTopicPeers: true,
        emitSelf: false,
        scoreParams: { IPColocationFactorWeight: 0 },
        ...(init.seenTtlMs == null ? {} : { seenTTL: init.seenTtlMs })
      })
    }
  })
  flushAccountingOnStop(node, accounting)
  return node
}

/** A light client's node: the same transport recipe without gossipsub, so it takes no part in relay at all. */
export type LightLibp2p = Libp2p<{ identify: Identify, ping: Ping }>

/**
 * Light mode (FILTER + LIGHTPUSH) talks to service nodes over plain request streams. Leaving
 * gossipsub out, rather than merely not subscribing, matters: a gossipsub service would still open
 * a relay stream to every peer and exchange subscriptions, and those bytes would show as relay.
 */
export async function createLightNode (init: WakuNodeInit): Promise<LightLibp2p> {
  const { options, accounting } = await baseOptions(init)
  const node = await createLibp2p({ ...options, services: { identify: identify(), ping: ping() } })
  flushAccountingOnStop(node, accounting)
  return node
}

async function baseOptions (init: WakuNodeInit): Promise<{ options: Omit<Libp2pOptions, 'services'>, accounting?: SocketAccounting }> {
  const privateKey = await identityKey(init.identitySeed)
  const deny = init.denyPeer
  const host = init.host ?? '127.0.0.1'
  const accounting = init.accounting == null ? undefined : new SocketAccounting(init.accounting)
  const options: Omit<Libp2pOptions, 'services'> = {
    privateKey,
    start: false,
    addresses: { listen: init.listen === false ? [] : [`/ip4/${host}/tcp/${init.port ?? 0}`] },
    transports: [init.dialPort == null ? tcp() : rerouted(tcp(), init.dialPort)],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionManager: {
      // a fleet on another interface (a real phone) shares that host's address too
      allow: host.startsWith('127.') ? ['/ip4/127.0.0.0/ipcidr/8'] : ['/ip4/127.0.0.0/ipcidr/8', `/ip4/${host}/ipcidr/32`],
      maxConnections: 1000,
      inboundConnectionThreshold: 1000,
      maxIncomingPendingConnections: 1000,
      dialTimeout: 5000
    },
    metrics: accounting == null ? undefined : () => socketAccountingMetrics(accounting),
    connectionGater: deny == null
      ? undefined
      : {
          denyDialPeer: (peer) => deny(peer.toString()),
          denyInboundEncryptedConnection: (peer) => deny(peer.toString()),
          denyOutboundEncryptedConnection: (peer) => deny(peer.toString())
        }
  }
  return { options, accounting }
}

function flushAccountingOnStop (node: Libp2p, accounting?: SocketAccounting): void {
  if (accounting == null) return
  // the last bytes of a connection are counted as it closes: flush after libp2p has stopped
  const stop = node.stop.bind(node)
  node.stop = async () => { await stop(); accounting.stop() }
}

type TransportFactory = ReturnType<typeof tcp>

/** The TCP transport with every dial's port passed through `route` first. */
function rerouted (factory: TransportFactory, route: (host: string, port: number) => number): TransportFactory {
  return (components) => {
    const transport = factory(components)
    const dial = transport.dial.bind(transport)
    transport.dial = async (ma, options) => {
      const match = /^\/ip4\/([^/]+)\/tcp\/(\d+)(\/.*)?$/.exec(ma.toString())
      if (match == null) return await dial(ma, options)
      const port = route(match[1], Number(match[2]))
      return await dial(port === Number(match[2]) ? ma : multiaddr(`/ip4/${match[1]}/tcp/${port}${match[3] ?? ''}`), options)
    }
    return transport
  }
}

/** Peers in this node's gossipsub mesh for a topic; the class has it, the exported interface does not. */
export function meshPeers (node: WakuLibp2p, topic: string): string[] {
  const pubsub = node.services.pubsub as unknown as { getMeshPeers?: (topic: string) => string[] }
  return pubsub.getMeshPeers?.(topic) ?? []
}

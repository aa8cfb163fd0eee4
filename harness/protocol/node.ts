import { createHash } from 'node:crypto'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { privateKeyFromRaw } from '@libp2p/crypto/keys'
import type { GossipSub } from '@libp2p/gossipsub'
import { identify, type Identify } from '@libp2p/identify'
import { mplex } from '@libp2p/mplex'
import { ping, type Ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { webSockets } from '@libp2p/websockets'
import { createLibp2p, type Libp2p, type Libp2pOptions } from 'libp2p'
import { multiaddr } from '@multiformats/multiaddr'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { Secp256k1PrivateKey } from '@libp2p/interface'
import { wakuMetadata, type WakuMetadataInit } from './metadata.js'
import { peerExchangeServer, type PeerExchangeServerInit } from './peer-exchange.js'
import { SocketAccounting, socketAccountingMetrics, type SocketAccountingInit } from './socket-accounting.js'
import { wakuRelay } from './waku-relay.js'

export type WakuLibp2p = Libp2p<{ identify: Identify; ping: Ping; pubsub: GossipSub }>

export interface WakuNodeInit {
  /** Stable identity: the same name and seed give the same peer id, so a restarted node is the same peer. */
  identitySeed: string
  /** TCP port on `host`; 0 picks a free one. */
  port?: number
  /** WebSocket port on `host` (browsers and js-waku dial WebSocket); 0 picks a free one, absent: none. */
  wsPort?: number
  /** 66/WAKU2-METADATA: this node's cluster and shards, served to every peer and asked of every peer. */
  metadata?: WakuMetadataInit
  /** 34/WAKU2-PEER-EXCHANGE responder (service nodes): which peers to tell about. */
  peerExchange?: PeerExchangeServerInit
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

/**
 * A secp256k1 key derived from the seed: the key type real Waku nodes use, and the one an ENR
 * (identity scheme v4) is signed with. A digest outside the curve's order (odds ~2^-128) is hashed again.
 */
export function identityPrivateKey(identitySeed: string): Secp256k1PrivateKey {
  let digest = createHash('sha256').update(`courier-identity/${identitySeed}`).digest()
  for (;;) {
    try {
      return privateKeyFromRaw(new Uint8Array(digest)) as Secp256k1PrivateKey
    } catch {
      digest = createHash('sha256').update(digest).digest()
    }
  }
}

async function identityKey(identitySeed: string): Promise<Secp256k1PrivateKey> {
  return identityPrivateKey(identitySeed)
}

/** The peer id a node created with this identity seed has, known before it starts. */
export async function peerIdForIdentity(identitySeed: string): Promise<string> {
  return peerIdFromPrivateKey(await identityKey(identitySeed)).toString()
}

/**
 * The libp2p recipe every courier node and simulated device shares: TCP (and WebSocket where a
 * port is given), noise, yamux and mplex, identify, 66/WAKU2-METADATA where configured, and
 * gossipsub as 11/WAKU2-RELAY (`waku-relay.ts`: the Waku protocol id only, StrictNoSign, message
 * id = sha256(data)). The loopback allowances are needed because every peer shares one IP here: without
 * them libp2p's inbound rate limit refuses dials and gossipsub's IP-colocation score keeps meshes
 * from forming (measured; see DESIGN.md).
 */
export async function createWakuNode(init: WakuNodeInit): Promise<WakuLibp2p> {
  const { options, accounting } = await baseOptions(init)
  const pubsub = await wakuRelay({
    allowPublishToZeroTopicPeers: true,
    emitSelf: false,
    scoreParams: { IPColocationFactorWeight: 0 },
    ...(init.seenTtlMs == null ? {} : { seenTTL: init.seenTtlMs })
  })
  const node = (await createLibp2p({
    ...options,
    services: {
      ...wakuServices(init),
      pubsub
    }
  })) as unknown as WakuLibp2p
  flushAccountingOnStop(node, accounting)
  return node
}

/** Services every courier node has besides relay: identify, ping, and the optional Waku ones. */
function wakuServices(init: WakuNodeInit): Libp2pOptions['services'] & { identify: ReturnType<typeof identify>; ping: ReturnType<typeof ping> } {
  return {
    identify: identify(),
    // clients pick their store node by libp2p ping round trip, as status-go does
    ping: ping(),
    ...(init.metadata == null ? {} : { metadata: wakuMetadata(init.metadata) }),
    ...(init.peerExchange == null ? {} : { peerExchange: peerExchangeServer(init.peerExchange) })
  }
}

/** A light client's node: the same transport recipe without gossipsub, so it takes no part in relay at all. */
export type LightLibp2p = Libp2p<{ identify: Identify; ping: Ping }>

/**
 * Light mode (FILTER + LIGHTPUSH) talks to service nodes over plain request streams. Leaving
 * gossipsub out, rather than merely not subscribing, matters: a gossipsub service would still open
 * a relay stream to every peer and exchange subscriptions, and those bytes would show as relay.
 */
export async function createLightNode(init: WakuNodeInit): Promise<LightLibp2p> {
  const { options, accounting } = await baseOptions(init)
  const node = (await createLibp2p({ ...options, services: wakuServices(init) })) as unknown as LightLibp2p
  flushAccountingOnStop(node, accounting)
  return node
}

async function baseOptions(init: WakuNodeInit): Promise<{ options: Omit<Libp2pOptions, 'services'>; accounting?: SocketAccounting }> {
  const privateKey = await identityKey(init.identitySeed)
  const deny = init.denyPeer
  const host = init.host ?? '127.0.0.1'
  const accounting = init.accounting == null ? undefined : new SocketAccounting(init.accounting)
  const options: Omit<Libp2pOptions, 'services'> = {
    privateKey,
    start: false,
    addresses: { listen: init.listen === false ? [] : listenAddresses(host, init) },
    transports: [init.dialPort == null ? tcp() : rerouted(tcp(), init.dialPort), ...(init.wsPort == null ? [] : [listenOnlyWebSockets()])],
    connectionEncrypters: [noise()],
    // yamux first (what courier's nodes and nwaku prefer), mplex for js-waku's defaults. mplex 12
    // closes a connection whose peer opens more than 5 streams in a second (its default
    // disconnectThreshold, applied to every new stream); js-waku opens identify, metadata, ping,
    // filter, lightpush and store streams at once on connect and one stream per request after,
    // so the default cut off every js-waku client within a second (measured: "Too many open streams").
    streamMuxers: [yamux(), mplex({ disconnectThreshold: 500 })],
    connectionManager: {
      // a fleet on another interface (a real phone) shares that host's address too
      allow: host.startsWith('127.') ? ['/ip4/127.0.0.0/ipcidr/8'] : ['/ip4/127.0.0.0/ipcidr/8', `/ip4/${host}/ipcidr/32`],
      maxConnections: 1000,
      inboundConnectionThreshold: 1000,
      maxIncomingPendingConnections: 1000,
      dialTimeout: 5000
    },
    metrics: accounting == null ? undefined : () => socketAccountingMetrics(accounting),
    connectionGater:
      deny == null
        ? undefined
        : {
            denyDialPeer: (peer) => deny(peer.toString()),
            denyInboundEncryptedConnection: (peer) => deny(peer.toString()),
            denyOutboundEncryptedConnection: (peer) => deny(peer.toString())
          }
  }
  return { options, accounting }
}

function flushAccountingOnStop(node: Libp2p, accounting?: SocketAccounting): void {
  if (accounting == null) return
  // the last bytes of a connection are counted as it closes: flush after libp2p has stopped
  const stop = node.stop.bind(node)
  node.stop = async () => {
    await stop()
    accounting.stop()
  }
}

function listenAddresses(host: string, init: WakuNodeInit): string[] {
  const tcpAddress = `/ip4/${host}/tcp/${init.port ?? 0}`
  return init.wsPort == null ? [tcpAddress] : [tcpAddress, `/ip4/${host}/tcp/${init.wsPort}/ws`]
}

type TransportFactory = ReturnType<typeof tcp>

/**
 * WebSocket for inbound connections only: courier's own nodes always dial each other over TCP,
 * where the run's link shapers sit, so a WebSocket address learned through identify or peer
 * exchange must not become a dial that bypasses them.
 */
function listenOnlyWebSockets(): ReturnType<typeof webSockets> {
  const factory = webSockets()
  return (components) => {
    const transport = factory(components)
    transport.dialFilter = () => []
    return transport
  }
}

/** The TCP transport with every dial's port passed through `route` first. */
function rerouted(factory: TransportFactory, route: (host: string, port: number) => number): TransportFactory {
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
export function meshPeers(node: WakuLibp2p, topic: string): string[] {
  const pubsub = node.services.pubsub as unknown as { getMeshPeers?: (topic: string) => string[] }
  return pubsub.getMeshPeers?.(topic) ?? []
}

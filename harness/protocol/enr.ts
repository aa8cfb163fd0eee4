import type { Secp256k1PrivateKey } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import { type ENR, EnrCreator, EnrDecoder } from '@waku/enr'

interface EnrEncoding {
  toString: (enr: ENR, privateKey: Uint8Array) => Promise<string>
  toBytes: (enr: ENR, privateKey: Uint8Array) => Promise<Uint8Array>
}

/**
 * @waku/enr 0.0.33 builds and signs records with `EnrEncoder` but leaves it out of its package
 * map (only the decoder is public). It is loaded from the module URL the package itself uses,
 * so this is js-waku's own encoder; the unit test decodes the result with the public decoder.
 */
const encoder: Promise<EnrEncoding> = import(new URL('./encoder.js', import.meta.resolve('@waku/enr')).href).then(
  (module: { EnrEncoder: EnrEncoding }) => module.EnrEncoder
)

/** The 31/WAKU2-ENR `waku2` capability bits a node advertises. */
export interface WakuCapabilities {
  relay: boolean
  store: boolean
  filter: boolean
  lightPush: boolean
}

export interface NodeEnrInit {
  privateKey: Secp256k1PrivateKey
  host: string
  tcpPort: number
  /** WebSocket port; absent: no WebSocket listener to advertise. */
  wsPort?: number
  clusterId: number
  shards: number[]
  capabilities: WakuCapabilities
  /** ENR sequence number; a node whose record changed (a new port) must raise it. */
  seq?: bigint
}

/** The TCP multiaddr (with /p2p) a record advertises, as a client dials it after peer exchange; undefined for a record without one or that does not verify. */
export async function enrTcpAddress(bytes: Uint8Array): Promise<string | undefined> {
  try {
    const enr = await EnrDecoder.fromRLP(bytes)
    if (enr.ip == null || enr.tcp == null || enr.peerId == null) return undefined
    return `/ip4/${enr.ip}/tcp/${enr.tcp}/p2p/${enr.peerId.toString()}`
  } catch {
    return undefined
  }
}

/**
 * A node's Ethereum Node Record as real Waku nodes publish it (31/WAKU2-ENR): identity scheme v4
 * with the node's secp256k1 key, `ip`/`tcp` for its TCP listener, the `multiaddrs` field for the
 * WebSocket one (without /p2p, as the spec asks), the `waku2` capability bits and the `rs` shard
 * field. Peer exchange answers with these, and js-waku dials what they say.
 */
export async function nodeEnr(init: NodeEnrInit): Promise<{ text: string; bytes: Uint8Array }> {
  const enr = EnrCreator.fromPublicKey(init.privateKey.publicKey.raw)
  enr.ip = init.host
  enr.tcp = init.tcpPort
  if (init.wsPort != null) enr.set('multiaddrs', encodeMultiaddrsField([multiaddr(`/ip4/${init.host}/tcp/${init.wsPort}/ws`).bytes]))
  enr.waku2 = init.capabilities
  enr.set('rs', encodeRelayShardField(init.clusterId, init.shards))
  if (init.seq != null) enr.seq = init.seq
  const key = init.privateKey.raw
  const { toString: encodeText, toBytes: encodeBytes } = await encoder
  return { text: await encodeText(enr, key), bytes: await encodeBytes(enr, key) }
}

/**
 * The ENR `multiaddrs` field (31/WAKU2-ENR): each multiaddr's bytes after its length as uint16
 * big-endian. Written here because @waku/enr's setter only takes its own multiaddr version's objects.
 */
export function encodeMultiaddrsField(multiaddrs: Uint8Array[]): Uint8Array {
  const bytes = new Uint8Array(multiaddrs.reduce((sum, ma) => sum + 2 + ma.byteLength, 0))
  const view = new DataView(bytes.buffer)
  let offset = 0
  for (const ma of multiaddrs) {
    view.setUint16(offset, ma.byteLength)
    bytes.set(ma, offset + 2)
    offset += 2 + ma.byteLength
  }
  return bytes
}

/**
 * The ENR `rs` field (31/WAKU2-ENR, relay shards as a list): cluster as uint16 big-endian, the
 * number of shards as one byte, then each shard as uint16 big-endian.
 */
export function encodeRelayShardField(clusterId: number, shards: number[]): Uint8Array {
  const bytes = new Uint8Array(3 + 2 * shards.length)
  const view = new DataView(bytes.buffer)
  view.setUint16(0, clusterId)
  view.setUint8(2, shards.length)
  shards.forEach((shard, i) => {
    view.setUint16(3 + 2 * i, shard)
  })
  return bytes
}

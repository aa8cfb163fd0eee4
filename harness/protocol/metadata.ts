import type { Connection, IdentifyResult, PeerId, Startable, Stream, StreamHandler, TypedEventTarget, Libp2pEvents } from '@libp2p/interface'
import { proto_metadata } from '@waku/proto'
import { METADATA_PROTOCOL } from './codecs.js'
import { requestOnStream, serveOneRequest } from './request-response.js'

/** What 66/WAKU2-METADATA told about a peer, and what this node did about it. */
export interface MetadataOutcome {
  peer: string
  /** `mismatch`: another cluster, so the connection was closed (as nwaku does). */
  status: 'ok' | 'mismatch' | 'unsupported' | 'failed'
  clusterId?: number
  shards?: number[]
  error?: string
}

export interface WakuMetadataInit {
  clusterId: number
  /** Shards this node serves; clients send an empty list, service nodes their shards. */
  shards: number[]
  /** Every handshake's outcome (after identify, one per peer connection). */
  onPeer?: (outcome: MetadataOutcome) => void
}

/** The libp2p components this service uses (libp2p's own types for them are internal). */
export interface ProtocolRegistrar {
  handle: (protocol: string, handler: StreamHandler) => Promise<void>
  unhandle: (protocol: string) => Promise<void>
}

interface MetadataComponents {
  registrar: ProtocolRegistrar
  connectionManager: { closeConnections: (peer: PeerId) => Promise<void> }
  events: TypedEventTarget<Libp2pEvents>
}

const codecs = { request: proto_metadata.WakuMetadataRequest, response: proto_metadata.WakuMetadataResponse }

/**
 * 66/WAKU2-METADATA: answers every peer with this node's cluster and shards, and asks every peer
 * that lists the protocol in identify. A peer of another cluster is disconnected, as nwaku does;
 * js-waku refuses a peer whose cluster it cannot read, so without this no outside client keeps
 * a connection to the fleet.
 */
export class WakuMetadata implements Startable {
  private running = false

  constructor(
    private readonly components: MetadataComponents,
    private readonly init: WakuMetadataInit
  ) {}

  async start(): Promise<void> {
    await this.components.registrar.handle(METADATA_PROTOCOL, async (stream: Stream) => {
      try {
        await serveOneRequest(stream, codecs, () => ({ clusterId: this.init.clusterId, shards: this.init.shards }), { maxDataLength: 1024 })
      } catch (error) {
        stream.abort(error as Error)
      }
    })
    this.components.events.addEventListener('peer:identify', this.onIdentify)
    this.running = true
  }

  async stop(): Promise<void> {
    this.running = false
    this.components.events.removeEventListener('peer:identify', this.onIdentify)
    await this.components.registrar.unhandle(METADATA_PROTOCOL)
  }

  /** Asks one peer for its cluster and shards on an open connection. */
  async query(connection: Connection, signal?: AbortSignal): Promise<{ clusterId?: number; shards: number[] }> {
    const stream = await connection.newStream(METADATA_PROTOCOL, { signal })
    const { response } = await requestOnStream(stream, codecs, { clusterId: this.init.clusterId, shards: this.init.shards }, { signal, maxDataLength: 1024 })
    return response
  }

  private readonly onIdentify = (event: CustomEvent<IdentifyResult>): void => {
    void this.handshake(event.detail.peerId, event.detail.protocols, event.detail.connection)
  }

  private async handshake(peerId: PeerId, protocols: string[], connection: Connection): Promise<void> {
    const peer = peerId.toString()
    if (!protocols.includes(METADATA_PROTOCOL)) {
      this.init.onPeer?.({ peer, status: 'unsupported' })
      return
    }
    try {
      const { clusterId, shards } = await this.query(connection, AbortSignal.timeout(5000))
      if (!this.running) return
      if (clusterId !== this.init.clusterId) {
        this.init.onPeer?.({ peer, status: 'mismatch', clusterId, shards })
        await this.components.connectionManager.closeConnections(peerId).catch(() => {})
        return
      }
      this.init.onPeer?.({ peer, status: 'ok', clusterId, shards })
    } catch (error) {
      // a connection that closed during the handshake is not the peer's failure to speak metadata
      if (!this.running || connection.status !== 'open') return
      this.init.onPeer?.({ peer, status: 'failed', error: (error as Error).message })
    }
  }
}

export function wakuMetadata(init: WakuMetadataInit): (components: MetadataComponents) => WakuMetadata {
  return (components) => new WakuMetadata(components, init)
}

/** Cluster and shard of a static-sharding pubsub topic `/waku/2/rs/<cluster>/<shard>`; undefined for any other topic. */
export function shardOfPubsubTopic(topic: string): { clusterId: number; shard: number } | undefined {
  const match = /^\/waku\/2\/rs\/(\d+)\/(\d+)$/.exec(topic)
  if (match == null) return undefined
  return { clusterId: Number(match[1]), shard: Number(match[2]) }
}

/** A client's side of 66/WAKU2-METADATA for a fleet on `pubsubTopic`: its cluster, no shards served. */
export function clientMetadata(pubsubTopic: string): WakuMetadataInit | undefined {
  const shard = shardOfPubsubTopic(pubsubTopic)
  return shard == null ? undefined : { clusterId: shard.clusterId, shards: [] }
}

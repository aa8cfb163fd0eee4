import type { Startable, Stream, Connection } from '@libp2p/interface'
import type { ProtocolRegistrar } from './metadata.js'
import { proto_peer_exchange } from '@waku/proto'
import { PEER_EXCHANGE_PROTOCOL } from './codecs.js'
import { requestOnStream, serveOneRequest } from './request-response.js'

/** A peer this node can tell others about: its peer id and its ENR (RLP bytes). */
export interface ExchangeablePeer {
  peerId: string
  enr: Uint8Array
}

export interface PeerExchangeServerInit {
  /** The fleet's nodes worth telling about, asked at every request (nodes come and go). */
  peers: () => ExchangeablePeer[]
  /** One request answered: who asked, how many peers it wanted, how many it got. */
  onRequest?: (request: { peer: string; asked: number; answered: number }) => void
}

const rpc = { request: proto_peer_exchange.PeerExchangeRPC, response: proto_peer_exchange.PeerExchangeRPC }

/** 34/WAKU2-PEER-EXCHANGE allows up to this many peers in one answer (js-waku asks for 60). */
export const PEER_EXCHANGE_MAX_PEERS = 60

/**
 * The responder side of 34/WAKU2-PEER-EXCHANGE on a service node: answers a query with ENRs of
 * other fleet nodes (never the asker itself), so a light client that knows one node finds the rest.
 */
export class PeerExchangeServer implements Startable {
  constructor(
    private readonly components: { registrar: ProtocolRegistrar },
    private readonly init: PeerExchangeServerInit
  ) {}

  async start(): Promise<void> {
    await this.components.registrar.handle(PEER_EXCHANGE_PROTOCOL, async (stream: Stream, connection: Connection) => {
      const asker = connection.remotePeer.toString()
      try {
        await serveOneRequest(
          stream,
          rpc,
          (request) => {
            const asked = Math.min(Number(request.query?.numPeers ?? 0n), PEER_EXCHANGE_MAX_PEERS)
            const peerInfos = this.init
              .peers()
              .filter((peer) => peer.peerId !== asker)
              .slice(0, asked)
              .map((peer) => ({ enr: peer.enr }))
            this.init.onRequest?.({ peer: asker, asked, answered: peerInfos.length })
            return { response: { peerInfos } }
          },
          { maxDataLength: 1024 }
        )
      } catch (error) {
        stream.abort(error as Error)
      }
    })
  }

  async stop(): Promise<void> {
    await this.components.registrar.unhandle(PEER_EXCHANGE_PROTOCOL)
  }
}

export function peerExchangeServer(init: PeerExchangeServerInit): (components: { registrar: ProtocolRegistrar }) => PeerExchangeServer {
  return (components) => new PeerExchangeServer(components, init)
}

/** The asking side, for courier's own clients and tests: ENRs (RLP bytes) a service node returned. */
export async function queryPeerExchange(connection: Connection, numPeers: number, signal?: AbortSignal): Promise<Uint8Array[]> {
  const stream = await connection.newStream(PEER_EXCHANGE_PROTOCOL, { signal })
  const { response } = await requestOnStream(stream, rpc, { query: { numPeers: BigInt(numPeers) } }, { signal, maxDataLength: 1 << 20 })
  return (response.response?.peerInfos ?? []).map((info) => info.enr).filter((enr): enr is Uint8Array => enr != null)
}

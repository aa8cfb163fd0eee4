import type { CapturedConversations } from '../../harness/analysis/index.js'
import type { CourierEvent } from '../../harness/interface/index.js'

// One TCP connection of the byte tests, seen from both ends: alice (127.0.0.1:50000) dials relay-1
// (127.0.0.1:6000). Alice's socket sends 600 bytes and relay-1's 1600 unless a test says otherwise.

export const aliceRelayOpen = (t: number): CourierEvent[] => [
  { t, type: 'conn.open', owner: 'alice', remote: '/ip4/127.0.0.1/tcp/6000', localAddr: '127.0.0.1:50000', remoteAddr: '127.0.0.1:6000', connId: 'alice#1' },
  {
    t,
    type: 'conn.open',
    owner: 'relay-1',
    remote: '/ip4/127.0.0.1/tcp/50000',
    localAddr: '127.0.0.1:6000',
    remoteAddr: '127.0.0.1:50000',
    connId: 'relay-1#2'
  }
]

export const aliceRelayClose = (t: number, aliceUp = 600, relayUp = 1600): CourierEvent[] => [
  { t, type: 'conn.close', owner: 'alice', connId: 'alice#1', bytesUp: aliceUp, bytesDown: relayUp },
  { t, type: 'conn.close', owner: 'relay-1', connId: 'relay-1#2', bytesUp: relayUp, bytesDown: aliceUp }
]

/** The capture of that connection: `aliceToRelay` and `relayToAlice` payload bytes on the wire. */
export const aliceRelayCapture = (
  aliceToRelay: number,
  relayToAlice: number,
  extra: { dropped?: number; resetBy?: 'a' | 'b' } = {}
): CapturedConversations => ({
  file: 'capture.pcap',
  packets: 20,
  dropped: extra.dropped ?? 0,
  wireBytes: 5000,
  payloadBytes: 2200,
  retransmittedBytes: 0,
  conversations: [
    {
      a: { ip: '127.0.0.1', port: 50000 },
      b: { ip: '127.0.0.1', port: 6000 },
      aToB: { payloadBytes: aliceToRelay },
      bToA: { payloadBytes: relayToAlice },
      ...(extra.resetBy === undefined ? {} : { resetBy: extra.resetBy })
    }
  ]
})

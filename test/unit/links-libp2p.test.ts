// The shaper under real js-libp2p (TCP, noise, yamux), as the fleet uses it: a dial through the
// relay's port works, stream round trips pay the configured latency, and a partition cuts the
// libp2p connection.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createLibp2p, type Libp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { multiaddr } from '@multiformats/multiaddr'
import { startShapedLink, type LinkProfile, type ShapedLink } from '../../harness/links/index.js'
import { checkRoundTrip } from '../helpers/link-measure.js'

const profile = (p: Partial<LinkProfile>): LinkProfile => ({ latencyMs: 0, jitterMs: 0, lossRate: 0, bandwidthBps: 0, ...p })

async function node(): Promise<Libp2p> {
  return await createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionManager: { allow: ['/ip4/127.0.0.1'] }
  })
}

test('libp2p through a shaped link: the dial works, stream round trips take 2 x latency, a partition closes the connection', async () => {
  const dialer = await node()
  const listener = await node()
  let link: ShapedLink | undefined
  // Everything inside try: a failure must still stop both nodes, or their sockets keep the test process alive.
  try {
    await listener.handle('/courier/echo/1.0.0', (stream) => {
      stream.addEventListener('message', (e) => {
        stream.send(e.data)
      })
    })
    const port = Number(listener.getMultiaddrs()[0].toString().split('/')[4])
    link = await startShapedLink({ target: { host: '127.0.0.1', port }, up: profile({ latencyMs: 25 }), down: profile({ latencyMs: 25 }) })
    const started = performance.now()
    const connection = await dialer.dial(multiaddr(`/ip4/127.0.0.1/tcp/${link.port}/p2p/${listener.peerId.toString()}`))
    // TCP connect is instant at the relay; multistream, noise and yamux need at least one more round trip.
    assert.ok(performance.now() - started >= 50, `dial took ${performance.now() - started} ms`)
    const stream = await connection.newStream('/courier/echo/1.0.0')
    const rtts: number[] = []
    for (let i = 0; i < 10; i++) {
      const sent = performance.now()
      const echoed = new Promise((resolve) => {
        stream.addEventListener('message', resolve, { once: true })
      })
      stream.send(new TextEncoder().encode(`ping ${i}`))
      await echoed
      rtts.push(performance.now() - sent)
    }
    const check = checkRoundTrip(rtts, 50)
    assert.ok(check.ok, check.detail)
    const closed = new Promise((resolve) => {
      dialer.addEventListener('connection:close', resolve, { once: true })
    })
    link.setBlocked(true)
    await Promise.race([closed, new Promise((_resolve, reject) => setTimeout(() => reject(new Error('libp2p did not see the partition')), 2000))])
    assert.equal(dialer.getConnections(listener.peerId).length, 0)
  } finally {
    await dialer.stop()
    await listener.stop()
    await link?.close()
  }
})

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { chooseDeviceAddress, radioPacketsFromCapture } from '../../harness/energy/index.js'
import type { CapturedPacket, TransportProtocol } from '../../harness/interface/index.js'

// From captured frames to a radio timeline: which address is the device's (EnergyBox's rules:
// most HTTP requests, else most DNS queries, else most seen; ties to the first seen), and the
// direction, time, size and default label of each packet. Found by mutation testing
// (npm run mutation, scope energy-pricing).

let index = 0
function frame(
  us: number,
  wire: number,
  ip?: { src: string; dst: string; protocol: TransportProtocol },
  tr?: { sp: number; dp: number; payload: number }
): CapturedPacket {
  const p: CapturedPacket = { index: index++, timestampUs: us, wireLength: wire, capturedLength: wire, linkType: 1 }
  if (ip !== undefined) p.ip = { version: ip.src.includes(':') ? 6 : 4, ...ip, length: wire }
  if (tr !== undefined) p.transport = { srcPort: tr.sp, dstPort: tr.dp, payloadLength: tr.payload }
  return p
}

const tcp = (src: string, dst: string): { src: string; dst: string; protocol: TransportProtocol } => ({ src, dst, protocol: 'tcp' })
const udp = (src: string, dst: string): { src: string; dst: string; protocol: TransportProtocol } => ({ src, dst, protocol: 'udp' })

test('HTTP requests decide first: TCP with payload to port 80 or 8080; empty segments and other ports do not count', () => {
  const frames = [
    // 10.0.0.9 is seen most and queries DNS most, but 10.0.0.2 sends the HTTP requests
    ...[1, 2, 3].map((i) => frame(i, 60, udp('10.0.0.9', '8.8.8.8'), { sp: 5000, dp: 53, payload: 30 })),
    frame(4, 60, tcp('10.0.0.2', '1.1.1.1'), { sp: 5000, dp: 8080, payload: 100 }),
    frame(5, 60, tcp('10.0.0.2', '1.1.1.1'), { sp: 5000, dp: 80, payload: 100 }),
    frame(6, 60, tcp('10.0.0.3', '1.1.1.1'), { sp: 5000, dp: 80, payload: 1 }),
    // SYNs (no payload) and HTTPS do not count as requests
    ...[7, 8, 9].map((i) => frame(i, 60, tcp('10.0.0.3', '1.1.1.1'), { sp: 5000, dp: 80, payload: 0 })),
    ...[10, 11, 12].map((i) => frame(i, 60, tcp('10.0.0.3', '1.1.1.1'), { sp: 5000, dp: 443, payload: 100 })),
    // a UDP datagram to port 80 is not an HTTP request
    ...[13, 14, 15].map((i) => frame(i, 60, udp('10.0.0.3', '1.1.1.1'), { sp: 5000, dp: 80, payload: 100 }))
  ]
  assert.deepEqual(chooseDeviceAddress(frames), { address: '10.0.0.2', count: 2, rule: 'http-requests' })
})

test('DNS queries decide next: UDP to port 53 only (not TCP to 53, not from 53)', () => {
  const frames = [
    frame(1, 60, udp('10.0.0.5', '8.8.8.8'), { sp: 5000, dp: 53, payload: 30 }),
    ...[2, 3].map((i) => frame(i, 60, tcp('10.0.0.6', '8.8.8.8'), { sp: 5000, dp: 53, payload: 30 })),
    ...[4, 5].map((i) => frame(i, 60, udp('8.8.8.8', '10.0.0.7'), { sp: 53, dp: 5000, payload: 30 }))
  ]
  assert.deepEqual(chooseDeviceAddress(frames), { address: '10.0.0.5', count: 1, rule: 'dns-queries' })
})

test('otherwise the address seen most as source or destination; ties go to the first seen; frames without IP are skipped', () => {
  const frames = [
    frame(1, 60),
    frame(2, 60, { src: '10.0.0.1', dst: '10.0.0.2', protocol: 'icmp' }),
    frame(3, 60, { src: '10.0.0.3', dst: '10.0.0.2', protocol: 'icmp' })
  ]
  assert.deepEqual(chooseDeviceAddress(frames), { address: '10.0.0.2', count: 2, rule: 'most-frequent' })
  // one each: the first seen (the source of the first IP frame)
  assert.deepEqual(chooseDeviceAddress([frames[0], frames[1]]), { address: '10.0.0.1', count: 1, rule: 'most-frequent' })
  // a tie in requests also goes to the first
  const tie = [frame(1, 60, tcp('10.0.0.8', '1.1.1.1'), { sp: 1, dp: 80, payload: 1 }), frame(2, 60, tcp('10.0.0.7', '1.1.1.1'), { sp: 1, dp: 80, payload: 1 })]
  assert.equal(chooseDeviceAddress(tie)?.address, '10.0.0.8')
  assert.equal(chooseDeviceAddress([frame(1, 60)]), null)
  assert.equal(chooseDeviceAddress([]), null)
})

test('the timeline: seconds from the first frame (in file order), wire lengths, up when the source is the device', () => {
  const frames = [
    frame(5_000_000, 100, tcp('10.0.0.2', '1.1.1.1'), { sp: 40000, dp: 80, payload: 10 }),
    frame(5_250_000, 200, tcp('1.1.1.1', '10.0.0.2'), { sp: 80, dp: 40000, payload: 10 }),
    // earlier than the first frame: a negative time, order kept
    frame(4_000_000, 300, { src: '10.0.0.2', dst: '9.9.9.9', protocol: 'icmp' }),
    frame(6_000_000, 50),
    frame(7_000_000, 80, udp('fe80::1', '10.0.0.2'), { sp: 53, dp: 5000, payload: 10 })
  ]
  const timeline = radioPacketsFromCapture(frames)
  assert.equal(timeline.deviceAddress, '10.0.0.2')
  assert.equal(timeline.rule, 'http-requests')
  assert.deepEqual(timeline.packets, [
    { time: 0, bytes: 100, direction: 'up', label: 'tcp 1.1.1.1:80' },
    { time: 0.25, bytes: 200, direction: 'down', label: 'tcp 1.1.1.1:80' },
    { time: -1, bytes: 300, direction: 'up', label: 'icmp 9.9.9.9' },
    { time: 1, bytes: 50, direction: 'down', label: 'non-ip' },
    { time: 2, bytes: 80, direction: 'down', label: 'udp [fe80::1]:53' }
  ])
  // a given address wins over the rules and is reported as given
  const given = radioPacketsFromCapture(frames, { deviceAddress: '1.1.1.1' })
  assert.equal(given.rule, 'given')
  assert.equal(given.deviceAddress, '1.1.1.1')
  assert.deepEqual(
    given.packets.map((p) => [p.direction, p.label]),
    [
      ['down', 'tcp 10.0.0.2:40000'],
      ['up', 'tcp 10.0.0.2:40000'],
      ['down', 'icmp 10.0.0.2'],
      ['down', 'non-ip'],
      ['down', 'udp [fe80::1]:53']
    ]
  )
})

test('a label function replaces the default, and undefined leaves the packet unlabelled; no frames, no device', () => {
  const frames = [
    frame(0, 60, udp('10.0.0.1', '10.0.0.2'), { sp: 1, dp: 2, payload: 1 }),
    frame(1, 60, udp('10.0.0.2', '10.0.0.1'), { sp: 2, dp: 1, payload: 1 })
  ]
  const timeline = radioPacketsFromCapture(frames, { deviceAddress: '10.0.0.1', label: (p, direction) => (direction === 'up' ? `sent ${p.index}` : undefined) })
  assert.deepEqual(timeline.packets, [
    { time: 0, bytes: 60, direction: 'up', label: `sent ${frames[0].index}` },
    { time: 0.000001, bytes: 60, direction: 'down' }
  ])
  assert.equal('label' in timeline.packets[1], false)
  assert.deepEqual(radioPacketsFromCapture([]), { deviceAddress: null, rule: null, packets: [] })
  // frames but no address to choose: everything is downlink
  const anonymous = radioPacketsFromCapture([frame(0, 60), frame(2_000_000, 70)])
  assert.deepEqual(anonymous, {
    deviceAddress: null,
    rule: null,
    packets: [
      { time: 0, bytes: 60, direction: 'down', label: 'non-ip' },
      { time: 2, bytes: 70, direction: 'down', label: 'non-ip' }
    ]
  })
})

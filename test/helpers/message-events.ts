import type { CourierEvent, DeliveryPath } from '../../harness/interface/index.js'

// Small event builders for the analysis tests' hand-worked logs. A message's hash is `h-<msgId>`,
// so a test names messages by id and the folds key them by hash as a real log does.

export const subscribe = (device: string, topic = 'lobby'): CourierEvent => ({ t: 0, type: 'device.subscribe', device, topic })
export const online = (t: number, device: string): CourierEvent => ({ t, type: 'device.online', device })
export const offline = (t: number, device: string): CourierEvent => ({ t, type: 'device.offline', device })

export const sent = (t: number, msgId: string, from: { device?: string; node?: string; user?: string }, topic = 'lobby'): CourierEvent => ({
  t,
  type: 'msg.sent',
  msgId,
  hash: `h-${msgId}`,
  topic,
  bytes: 300,
  ...from
})

export const received = (
  t: number,
  device: string,
  msgId: string,
  { via = 'relay', duplicate = false, bytes = 340 }: { via?: DeliveryPath; duplicate?: boolean; bytes?: number } = {}
): CourierEvent => ({
  t,
  type: 'msg.received',
  device,
  hash: `h-${msgId}`,
  msgId,
  via,
  bytes,
  duplicate
})

export const rendered = (t: number, device: string, msgId: string): CourierEvent => ({ t, type: 'msg.rendered', device, hash: `h-${msgId}`, msgId })

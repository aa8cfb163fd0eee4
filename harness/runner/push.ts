import type { Device } from '../interface/index.js'
import type { LoadedScenario } from '../scenario/index.js'
import type { EventLog } from './event-log.js'

/**
 * The simulated push service (APNs/FCM's role): when a message first reaches a store, every
 * device with `push: true` that joined its topic and did not send it gets a notification after
 * `push.delay`, whatever its p2p connectivity, as a phone in the background would.
 */
export function startPushService(config: LoadedScenario['config'], events: EventLog, devices: Map<string, Device>, signal: AbortSignal): void {
  const targets = Object.entries(config.devices).filter(([, d]) => 'push' in d && d.push)
  if (targets.length === 0) return
  const sent = new Map<string, { msgId: string; topic: string; sender?: string }>()
  const notified = new Set<string>()
  const subscriptions = new Map<string, Set<string>>()
  events.onEvent((event) => {
    if (event.type === 'device.subscribe') (subscriptions.get(event.device) ?? subscriptions.set(event.device, new Set()).get(event.device))?.add(event.topic)
    else if (event.type === 'msg.sent') sent.set(event.hash, { msgId: event.msgId, topic: event.topic, sender: event.device })
    else if (event.type === 'msg.stored' && !notified.has(event.hash)) {
      notified.add(event.hash)
      const message = sent.get(event.hash)
      if (message == null) return
      for (const [name] of targets) {
        if (name === message.sender || subscriptions.get(name)?.has(message.topic) !== true) continue
        setTimeout(() => {
          if (signal.aborted) return
          events.emit('push.received', { device: name, hash: event.hash, msgId: message.msgId })
          void devices
            .get(name)
            ?.onPush?.(event.hash, { signal })
            .catch(() => {})
        }, config.push.delay).unref()
      }
    }
  })
}

import type { Message } from '@libp2p/gossipsub'
import { messageHashHex, WakuMessage } from '../protocol/index.js'
import { FleetNode } from './fleet-node.js'

/** A relay: gossipsub only. It reports the first time it sees each message, for journeys. */
export class RelayNode extends FleetNode {
  protected override onMessage(message: Message): void {
    const decoded = WakuMessage.decode(message.data)
    this.components.events.emit('msg.relayed', { node: this.name, hash: messageHashHex(message.topic, decoded) })
  }
}

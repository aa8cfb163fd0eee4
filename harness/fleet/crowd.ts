import type { Clock, EventSink } from '../interface/index.js'
import { encodePayload, messageHashHex, WakuMessage, contentTopicFor } from '../protocol/index.js'
import { exponentialMs, normal, seededRandom } from '../interface/random.js'
import type { ScenarioConfig } from '../scenario/index.js'
import { FleetNode } from './fleet-node.js'

/** One post of a virtual user, planned before the run. */
export interface CrowdPost {
  /** Scenario time, ms. */
  at: number
  user: number
  bytes: number
}

/** Waku's network limit on message size (64/WAKU2-NETWORK). */
const MAX_MESSAGE_BYTES = 150_000
const MIN_MESSAGE_BYTES = 64
const Z99 = 2.3263478740408408

/**
 * The whole crowd's schedule for a run: a Poisson process at the crowd's rate, users uniform,
 * sizes log-normal through the given median and 99th percentile. Pure: same seed, same plan.
 */
export function planCrowd(crowd: NonNullable<ScenarioConfig['crowd']>, durationMs: number, seed: number): CrowdPost[] {
  const random = seededRandom(seed, 'crowd')
  const posts: CrowdPost[] = []
  const sizeOf =
    typeof crowd.size === 'number'
      ? () => crowd.size as number
      : (() => {
          const { median, p99 } = crowd.size
          const mu = Math.log(median)
          const sigma = p99 > median ? Math.log(p99 / median) / Z99 : 0
          return () => Math.round(Math.exp(mu + sigma * normal(random)))
        })()
  for (let at = exponentialMs(random, crowd.rate); at < durationMs; at += exponentialMs(random, crowd.rate)) {
    const user = Math.floor(random() * crowd.users)
    const bytes = Math.min(MAX_MESSAGE_BYTES, Math.max(MIN_MESSAGE_BYTES, sizeOf()))
    posts.push({ at, user, bytes })
  }
  return posts
}

/** A crowd gateway: one real libp2p node publishing for many virtual users; it does not subscribe. */
export class CrowdGateway extends FleetNode {}

export interface CrowdPlayerComponents {
  clock: Clock
  events: EventSink
  onError: (component: string, error: unknown) => void
}

/** Plays a crowd plan through the gateways, on the run clock. */
export class CrowdPlayer {
  private timer?: NodeJS.Timeout
  private next = 0
  private startedAt = 0
  private sequence = 0
  private repeatEveryMs?: number

  constructor(
    private readonly posts: CrowdPost[],
    private readonly gateways: CrowdGateway[],
    private readonly topic: string,
    private readonly pubsubTopic: string,
    private readonly components: CrowdPlayerComponents
  ) {}

  get planned(): number {
    return this.posts.length
  }

  /**
   * `repeatEveryMs`: play the plan again from the start every so often (the plan's length), for a
   * fleet kept up longer than the scenario; message ids keep counting, so none repeats.
   */
  start(options: { repeatEveryMs?: number } = {}): void {
    this.startedAt = this.components.clock.now()
    this.repeatEveryMs = options.repeatEveryMs != null && options.repeatEveryMs > 0 ? options.repeatEveryMs : undefined
    this.schedule()
  }

  stop(): void {
    clearTimeout(this.timer)
    this.timer = undefined
  }

  private schedule(): void {
    if (this.posts.length === 0) return
    if (this.next >= this.posts.length) {
      if (this.repeatEveryMs == null) return
      this.startedAt += this.repeatEveryMs
      this.next = 0
    }
    const due = this.startedAt + this.posts[this.next].at
    this.timer = setTimeout(
      () => {
        this.fire()
      },
      Math.max(0, due - this.components.clock.now())
    )
  }

  private fire(): void {
    const now = this.components.clock.now() - this.startedAt
    // catch up on everything due: a late timer must not thin out the crowd
    while (this.next < this.posts.length && this.posts[this.next].at <= now + 1) {
      this.publish(this.posts[this.next])
      this.next++
    }
    this.schedule()
  }

  private publish(post: CrowdPost): void {
    const gateway = this.gateways[post.user % this.gateways.length]
    const node = gateway.node
    if (node == null) return // a killed gateway's users are silent, as a dead uplink would be
    const msgId = `c${++this.sequence}`
    const sentAt = this.components.clock.now()
    const message: WakuMessage = {
      payload: encodePayload({ id: msgId, from: `crowd/${post.user}`, sentAt }, post.bytes),
      contentTopic: contentTopicFor(this.topic),
      timestamp: BigInt(Date.now()) * 1_000_000n + BigInt(this.sequence % 1_000_000)
    }
    const hash = messageHashHex(this.pubsubTopic, message)
    this.components.events.emit('msg.sent', { msgId, hash, topic: this.topic, bytes: post.bytes, node: gateway.name, user: `u${post.user}` })
    node.services.pubsub.publish(this.pubsubTopic, WakuMessage.encode(message)).catch((error: unknown) => {
      this.components.onError(gateway.name, error)
    })
  }
}

import type { Clock, EventSink } from '../interface/index.js'
import { encodePayload, messageHashHex, WakuMessage, contentTopicFor } from '../protocol/index.js'
import { exponentialMs, normal, seededRandom } from '../interface/random.js'
import type { ScenarioConfig } from '../scenario/index.js'
import { FleetNode, type FleetMember } from './fleet-node.js'

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

/**
 * Plays a crowd plan through the gateways, on the run clock. With gateways in several processes,
 * each process plays the posts of the gateways it hosts from the same plan and the same
 * start time, so no crowd message crosses a process boundary before it is on the wire.
 */
export class CrowdPlayer {
  private timer?: NodeJS.Timeout
  private next = 0
  private startedAt = 0
  private round = 0
  private repeatEveryMs?: number
  private readonly posts: Array<CrowdPost & { index: number }>

  constructor(
    posts: CrowdPost[],
    /** Every gateway of the fleet, in order; a slot is empty in a worker for another process's gateway. */
    private readonly gateways: ReadonlyArray<FleetMember | undefined>,
    private readonly topic: string,
    private readonly pubsubTopic: string,
    private readonly components: CrowdPlayerComponents
  ) {
    // a user's posts always go through one gateway (user modulo gateways); one hosted elsewhere (by a worker process,
    // or, in a worker, by another process) has its posts played where it lives
    const plays = (index: number): boolean => gateways[index] != null && gateways[index].worker == null
    const indexed = posts.map((post, index) => ({ ...post, index }))
    this.posts = gateways.length === 0 ? [] : indexed.filter((post) => plays(post.user % gateways.length))
    this.planned = posts.length
  }

  /** Posts in the whole plan, whichever process plays them. */
  readonly planned: number

  /**
   * `repeatEveryMs`: play the plan again from the start every so often (the plan's length), for a
   * fleet kept up longer than the scenario; message ids keep counting, so none repeats.
   */
  start(options: { repeatEveryMs?: number; startedAt?: number } = {}): void {
    // processes sharing a plan share its start: `startedAt` on the one run clock
    this.startedAt = options.startedAt ?? this.components.clock.now()
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
      this.round++
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

  private publish(post: CrowdPost & { index: number }): void {
    const gateway = this.gateways[post.user % this.gateways.length]
    const node = gateway?.node
    if (gateway == null || node == null) return // a killed gateway's users are silent, as a dead uplink would be
    // numbered by place in the plan, not by publish order: processes playing parts of one plan
    // never hand out the same id (a dead gateway's posts leave gaps in the numbers)
    const sequence = this.round * this.planned + post.index + 1
    const msgId = `c${sequence}`
    const sentAt = this.components.clock.now()
    const message: WakuMessage = {
      payload: encodePayload({ id: msgId, from: `crowd/${post.user}`, sentAt }, post.bytes),
      contentTopic: contentTopicFor(this.topic),
      timestamp: BigInt(Date.now()) * 1_000_000n + BigInt(sequence % 1_000_000)
    }
    const hash = messageHashHex(this.pubsubTopic, message)
    this.components.events.emit('msg.sent', { msgId, hash, topic: this.topic, bytes: post.bytes, node: gateway.name, user: `u${post.user}` })
    node.services.pubsub.publish(this.pubsubTopic, WakuMessage.encode(message)).catch((error: unknown) => {
      this.components.onError(gateway.name, error)
    })
  }
}

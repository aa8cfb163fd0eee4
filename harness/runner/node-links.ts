import {
  createBottleneck,
  isPerfectProfile,
  PERFECT_PROFILE,
  startShapedLink,
  worseProfile,
  type Bottleneck,
  type LinkProfile,
  type ShapedLink
} from '../links/index.js'
import type { EventSink } from '../interface/index.js'
import type { Fleet, FleetMember } from '../fleet/index.js'
import type { LinkSpec, LoadedScenario, NodeLinksConfig } from '../scenario/index.js'
import { resolveLink, type ResolvedLink } from './links.js'

/**
 * Whose rate limiter a direction of a node-to-node link queues in: the sender's uplink, the
 * receiver's downlink, a `between` link's own, or none (an unlimited direction).
 */
export type BottleneckOwner = { kind: 'uplink' | 'downlink'; node: string } | { kind: 'between'; pair: string; direction: 'up' | 'down' } | undefined

/** The link between two nodes as seen by a dialling `a`: `up` is a to b, `down` b to a. */
export interface PairLink {
  up: LinkProfile
  down: LinkProfile
  upVia: BottleneckOwner
  downVia: BottleneckOwner
  /** Set by a `between:` entry rather than by the two access links. */
  between: boolean
}

/** Each node's access link and the explicit node-to-node links of a scenario, resolved. */
export interface NodeLinkPlan {
  /** Nodes without an entry (and without a default) have a perfect access link. */
  access: Map<string, ResolvedLink>
  default?: ResolvedLink
  /** Keyed by the two names sorted and joined by a space; `a` is the entry's first node. */
  between: Map<string, { a: string; b: string; link: ResolvedLink }>
}

export function pairKey(a: string, b: string): string {
  return a < b ? `${a} ${b}` : `${b} ${a}`
}

/** The scenario's `network.links`, resolved (presets were checked before the run by validateLinks). */
export function planNodeLinks(config: NodeLinksConfig | undefined): NodeLinkPlan {
  const plan: NodeLinkPlan = { access: new Map(), between: new Map() }
  if (config == null) return plan
  if (config.default != null) plan.default = resolveLink(config.default)
  for (const [node, spec] of Object.entries(config.nodes)) plan.access.set(node, resolveLink(spec))
  for (const entry of config.between) plan.between.set(pairKey(entry.a, entry.b), { a: entry.a, b: entry.b, link: resolveLink(entry.link) })
  return plan
}

function accessOf(plan: NodeLinkPlan, node: string): ResolvedLink {
  return plan.access.get(node) ?? plan.default ?? { up: PERFECT_PROFILE, down: PERFECT_PROFILE }
}

/**
 * The link between `a` and `b`: their `between:` entry if there is one, else, per direction, the
 * worse of the sender's uplink and the receiver's downlink in each figure. A rate-limited
 * direction queues in the limiter of whichever end sets the rate (the sender's on a tie), so a
 * node's access link is one bottleneck shared by all its connections.
 */
export function pairLink(plan: NodeLinkPlan, a: string, b: string): PairLink {
  const explicit = plan.between.get(pairKey(a, b))
  if (explicit != null) {
    const forward = explicit.a === a
    const up = forward ? explicit.link.up : explicit.link.down
    const down = forward ? explicit.link.down : explicit.link.up
    const pair = pairKey(a, b)
    const via = (p: LinkProfile, direction: 'up' | 'down'): BottleneckOwner => (p.bandwidthBps > 0 ? { kind: 'between', pair, direction } : undefined)
    // a `between` link's up is explicit.a to explicit.b, whichever of the two dials
    return { up, down, upVia: via(up, forward ? 'up' : 'down'), downVia: via(down, forward ? 'down' : 'up'), between: true }
  }
  const from = accessOf(plan, a)
  const to = accessOf(plan, b)
  const direction = (senderUp: LinkProfile, sender: string, receiverDown: LinkProfile, receiver: string): [LinkProfile, BottleneckOwner] => {
    const profile = worseProfile(senderUp, receiverDown)
    if (profile.bandwidthBps <= 0) return [profile, undefined]
    return [profile, senderUp.bandwidthBps === profile.bandwidthBps ? { kind: 'uplink', node: sender } : { kind: 'downlink', node: receiver }]
  }
  const [up, upVia] = direction(from.up, a, to.down, b)
  const [down, downVia] = direction(to.up, b, from.down, a)
  return { up, down, upVia, downVia, between: false }
}

interface ShapedPair {
  a: FleetMember
  b: FleetMember
  link: PairLink
  shaper?: ShapedLink
  /** What the shaper's bottleneck hands out now; swapped when a change moves the rate elsewhere. */
  serializers: { up: Bottleneck['up']; down: Bottleneck['down'] }
  own: Bottleneck
}

/**
 * Shaped links between fleet nodes: one userspace shaper per (dialling node, target node) pair of
 * the topology whose link is not perfect; the dialling node's libp2p sends every TCP dial to the
 * target's port to the shaper instead (see `dialPort`). Without `network.links` and without a
 * timeline `link: { node }`, nothing is started and nothing is rerouted.
 */
export class NodeLinks {
  private readonly plan: NodeLinkPlan
  /** Nodes whose access link the timeline changes: their pairs are shaped from the start. */
  private readonly changing: Set<string>
  private readonly pairs = new Map<string, ShapedPair>()
  private readonly routes = new Map<string, number>()
  private readonly nodeByPort = new Map<number, string>()
  private readonly limiters = new Map<string, Bottleneck>()
  private readonly reported = new Set<string>()
  private started = false

  constructor(
    private readonly scenario: LoadedScenario,
    private readonly events: EventSink,
    private readonly onError: (component: string, error: unknown) => void
  ) {
    this.plan = planNodeLinks(scenario.config.network.links)
    this.changing = new Set(scenario.config.timeline.flatMap((entry) => (entry.link?.node == null ? [] : [entry.link.node])))
  }

  /** Whether any node link could be imperfect in this run; if not, nodes dial each other directly. */
  get active(): boolean {
    const p = this.plan
    const imperfect = (l: ResolvedLink): boolean => !isPerfectProfile(l.up) || !isPerfectProfile(l.down)
    return (
      this.changing.size > 0 ||
      (p.default != null && imperfect(p.default)) ||
      [...p.access.values()].some(imperfect) ||
      [...p.between.values()].some((e) => imperfect(e.link))
    )
  }

  /** The port `from`'s dial to `host:port` goes to: its shaper towards that node, or the port itself. */
  readonly dialPort = (from: string, _host: string, port: number): number => {
    const routed = this.routes.get(`${from}>${port}`)
    if (routed != null) return routed
    const target = this.nodeByPort.get(port)
    if (target != null && this.started) this.reportUnplanned(from, target)
    return port
  }

  /** Starts a shaper for every pair of the topology whose link is not perfect; returns their ports for the capture. */
  async start(fleet: Fleet): Promise<number[]> {
    if (!this.active) return []
    const host = this.scenario.config.network.host
    for (const node of fleet.nodes) this.nodeByPort.set(node.port, node.name)
    const wanted: ShapedPair[] = []
    for (const [a, b] of fleet.dialPairs()) {
      if (this.pairs.has(`${a.name}>${b.name}`)) continue
      const link = pairLink(this.plan, a.name, b.name)
      const changes = !link.between && (this.changing.has(a.name) || this.changing.has(b.name))
      if (!changes && isPerfectProfile(link.up) && isPerfectProfile(link.down)) continue
      const own = createBottleneck()
      const pair: ShapedPair = { a, b, link, own, serializers: { up: own.up, down: own.down } }
      this.pairs.set(`${a.name}>${b.name}`, pair)
      this.pickSerializers(pair)
      wanted.push(pair)
    }
    const seed = this.scenario.config.seed
    const settled = await Promise.allSettled(
      wanted.map(async (pair, i) => {
        // getters: the shaper asks for its limiter on every piece, so a change can move it
        const bottleneck: Bottleneck = {
          get up() {
            return pair.serializers.up
          },
          get down() {
            return pair.serializers.down
          }
        }
        pair.shaper = await startShapedLink({
          target: { host, port: pair.b.port },
          listenHost: host,
          up: pair.link.up,
          down: pair.link.down,
          bottleneck,
          seed: seed * 1000 + 500 + i,
          onConnection: (legs) => {
            this.events.emit('link.connection', { owner: pair.a.name, target: pair.b.name, ...legs })
          }
        })
        this.routes.set(`${pair.a.name}>${pair.b.port}`, pair.shaper.port)
        this.emitPair(pair)
      })
    )
    this.started = true
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected')
    if (failed != null) throw failed.reason
    return wanted.flatMap((pair) => (pair.shaper == null ? [] : [pair.shaper.port]))
  }

  /** A timeline `link: { node, to }`: the node's access link becomes `spec` on every shaped pair it is in (open connections too). */
  change(node: string, spec: LinkSpec): void {
    this.plan.access.set(node, resolveLink(spec))
    for (const pair of this.pairs.values()) {
      if (pair.shaper == null || (pair.a.name !== node && pair.b.name !== node)) continue
      const link = pairLink(this.plan, pair.a.name, pair.b.name)
      if (link.between) continue
      pair.link = link
      this.pickSerializers(pair)
      pair.shaper.update(link.up, link.down)
      this.emitPair(pair)
    }
  }

  /** Shaper ports by the node behind each, for tests and reports. */
  shapers(): Array<{ a: string; b: string; port: number; shaper: ShapedLink }> {
    return [...this.pairs.values()].flatMap((p) => (p.shaper == null ? [] : [{ a: p.a.name, b: p.b.name, port: p.shaper.port, shaper: p.shaper }]))
  }

  async close(): Promise<void> {
    const shapers = [...this.pairs.values()].flatMap((p) => (p.shaper == null ? [] : [p.shaper]))
    this.routes.clear()
    this.started = false
    await Promise.all(
      shapers.map(async (s) => {
        await s.close()
      })
    )
    this.pairs.clear()
  }

  private pickSerializers(pair: ShapedPair): void {
    pair.serializers.up = this.limiter(pair.link.upVia, pair.own.up)
    pair.serializers.down = this.limiter(pair.link.downVia, pair.own.down)
  }

  private limiter(owner: BottleneckOwner, own: Bottleneck['up']): Bottleneck['up'] {
    if (owner == null) return own
    const key = owner.kind === 'between' ? `between ${owner.pair}` : owner.node
    const limiter = this.limiters.get(key) ?? (this.limiters.set(key, createBottleneck()).get(key) as Bottleneck)
    // a node's `up` limiter is its uplink (what it sends), `down` its downlink
    if (owner.kind === 'between') return limiter[owner.direction]
    return owner.kind === 'uplink' ? limiter.up : limiter.down
  }

  private emitPair(pair: ShapedPair): void {
    if (pair.shaper == null) return
    this.events.emit('node.link', { a: pair.a.name, b: pair.b.name, port: pair.shaper.port, up: { ...pair.link.up }, down: { ...pair.link.down } })
  }

  private reportUnplanned(from: string, to: string): void {
    const link = pairLink(this.plan, from, to)
    if (isPerfectProfile(link.up) && isPerfectProfile(link.down)) return
    const key = `${from}>${to}`
    if (this.reported.has(key)) return
    this.reported.add(key)
    this.onError('links', new Error(`${from} dialled ${to} outside the planned topology: that connection is not shaped`))
  }
}

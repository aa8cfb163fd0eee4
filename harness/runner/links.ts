import { createBottleneck, getLinkPreset, startShapedLink, type LinkProfile, type ShapedLink } from '../links/index.js'
import { InvalidInputError, type EventSink, type FleetDirectory, type InputProblem } from '../interface/index.js'
import type { Fleet } from '../fleet/index.js'
import { formatPath, type LinkSpec, type LoadedScenario } from '../scenario/index.js'

/** A link spec made concrete: `up` is from the dialer (or the node whose access link it is) outwards. */
export interface ResolvedLink {
  preset?: string
  up: LinkProfile
  down: LinkProfile
}

export function resolveLink(spec: LinkSpec, where?: { scenario: LoadedScenario; path: Array<string | number> }): ResolvedLink {
  if (typeof spec === 'string') {
    const preset = getLinkPreset(spec, where == null ? {} : { location: where.scenario.locate(where.path), path: formatPath(where.path) })
    return { preset: preset.name, up: preset.up, down: preset.down }
  }
  const profile: LinkProfile = { latencyMs: spec.latency, jitterMs: spec.jitter, lossRate: spec.loss, bandwidthBps: spec.bandwidth }
  return { up: profile, down: { ...profile } }
}

/** Link presets named in a scenario exist (checked before anything starts). */
export function validateLinks(scenario: LoadedScenario): void {
  const problems: InputProblem[] = []
  const check = (spec: LinkSpec, path: Array<string | number>): void => {
    try {
      resolveLink(spec, { scenario, path })
    } catch (error) {
      if (error instanceof InvalidInputError) problems.push(...error.problems)
      else throw error
    }
  }
  for (const [device, config] of Object.entries(scenario.config.devices))
    if ('link' in config && config.link != null) check(config.link, ['devices', device, 'link'])
  scenario.config.timeline.forEach((entry, index) => {
    if (entry.link != null) check(entry.link.to, ['timeline', index, 'link', 'to'])
  })
  const nodeLinks = scenario.config.network.links
  if (nodeLinks?.default != null) check(nodeLinks.default, ['network', 'links', 'default'])
  for (const [node, spec] of Object.entries(nodeLinks?.nodes ?? {})) check(spec, ['network', 'links', 'nodes', node])
  nodeLinks?.between.forEach((entry, index) => {
    check(entry.link, ['network', 'links', 'between', index, 'link'])
  })
  if (problems.length > 0) throw new InvalidInputError(problems)
}

/**
 * Shaped last-mile links: for every device with a `link:`, one userspace shaper per fleet node it
 * may dial, all sharing one bottleneck (the device's radio). The device dials the shapers' ports;
 * the fleet never knows. A timeline `link` action changes a device's figures on open connections.
 */
export class DeviceLinks {
  private readonly links = new Map<string, ShapedLink[]>()
  private readonly portFor = new Map<string, Map<number, number>>()

  constructor(
    private readonly scenario: LoadedScenario,
    private readonly fleet: Fleet,
    private readonly events: EventSink
  ) {}

  /** Starts the shapers; returns their ports (a capture must include them). */
  async start(): Promise<number[]> {
    const ports: number[] = []
    const targets = [...this.fleet.relays, ...this.fleet.stores]
    // a device whose link the timeline changes is shaped from the start (`perfect` until then)
    const changed = new Set(this.scenario.config.timeline.flatMap((entry) => (entry.link?.device == null ? [] : [entry.link.device])))
    for (const [device, config] of Object.entries(this.scenario.config.devices)) {
      const spec = 'link' in config && config.link != null ? config.link : changed.has(device) ? 'perfect' : undefined
      if (spec == null) continue
      const link = resolveLink(spec)
      const bottleneck = createBottleneck()
      const shaped = await Promise.all(
        targets.map(
          async (node, i) =>
            await startShapedLink({
              target: { host: '127.0.0.1', port: node.port },
              up: link.up,
              down: link.down,
              bottleneck,
              seed: this.scenario.config.seed * 1000 + i,
              onConnection: (legs) => {
                this.events.emit('link.connection', { owner: device, target: node.name, ...legs })
              }
            })
        )
      )
      this.links.set(device, shaped)
      this.portFor.set(device, new Map(targets.map((node, i) => [node.port, shaped[i].port])))
      ports.push(...shaped.map((s) => s.port))
      this.events.emit('link.change', {
        device,
        preset: link.preset,
        up: link.up,
        down: link.down,
        ports: Object.fromEntries(targets.map((node, i) => [String(shaped[i].port), node.name]))
      })
    }
    return ports
  }

  /** The fleet as this device sees it: node addresses rewritten to its shapers. */
  directoryFor(device: string, base: FleetDirectory): FleetDirectory {
    const ports = this.portFor.get(device)
    if (ports == null) return base
    const rewrite = (addr: string): string => addr.replace(/\/tcp\/(\d+)\//, (_whole, port: string) => `/tcp/${ports.get(Number(port)) ?? port}/`)
    // the fleet file's addresses too, so a phone's `fleet:` steps enter its shapers; ENRs are signed by the nodes and stay as they are
    const file =
      base.file == null
        ? undefined
        : {
            ...base.file,
            boot: base.file.boot.map(rewrite),
            relay: base.file.relay.map(rewrite),
            store: base.file.store.map(rewrite),
            lightpush: base.file.lightpush.map(rewrite),
            filter: base.file.filter.map(rewrite),
            nodes: base.file.nodes.map((node) => ({ ...node, multiaddrs: node.multiaddrs.map(rewrite) }))
          }
    // a block names the nodes' own ports; the device dials its shapers' ports for them
    const original = new Map([...ports].map(([node, shaper]) => [shaper, node]))
    const { refused } = base
    return {
      ...base,
      relays: base.relays.map(rewrite),
      stores: base.stores.map((s) => ({ ...s, addr: rewrite(s.addr) })),
      file,
      ...(refused == null ? {} : { refused: (host: string, port: number) => refused(host, original.get(port) ?? port) })
    }
  }

  change(device: string, spec: LinkSpec): void {
    const shaped = this.links.get(device)
    if (shaped == null) return // a device without a link has no shaper to change; validation named it
    const link = resolveLink(spec)
    for (const s of shaped) s.update(link.up, link.down)
    this.events.emit('link.change', { device, preset: link.preset, up: link.up, down: link.down })
  }

  has(device: string): boolean {
    return this.links.has(device)
  }

  async close(): Promise<void> {
    await Promise.all(
      [...this.links.values()].flat().map(async (s) => {
        await s.close()
      })
    )
    this.links.clear()
  }
}

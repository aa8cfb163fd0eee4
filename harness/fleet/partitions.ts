/**
 * Who may talk to whom. A partition splits named fleet nodes and devices into groups; every fleet
 * node refuses connections across groups (dials and inbound alike) until the partition heals.
 * Devices need no cooperation: all their connections end at fleet nodes.
 */
export class Partitions {
  private readonly nameOf = new Map<string, string>()
  private groupOf?: Map<string, number>
  /** Censorship: device name -> the nodes that refuse it. */
  private readonly blocks = new Map<string, Set<string>>()
  private readonly bootstrapOf = new Map<string, string[]>()
  private readonly listeners: Array<() => void> = []

  /** Called after every change of who may talk to whom (a worker process's copy must follow at once). */
  onChange(listener: () => void): void {
    this.listeners.push(listener)
  }

  private changed(): void {
    for (const listener of this.listeners) listener()
  }

  /** Everything the gates decide on, as plain data a worker process can be sent. */
  snapshot(): PartitionState {
    return {
      names: [...this.nameOf],
      ...(this.groupOf == null ? {} : { groups: [...this.groupOf] }),
      blocks: [...this.blocks].map(([device, nodes]): [string, string[]] => [device, [...nodes]])
    }
  }

  /** Takes over another process's state: its names join these, its partition and blocks replace these. */
  restore(state: PartitionState): void {
    for (const [peerId, name] of state.names) this.nameOf.set(peerId, name)
    this.groupOf = state.groups == null ? undefined : new Map(state.groups)
    this.blocks.clear()
    for (const [device, nodes] of state.blocks) this.blocks.set(device, new Set(nodes))
  }

  /** Tells the controller which peer id a node or device has. */
  register(name: string, peerId: string): void {
    if (this.nameOf.get(peerId) === name) return
    this.nameOf.set(peerId, name)
    this.changed()
  }

  /** The node or device name registered for a peer id. */
  peerName(peerId: string): string | undefined {
    return this.nameOf.get(peerId)
  }

  get active(): boolean {
    return this.groupOf != null
  }

  /** `rest` in a group stands for every registered name not listed elsewhere. */
  set(groups: string[][]): string[][] {
    const listed = new Set(groups.flat().filter((name) => name !== 'rest'))
    const everyone = [...new Set(this.nameOf.values())]
    const resolved = groups.map((group) => group.flatMap((name) => (name === 'rest' ? everyone.filter((n) => !listed.has(n)) : [name])))
    this.groupOf = new Map(resolved.flatMap((group, index) => group.map((name): [string, number] => [name, index])))
    this.changed()
    return resolved
  }

  clear(): void {
    this.groupOf = undefined
    this.changed()
  }

  /** The relay nodes a device was told about at start (its `device.bootstrap` event). */
  setBootstrap(device: string, nodes: string[]): void {
    this.bootstrapOf.set(device, nodes)
  }

  bootstrap(device: string): string[] {
    return this.bootstrapOf.get(device) ?? []
  }

  /** These nodes refuse the device from now on, on top of any partition. */
  block(device: string, nodes: readonly string[]): void {
    const set = this.blocks.get(device) ?? new Set<string>()
    for (const node of nodes) set.add(node)
    this.blocks.set(device, set)
    this.changed()
  }

  blockedFor(device: string): ReadonlySet<string> {
    return this.blocks.get(device) ?? new Set()
  }

  unblock(device: string, nodes: readonly string[]): void {
    const set = this.blocks.get(device)
    for (const node of nodes) set?.delete(node)
    this.changed()
  }

  /** Whether `self` must refuse `peerId` now. Names in no group are unaffected. */
  blocked(self: string, peerId: string): boolean {
    const other = this.nameOf.get(peerId)
    if (other == null) return false
    if (this.blocks.get(other)?.has(self) === true) return true
    if (this.groupOf == null) return false
    const a = this.groupOf.get(self)
    const b = this.groupOf.get(other)
    return a != null && b != null && a !== b
  }
}

/** A Partitions' decisions as data: peer names, the partition's groups, the blocks. */
export interface PartitionState {
  names: Array<[peerId: string, name: string]>
  groups?: Array<[name: string, group: number]>
  blocks: Array<[device: string, nodes: string[]]>
}

/**
 * Who may talk to whom. A partition splits named fleet nodes and devices into groups; every fleet
 * node refuses connections across groups (dials and inbound alike) until the partition heals.
 * Devices need no cooperation: all their connections end at fleet nodes.
 */
export class Partitions {
  private readonly nameOf = new Map<string, string>()
  private groupOf?: Map<string, number>

  /** Tells the controller which peer id a node or device has. */
  register (name: string, peerId: string): void {
    this.nameOf.set(peerId, name)
  }

  /** The node or device name registered for a peer id. */
  peerName (peerId: string): string | undefined {
    return this.nameOf.get(peerId)
  }

  get active (): boolean {
    return this.groupOf != null
  }

  /** `rest` in a group stands for every registered name not listed elsewhere. */
  set (groups: string[][]): string[][] {
    const listed = new Set(groups.flat().filter((name) => name !== 'rest'))
    const everyone = [...new Set(this.nameOf.values())]
    const resolved = groups.map((group) => group.flatMap((name) => name === 'rest' ? everyone.filter((n) => !listed.has(n)) : [name]))
    this.groupOf = new Map(resolved.flatMap((group, index) => group.map((name): [string, number] => [name, index])))
    return resolved
  }

  clear (): void {
    this.groupOf = undefined
  }

  /** Whether `self` must refuse `peerId` now. Names in no group are unaffected. */
  blocked (self: string, peerId: string): boolean {
    if (this.groupOf == null) return false
    const other = this.nameOf.get(peerId)
    if (other == null) return false
    const a = this.groupOf.get(self)
    const b = this.groupOf.get(other)
    return a != null && b != null && a !== b
  }
}

import type { NodeRole } from '../interface/index.js'
import type { FleetMember, FleetNodeInit } from '../fleet/index.js'
import type { ExchangeablePeer } from '../protocol/index.js'
import type { NodeInfo } from './protocol.js'
import type { WorkerProcess } from './pool.js'

/**
 * The runner's stand-in for a node a worker process hosts: the fleet, the timeline and the devices'
 * directory use it as they use a node of their own process; each call is a request on the worker's
 * channel. The node emits its own events (node.up, node.down...) in the worker.
 */
export class RemoteNode implements FleetMember {
  readonly name: string
  readonly role: NodeRole
  readonly dialTargets: string[] = []
  private info?: NodeInfo
  private up = false

  constructor(
    readonly init: FleetNodeInit,
    private readonly host: WorkerProcess
  ) {
    this.name = init.name
    this.role = init.role
  }

  get worker(): string {
    return this.host.name
  }

  get running(): boolean {
    return this.up
  }

  get address(): string {
    return this.info?.multiaddrs[0] ?? `/ip4/${this.init.host ?? '127.0.0.1'}/tcp/0/p2p/`
  }

  get port(): number {
    return this.info?.port ?? 0
  }

  get multiaddrs(): string[] {
    return this.info?.multiaddrs ?? []
  }

  get enr(): string {
    return this.info?.enr ?? ''
  }

  get peerId(): string {
    return this.info?.peerId ?? ''
  }

  get exchangeable(): ExchangeablePeer | undefined {
    if (!this.up || this.info == null || this.info.enr === '') return undefined
    return { peerId: this.info.peerId, enr: Buffer.from(this.info.enr.replace(/^enr:/, ''), 'base64url') }
  }

  async start(): Promise<void> {
    this.info = (await this.host.request({ cmd: 'start', node: this.name })) as NodeInfo
    this.up = true
  }

  async connect(): Promise<void> {
    if (!this.up) return
    await this.host.request({ cmd: 'connect', node: this.name, targets: [...this.dialTargets] })
  }

  /** The worker has the partition already (the runner sends every change of it before this). */
  async enforcePartition(): Promise<void> {
    if (!this.up) return
    await this.host.request({ cmd: 'enforce', node: this.name })
  }

  async kill(): Promise<void> {
    if (!this.up) return
    this.up = false
    await this.host.request({ cmd: 'kill', node: this.name })
  }

  async stop(): Promise<void> {
    if (!this.up || !this.host.alive) return
    this.up = false
    await this.host.request({ cmd: 'stop', node: this.name })
  }

  async restart(): Promise<void> {
    if (this.up) return
    this.info = (await this.host.request({ cmd: 'restart', node: this.name })) as NodeInfo
    this.up = true
  }

  async meshReady(pubsubTopic: string): Promise<boolean> {
    if (!this.up) return false
    return (await this.host.request({ cmd: 'mesh', node: this.name, topic: pubsubTopic })) === true
  }

  /** Its worker died: the node died with it. Whether it was up then, for the runner to record its death. */
  lost(): boolean {
    const wasUp = this.up
    this.up = false
    return wasUp
  }
}

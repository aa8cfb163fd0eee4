import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { startSocketOwners, startTcpdump, tcpdumpAvailability, type SocketOwnerPoller, type TcpdumpCapture } from '../capture/index.js'
import { InfrastructureError, type Logger, type Startable } from '../interface/index.js'
import type { EventLog } from './event-log.js'
import { SOCKET_OWNERS_FILE } from './destinations.js'

const CAPTURE_FILE = 'capture.pcap'
// With --immediate-mode libpcap sizes every ring slot for the snaplen: tcpdump's default 256 KiB
// left an 8 MiB buffer 32 slots and dropped ~5% of a smoke run's packets (measured). 70 000 bytes
// still holds loopback's 64 kB offload frames whole, and 128 MiB gives ~1900 slots: no drops.
const CAPTURE_SNAPLEN = 70_000
const CAPTURE_BUFFER_KB = 131_072

export type CaptureChoice = { backend: 'tcpdump' | 'socket' | 'off'; reason?: string }

// tcpdump's immediate mode wakes it once per packet: measured on this 2-core machine, 1.1 s more
// CPU per 10 s of an 80 msg/s crowd (4 relays, 2 stores, 4 devices), on the core the harness
// shares. Without it a stop waits out libpcap's 1 s block timeout (harness/capture/tcpdump.ts).
// From this crowd rate on the per-packet wakeups cost more than that second.
const BLOCK_CAPTURE_FROM_MSG_PER_S = 20

/** Whether tcpdump runs in immediate mode for a scenario: yes, unless its crowd is busy. */
export function captureImmediately(crowdRatePerSecond: number | undefined): boolean {
  return (crowdRatePerSecond ?? 0) < BLOCK_CAPTURE_FROM_MSG_PER_S
}

/** `auto` falls back to socket accounting, saying why; an explicit `tcpdump` that cannot run is an error. */
export async function chooseCapture(wanted: 'auto' | 'tcpdump' | 'socket' | 'off', log: Logger): Promise<CaptureChoice> {
  if (wanted === 'off') return { backend: 'off', reason: 'capture: off in the scenario' }
  if (wanted === 'socket') return { backend: 'socket', reason: 'capture: socket in the scenario' }
  const availability = await tcpdumpAvailability()
  if (availability.usable) return { backend: 'tcpdump' }
  if (wanted === 'tcpdump')
    throw new InfrastructureError(
      `capture: tcpdump was asked for but cannot capture here: ${availability.reason ?? 'unknown reason'} (install tcpdump and run as root, or use capture: auto)`
    )
  log.warn(`tcpdump not usable (${availability.reason ?? 'unknown reason'}); counting bytes at the sockets only`)
  return { backend: 'socket', reason: `tcpdump not usable: ${availability.reason ?? 'unknown reason'}` }
}

/**
 * The run's packet capture as a part of the run. Its start only records the backend: tcpdump
 * needs the ports the fleet and the shapers listen on, so the fleet calls `begin` once they
 * listen and before any node dials. It stops last, after the fleet's closing packets.
 */
export class CapturePart implements Startable {
  readonly name = 'capture'
  #tcpdump: TcpdumpCapture | undefined
  #socketOwners: SocketOwnerPoller | undefined

  constructor(
    private readonly choice: CaptureChoice,
    private readonly context: { runDir: string; events: EventLog; hosts: readonly string[]; immediate: boolean }
  ) {}

  async start(): Promise<void> {
    if (this.choice.backend !== 'tcpdump') this.context.events.emit('capture.start', this.choice)
  }

  async begin(ports: number[], signal: AbortSignal): Promise<void> {
    if (this.choice.backend !== 'tcpdump') return
    const { runDir, events, hosts, immediate } = this.context
    try {
      // every interface, not loopback alone: a device's contact with a real remote host (a DNS
      // resolver, a font server) leaves by another one. Byte counts do not change: lengths
      // come from the IP header, and a loopback packet is seen once on `any` as on `lo`
      this.#tcpdump = await startTcpdump({
        file: join(runDir, CAPTURE_FILE),
        interface: 'any',
        ports,
        outsideOf: [...hosts],
        snaplen: CAPTURE_SNAPLEN,
        bufferKb: CAPTURE_BUFFER_KB,
        immediate,
        signal
      })
      // on every interface other programs' traffic is captured too: who held which socket tells them apart
      this.#socketOwners = startSocketOwners()
    } catch (error) {
      if (signal.aborted) throw error
      throw new InfrastructureError(`tcpdump could not start: ${error instanceof Error ? error.message : String(error)}`, { cause: error })
    }
    events.emit('capture.start', { backend: 'tcpdump', file: CAPTURE_FILE, argv: this.#tcpdump.argv })
  }

  async stop(): Promise<void> {
    const tcpdump = this.#tcpdump
    if (tcpdump == null) return
    this.#tcpdump = undefined
    await sleep(200) // let the last FINs reach the capture buffer
    const stats = await tcpdump.stop()
    this.context.events.emit('capture.stop', { backend: 'tcpdump', packets: stats.packets, dropped: stats.dropped })
    if (this.#socketOwners != null) await writeFile(join(this.context.runDir, SOCKET_OWNERS_FILE), JSON.stringify(await this.#socketOwners.stop()))
  }
}

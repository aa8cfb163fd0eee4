import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { captureDestinations, ownerOf, type SocketOwners } from '../capture/index.js'
import type { CourierEvent, Destination, DestinationResults } from '../interface/index.js'
import type { ScenarioConfig } from '../scenario/index.js'
import { capturePath, completeConfig } from './results.js'

/**
 * courier's own addresses: the fleet's host, and loopback (127.0.0.1 and ::1) where shapers, page
 * servers and a local fleet listen. A server on one of them is never counted as a destination, so
 * a third party on 127.0.0.1 itself is not seen: use another loopback address (127.0.0.2).
 */
export function fleetHosts(config: Pick<ScenarioConfig, 'network'>): string[] {
  return [...new Set([config.network?.host ?? '127.0.0.1', '127.0.0.1', '::1'])]
}

/** The run's destinations outside the fleet, from its tcpdump capture; undefined when it has none. */
export async function loadDestinations(runDir: string, events: readonly CourierEvent[]): Promise<DestinationResults | undefined> {
  const file = capturePath(runDir, events)
  if (file == null) return undefined
  const start = events.find((e) => e.type === 'run.start')
  const { config } = completeConfig(start?.type === 'run.start' ? start.scenario : undefined, events)
  // pcap times are wall-clock µs; the run clock started wallClockMs after the epoch
  const wallClockMs = start?.type === 'run.start' ? (start.wallClockMs ?? 0) : 0
  const hosts = fleetHosts(config)
  const found = await captureDestinations(file, { fleetHosts: new Set(hosts) })
  const owners = await readSocketOwners(runDir)
  const allow = config.destinations?.allow ?? []
  const list: Destination[] = []
  const otherPrograms: NonNullable<DestinationResults['otherPrograms']> = []
  const lookups: NonNullable<DestinationResults['lookups']> = []
  for (const d of found) {
    const seen = owners == null ? [] : d.from.map((endpoint) => ownerOf(owners, endpoint))
    // left out only when every socket it was reached from was seen held by another program: a
    // socket no poll saw (too short-lived) counts as the run's
    if (seen.length > 0 && seen.every((owner) => owner != null && !owner.ours)) {
      otherPrograms.push({ protocol: d.protocol, ip: d.ip, port: d.port, by: [...new Set(seen.flatMap((owner) => owner?.commands ?? []))] })
      continue
    }
    const by = [...new Set(seen.flatMap((owner) => (owner?.ours === true ? owner.commands : [])))]
    // a name lookup's socket lives milliseconds and every program on the host makes them: on a
    // real interface, one no poll tied to courier is not counted (its answers still name hosts)
    if (owners != null && by.length === 0 && d.port === 53 && !isLoopback(d.ip)) {
      lookups.push({ protocol: d.protocol, ip: d.ip, port: d.port, queries: d.connections })
      continue
    }
    const allowedBy = allow.find((entry) => allows(entry, d))
    const { firstUs, lastUs, ...rest } = d
    list.push({
      ...rest,
      firstMs: round(firstUs / 1000 - wallClockMs),
      lastMs: round(lastUs / 1000 - wallClockMs),
      ...(allowedBy == null ? {} : { allowedBy }),
      ...(by.length === 0 ? {} : { by })
    })
  }
  return {
    list,
    thirdParty: list.filter((d) => d.allowedBy == null).length,
    fleetHosts: hosts,
    ...(owners == null
      ? {}
      : {
          otherPrograms,
          lookups,
          attribution: { polls: owners.polls, intervalMs: owners.intervalMs, ...(owners.error == null ? {} : { error: owners.error }) }
        })
  }
}

/** Written beside the capture by the run: which processes held which sockets (harness/capture socket-owners). */
export const SOCKET_OWNERS_FILE = 'socket-owners.json'

async function readSocketOwners(runDir: string): Promise<SocketOwners | undefined> {
  const file = join(runDir, SOCKET_OWNERS_FILE)
  if (!existsSync(file)) return undefined
  try {
    return JSON.parse(await readFile(file, 'utf8')) as SocketOwners
  } catch {
    return undefined
  }
}

/** `host`, `*.domain`, `ip`, `[ip6]`, each optionally with `:port` (a bare IPv6 address has no port). */
export function allows(entry: string, d: Pick<Destination, 'ip' | 'port' | 'host'>): boolean {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry)
  const [who, port] =
    bracketed != null ? [bracketed[1], bracketed[2]] : entry.split(':').length > 2 ? [entry, undefined] : (entry.split(':') as [string, string | undefined])
  if (port != null && Number(port) !== d.port) return false
  const target = who.toLowerCase()
  if (target === d.ip.toLowerCase()) return true
  const host = d.host?.toLowerCase()
  if (host == null) return false
  return target.startsWith('*.') ? host.endsWith(target.slice(1)) : host === target
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10
}

function isLoopback(ip: string): boolean {
  return ip.startsWith('127.') || ip === '::1'
}

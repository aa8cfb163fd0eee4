import type { FleetFile } from '../../harness/interface/index.js'

/** Top-level names of the fleet file a `{{fleet.<name>...}}` template may start with. */
export const FLEET_TEMPLATE_ROOTS: ReadonlyArray<keyof FleetFile> = [
  'name',
  'scenario',
  'seed',
  'host',
  'cluster',
  'shards',
  'pubsubTopics',
  'contentTopics',
  'topics',
  'boot',
  'relay',
  'store',
  'lightpush',
  'filter',
  'peerExchange',
  'nodes'
]

const TEMPLATE = /\{\{\s*([^{}]*?)\s*\}\}/g
const PATH = /^fleet((?:\.[A-Za-z_][A-Za-z0-9_-]*|\[\d+\])+)$/
const SEGMENT = /\.([A-Za-z_][A-Za-z0-9_-]*)|\[(\d+)\]/g

type Segment = string | number

function segments(path: string): Segment[] | undefined {
  const match = PATH.exec(path)
  if (match == null) return undefined
  return [...match[1].matchAll(SEGMENT)].map((m) => m[1] ?? Number(m[2]))
}

/** The templates in a text that are not a known fleet-file path, each with what is wrong. */
export function templateProblems(text: string): Array<{ template: string; problem: string }> {
  const problems: Array<{ template: string; problem: string }> = []
  for (const match of text.matchAll(TEMPLATE)) {
    const path = segments(match[1])
    if (path == null) problems.push({ template: match[0], problem: 'not a fleet path such as fleet.boot[0], fleet.store[0] or fleet.cluster' })
    else if (typeof path[0] !== 'string' || !(FLEET_TEMPLATE_ROOTS as readonly string[]).includes(path[0]))
      problems.push({ template: match[0], problem: `fleet.json has no "${String(path[0])}"` })
  }
  return problems
}

/**
 * Replaces every `{{fleet.path}}` with that value of the run's fleet file. A list gives its items
 * joined by commas; a missing value (`store[0]` of a fleet without stores) is an error naming it.
 */
export function renderFleetTemplate(text: string, file: FleetFile): string {
  return text.replace(TEMPLATE, (whole, inner: string) => {
    const path = segments(inner)
    if (path == null) throw new Error(`${whole}: not a fleet path such as fleet.boot[0]`)
    let value: unknown = file
    let walked = 'fleet'
    for (const segment of path) {
      const next: unknown = value == null || typeof value !== 'object' ? undefined : (value as Record<string | number, unknown>)[segment]
      if (next === undefined || next === null) {
        const size = Array.isArray(value) ? ` (${walked} has ${value.length} entr${value.length === 1 ? 'y' : 'ies'})` : ''
        throw new Error(`${whole}: the run's fleet has no ${walked}${typeof segment === 'number' ? `[${segment}]` : `.${segment}`}${size}`)
      }
      value = next
      walked += typeof segment === 'number' ? `[${segment}]` : `.${segment}`
    }
    if (Array.isArray(value) && value.every((item) => typeof item !== 'object')) return value.join(',')
    if (typeof value === 'object') throw new Error(`${whole}: ${walked} is not a text or number (name one of its fields)`)
    return String(value)
  })
}

import type { MetricUnit } from '../interface/index.js'
import { parseDuration, parseRatio, parseSize } from '../scenario/units.js'

export type Comparator = '<' | '<=' | '>' | '>=' | '==' | '!='

/** A parsed `expect:` entry: the metric's value is compared with `target` in the metric's unit. */
export interface Threshold {
  metric: string
  expression: string
  comparator: Comparator
  target: number | boolean
  unit: MetricUnit
}

export type ThresholdParse = { ok: true; threshold: Threshold } | { ok: false; expected: string; found: string }

const EXPRESSION = /^\s*(<=|>=|==|!=|<|>)\s*(.+?)\s*$/

/** Parses `"< 2s"` against the metric's unit, so `< 2kB` on a latency is an error, not a surprise. */
export function parseThreshold(metric: string, unit: MetricUnit, raw: string | number | boolean): ThresholdParse {
  if (unit === 'boolean') {
    if (typeof raw === 'boolean') return { ok: true, threshold: { metric, expression: String(raw), comparator: '==', target: raw, unit } }
    return { ok: false, expected: 'true or false', found: JSON.stringify(raw) }
  }
  const expression = typeof raw === 'number' ? `== ${raw}` : String(raw)
  const match = EXPRESSION.exec(expression)
  if (match == null) return { ok: false, expected: `a comparison such as "< ${example(unit)}" (operators < <= > >= == !=)`, found: JSON.stringify(raw) }
  const comparator = match[1] as Comparator
  const target = parseQuantity(match[2], unit)
  if (target == null) return { ok: false, expected: `a ${unitName(unit)} such as "${comparator} ${example(unit)}"`, found: JSON.stringify(raw) }
  return { ok: true, threshold: { metric, expression, comparator, target, unit } }
}

function parseQuantity(text: string, unit: MetricUnit): number | null {
  const plain = plainNumber(text)
  switch (unit) {
    case 'ms': {
      if (plain != null) return plain
      const parsed = parseDuration(text)
      return parsed.ok ? parsed.value : null
    }
    case 'seconds': {
      if (plain != null) return plain
      const parsed = parseDuration(text)
      return parsed.ok ? parsed.value / 1000 : null
    }
    case 'ratio': {
      const parsed = parseRatio(text)
      return parsed.ok ? parsed.value : null
    }
    case 'bytes':
    case 'bytes/h': {
      if (plain != null) return plain
      const parsed = parseSize(text.replace(/\/h$/, ''))
      return parsed.ok ? parsed.value : null
    }
    // the unit a report prints after the value ("wanted < 15 mAh") may be written back
    case 'joules':
      return plain ?? withUnit(text, 'J')
    case 'mAh':
      return plain ?? withUnit(text, 'mAh')
    case 'mAh/h':
      return plain ?? withUnit(text, 'mAh/h')
    default:
      return plain
  }
}

function withUnit(text: string, unit: string): number | null {
  return text.endsWith(unit) ? plainNumber(text.slice(0, -unit.length).trimEnd()) : null
}

function plainNumber(text: string): number | null {
  return /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : null
}

export function compare(value: number, comparator: Comparator, target: number): boolean {
  switch (comparator) {
    case '<':
      return value < target
    case '<=':
      return value <= target
    case '>':
      return value > target
    case '>=':
      return value >= target
    case '==':
      return value === target
    case '!=':
      return value !== target
  }
}

function unitName(unit: MetricUnit): string {
  return (
    {
      ms: 'duration',
      seconds: 'duration',
      ratio: 'percentage',
      count: 'number',
      bytes: 'size',
      'bytes/h': 'size per hour',
      boolean: 'boolean',
      joules: 'number of joules',
      mAh: 'number of mAh',
      'mAh/h': 'number of mAh per hour'
    } as Record<MetricUnit, string>
  )[unit]
}

function example(unit: MetricUnit): string {
  return (
    { ms: '2s', seconds: '30s', ratio: '1%', count: '0', bytes: '2kB', 'bytes/h': '10MB', boolean: 'true', joules: '10', mAh: '15', 'mAh/h': '5' } as Record<
      MetricUnit,
      string
    >
  )[unit]
}

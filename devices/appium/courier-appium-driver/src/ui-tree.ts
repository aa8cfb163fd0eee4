import { DOMParser } from '@xmldom/xmldom'
import xpath from 'xpath'

/**
 * The courier test app's screen as a UI tree shaped like UiAutomator2's page source (class names
 * as tags, `resource-id`, `text`, `content-desc`), so profiles written for it use the same
 * selector kinds as for a real Android app. Every node has a stable key: WebDriver element ids map
 * to keys, and a key that is no longer on screen is a stale element, as on a phone.
 */
export interface UiNode {
  key: string
  cls: string
  attrs: Record<string, string>
  children: UiNode[]
}

export const APP_PACKAGE = 'org.courier.testapp'

export function rid(name: string): string {
  return `${APP_PACKAGE}:id/${name}`
}

export function node(key: string, cls: string, attrs: Record<string, string>, children: UiNode[] = []): UiNode {
  return { key, cls, attrs: { 'resource-id': '', text: '', 'content-desc': '', displayed: 'true', enabled: 'true', ...attrs }, children }
}

export function serialize(root: UiNode, withKeys = false): string {
  const lines: string[] = ['<?xml version="1.0" encoding="UTF-8"?>']
  const walk = (n: UiNode, depth: number): void => {
    const attrs = Object.entries(n.attrs)
      .map(([k, v]) => ` ${k}="${escapeXml(v)}"`)
      .join('')
    const key = withKeys ? ` courier-key="${escapeXml(n.key)}"` : ''
    const pad = '  '.repeat(depth)
    if (n.children.length === 0) {
      lines.push(`${pad}<${n.cls} class="${n.cls}"${attrs}${key}/>`)
      return
    }
    lines.push(`${pad}<${n.cls} class="${n.cls}"${attrs}${key}>`)
    for (const child of n.children) walk(child, depth + 1)
    lines.push(`${pad}</${n.cls}>`)
  }
  walk(root, 0)
  return lines.join('\n') + '\n'
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
}

function* descendants(root: UiNode): Generator<UiNode> {
  for (const child of root.children) {
    yield child
    yield* descendants(child)
  }
}

export function findByKey(root: UiNode, key: string): UiNode | undefined {
  if (root.key === key) return root
  for (const n of descendants(root)) if (n.key === key) return n
  return undefined
}

export type Strategy = 'id' | 'accessibility id' | 'class name' | 'xpath'
export const STRATEGIES: Strategy[] = ['id', 'accessibility id', 'class name', 'xpath']

/** Nodes under `context` (exclusive) matching a WebDriver locator, in document order. */
export function findNodes(context: UiNode, strategy: Strategy, selector: string): UiNode[] {
  switch (strategy) {
    case 'id': {
      // UiAutomator2 accepts a bare id and completes it with the app package
      const full = selector.includes(':id/') ? selector : rid(selector)
      return [...descendants(context)].filter((n) => n.attrs['resource-id'] === full)
    }
    case 'accessibility id':
      return [...descendants(context)].filter((n) => n.attrs['content-desc'] === selector)
    case 'class name':
      return [...descendants(context)].filter((n) => n.cls === selector)
    case 'xpath':
      return findByXpath(context, selector)
  }
}

function findByXpath(context: UiNode, selector: string): UiNode[] {
  const doc = new DOMParser().parseFromString(serialize(context, true), 'text/xml')
  let selected: unknown
  try {
    // a relative xpath is evaluated from the context element, an absolute one from the document
    selected = xpath.select(selector, (selector.startsWith('/') ? doc : doc.documentElement) as unknown as Node)
  } catch (error) {
    throw new InvalidSelector(`invalid xpath ${JSON.stringify(selector)}: ${(error as Error).message}`)
  }
  if (!Array.isArray(selected)) throw new InvalidSelector(`xpath ${JSON.stringify(selector)} does not select elements`)
  const keys = selected.flatMap((n) => {
    const key = (n as { getAttribute?: (name: string) => string | null }).getAttribute?.('courier-key')
    return key == null || key === context.key ? [] : [key]
  })
  return keys.flatMap((key) => findByKey(context, key) ?? [])
}

export class InvalidSelector extends Error {
  override readonly name = 'InvalidSelector'
}

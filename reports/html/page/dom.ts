// DOM helpers of the report page. Every string from the run goes into the page through text
// nodes (h's string children, textContent), never through HTML parsing.

/** What h takes as a child: strings and numbers become text nodes; null, undefined and false are left out. */
export type Child = string | number | null | undefined | false | Node

/** Creates an element; strings become text nodes, so run data can never become markup. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | undefined> | null,
  ...children: Array<Child | Child[]>
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag)
  for (const [k, v] of Object.entries(attrs ?? {})) if (v != null) el.setAttribute(k, v)
  for (const c of children.flat()) {
    if (c == null || c === false) continue
    el.append(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c)
  }
  return el
}

/** The element with this id, which the page's HTML always has (render.ts writes them). */
export function byId(id: string): HTMLElement {
  const el = document.getElementById(id)
  if (el == null) throw new Error(`report.html has no #${id}`)
  return el
}

/** A table; a cell that is already a td is kept, anything else is wrapped in one. */
export function table(headers: string[], rows: Child[][], cls = 'data'): HTMLTableElement {
  return h(
    'table',
    { class: cls },
    h(
      'thead',
      null,
      h(
        'tr',
        null,
        headers.map((t) => h('th', null, t))
      )
    ),
    h(
      'tbody',
      null,
      rows.map((r) =>
        h(
          'tr',
          null,
          r.map((c) => (c instanceof Element && c.tagName === 'TD' ? c : h('td', null, c)))
        )
      )
    )
  )
}

/** A report section appended to #main: its id (the nav links to it), title and optional intro. */
export function section(id: string, title: string, intro?: string): HTMLElement {
  const s = h('section', { id }, h('h2', null, title), intro != null ? h('p', { class: 'intro' }, intro) : null)
  byId('main').append(s)
  return s
}

export function grid(...children: HTMLElement[]): HTMLDivElement {
  return h('div', { class: 'grid' }, ...children)
}

export function empty(text: string): HTMLParagraphElement {
  return h('p', { class: 'empty' }, text)
}

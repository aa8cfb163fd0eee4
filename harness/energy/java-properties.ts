// A reader for Java .properties text (java.util.Properties.load semantics: `#`/`!` comments,
// `=`, `:` or whitespace separators, backslash line continuations and escapes including \uXXXX).
// Own code rather than an npm package because this module must not change the shared
// package.json, and because the errors courier prints need the line of each key.

/** One key of a properties file with the 1-based line it starts on. */
export interface PropertyEntry {
  value: string
  line: number
}

function unescapeValue(text: string): string {
  let out = ''
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (c !== '\\' || i + 1 >= text.length) {
      out += c
      continue
    }
    const e = text[++i]
    if (e === 't') out += '\t'
    else if (e === 'n') out += '\n'
    else if (e === 'r') out += '\r'
    else if (e === 'f') out += '\f'
    else if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) {
      out += String.fromCharCode(parseInt(text.slice(i + 1, i + 5), 16))
      i += 4
    } else out += e
  }
  return out
}

function endsWithContinuation(line: string): boolean {
  let slashes = 0
  for (let i = line.length - 1; i >= 0 && line[i] === '\\'; i--) slashes++
  return slashes % 2 === 1
}

/** Parses properties text; a later duplicate key wins, as in Java. */
export function parseJavaProperties(text: string): Map<string, PropertyEntry> {
  const out = new Map<string, PropertyEntry>()
  const lines = text.split(/\r\n|\r|\n/)
  for (let i = 0; i < lines.length; i++) {
    const startLine = i + 1
    let logical = lines[i].replace(/^[ \t\f]+/, '')
    if (logical === '' || logical[0] === '#' || logical[0] === '!') continue
    while (endsWithContinuation(logical) && i + 1 < lines.length) {
      logical = logical.slice(0, -1) + lines[++i].replace(/^[ \t\f]+/, '')
    }
    if (endsWithContinuation(logical)) logical = logical.slice(0, -1)
    let k = 0
    while (k < logical.length) {
      const c = logical[k]
      if (c === '\\') {
        k += 2
        continue
      }
      if (c === '=' || c === ':' || c === ' ' || c === '\t' || c === '\f') break
      k++
    }
    const key = logical.slice(0, Math.min(k, logical.length))
    let v = k
    while (v < logical.length && /[ \t\f]/.test(logical[v])) v++
    if (v < logical.length && (logical[v] === '=' || logical[v] === ':')) v++
    while (v < logical.length && /[ \t\f]/.test(logical[v])) v++
    out.set(unescapeValue(key), { value: unescapeValue(logical.slice(v)), line: startLine })
  }
  return out
}

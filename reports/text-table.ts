// Column alignment for the console summary. Small enough to own: table libraries size columns
// with the escape codes included, and colour here is the caller's decision, not the terminal's.

/** A cell: its text and an optional ANSI style applied after padding. */
export interface Cell {
  text: string
  style?: AnsiStyle
  align?: 'left' | 'right'
}

export type AnsiStyle = 'red' | 'green' | 'yellow' | 'bold' | 'dim' | 'redBold' | 'greenBold' | 'yellowBold'

const CODES: Record<AnsiStyle, [string, string]> = {
  red: ['\u001b[31m', '\u001b[39m'],
  green: ['\u001b[32m', '\u001b[39m'],
  yellow: ['\u001b[33m', '\u001b[39m'],
  bold: ['\u001b[1m', '\u001b[22m'],
  dim: ['\u001b[2m', '\u001b[22m'],
  redBold: ['\u001b[1;31m', '\u001b[22;39m'],
  greenBold: ['\u001b[1;32m', '\u001b[22;39m'],
  yellowBold: ['\u001b[1;33m', '\u001b[22;39m']
}

/** Wraps text in an ANSI style when colour is on. */
export function paint(text: string, style: AnsiStyle | undefined, color: boolean): string {
  if (!color || style == null || text === '') return text
  const [open, close] = CODES[style]
  return `${open}${text}${close}`
}

/** Control characters from run data (device names, errors) must not drive the terminal. */
export function plain(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '?').replace(/\n/g, ' ')
}

/** Renders rows as aligned columns with two spaces between them and `indent` before each line. */
export function renderTable(header: string[], rows: Cell[][], options: { color: boolean; indent?: string }): string {
  const indent = options.indent ?? '  '
  const all: Cell[][] = [header.map((text) => ({ text, style: 'dim' as const })), ...rows]
  const widths: number[] = []
  for (const row of all)
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, [...plain(cell.text)].length)
    })
  return all
    .map((row) => {
      // stop at the last non-empty cell so coloured and plain lines end the same way
      let last = row.length - 1
      while (last > 0 && plain(row[last]!.text) === '') last--
      return (
        indent +
        row
          .slice(0, last + 1)
          .map((cell, i) => {
            const text = plain(cell.text)
            const pad = ' '.repeat(widths[i]! - [...text].length)
            const padded = cell.align === 'right' ? pad + text : i === last ? text : text + pad
            return paint(padded, cell.style, options.color)
          })
          .join('  ')
      )
    })
    .join('\n')
}

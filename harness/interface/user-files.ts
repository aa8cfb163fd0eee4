import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs'
import { InvalidInputError, type InputProblem } from './errors.js'

/**
 * The one way courier reads a small file a user names (a scenario, a device profile, a radio
 * profile, an EnergyBox config, an endpoint map). It lives here, beside the errors, because every
 * module that reads such a file may import only this one.
 *
 * Limits, in the order they are checked, each an InvalidInputError (exit 2) naming the file:
 * - it must be a regular file: a FIFO would hang the read, /dev/zero would never end;
 * - it must be at most `maxBytes` (procfs files say 0 bytes and grow when read, so the read itself
 *   stops at the cap too);
 * - it must be UTF-8 text: UTF-16 and UTF-32 are named as such (editors on Windows write them),
 *   and a UTF-8 byte-order mark is dropped.
 */

/** Largest scenario, profile or config file courier reads: far above any real one (README: Limits). */
export const MAX_USER_FILE_BYTES = 1024 * 1024

export interface UserFileKind {
  /** What the file is, in words: "scenario file", "radio profile". */
  kind: string
  hint?: string
  maxBytes?: number
}

/** Why a path is not a regular file, in words; undefined for a regular file. */
export function notARegularFile(stat: Stats): string | undefined {
  if (stat.isFile()) return undefined
  if (stat.isDirectory()) return 'a directory'
  if (stat.isFIFO()) return 'a named pipe (FIFO)'
  if (stat.isSocket()) return 'a socket'
  if (stat.isCharacterDevice()) return 'a character device'
  if (stat.isBlockDevice()) return 'a block device'
  return 'not a regular file'
}

/**
 * Opens without blocking: opening a FIFO for reading otherwise waits for a writer forever.
 * Returns the descriptor, or throws the problem.
 */
export function openUserFile(file: string, what: UserFileKind): { fd: number; stat: Stats } {
  let fd: number
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw fileProblem(
      file,
      what,
      code === 'ENOENT'
        ? `${what.kind} not found (no such file)`
        : code === 'EACCES'
          ? `permission denied reading the ${what.kind}`
          : code === 'EISDIR'
            ? `is a directory, not a ${what.kind}`
            : `cannot read the ${what.kind} (${code ?? String(error)})`
    )
  }
  const stat = fstatSync(fd)
  const kind = notARegularFile(stat)
  if (kind != null) {
    closeSync(fd)
    throw fileProblem(file, what, `is ${kind}, not a ${what.kind}`, 'a regular file')
  }
  return { fd, stat }
}

/** Reads a user's small text file within the limits above. */
export function readUserTextFile(file: string, what: UserFileKind): string {
  const max = what.maxBytes ?? MAX_USER_FILE_BYTES
  const { fd, stat } = openUserFile(file, what)
  try {
    if (stat.size > max) throw fileProblem(file, what, `the ${what.kind} is ${stat.size} bytes; courier reads at most ${max}`, `a file of at most ${max} bytes`)
    const buffer = Buffer.alloc(max + 1)
    let length = 0
    for (let n = 1; n > 0 && length <= max; ) {
      n = readSync(fd, buffer, length, buffer.length - length, null)
      length += n
    }
    if (length > max) throw fileProblem(file, what, `the ${what.kind} is larger than ${max} bytes`, `a file of at most ${max} bytes`)
    return decodeText(buffer.subarray(0, length), file, what)
  } finally {
    closeSync(fd)
  }
}

/** UTF-8 text from bytes; other encodings are named, never read as garbage. */
export function decodeText(bytes: Uint8Array, file: string, what: UserFileKind): string {
  const encoding = byteOrderMark(bytes)
  if (encoding != null && encoding !== 'UTF-8') {
    throw fileProblem(
      file,
      what,
      `the ${what.kind} is ${encoding} text (it starts with a ${encoding} byte-order mark)`,
      'UTF-8 text',
      'save it as UTF-8 (in most editors: Save with Encoding > UTF-8)'
    )
  }
  const body = encoding === 'UTF-8' ? bytes.subarray(3) : bytes
  const nul = body.indexOf(0)
  if (nul >= 0) {
    const utf16 = nul <= 1 && body.length > 1 && (body[0] === 0 || body[1] === 0)
    throw fileProblem(
      file,
      what,
      utf16
        ? `the ${what.kind} looks like UTF-16 text without a byte-order mark (NUL bytes between characters)`
        : `the ${what.kind} holds a NUL byte at offset ${nul}: it is not text`,
      'UTF-8 text',
      utf16 ? 'save it as UTF-8' : undefined
    )
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(body)
  } catch {
    throw fileProblem(file, what, `the ${what.kind} is not valid UTF-8 text`, 'UTF-8 text', 'save it as UTF-8')
  }
}

function byteOrderMark(bytes: Uint8Array): 'UTF-8' | 'UTF-16 LE' | 'UTF-16 BE' | 'UTF-32 LE' | 'UTF-32 BE' | undefined {
  const [a, b, c, d] = bytes
  if (a === 0xef && b === 0xbb && c === 0xbf) return 'UTF-8'
  if (a === 0xff && b === 0xfe && c === 0 && d === 0) return 'UTF-32 LE'
  if (a === 0 && b === 0 && c === 0xfe && d === 0xff) return 'UTF-32 BE'
  if (a === 0xff && b === 0xfe) return 'UTF-16 LE'
  if (a === 0xfe && b === 0xff) return 'UTF-16 BE'
  return undefined
}

function fileProblem(file: string, what: UserFileKind, message: string, expected?: string, hint?: string): InvalidInputError {
  const problem: InputProblem = { location: { file }, path: '', message, expected, hint: hint ?? what.hint }
  return new InvalidInputError([problem])
}

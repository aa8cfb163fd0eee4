import { validateMnemonic } from '@scure/bip39'
import { wordlist } from '@scure/bip39/wordlists/english.js'
import { privateKeyFromRaw } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { LeakKind } from '../interface/index.js'

/** A secret found in a piece of text: [start, end) in that text. */
export interface Hit {
  kind: LeakKind
  detail: string
  start: number
  end: number
}

/** What the run itself says about its own values, so that they are not taken for secrets. */
export interface Knowledge {
  /** Lower-case 64-hex strings the run names as hashes (message hashes, commits, file digests); a Set or the scan's StringIds. */
  hashes: { has(hex: string): boolean }
  /** Peer id -> its owner's name (node or device), for keys that derive a peer's identity. */
  peers: ReadonlyMap<string, string>
}

export interface Detectors {
  /** Every encoded form of each configured secret (secretForms), with the variable that holds it. */
  secrets: ReadonlyArray<{ name: string; form: string }>
  patterns: ReadonlyArray<{ name: string; regex: RegExp }>
  allow: readonly RegExp[]
  knowledge: Knowledge
  /** Counts what was looked at and not reported, and caps the costly key derivations. */
  stats: { hexDismissed: number; derivations: number }
}

const WORDS = new Set(wordlist)
const LENGTHS = [24, 21, 18, 15, 12]
// 3..8 letters (the English list's range) separated by what a list of words is written with in
// text, JSON or a log line: spaces, commas, quotes (escaped or not), brackets
// (the lookbehind makes the engine try each word once, not each letter: 2.3x faster on event logs)
const WORD_RUN = /(?<![a-z])[a-z]{3,8}(?:[\s,"'\\[\]]{1,6}[a-z]{3,8}){11,}/g
const WORD = /[a-z]{3,8}/g

/** BIP39 English mnemonics of 12-24 words whose checksum holds: a random run of list words passes 1 time in 16 at 12 words, 1 in 256 at 24. */
export function findMnemonics(text: string, out: Hit[]): void {
  WORD_RUN.lastIndex = 0
  for (let run = WORD_RUN.exec(text); run != null; run = WORD_RUN.exec(text)) {
    const words: Array<{ word: string; start: number }> = []
    WORD.lastIndex = 0
    for (let w = WORD.exec(run[0]); w != null; w = WORD.exec(run[0])) words.push({ word: w[0], start: run.index + w.index })
    // runs of list words only; a word off the list breaks a mnemonic
    let i = 0
    while (i < words.length) {
      if (!WORDS.has(words[i].word)) {
        i++
        continue
      }
      let j = i
      while (j < words.length && WORDS.has(words[j].word)) j++
      let k = i
      while (j - k >= 12) {
        const found = LENGTHS.find(
          (n) =>
            n <= j - k &&
            validateMnemonic(
              words
                .slice(k, k + n)
                .map((w) => w.word)
                .join(' '),
              wordlist
            )
        )
        if (found == null) {
          k++
          continue
        }
        const last = words[k + found - 1]
        out.push({ kind: 'mnemonic', detail: `${found} words, valid checksum`, start: words[k].start, end: last.start + last.word.length })
        k += found
      }
      i = j
    }
  }
}

// the boundaries are checked by hand: lookarounds here halved the speed on an event log full of hashes
const HEX64 = /[0-9a-fA-F]{64,}/g
const ALNUM = /[0-9A-Za-z]/
const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n
/** Words that, just before a hex string, say it is a key and not a digest. */
const KEY_CONTEXT = /(priv|secret|seed|passw|mnemonic|nsec|signing|\bsk\b|key)[^\n]{0,40}$/i
const PUBLIC_CONTEXT = /(pub|public)[a-z_-]*key[^\n]{0,40}$/i
const MAX_DERIVATIONS = 2000

/**
 * 64-hex strings in the secp256k1 range (1..n-1) that are keys. A digest is as random as a key,
 * and courier's own event log holds hundreds of message hashes, so the range says nothing; what
 * decides is what the run knows: a value it names as a hash is one; a value that derives the
 * identity (peer id) of one of its nodes or devices is that peer's key, wherever it stands; any
 * other is reported only when a key-like word comes just before it (`privateKey=`, `"secret":`).
 */
export function findHexKeys(text: string, d: Detectors, out: Hit[], limit = text.length): void {
  HEX64.lastIndex = 0
  for (let m = HEX64.exec(text); m != null && m.index < limit; m = HEX64.exec(text)) {
    if (m[0].length !== 64 || ALNUM.test(text.charAt(m.index + 64))) continue
    const prefixed = m.index >= 2 && text.charCodeAt(m.index - 1) === 0x78 && text.charCodeAt(m.index - 2) === 0x30 // 0x
    const start = prefixed ? m.index - 2 : m.index
    if (ALNUM.test(text.charAt(start - 1))) continue
    const hex = m[0].toLowerCase()
    if (d.knowledge.hashes.has(hex)) {
      d.stats.hexDismissed++
      continue
    }
    const value = BigInt(`0x${hex}`)
    if (value === 0n || value >= SECP256K1_N) {
      d.stats.hexDismissed++
      continue
    }
    const owner = derivesPeer(hex, d)
    if (owner != null) {
      out.push({ kind: 'private-key', detail: `the identity key of ${owner}`, start, end: m.index + 64 })
      continue
    }
    const before = text.slice(Math.max(0, start - 48), start)
    if (KEY_CONTEXT.test(before) && !PUBLIC_CONTEXT.test(before)) {
      out.push({ kind: 'private-key', detail: 'secp256k1 range, after a key-like word', start, end: m.index + 64 })
    } else {
      d.stats.hexDismissed++
    }
  }
}

function derivesPeer(hex: string, d: Detectors): string | undefined {
  if (d.knowledge.peers.size === 0 || d.stats.derivations >= MAX_DERIVATIONS) return undefined
  d.stats.derivations++
  const raw = Buffer.from(hex, 'hex')
  try {
    const secp = peerIdFromPrivateKey(privateKeyFromRaw(raw)).toString()
    const owner = d.knowledge.peers.get(secp)
    if (owner != null) return owner
  } catch {}
  return undefined
}

const CIPHERTEXT = /\\?"ciphertext\\?"\s*:\s*\\?"([0-9a-fA-F]{16,})\\?"/gi
const KDF = /\\?"kdf\\?"\s*:/i
const KEYSTORE_OTHER = /\\?"(mac|cipherparams|kdfparams)\\?"\s*:/i

/** Web3 Secret Storage (keystore) JSON: a ciphertext beside a kdf and a mac or cipher parameters; the ciphertext is what is masked. */
export function findKeystores(text: string, out: Hit[]): void {
  CIPHERTEXT.lastIndex = 0
  for (let m = CIPHERTEXT.exec(text); m != null; m = CIPHERTEXT.exec(text)) {
    const around = text.slice(Math.max(0, m.index - 1500), m.index + m[0].length + 1500)
    if (!KDF.test(around) || !KEYSTORE_OTHER.test(around)) continue
    const start = m.index + m[0].indexOf(m[1])
    out.push({ kind: 'keystore', detail: 'keystore JSON (crypto.ciphertext with kdf)', start, end: start + m[1].length })
  }
}

export function findConfigured(text: string, d: Detectors, out: Hit[]): void {
  for (const { name, form } of d.secrets) {
    for (let i = text.indexOf(form); i >= 0; i = text.indexOf(form, i + form.length)) {
      out.push({ kind: 'configured-secret', detail: `the value of ${name}`, start: i, end: i + form.length })
    }
  }
}

export function findPatterns(text: string, d: Detectors, out: Hit[]): void {
  for (const { name, regex } of d.patterns) {
    regex.lastIndex = 0
    for (let m = regex.exec(text); m != null; m = regex.exec(text)) {
      if (m[0].length === 0) {
        regex.lastIndex++
        continue
      }
      out.push({ kind: 'pattern', detail: name, start: m.index, end: m.index + m[0].length })
    }
  }
}

/**
 * Every detector over one piece of text, keeping the hits that start before `limit` (the rest of
 * the text is the overlap the next piece starts with); hits inside a longer hit (a configured
 * secret's shorter form) are dropped.
 */
export function detectAll(text: string, d: Detectors, limit = text.length): Hit[] {
  const all: Hit[] = []
  findConfigured(text, d, all)
  findMnemonics(text, all)
  findHexKeys(text, d, all, limit)
  findKeystores(text, all)
  findPatterns(text, d, all)
  const hits = all.filter((hit) => hit.start < limit)
  hits.sort((a, b) => a.start - b.start || b.end - b.start - (a.end - a.start))
  const kept: Hit[] = []
  let reach = -1
  for (const hit of hits) {
    if (hit.end <= reach) continue
    if (
      hit.kind !== 'configured-secret' &&
      d.allow.some((a) => {
        a.lastIndex = 0
        return a.test(text.slice(hit.start, hit.end))
      })
    )
      continue
    kept.push(hit)
    reach = Math.max(reach, hit.end)
  }
  return kept
}

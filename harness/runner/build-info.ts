import { createHash } from 'node:crypto'
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { extname, resolve } from 'node:path'
import ApkReader from '@devicefarmer/adbkit-apkreader'
import { parseBuffer as parseBinaryPlist } from 'bplist-parser'
import JSZip from 'jszip'
import { parse as parseXmlPlist } from 'plist'
import { InvalidInputError, type AppIdentity, type BuildInfo } from '../interface/index.js'
import { toolInfo } from './tool-info.js'

/**
 * The build under test: the app file's own identity (hash, id, version read from inside it, so a
 * renamed file cannot pass for another build) and courier's (version, commit, lockfile hash).
 */
export async function buildInfo(appFile?: string): Promise<BuildInfo> {
  const tool = toolInfo()
  return {
    ...(appFile == null ? {} : { app: await readAppIdentity(appFile) }),
    courier: { version: tool.courier, ...(tool.gitCommit == null ? {} : { commit: tool.gitCommit }), ...lockfileHash() },
    node: process.version
  }
}

/** Reads an .apk's AndroidManifest.xml (binary XML) or an .ipa's Info.plist (XML or binary). */
export async function readAppIdentity(file: string): Promise<AppIdentity> {
  const path = resolve(file)
  const problem = (message: string, found?: string): InvalidInputError =>
    new InvalidInputError([
      { location: { file: path }, path: '', message, expected: 'an Android .apk or an iOS .ipa file', ...(found == null ? {} : { found }) }
    ])
  if (!existsSync(path) || !statSync(path).isFile()) throw problem('no such app file')
  const kind = extname(path).toLowerCase() === '.ipa' ? 'ipa' : extname(path).toLowerCase() === '.apk' ? 'apk' : null
  if (kind == null) throw problem('not an .apk or .ipa', extname(path) || 'no extension')
  const sha256 = await fileSha256(path)
  try {
    if (kind === 'apk') {
      const reader = await ApkReader.open(path)
      const manifest = (await reader.readManifest()) as { package?: string; versionName?: string | number; versionCode?: string | number }
      return { file: path, kind, sha256, id: manifest.package ?? null, version: stringOrNull(manifest.versionName), build: stringOrNull(manifest.versionCode) }
    }
    const zip = await JSZip.loadAsync(await readFile(path))
    const entry = Object.keys(zip.files).find((name) => /^Payload\/[^/]+\.app\/Info\.plist$/.test(name))
    if (entry == null) throw new Error('no Payload/<name>.app/Info.plist in the archive')
    const bytes = await zip.file(entry)!.async('nodebuffer')
    const info = (bytes.subarray(0, 6).toString('latin1') === 'bplist' ? parseBinaryPlist(bytes)[0] : parseXmlPlist(bytes.toString('utf8'))) as Record<
      string,
      unknown
    >
    return {
      file: path,
      kind,
      sha256,
      id: stringOrNull(info.CFBundleIdentifier),
      version: stringOrNull(info.CFBundleShortVersionString),
      build: stringOrNull(info.CFBundleVersion)
    }
  } catch (error) {
    throw problem(
      `cannot read the ${kind === 'apk' ? "APK's AndroidManifest.xml" : "IPA's Info.plist"}`,
      error instanceof Error ? error.message : String(error)
    )
  }
}

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' || typeof value === 'number' ? String(value) : null
}

async function fileSha256(path: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer)
  return hash.digest('hex')
}

function lockfileHash(): { lockfileSha256?: string } {
  try {
    return {
      lockfileSha256: createHash('sha256')
        .update(readFileSync(new URL('../../../package-lock.json', import.meta.url)))
        .digest('hex')
    }
  } catch {
    return {}
  }
}

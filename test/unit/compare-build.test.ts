import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { binaryManifest, zipFile } from '../helpers/app-files.js'
import { join } from 'node:path'
import { build as buildPlist } from 'plist'
import bplistCreator from 'bplist-creator'
import { InvalidInputError } from '../../harness/interface/index.js'
import { buildInfo, readAppIdentity } from '../../harness/runner/index.js'
import { tempDir } from '../helpers/cli.js'

test("an APK's package id and version are read from its binary AndroidManifest.xml, with the file's sha256", async () => {
  const file = join(await tempDir(), 'app-release.apk')
  const bytes = await zipFile(file, { 'AndroidManifest.xml': binaryManifest('im.status.ethereum', '2.31.0', 2031000), 'classes.dex': 'dex\n' })
  const app = await readAppIdentity(file)
  assert.deepEqual(app, {
    file,
    kind: 'apk',
    sha256: createHash('sha256').update(bytes).digest('hex'),
    id: 'im.status.ethereum',
    version: '2.31.0',
    build: '2031000'
  })
})

test("an IPA's bundle id and version come from Payload/*.app/Info.plist, XML or binary", async () => {
  const dir = await tempDir()
  const info = { CFBundleIdentifier: 'im.status.ios', CFBundleShortVersionString: '2.31.0', CFBundleVersion: '431' }
  const xml = join(dir, 'xml.ipa')
  await zipFile(xml, { 'Payload/Status.app/Info.plist': buildPlist(info), 'Payload/Status.app/Status': 'binary' })
  const fromXml = await readAppIdentity(xml)
  assert.equal(fromXml.id, 'im.status.ios')
  assert.equal(fromXml.version, '2.31.0')
  assert.equal(fromXml.build, '431')
  assert.equal(fromXml.kind, 'ipa')
  const binary = join(dir, 'binary.ipa')
  await zipFile(binary, { 'Payload/Status.app/Info.plist': bplistCreator(info) })
  assert.equal((await readAppIdentity(binary)).id, 'im.status.ios')
})

test('a file that is not an app is refused as bad input naming the file, without a stack trace', async () => {
  const dir = await tempDir()
  const fake = join(dir, 'fake.apk')
  await writeFile(fake, 'not a zip')
  await assert.rejects(
    readAppIdentity(fake),
    (error: unknown) => error instanceof InvalidInputError && error.message.includes(fake) && /cannot read the APK/.test(error.message)
  )
  const noPlist = join(dir, 'empty.ipa')
  await zipFile(noPlist, { 'Payload/readme.txt': 'x' })
  await assert.rejects(readAppIdentity(noPlist), /no Payload\/<name>\.app\/Info\.plist/)
  await assert.rejects(readAppIdentity(join(dir, 'missing.apk')), /no such app file/)
  await assert.rejects(readAppIdentity(join(dir, 'x.zip')), InvalidInputError)
})

test('courier records its own version, commit, lockfile hash and Node version', async () => {
  const info = await buildInfo()
  assert.equal(info.app, undefined)
  assert.equal(info.node, process.version)
  assert.match(info.courier.lockfileSha256 ?? '', /^[0-9a-f]{64}$/)
  assert.match(info.courier.commit ?? '', /^[0-9a-f]{40}$/)
})

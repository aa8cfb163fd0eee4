import { writeFile } from 'node:fs/promises'
import JSZip from 'jszip'

/**
 * A minimal AndroidManifest.xml in Android's binary XML (AXML), as aapt writes it: the XML chunk,
 * a UTF-8 string pool, one <manifest> start and end element. Attribute values are typed: the
 * package and versionName are strings, versionCode an int (TYPE_INT_DEC), as in real APKs.
 */
export function binaryManifest(pkg: string, versionName: string, versionCode: number): Buffer {
  const strings = ['manifest', 'package', 'versionName', 'versionCode', pkg, versionName]
  const data = Buffer.concat(
    strings.map((s) => {
      const bytes = Buffer.from(s, 'utf8')
      return Buffer.concat([Buffer.from([s.length, bytes.length]), bytes, Buffer.from([0])])
    })
  )
  const padded = Buffer.concat([data, Buffer.alloc((4 - (data.length % 4)) % 4)])
  const poolHeader = Buffer.alloc(28 + 4 * strings.length)
  poolHeader.writeUInt16LE(0x0001, 0)
  poolHeader.writeUInt16LE(28, 2)
  poolHeader.writeUInt32LE(poolHeader.length + padded.length, 4)
  poolHeader.writeUInt32LE(strings.length, 8)
  poolHeader.writeUInt32LE(0, 12)
  poolHeader.writeUInt32LE(1 << 8, 16) // UTF8_FLAG
  poolHeader.writeUInt32LE(poolHeader.length, 20)
  poolHeader.writeUInt32LE(0, 24)
  let offset = 0
  strings.forEach((s, i) => {
    poolHeader.writeUInt32LE(offset, 28 + 4 * i)
    offset += 3 + Buffer.byteLength(s)
  })
  const pool = Buffer.concat([poolHeader, padded])

  const attribute = (name: number, raw: number, type: number, value: number): Buffer => {
    const b = Buffer.alloc(20)
    b.writeInt32LE(-1, 0)
    b.writeInt32LE(name, 4)
    b.writeInt32LE(raw, 8)
    b.writeUInt16LE(8, 12)
    b.writeUInt8(0, 14)
    b.writeUInt8(type, 15)
    b.writeUInt32LE(value, 16)
    return b
  }
  const attributes = [attribute(1, 4, 0x03, 4), attribute(2, 5, 0x03, 5), attribute(3, -1, 0x10, versionCode)]
  const start = Buffer.alloc(36)
  start.writeUInt16LE(0x0102, 0)
  start.writeUInt16LE(16, 2)
  start.writeUInt32LE(36 + 20 * attributes.length, 4)
  start.writeUInt32LE(1, 8)
  start.writeInt32LE(-1, 12)
  start.writeInt32LE(-1, 16)
  start.writeInt32LE(0, 20)
  start.writeUInt16LE(20, 24)
  start.writeUInt16LE(20, 26)
  start.writeUInt16LE(attributes.length, 28)
  const end = Buffer.alloc(24)
  end.writeUInt16LE(0x0103, 0)
  end.writeUInt16LE(16, 2)
  end.writeUInt32LE(24, 4)
  end.writeUInt32LE(1, 8)
  end.writeInt32LE(-1, 12)
  end.writeInt32LE(-1, 16)
  end.writeInt32LE(0, 20)
  const body = Buffer.concat([pool, start, ...attributes, end])
  const header = Buffer.alloc(8)
  header.writeUInt16LE(0x0003, 0)
  header.writeUInt16LE(8, 2)
  header.writeUInt32LE(8 + body.length, 4)
  return Buffer.concat([header, body])
}

export async function zipFile(path: string, files: Record<string, Buffer | string>): Promise<Buffer> {
  const zip = new JSZip()
  for (const [name, content] of Object.entries(files)) zip.file(name, content)
  const bytes = await zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE' })
  await writeFile(path, bytes)
  return bytes
}

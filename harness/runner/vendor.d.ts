// The parts of two untyped libraries build-info.ts uses.
declare module '@devicefarmer/adbkit-apkreader' {
  interface ApkReader {
    /** AndroidManifest.xml decoded from Android's binary XML, attributes collapsed by name. */
    readManifest(): Promise<Record<string, unknown>>
  }
  const ApkReader: { open(file: string): Promise<ApkReader> }
  export default ApkReader
}

declare module 'plist' {
  export function parse (xml: string): unknown
  export function build (value: unknown): string
}

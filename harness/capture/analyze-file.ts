import { stat } from 'node:fs/promises'
import { readPcapBatches, type PcapFileHeader, type TruncatedTail } from './pcap-reader.js'
import { CaptureAnalyzer, type AnalyzeOptions, type CaptureAnalysis } from './flows.js'

/** Options of `analyzePcapFile`. */
export interface AnalyzePcapFileOptions extends AnalyzeOptions {
  signal?: AbortSignal
  /** Analyse the complete packets of a file whose last record is cut off, instead of failing. */
  allowTruncated?: boolean
}

/** A capture file and what is in it. */
export interface PcapFileAnalysis {
  path: string
  bytes: number
  header: PcapFileHeader
  truncated: TruncatedTail | null
  analysis: CaptureAnalysis
}

/** Reads a pcap file once and analyses it; problems with the file are `InvalidInputError`s. */
export async function analyzePcapFile(path: string, options: AnalyzePcapFileOptions = {}): Promise<PcapFileAnalysis> {
  const analyzer = new CaptureAnalyzer(options)
  let header: PcapFileHeader | undefined
  let truncated: TruncatedTail | null = null
  const batches = readPcapBatches(path, {
    signal: options.signal,
    onHeader: (h) => {
      header = h
    },
    ...(options.allowTruncated === true
      ? {
          onTruncated: (tail: TruncatedTail) => {
            truncated = tail
          }
        }
      : {})
  })
  for await (const batch of batches) {
    for (let i = 0; i < batch.length; i++) analyzer.add(batch[i])
  }
  const { size } = await stat(path)
  return { path, bytes: size, header: header!, truncated, analysis: analyzer.finish() }
}

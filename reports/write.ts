import { createReadStream, type Dirent } from 'node:fs'
import { readdir, rename, stat, writeFile } from 'node:fs/promises'
import { isAbsolute, join, relative } from 'node:path'
import { createInterface } from 'node:readline'
import { InvalidInputError, type CourierEvent, type Results } from '../harness/interface/index.js'
import { buildReportData, buildReportDataFrom, type EventPasses } from './html/build-data.js'
import { renderHtmlFromData, type HtmlReportOptions } from './html/render.js'
import { renderJUnit } from './junit.js'
import { appendStepSummary, renderMarkdown } from './markdown.js'

/** Which reports to write into a run directory; paths are relative to RUN_DIR unless absolute. */
export interface WriteReportsOptions extends HtmlReportOptions {
  /** RUN_DIR/report.html (default true). */
  html?: boolean
  /** true: RUN_DIR/junit.xml; a string: that path. */
  junit?: boolean | string
  /** true: RUN_DIR/summary.md; a string: that path. */
  markdown?: boolean | string
  /** Append the Markdown to $GITHUB_STEP_SUMMARY when it is set. */
  stepSummary?: boolean
}

/** Paths of the files written. */
export interface WrittenReports {
  html?: string
  junit?: string
  markdown?: string
  stepSummary?: string
}

/**
 * Writes report.html (and JUnit / Markdown when asked) for a finished or interrupted run, from its
 * events in memory or from passes over its log (a big run's log is read twice rather than held).
 */
export async function writeRunReports(
  runDir: string,
  results: Results,
  events: Iterable<CourierEvent> | EventPasses,
  options: WriteReportsOptions = {}
): Promise<WrittenReports> {
  const written: WrittenReports = {}
  const at = (p: string): string => (isAbsolute(p) ? p : join(runDir, p))
  if (options.html !== false) {
    const artifacts = options.artifacts ?? (await listArtifacts(runDir))
    const path = join(runDir, 'report.html')
    const reportOptions = { ...options, artifacts }
    const data = typeof events === 'function' ? await buildReportDataFrom(results, events, reportOptions) : buildReportData(results, events, reportOptions)
    await writeAtomically(path, renderHtmlFromData(data))
    written.html = path
  }
  if (options.junit != null && options.junit !== false) {
    const path = at(options.junit === true ? 'junit.xml' : options.junit)
    await writeAtomically(path, renderJUnit(results))
    written.junit = path
  }
  const wantMarkdown = options.markdown != null && options.markdown !== false
  if (wantMarkdown || options.stepSummary === true) {
    const md = renderMarkdown(results)
    if (wantMarkdown) {
      const path = at(options.markdown === true ? 'summary.md' : (options.markdown as string))
      await writeAtomically(path, md)
      written.markdown = path
    }
    if (options.stepSummary === true) {
      const path = await appendStepSummary(md)
      if (path != null) written.stepSummary = path
    }
  }
  return written
}

/** Files in the run directory (two levels deep) for the report to link, report.html itself excluded. */
export async function listArtifacts(runDir: string): Promise<Array<{ name: string; bytes: number }>> {
  const out: Array<{ name: string; bytes: number }> = []
  const walk = async (dir: string, depth: number): Promise<void> => {
    let entries: Dirent[]
    try {
      entries = await readdir(dir, { withFileTypes: true })
    } catch {
      return
    }
    for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(dir, entry.name)
      const name = relative(runDir, path).split('\\').join('/')
      if (entry.isDirectory()) {
        if (depth < 2) await walk(path, depth + 1)
        continue
      }
      if (!entry.isFile() || name === 'report.html' || entry.name.endsWith('.tmp')) continue
      out.push({ name, bytes: (await stat(path)).size })
    }
  }
  await walk(runDir, 0)
  return out
}

/**
 * Reads RUN_DIR/events.ndjson. A torn last line (the process died mid-write) is dropped, as the
 * event log promises nothing about a line it never finished; a bad line elsewhere is an error.
 */
export async function readEvents(file: string): Promise<CourierEvent[]> {
  const events: CourierEvent[] = []
  const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity })
  let lineNo = 0
  let bad: { line: number; text: string } | null = null
  for await (const line of lines) {
    lineNo++
    if (line.trim() === '') continue
    if (bad != null) {
      throw new InvalidInputError([
        { location: { file, line: bad.line }, path: '', message: 'not a JSON event line', expected: 'one JSON object per line', found: bad.text.slice(0, 80) }
      ])
    }
    try {
      events.push(JSON.parse(line) as CourierEvent)
    } catch {
      bad = { line: lineNo, text: line }
    }
  }
  return events
}

async function writeAtomically(path: string, text: string): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`
  await writeFile(tmp, text, 'utf8')
  await rename(tmp, path)
}

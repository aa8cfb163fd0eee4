import type { Reporter } from '../harness/interface/index.js'
import { renderHtmlReport } from './html/render.js'
import { renderJUnit } from './junit.js'
import { renderMarkdown } from './markdown.js'

/** The file reporters by name, for a CLI that takes `--report html,junit`. */
export const reporters: Record<'html' | 'junit' | 'markdown', Reporter> = {
  html: { name: 'html', fileName: 'report.html', render: (input) => renderHtmlReport({ results: input.results, events: input.events ?? [] }, { artifacts: input.artifacts?.map((name) => ({ name })) }) },
  junit: { name: 'junit', fileName: 'junit.xml', render: (input) => renderJUnit(input.results) },
  markdown: { name: 'markdown', fileName: 'summary.md', render: (input) => renderMarkdown(input.results) }
}

// The public surface of courier's reporters: console summary, JUnit XML, Markdown, offline HTML.
export { renderConsoleSummary, type ConsoleSummaryOptions } from './console.js'
export { renderJUnit, escapeXml } from './junit.js'
export { renderMarkdown, appendStepSummary, escapeMarkdown } from './markdown.js'
export { formatValue, formatMs, formatBytes, formatRatio, replayCommand } from './format.js'

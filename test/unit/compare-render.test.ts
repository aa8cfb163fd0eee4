import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { Comparison, FigureComparison } from '../../harness/interface/index.js'
import { renderCompareConsole, renderCompareHtml, renderCompareJUnit, renderCompareMarkdown } from '../../reports/index.js'

const figure = (metric: string, change: FigureComparison['change'], base: number, candidate: number): FigureComparison => ({
  metric,
  unit: 'ms',
  direction: 'lower',
  base: { median: base, min: base, max: base, runs: 1 },
  candidate: { median: candidate, min: candidate - 10, max: candidate + 10, runs: 3 },
  delta: candidate - base,
  percent: (candidate - base) / base,
  test: { kind: 'mann-whitney', u: 10, p: 0.001, baseSamples: 50, candidateSamples: 150 },
  significant: change !== '~',
  tolerance: 0.05,
  change
})

const comparison: Comparison = {
  alpha: 0.05,
  base: {
    runs: 1,
    scenario: 'pair',
    dirs: ['runs/base'],
    build: {
      app: { file: '/a.apk', kind: 'apk', sha256: 'ab'.repeat(32), id: 'im.example', version: '1.0', build: '10' },
      courier: { version: '0.1.0' },
      node: 'v20'
    }
  },
  candidate: { runs: 3, scenario: 'pair', dirs: ['runs/c/run-1', 'runs/c/run-2', 'runs/c/run-3'] },
  figures: [
    figure('delivery.latency.p95', 'worse', 100, 250),
    figure('delivery.<b>.latency.p50', '~', 50, 51),
    figure('delivery.bob.latency.p50', 'better', 200, 100)
  ],
  unmatched: [],
  worse: 1,
  better: 1
}

test('the terminal lists changed figures only, worse first, with the range of repeats; --all lists every one', () => {
  const text = renderCompareConsole(comparison)
  assert.match(text, /worse\s+delivery\.latency\.p95\s+100 ms\s+250 ms \(240 ms\.\.260 ms\)\s+\+150 ms \(\+150 %\)\s+Mann-Whitney p=0\.001/)
  assert.ok(text.indexOf('worse') < text.indexOf('better'))
  assert.doesNotMatch(text, /<b>/)
  assert.match(renderCompareConsole(comparison, { all: true }), /~\s+delivery\.<b>\.latency\.p50/)
  assert.match(text, /REGRESSION: 1 figure\(s\) worse; 1 better/)
  assert.match(text, /app im\.example 1\.0 \(10\) apk sha256 abababababab/)
})

test('JUnit: one testcase per figure, a failure only on the worse one, names escaped, builds as properties', () => {
  const xml = renderCompareJUnit(comparison)
  assert.equal((xml.match(/<testcase /g) ?? []).length, 3)
  assert.equal((xml.match(/<failure /g) ?? []).length, 1)
  assert.match(xml, /name="delivery\.latency\.p95"[^>]*>\s*<failure type="regression"/)
  assert.match(xml, /name="delivery\.&lt;b&gt;\.latency\.p50"/)
  assert.match(xml, /<property name="base\.app\.id" value="im\.example"\/>/)
})

test('Markdown and HTML escape run strings; the page carries no script', () => {
  const md = renderCompareMarkdown(comparison, { all: true })
  assert.match(md, /🔴 worse \| `delivery\.latency\.p95`/)
  const html = renderCompareHtml(comparison)
  assert.doesNotMatch(html, /<script/)
  assert.doesNotMatch(html, /<b>/)
  assert.match(html, /delivery\.&lt;b&gt;\.latency\.p50/)
  assert.match(html, /class="verdict-fail"|verdict-fail/)
  assert.match(html, /style-src 'sha256-[A-Za-z0-9+/=]+'/)
})

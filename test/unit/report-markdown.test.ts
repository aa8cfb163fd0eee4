import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { appendStepSummary, renderMarkdown } from '../../reports/index.js'
import { craftedResults } from '../helpers/reports/crafted-results.js'

function tableRows(md: string, header: string): string[][] {
  const lines = md.split('\n')
  const start = lines.findIndex((l) => l.startsWith(header))
  assert.ok(start >= 0, `no table starting with ${header}`)
  const rows: string[][] = []
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break
    rows.push(
      line
        .slice(1, -1)
        .split(/(?<!\\)\|/)
        .map((c) => c.trim())
    )
  }
  return rows
}

test('markdown leads with the verdict and the scenario', () => {
  const md = renderMarkdown(craftedResults())
  assert.equal(md.split('\n')[0], '## ❌ FAIL: prague-crowded-topic')
  assert.match(md, /seed 42 · scenario 10m 00s/)
  assert.match(md, /2 of 4 thresholds failed\./)
})

test('thresholds table: failed first, measured value and wanted expression', () => {
  const rows = tableRows(renderMarkdown(craftedResults()), '| | metric |')
  assert.deepEqual(
    rows.map((r) => r[1]),
    ['delivery.latency.p95', 'delivery.loss', 'bytes.alice.down.perMessage', 'delivery.duplicates.rate']
  )
  assert.deepEqual(rows[0], ['❌', 'delivery.latency.p95', '**2.81 s**', '&lt; 2s'])
  assert.deepEqual(rows[2], ['✅', 'bytes.alice.down.perMessage', '1.84 kB', '&lt; 2kB'])
})

test('delivery table has the top-line figures per device', () => {
  const rows = tableRows(renderMarkdown(craftedResults()), '| device |')
  assert.deepEqual(rows[0], ['alice', '200', '197', '3 (1.5 %)', '84 ms', '2.81 s', '7.3 s', 'relay 4, store 1'])
  assert.equal(rows[1]![0], 'bob (failed)')
  assert.equal(rows[2]![0], '**all devices**')
})

test('strings from the run cannot inject HTML, links or table cells', () => {
  const base = craftedResults()
  const md = renderMarkdown(
    craftedResults({
      delivery: { ...base.delivery, devices: { '<img src=x onerror=alert(1)>|[x](http://evil)': base.delivery.devices.alice! } }
    })
  )
  assert.doesNotMatch(md, /<img/)
  const rows = tableRows(md, '| device |')
  assert.equal(rows[0]!.length, 8, 'a pipe in a device name must not add a cell')
  assert.match(rows[0]![0]!, /^&lt;img src=x onerror=alert\(1\)&gt;\\\|\\\[x\\\]\(http:\/\/evil\)$/)
})

test('appendStepSummary appends to $GITHUB_STEP_SUMMARY and does nothing without it', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'courier-md-'))
  try {
    const file = join(dir, 'summary.md')
    await writeFile(file, '# earlier step\n')
    const md = renderMarkdown(craftedResults())
    assert.equal(await appendStepSummary(md, { GITHUB_STEP_SUMMARY: file }), file)
    assert.equal(await readFile(file, 'utf8'), `# earlier step\n${md}`)
    assert.equal(await appendStepSummary(md, {}), null)
    assert.equal(await readFile(file, 'utf8'), `# earlier step\n${md}`)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})

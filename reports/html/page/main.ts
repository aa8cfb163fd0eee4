// The report page's script, run in the browser: render.ts inlines its esbuild bundle
// (scripts/build-page.mjs, dist/reports/html/page/report-page.js) into report.html after Chart.js.
// It reads the run's data from the embedded JSON, replaces the script-free copy of the page with
// the full one, section by section in page order, and builds the nav from the sections it made.
// A new section is a module in sections/ called here; shared helpers are dom.ts (elements through
// text nodes only), charts.ts, colors.ts, format.ts and tables.ts.
import type { ReportData } from '../report-data.js'
import { chartCount, setUpCharts } from './charts.js'
import { byId, h } from './dom.js'
import { renderArtifacts } from './sections/artifacts.js'
import { renderBytes } from './sections/bytes.js'
import { renderCensorship } from './sections/censorship.js'
import { renderDelivery } from './sections/delivery.js'
import { renderDestinations } from './sections/destinations.js'
import { renderDevices } from './sections/devices.js'
import { renderEnergy } from './sections/energy.js'
import { renderErrors } from './sections/errors.js'
import { renderExplorer } from './sections/explorer.js'
import { renderFlows } from './sections/flows.js'
import { renderHarness } from './sections/harness.js'
import { renderHistory } from './sections/history.js'
import { renderLeaks } from './sections/leaks.js'
import { renderMetrics } from './sections/metrics.js'
import { renderNotes } from './sections/notes.js'
import { renderReliability } from './sections/reliability.js'
import { renderStore } from './sections/store.js'
import { renderThresholds } from './sections/thresholds.js'
import { renderVerdict } from './sections/verdict.js'

const data: ReportData = JSON.parse(byId('courier-data').textContent ?? '')
// report.html carries a script-free copy of the verdict and the tables (for CI viewers that block
// scripts); this page replaces it with the full one
for (const id of ['top', 'nav', 'main']) byId(id).replaceChildren()
setUpCharts()

// the devices' lost messages open in the explorer, which comes later on the page
let selectMessage: (hash: string) => void = () => {}

renderVerdict(data)
renderThresholds(data)
renderHistory(data)
renderDelivery(data)
renderBytes(data)
renderEnergy(data)
renderReliability(data)
renderStore(data)
renderDevices(data, (hash) => selectMessage(hash))
renderLeaks(data)
renderCensorship(data)
renderDestinations(data)
renderFlows(data)
renderHarness(data)
selectMessage = renderExplorer(data).selectMessage
renderMetrics(data)
renderErrors(data)
renderArtifacts(data)
renderNotes(data)

const nav = byId('nav')
for (const sec of document.querySelectorAll('main > section[id]')) {
  nav.append(h('a', { href: `#${sec.id}` }, sec.querySelector('h2')?.textContent ?? sec.id))
}
document.body.setAttribute('data-charts', String(chartCount()))
document.body.setAttribute('data-ready', 'true')

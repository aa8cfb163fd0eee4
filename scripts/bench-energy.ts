// Prices a synthetic 1,000,000-packet timeline on every built-in radio profile and prints JSON
// figures (time taken, packets per second). Run: npm run build && node dist/scripts/bench-energy.js
// [packets]. The timeline mixes chat-like bursts, keep-alives and idle gaps, so every engine walks
// through all of its states.
import { listBuiltinProfiles, loadRadioProfile, priceTimeline } from '../harness/energy/index.js'
import type { RadioPacket } from '../harness/interface/index.js'
import { seededRandom } from '../harness/interface/index.js'

// courier's seeded generator (one stream of its own), so every run prices the same timeline
const random = (seed: number) => seededRandom(seed, 'bench-energy')

function synthetic(count: number): RadioPacket[] {
  const rnd = random(42)
  const labels = ['relay', 'store', 'filter', 'lightpush', 'keepalive', 'discovery']
  const packets: RadioPacket[] = new Array(count)
  let t = 0
  for (let i = 0; i < count; i++) {
    const r = rnd()
    // 80% within a burst (ms apart), 15% seconds apart, 5% long idle gaps.
    t += r < 0.8 ? rnd() * 0.02 : r < 0.95 ? 0.2 + rnd() * 5 : 10 + rnd() * 50
    packets[i] = {
      time: t,
      bytes: 40 + Math.floor(rnd() * 1460),
      direction: rnd() < 0.4 ? 'up' : 'down',
      label: labels[Math.floor(rnd() * labels.length)]
    }
  }
  return packets
}

const count = Number(process.argv[2] ?? 1_000_000)
const packets = synthetic(count)
const results = []
for (const { name } of listBuiltinProfiles()) {
  const profile = loadRadioProfile(name)
  priceTimeline(packets.slice(0, 10_000), profile) // warm-up
  // Three runs: this 2-core machine is shared, so the best and the median say more than one run.
  const times: number[] = []
  let report = priceTimeline([], profile)
  for (let run = 0; run < 3; run++) {
    const started = process.hrtime.bigint()
    report = priceTimeline(packets, profile)
    times.push(Number(process.hrtime.bigint() - started) / 1e9)
  }
  times.sort((a, b) => a - b)
  results.push({
    profile: name,
    packets: count,
    bestSeconds: Number(times[0].toFixed(4)),
    medianSeconds: Number(times[1].toFixed(4)),
    worstSeconds: Number(times[2].toFixed(4)),
    packetsPerSecond: Math.round(count / times[1]),
    timelineSpans: report.timeline.length,
    totalJoules: Number(report.totalJoules.toFixed(3)),
    coveredSeconds: Number(report.durationSeconds.toFixed(1))
  })
}
console.log(JSON.stringify({ node: process.version, packets: count, results }, null, 2))

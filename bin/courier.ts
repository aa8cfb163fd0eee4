#!/usr/bin/env node
// The polyfill must be evaluated before libp2p's modules, hence a separate first import.
import '../harness/polyfill.js'
import { main } from './cli.js'

const code = await main(process.argv)
// Everything courier started is stopped by the time main returns (teardown awaits every part), and
// stdout and stderr are synchronous for files and pipes on Linux. What is left are libp2p's
// timers, which held the process for most of a second after every run.
process.exit(code)

#!/usr/bin/env node
// The polyfill must be evaluated before libp2p's modules, hence a separate first import.
import '../harness/polyfill.js'
import { main } from './cli.js'

process.exitCode = await main(process.argv)

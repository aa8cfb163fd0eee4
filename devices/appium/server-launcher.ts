// The Appium server process courier starts: the polyfill first (the courier driver runs libp2p in
// this process, Node 20), then Appium's own CLI entry with this process's arguments. It exits when
// its stdin closes: courier keeps a pipe open, so if courier dies without cleanup (SIGKILL, a
// second Ctrl-C) the server still goes away instead of holding its port.
import '../../harness/polyfill.js'

process.stdin.on('end', () => {
  process.exit(0)
})
process.stdin.on('error', () => {
  process.exit(0)
})
process.stdin.resume()

const appium = (await import('appium')) as unknown as { main: () => Promise<unknown> }
await appium.main()

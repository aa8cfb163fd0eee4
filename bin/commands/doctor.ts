import { accessSync, constants, readFileSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { networkInterfaces } from 'node:os'
import { relative } from 'node:path'
import type { Command } from 'commander'
import {
  COURIER_ROOT,
  DEFAULT_APPIUM_HOME,
  androidSdk,
  appiumPackageVersion,
  courierDriverInstalled,
  ensureCourierDriver,
  installedAppiumDrivers,
  probeAdb,
  probeXcrun,
  runCommand,
  which,
  type AdbProbe,
  type DeviceProfile,
  type XcrunProbe
} from '../../devices/appium/index.js'
import { prepareDevices } from '../../devices/index.js'
import { probePageBundle } from '../../devices/browser/index.js'
import { jsWakuCheck } from '../../devices/js-waku/index.js'
import { tcpdumpAvailability } from '../../harness/capture/index.js'
import { ExitCode } from '../../harness/interface/index.js'
import { kernelShapingSupport } from '../../harness/links/index.js'
import { resolveScenario } from '../../harness/runner/index.js'
import type { LoadedScenario } from '../../harness/scenario/index.js'
import { paint, type AnsiStyle } from '../../reports/index.js'
import { parseFleetHost } from './shared.js'

/** `ok`: usable; `missing`: absent or unusable; `warn`: works, with a caveat worth reading. */
export type CheckStatus = 'ok' | 'missing' | 'warn'

/** One line of `courier doctor`. */
export interface DoctorCheck {
  id: string
  title: string
  status: CheckStatus
  /** What is needed by whom: `every run`, a scenario device, `capture: tcpdump`; empty when nothing here needs it. */
  neededBy: string[]
  found: string
  /** One line saying how to fix it, or null when nothing is to be done. */
  fix: string | null
}

export const DOCTOR_JSON_SCHEMA = 'courier.doctor/1'

interface DoctorFlags {
  json?: boolean
  fleetHost?: string
  installDriver?: boolean
}

const HELP_AFTER = `
Checks what a run needs on this machine and says how to fix what is missing. Each line is
ok, missing or warn, with what was found and a one-line fix:

  node            Node 20+ (libp2p v3 wants 22: courier's polyfill supplies Promise.withResolvers)
  appium          the appium package in courier's node_modules (Appium 3)
  courier driver  courier's own Appium driver in courier's Appium home (--install-driver installs it)
  uiautomator2    Appium's Android driver in that home (real Android phones)
  xcuitest        Appium's iOS driver in that home (iPhones; needs macOS)
  android sdk     ANDROID_HOME (UiAutomator2 finds adb and the SDK tools through it)
  adb             adb on PATH
  android devices phones and emulators adb sees (adb devices -l)
  xcrun           Xcode's xcrun (macOS)
  ios devices     devices Xcode sees (xcrun xctrace list devices)
  tcpdump         present and allowed to capture on lo (else runs count bytes at the sockets)
  chromium        /usr/bin/chromium (or $COURIER_CHROMIUM): browser devices and the report's browser tests
  page bundle     the browser device's web chat page, bundled from @waku/sdk by npm run build
  link shaping    courier's userspace shaper, and what the kernel offers (netem, tbf)
  fleet host      the fleet's address is this machine's and ports can be opened on it
  server <device> a given Appium server (grid, cloud) answers GET /status

With a scenario, what that scenario needs is marked required ("needed by"): an appium device
needs Appium and its driver (an Android profile: uiautomator2, the SDK, adb and an attached
phone; iOS: xcuitest, xcrun and a device), unless its server is a given URL, which must answer;
a browser device needs chromium and the page bundle; capture: tcpdump needs tcpdump. Without a scenario, only node and the fleet host are required.
Nothing is started: adb's background server, if asking started it, is stopped again.

--json prints one document, schema "${DOCTOR_JSON_SCHEMA}":
  { schema, scenario: file | null, fleetHost, ready, exitCode,
    checks: [{ id, title, status: ok|missing|warn, required, neededBy: [...], found, fix: string | null }],
    summary: { ok, missing, warn, requiredMissing: [id...] } }

Exit codes: 0 nothing required is missing, 2 the scenario (or a flag) is invalid,
3 something required is missing (infrastructure).

Examples:
  courier doctor
  courier doctor scenarios/appium-ci.yaml --install-driver
  courier doctor my-phone.yaml --fleet-host 192.168.1.20 --json
`

export function registerDoctorCommand(program: Command): void {
  program
    .command('doctor')
    .description(
      'Check what runs need on this machine (Node, Appium and its drivers, adb/xcrun and devices, tcpdump, Chromium, link shaping, fleet ports) and say how to fix what is missing.'
    )
    .argument('[scenario]', 'a scenario: mark what it needs as required (exit 3 when something required is missing)')
    .option('--json', `print one JSON document (schema ${DOCTOR_JSON_SCHEMA}) instead of the table`)
    .option('--fleet-host <ip>', "the address the fleet will listen on, as for `courier run` (default: the scenario's network.host, 127.0.0.1)")
    .option('--install-driver', "install courier's own Appium driver into courier's Appium home first (what the first run would do)")
    .addHelpText('after', HELP_AFTER)
    .action(async (file: string | undefined, flags: DoctorFlags) => {
      const report = await doctor(file, flags)
      if (flags.json === true) process.stdout.write(JSON.stringify(report, null, 2) + '\n')
      else process.stdout.write(renderDoctor(report, process.stdout.isTTY === true))
      process.exitCode = report.exitCode
    })
}

export interface DoctorReport {
  schema: typeof DOCTOR_JSON_SCHEMA
  scenario: string | null
  fleetHost: string
  ready: boolean
  exitCode: number
  checks: Array<DoctorCheck & { required: boolean }>
  summary: { ok: number; missing: number; warn: number; requiredMissing: string[] }
}

async function doctor(file: string | undefined, flags: DoctorFlags): Promise<DoctorReport> {
  const fleetHostFlag = flags.fleetHost == null ? undefined : parseFleetHost(flags.fleetHost)
  let scenario: LoadedScenario | undefined
  let profiles: ReadonlyMap<string, DeviceProfile> = new Map()
  if (file != null) {
    // a bad scenario is the usual located error, exit 2; no server is asked here, the checks do that
    const resolved = await resolveScenario(file, { devices: async (s) => await prepareDevices(s, { checkServers: false }) })
    scenario = resolved.scenario
    profiles = resolved.profiles
  }
  const fleetHost = fleetHostFlag ?? scenario?.config.network.host ?? '127.0.0.1'
  const { needs, udids } = requirements(scenario, profiles)

  let installError: string | undefined
  if (flags.installDriver === true) {
    if (flags.json !== true) process.stderr.write(`installing courier's Appium driver into ${shortPath(DEFAULT_APPIUM_HOME)} ...\n`)
    try {
      await ensureCourierDriver(DEFAULT_APPIUM_HOME)
    } catch (error) {
      installError = error instanceof Error ? error.message : String(error)
    }
  }

  const [drivers, courierDriver, adb, xcrun, tcpdump, tcpdumpVersion, chromium, kernel, ports, servers] = await Promise.all([
    installedAppiumDrivers(DEFAULT_APPIUM_HOME),
    courierDriverInstalled(DEFAULT_APPIUM_HOME),
    probeAdb(),
    probeXcrun(),
    tcpdumpAvailability(),
    which('tcpdump') == null ? Promise.resolve(undefined) : runCommand('tcpdump', ['--version'], 5000),
    chromiumCheck(),
    kernelShapingSupport(),
    probePorts(fleetHost, portsNeeded(scenario)),
    serverChecks(scenario, profiles)
  ])

  const checks: DoctorCheck[] = []
  const add = (check: Omit<DoctorCheck, 'neededBy'>): void => {
    checks.push({ ...check, neededBy: needs.get(check.id) ?? [] })
  }
  const home = shortPath(DEFAULT_APPIUM_HOME)
  const inRoot = shortPath(COURIER_ROOT) === '.' ? '' : `cd ${shortPath(COURIER_ROOT)} && `
  const installCmd = (driver: string): string => `${inRoot}APPIUM_HOME=${home} npx appium driver install ${driver}`

  const major = Number(process.versions.node.split('.')[0])
  const resolvers = (Promise as unknown as { withResolvers?: unknown }).withResolvers
  const native = typeof resolvers === 'function' && Function.prototype.toString.call(resolvers).includes('[native code]')
  add({
    id: 'node',
    title: 'node',
    status: major >= 20 && typeof resolvers === 'function' ? 'ok' : 'missing',
    found: `${process.version}${major < 20 ? ' (too old)' : native ? ' (Promise.withResolvers native)' : " (Promise.withResolvers from courier's polyfill; libp2p v3 wants Node 22)"}`,
    fix: major >= 20 ? null : 'install Node 20 or newer (22 recommended), e.g. from nodejs.org or with nvm'
  })

  const appium = appiumPackageVersion(COURIER_ROOT)
  add({
    id: 'appium',
    title: 'appium',
    status: appium == null ? 'missing' : 'ok',
    found: appium == null ? `no appium package in ${shortPath(COURIER_ROOT)}/node_modules` : `appium ${appium.version} (${shortPath(appium.dir)})`,
    fix: appium == null ? `${inRoot}npm install` : null
  })

  const jsWaku = jsWakuCheck(COURIER_ROOT)
  add({ id: 'js-waku', title: 'js-waku', status: jsWaku.ok ? 'ok' : 'missing', found: jsWaku.found, fix: jsWaku.fix == null ? null : `${inRoot}${jsWaku.fix}` })

  const npm = which('npm')
  if (courierDriver) {
    add({
      id: 'courier-driver',
      title: 'courier driver',
      status: 'ok',
      found: `courier ${drivers.courier?.version ?? ''} in ${home} (from this checkout)`.replace('  ', ' '),
      fix: null
    })
  } else if (installError != null) {
    add({
      id: 'courier-driver',
      title: 'courier driver',
      status: 'missing',
      found: `could not be installed: ${installError}`,
      fix:
        npm == null
          ? 'put npm on PATH (Appium installs drivers with it), then courier doctor --install-driver'
          : `run with COURIER_DEBUG=1 for details, or remove ${home} and try courier doctor --install-driver again`
    })
  } else {
    const other = drivers.courier?.installPath
    add({
      id: 'courier-driver',
      title: 'courier driver',
      status: npm == null ? 'missing' : 'warn',
      found: `not installed in ${home}${other != null ? ` (the one there is from ${other})` : ''}; courier installs it on first use${npm == null ? ', which needs npm on PATH: not found' : ''}`,
      fix:
        npm == null
          ? 'put npm on PATH (Appium installs drivers with it), then courier doctor --install-driver'
          : 'courier doctor --install-driver (or let the first run install it, ~10-30 s)'
    })
  }

  for (const [id, platform] of [
    ['uiautomator2', 'Android'],
    ['xcuitest', 'iOS']
  ] as const) {
    const installed = drivers[id]
    const notMac = id === 'xcuitest' && process.platform !== 'darwin'
    add({
      id,
      title: id,
      status: installed != null ? 'ok' : 'missing',
      found:
        installed != null
          ? `${id} ${installed.version ?? ''} in ${home}`.replace('  ', ' ')
          : `not installed in ${home} (${platform} phones)${notMac ? '; XCUITest runs on macOS only' : ''}`,
      fix:
        installed != null
          ? null
          : notMac
            ? `on a Mac: ${installCmd(id)}; from here, use a remote Appium server or device cloud (server: in the profile)`
            : installCmd(id)
    })
  }

  const sdk = androidSdk()
  add({
    id: 'android-sdk',
    title: 'android sdk',
    status: sdk.dir == null ? 'missing' : sdk.platformTools ? 'ok' : 'warn',
    found: sdk.dir == null ? 'ANDROID_HOME is not set' : `${sdk.variable}=${sdk.dir}${sdk.platformTools ? '' : ' (no platform-tools/ in it)'}`,
    fix:
      sdk.dir == null
        ? 'install the Android SDK (platform-tools) and export ANDROID_HOME=<sdk dir>: UiAutomator2 needs it'
        : sdk.platformTools
          ? null
          : `install platform-tools into ${sdk.dir} (sdkmanager "platform-tools")`
  })

  add(adbCheck(adb))
  add(androidDevicesCheck(adb, udids))
  add(xcrunCheck(xcrun))
  add(iosDevicesCheck(xcrun))

  const tcpdumpFound = tcpdumpVersion?.stdout.split('\n')[0]?.trim() || tcpdumpVersion?.stderr.split('\n')[0]?.trim()
  add({
    id: 'tcpdump',
    title: 'tcpdump',
    status: tcpdump.usable ? 'ok' : 'missing',
    found: tcpdump.usable ? `${tcpdumpFound ?? 'tcpdump'}, can capture on lo` : which('tcpdump') == null ? 'not on PATH' : (tcpdump.reason ?? 'not usable'),
    fix: tcpdump.usable
      ? null
      : which('tcpdump') == null
        ? 'apt-get install tcpdump (as root: node scripts/setup-system.mjs); without it, runs count bytes at the sockets only'
        : 'run as root, or: sudo setcap cap_net_raw,cap_net_admin=eip $(command -v tcpdump)'
  })

  add(chromium)
  const bundle = probePageBundle()
  add({ id: 'page-bundle', title: 'page bundle', status: bundle.ok ? 'ok' : 'missing', found: bundle.detail, fix: bundle.ok ? null : (bundle.hint ?? null) })

  add({
    id: 'link-shaping',
    title: 'link shaping',
    status: 'ok',
    found: `userspace shaper (built in); kernel netem: ${kernel.netem.available ? 'yes' : `no (${kernel.netem.reason})`}, tbf: ${kernel.tbf.available ? 'yes' : `no (${kernel.tbf.reason})`}`,
    fix: null
  })

  add(fleetHostCheck(fleetHost, ports, phonesNeedReach(profiles)))
  for (const server of servers) add(server)

  const withRequired = checks.map((check) => ({ ...check, required: check.neededBy.length > 0 }))
  const requiredMissing = withRequired.filter((c) => c.required && c.status === 'missing').map((c) => c.id)
  const exitCode = requiredMissing.length > 0 ? ExitCode.infrastructure : ExitCode.pass
  return {
    schema: DOCTOR_JSON_SCHEMA,
    scenario: file ?? null,
    fleetHost,
    ready: requiredMissing.length === 0,
    exitCode,
    checks: withRequired,
    summary: {
      ok: checks.filter((c) => c.status === 'ok').length,
      missing: checks.filter((c) => c.status === 'missing').length,
      warn: checks.filter((c) => c.status === 'warn').length,
      requiredMissing
    }
  }
}

/**
 * Which checks the scenario needs, and for whom. An appium device with a given server needs only
 * that server to answer (the phone and its drivers are over there); otherwise it needs Appium,
 * the driver of its profile's platform and that platform's tools and devices.
 */
function requirements(scenario: LoadedScenario | undefined, profiles: ReadonlyMap<string, DeviceProfile>): { needs: Map<string, string[]>; udids: string[] } {
  const needs = new Map<string, string[]>()
  /** Android phones pinned by appium:udid: each must be attached. */
  const udids: string[] = []
  const need = (id: string, who: string): void => {
    const list = needs.get(id) ?? []
    if (!list.includes(who)) list.push(who)
    needs.set(id, list)
  }
  need('node', 'every run')
  need('fleet-host', 'every run')
  if (scenario == null) return { needs, udids }
  if (scenario.config.capture === 'tcpdump') need('tcpdump', 'capture: tcpdump')
  for (const [name, config] of Object.entries(scenario.config.devices)) {
    if (config.driver === 'browser') {
      need('chromium', name)
      need('page-bundle', name)
    }
    if (config.driver === 'js-waku') need('js-waku', name)
    if (config.driver !== 'appium') continue
    const profile = profiles.get(name)
    if (config.server != null || profile?.server != null) {
      need(`server:${name}`, name)
      continue
    }
    need('appium', name)
    switch (profile?.platform) {
      case 'courier':
        need('courier-driver', name)
        break
      case 'android': {
        for (const id of ['uiautomator2', 'android-sdk', 'adb', 'android-devices']) need(id, name)
        const udid = { ...profile.capabilities, ...config.capabilities }['appium:udid']
        if (typeof udid === 'string') udids.push(udid)
        break
      }
      case 'ios':
        for (const id of ['xcuitest', 'xcrun', 'ios-devices']) need(id, name)
        break
      default:
        break
    }
  }
  return { needs, udids }
}

function adbCheck(adb: AdbProbe): Omit<DoctorCheck, 'neededBy'> {
  if (adb.path == null)
    return {
      id: 'adb',
      title: 'adb',
      status: 'missing',
      found: 'not on PATH',
      fix: 'install Android platform-tools (Debian: apt-get install adb) and put adb on PATH'
    }
  return { id: 'adb', title: 'adb', status: 'ok', found: `${adb.path}${adb.version != null ? ` (${adb.version})` : ''}`, fix: null }
}

function androidDevicesCheck(adb: AdbProbe, udids: string[]): Omit<DoctorCheck, 'neededBy'> {
  const base = { id: 'android-devices', title: 'android devices' }
  if (adb.path == null) return { ...base, status: 'missing', found: 'not listed: adb is not on PATH', fix: 'install adb first (see adb)' }
  if (adb.error != null)
    return { ...base, status: 'missing', found: adb.error, fix: 'run adb devices -l by hand; adb kill-server && adb start-server often helps' }
  const usable = adb.devices.filter((d) => d.state === 'device')
  const listed = adb.devices.map((d) => `${d.serial} ${d.state}${d.model != null ? ` (${d.model})` : ''}`).join(', ')
  const absent = udids.filter((udid) => !usable.some((d) => d.serial === udid))
  if (absent.length > 0) {
    return {
      ...base,
      status: 'missing',
      found: `${absent.join(', ')} (appium:udid) not attached; adb lists: ${listed || 'nothing'}`,
      fix: 'connect that phone with USB debugging on and accept its RSA prompt (or fix appium:udid)'
    }
  }
  if (usable.length > 0)
    return {
      ...base,
      status: adb.devices.length > usable.length ? 'warn' : 'ok',
      found: listed,
      fix: adb.devices.length > usable.length ? 'unauthorized: accept the USB debugging prompt on the phone; offline: reconnect it' : null
    }
  if (adb.devices.length > 0)
    return {
      ...base,
      status: 'missing',
      found: `none usable: ${listed}`,
      fix: 'unauthorized: accept the USB debugging prompt on the phone; offline: reconnect the cable or restart adb'
    }
  return {
    ...base,
    status: 'missing',
    found: 'adb lists no device',
    fix: 'connect a phone with USB debugging on (Developer options), or start an emulator; adb devices -l must list it'
  }
}

function xcrunCheck(xcrun: XcrunProbe): Omit<DoctorCheck, 'neededBy'> {
  const base = { id: 'xcrun', title: 'xcrun' }
  if (xcrun.path == null) {
    return process.platform === 'darwin'
      ? { ...base, status: 'missing', found: xcrun.error ?? 'not found', fix: 'install Xcode, then: xcode-select --install' }
      : {
          ...base,
          status: 'missing',
          found: xcrun.error ?? 'not macOS',
          fix: 'iPhones need a Mac with Xcode; from here, use a remote Appium server or a device cloud (server: in the profile)'
        }
  }
  return { ...base, status: 'ok', found: `${xcrun.path}${xcrun.version != null && xcrun.version !== '' ? ` (${xcrun.version})` : ''}`, fix: null }
}

function iosDevicesCheck(xcrun: XcrunProbe): Omit<DoctorCheck, 'neededBy'> {
  const base = { id: 'ios-devices', title: 'ios devices' }
  if (xcrun.devices == null)
    return {
      ...base,
      status: 'missing',
      found: `not listed: ${xcrun.error ?? 'xcrun missing'}`,
      fix: xcrun.path == null ? 'see xcrun' : 'run xcrun xctrace list devices by hand'
    }
  const { online, offline, simulators } = xcrun.devices
  const found = `${online.map((d) => `${d.name} (${d.os ?? '?'}, ${d.udid})`).join(', ') || 'no device'}${offline.length > 0 ? `; offline: ${offline.map((d) => d.name).join(', ')}` : ''}; ${simulators.length} simulators`
  if (online.length > 0) return { ...base, status: 'ok', found, fix: null }
  return { ...base, status: 'missing', found, fix: 'connect an iPhone, trust this Mac, enable Developer Mode (Settings > Privacy & Security)' }
}

async function chromiumCheck(): Promise<Omit<DoctorCheck, 'neededBy'>> {
  const path = process.env.COURIER_CHROMIUM ?? '/usr/bin/chromium'
  const base = { id: 'chromium', title: 'chromium' }
  try {
    accessSync(path, constants.X_OK)
  } catch {
    return {
      ...base,
      status: 'missing',
      found: `no executable at ${path}`,
      fix: "apt-get install chromium (as root: node scripts/setup-system.mjs), or point COURIER_CHROMIUM at a Chromium; browser devices and the report's browser tests need it"
    }
  }
  const version = await runCommand(path, ['--version'], 10_000)
  return version.ok
    ? { ...base, status: 'ok', found: `${path} (${version.stdout.trim()})`, fix: null }
    : { ...base, status: 'warn', found: `${path} does not start: ${version.error ?? ''}`, fix: 'reinstall the chromium package' }
}

/** Ports a run opens on the fleet host: one per fleet node, one per shaped device link and node, one per courier-started Appium server. */
function portsNeeded(scenario: LoadedScenario | undefined): number {
  if (scenario == null) return 8
  const { relays, stores, gateways } = scenario.nodes
  const nodes = relays.length + stores.length + gateways.length
  const devices = Object.values(scenario.config.devices)
  const linked = devices.filter((d) => d.driver === 'simulated' && d.link != null).length
  return nodes + linked * nodes + devices.filter((d) => d.driver === 'appium').length
}

type PortProbe = { opened: number; error?: string }

/** Opens `count` listening sockets on the host at once (port 0: the kernel picks free ones), then closes them. */
async function probePorts(host: string, count: number): Promise<PortProbe> {
  const servers: Server[] = []
  try {
    for (let i = 0; i < count; i++) {
      const server = createServer()
      servers.push(server)
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject)
        server.listen(0, host, () => {
          resolve()
        })
      })
    }
    return { opened: servers.length }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    return {
      opened: servers.length - 1,
      error: code === 'EADDRNOTAVAIL' ? `${host} is not an address of this machine` : `${code ?? ''} ${(error as Error).message}`.trim()
    }
  } finally {
    await Promise.all(
      servers.map(async (server) => {
        await new Promise<void>((resolve) => {
          server.close(() => {
            resolve()
          })
        })
      })
    )
  }
}

function localAddresses(): string[] {
  return Object.values(networkInterfaces()).flatMap((list) => (list ?? []).filter((a) => a.family === 'IPv4').map((a) => a.address))
}

/** Real phones (not courier's CI driver) that must reach the fleet over a network. */
function phonesNeedReach(profiles: ReadonlyMap<string, DeviceProfile>): string[] {
  return [...profiles.entries()].filter(([, p]) => p.platform !== 'courier').map(([name]) => name)
}

function fleetHostCheck(host: string, ports: PortProbe, phones: string[]): Omit<DoctorCheck, 'neededBy'> {
  const base = { id: 'fleet-host', title: 'fleet host' }
  const addresses = localAddresses()
  const others = addresses.filter((a) => !a.startsWith('127.'))
  if (ports.error != null) {
    return {
      ...base,
      status: 'missing',
      found: `${ports.error} (opened ${ports.opened} port(s) before that); addresses here: ${addresses.join(', ')}`,
      fix: `use --fleet-host (or network.host) with one of: ${(others.length > 0 ? others : addresses).join(', ')}`
    }
  }
  const found = `${host}: opened and closed ${ports.opened} listening ports${range()}`
  if (host.startsWith('127.') && phones.length > 0) {
    return {
      ...base,
      status: 'warn',
      found: `${found}; ${phones.join(', ')} cannot reach a loopback address`,
      fix: `courier run ... --fleet-host <an address the phone reaches: ${others.join(', ') || 'none found here'}> (or adb reverse every fleet port)`
    }
  }
  return { ...base, status: 'ok', found, fix: null }
}

/** Linux's ephemeral port range, which bounds how many connections a run can open. */
function range(): string {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)
    return high == null ? '' : ` (ephemeral range ${low}-${high})`
  } catch {
    return ''
  }
}

/** Given servers (grid, cloud) must answer GET /status; credentials are not needed for that. */
async function serverChecks(scenario: LoadedScenario | undefined, profiles: ReadonlyMap<string, DeviceProfile>): Promise<Array<Omit<DoctorCheck, 'neededBy'>>> {
  if (scenario == null) return []
  return await Promise.all(
    Object.entries(scenario.config.devices).flatMap(([name, config]) => {
      if (config.driver !== 'appium') return []
      const server = config.server ?? profiles.get(name)?.server
      if (server == null) return []
      return [
        (async () => {
          const base = { id: `server:${name}`, title: `server ${name}` }
          const started = Date.now()
          try {
            const response = await fetch(new URL('status', server.url.endsWith('/') ? server.url : `${server.url}/`), { signal: AbortSignal.timeout(5000) })
            const body = await response.text()
            const build = (() => {
              try {
                return (JSON.parse(body) as { value?: { build?: { version?: string } } }).value?.build?.version
              } catch {
                return undefined
              }
            })()
            return {
              ...base,
              status: response.ok ? ('ok' as const) : ('warn' as const),
              found: `${server.url} answers HTTP ${response.status}${build != null ? ` (Appium ${build})` : ''} in ${Date.now() - started} ms`,
              fix: response.ok ? null : 'check the URL path (some grids want /wd/hub)'
            }
          } catch (error) {
            const { cause } = error as { cause?: { code?: string; message?: string } }
            const why = cause?.code ?? cause?.message ?? (error as Error).message
            return {
              ...base,
              status: 'missing' as const,
              found: `no answer at ${server.url} (${why})`,
              fix: 'start that server, or check the URL and that this machine can reach it; or leave server: out to let courier start one'
            }
          }
        })()
      ]
    })
  )
}

function shortPath(path: string): string {
  const rel = relative(process.cwd(), path)
  return rel === '' ? '.' : rel.startsWith('..') ? path.replace(/\/$/, '') : rel
}

const STATUS_STYLE: Record<CheckStatus, AnsiStyle> = { ok: 'green', missing: 'redBold', warn: 'yellow' }

/** The table: one line per check (status, name, who needs it, what was found), the fix indented below. */
export function renderDoctor(report: DoctorReport, color: boolean): string {
  const out: string[] = []
  out.push(`courier doctor${report.scenario != null ? `: ${report.scenario}` : ''} (fleet host ${report.fleetHost})`)
  out.push('')
  const needed = (c: DoctorReport['checks'][number]): string => (c.neededBy.length === 0 ? '-' : c.neededBy.join(', '))
  const widths = {
    status: Math.max(6, ...report.checks.map((c) => c.status.length)),
    title: Math.max(5, ...report.checks.map((c) => c.title.length)),
    needed: Math.max(9, ...report.checks.map((c) => needed(c).length))
  }
  const indent = widths.status + widths.title + widths.needed + 6
  out.push(`${'status'.padEnd(widths.status)}  ${'check'.padEnd(widths.title)}  ${'needed by'.padEnd(widths.needed)}  found`)
  for (const check of report.checks) {
    const status = paint(
      check.status.padEnd(widths.status),
      check.required && check.status === 'missing' ? 'redBold' : check.status === 'missing' ? 'red' : STATUS_STYLE[check.status],
      color
    )
    out.push(`${status}  ${check.title.padEnd(widths.title)}  ${needed(check).padEnd(widths.needed)}  ${check.found}`)
    if (check.fix != null && check.status !== 'ok') out.push(`${' '.repeat(indent)}fix: ${check.fix}`)
  }
  out.push('')
  const { summary } = report
  const notNeeded = report.checks.filter((c) => !c.required && c.status === 'missing').length
  if (summary.requiredMissing.length > 0) {
    out.push(paint(`not ready: required but missing: ${summary.requiredMissing.join(', ')}`, 'redBold', color))
  } else {
    out.push(
      paint(`ready${report.scenario != null ? ` for ${report.scenario}` : ''}: nothing required is missing`, 'greenBold', color) +
        ` (${summary.ok} ok, ${summary.warn} warning(s), ${notNeeded} missing but not needed${report.scenario == null ? ' without a scenario' : ' by it'})`
    )
  }
  return out.join('\n') + '\n'
}

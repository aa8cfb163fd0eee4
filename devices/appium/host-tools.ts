// What this machine has for driving phones: Appium drivers in courier's Appium home, adb and its
// devices, Xcode's xcrun and its devices. Used by `courier doctor`; nothing here starts a server.
import { execFile } from 'node:child_process'
import { accessSync, constants, existsSync, readFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { connect } from 'node:net'
import { delimiter, join } from 'node:path'
import { parse } from 'yaml'

/** One extension in Appium's manifest (APPIUM_HOME/node_modules/.cache/appium/extensions.yaml). */
export interface InstalledDriver {
  pkgName?: string
  version?: string
  installType?: string
  installPath?: string
  automationName?: string
  platformNames?: string[]
}

/** The drivers Appium's manifest lists in an Appium home, by driver name; empty when there is no manifest. */
export async function installedAppiumDrivers(home: string): Promise<Record<string, InstalledDriver>> {
  try {
    const manifest = parse(await readFile(join(home, 'node_modules', '.cache', 'appium', 'extensions.yaml'), 'utf8')) as {
      drivers?: Record<string, InstalledDriver>
    } | null
    return manifest?.drivers ?? {}
  } catch {
    return {}
  }
}

/** The appium package in courier's own node_modules (`root`: courier's folder): its version, or null when it is not installed. */
export function appiumPackageVersion(root: string): { version: string; dir: string } | null {
  const dir = join(root, 'node_modules', 'appium')
  try {
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version?: string }
    return { version: pkg.version ?? '?', dir }
  } catch {
    return null
  }
}

/** The first executable of that name on PATH (as a shell would find it), or undefined. */
export function which(command: string, path = process.env.PATH ?? ''): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (dir === '') continue
    const candidate = join(dir, command)
    try {
      accessSync(candidate, constants.X_OK)
      return candidate
    } catch {
      /* not here */
    }
  }
  return undefined
}

export interface CommandResult {
  ok: boolean
  stdout: string
  stderr: string
  error?: string
}

/** Runs a command with a time limit; never throws. */
export async function runCommand(file: string, args: string[], timeoutMs = 10_000): Promise<CommandResult> {
  return await new Promise((resolve) => {
    execFile(file, args, { timeout: timeoutMs, encoding: 'utf8' }, (error, stdout, stderr) => {
      const timedOut = error != null && (error as { killed?: boolean }).killed === true
      resolve({
        ok: error == null,
        stdout: String(stdout),
        stderr: String(stderr),
        error: error == null ? undefined : timedOut ? `no answer within ${timeoutMs / 1000} s` : String(stderr).trim().split('\n')[0] || error.message
      })
    })
  })
}

/** One line of `adb devices -l`. */
export interface AdbDevice {
  serial: string
  /** device (usable), unauthorized (accept the USB debugging prompt), offline, ... */
  state: string
  model?: string
  transport?: string
}

/** Parses `adb devices -l`: a header line, then `serial state key:value...` per device. */
export function parseAdbDevices(text: string): AdbDevice[] {
  const devices: AdbDevice[] = []
  for (const line of text.split('\n')) {
    const trimmed = line.trim()
    if (trimmed === '' || trimmed.startsWith('List of devices') || trimmed.startsWith('*')) continue
    const [serial, state, ...rest] = trimmed.split(/\s+/)
    if (serial == null || state == null) continue
    const fields = Object.fromEntries(
      rest.flatMap((field) => {
        const at = field.indexOf(':')
        return at > 0 ? [[field.slice(0, at), field.slice(at + 1)]] : []
      })
    )
    devices.push({ serial, state, ...(fields.model != null ? { model: fields.model } : {}), ...(fields.usb != null ? { transport: `usb ${fields.usb}` } : {}) })
  }
  return devices
}

export interface AdbProbe {
  path?: string
  version?: string
  devices: AdbDevice[]
  error?: string
}

const ADB_SERVER_PORT = Number(process.env.ANDROID_ADB_SERVER_PORT ?? 5037)

/**
 * adb's version and attached devices. `adb devices` starts adb's background server when none
 * runs; when courier started it just for this, it is stopped again (`adb kill-server`), so
 * asking leaves the machine as it was.
 */
export async function probeAdb(): Promise<AdbProbe> {
  const path = which('adb')
  if (path == null) return { devices: [], error: 'adb is not on PATH' }
  const version = await runCommand(path, ['version'])
  const versionLine = version.stdout
    .split('\n')
    .find((line) => /version/i.test(line))
    ?.trim()
  const serverWasRunning = await portOpen(ADB_SERVER_PORT)
  const listed = await runCommand(path, ['devices', '-l'], 15_000)
  if (!serverWasRunning) await runCommand(path, ['kill-server'], 5000)
  if (!listed.ok) return { path, version: versionLine, devices: [], error: `adb devices -l failed: ${listed.error ?? ''}` }
  return { path, version: versionLine, devices: parseAdbDevices(listed.stdout) }
}

/** A device line of `xcrun xctrace list devices`: `name (os) (udid)` or `name (udid)`. */
export interface XcodeDevice {
  name: string
  os?: string
  udid: string
  simulator: boolean
}

/**
 * Parses `xcrun xctrace list devices`: sections `== Devices ==`, `== Devices Offline ==` and
 * `== Simulators ==`. The Mac itself is listed as a device without an OS version; it is left out.
 */
export function parseXctraceDevices(text: string): { online: XcodeDevice[]; offline: XcodeDevice[]; simulators: XcodeDevice[] } {
  const out = { online: [] as XcodeDevice[], offline: [] as XcodeDevice[], simulators: [] as XcodeDevice[] }
  let section: keyof typeof out | undefined
  for (const raw of text.split('\n')) {
    const line = raw.trim()
    const header = /^==\s*(.+?)\s*==$/.exec(line)
    if (header != null) {
      const title = header[1].toLowerCase()
      section = title.includes('simulator') ? 'simulators' : title.includes('offline') ? 'offline' : title.includes('device') ? 'online' : undefined
      continue
    }
    if (section == null || line === '') continue
    const match = /^(.*?)\s+\(([^()]+)\)\s+\(([0-9A-Fa-f-]{8,})\)$/.exec(line) ?? /^(.*?)\s+\(([0-9A-Fa-f-]{8,})\)$/.exec(line)
    if (match == null) continue
    const device: XcodeDevice =
      match.length === 4
        ? { name: match[1], os: match[2], udid: match[3], simulator: section === 'simulators' }
        : { name: match[1], udid: match[2], simulator: section === 'simulators' }
    if (section !== 'simulators' && device.os == null) continue
    out[section].push(device)
  }
  return out
}

export interface XcrunProbe {
  path?: string
  version?: string
  devices?: ReturnType<typeof parseXctraceDevices>
  error?: string
}

/** xcrun and the iOS devices Xcode sees (macOS only). */
export async function probeXcrun(): Promise<XcrunProbe> {
  if (process.platform !== 'darwin') return { error: `this is ${process.platform}, not macOS` }
  const path = which('xcrun')
  if (path == null) return { error: 'xcrun is not on PATH' }
  const version = await runCommand(path, ['--version'])
  const listed = await runCommand(path, ['xctrace', 'list', 'devices'], 30_000)
  if (!listed.ok) return { path, version: version.stdout.trim(), error: `xcrun xctrace list devices failed: ${listed.error ?? ''}` }
  return { path, version: version.stdout.trim(), devices: parseXctraceDevices(listed.stdout) }
}

/** ANDROID_HOME (or the older ANDROID_SDK_ROOT), which UiAutomator2 needs to find adb and the SDK tools. */
export function androidSdk(env: NodeJS.ProcessEnv = process.env): { variable?: string; dir?: string; platformTools: boolean } {
  for (const variable of ['ANDROID_HOME', 'ANDROID_SDK_ROOT']) {
    const dir = env[variable]
    if (dir != null && dir !== '') return { variable, dir, platformTools: existsSync(join(dir, 'platform-tools')) }
  }
  return { platformTools: false }
}

async function portOpen(port: number): Promise<boolean> {
  return await new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    socket.setTimeout(1000, () => {
      socket.destroy()
      resolve(false)
    })
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => {
      resolve(false)
    })
  })
}

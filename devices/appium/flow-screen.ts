import { setTimeout as sleep } from 'node:timers/promises'
import { suggest } from '../../harness/scenario/index.js'
import { SCREEN_NAMES, type DeviceProfile } from './profile.js'

type Browser = WebdriverIO.Browser

/** How a flow waits: the default is the profile's command timeout, never past the flow's own deadline. */
export interface WaitOptions {
  /** Values for `{placeholders}` in the selector (`{topic}` defaults to the device's topic). */
  vars?: Record<string, string>
  /** ms; default `timeouts.command` of the profile. */
  timeout?: number
}

/**
 * The `screen` a flow sees: the device profile's screen map and `elements:` by name, so a spec
 * says `screen.tap('sendButton')` and the selector lives in the profile only. Waits poll for a
 * displayed element (implicit waits are off, as for courier's own actions) and end at the flow's
 * deadline at the latest.
 */
export interface FlowScreen {
  /** Every name this profile defines. */
  readonly names: readonly string[]
  /** The selector string of a name, placeholders filled in. */
  selector(name: string, vars?: Record<string, string>): string
  /** `driver.$(selector)` for a name: WebdriverIO's own element API (its waits are 1 s here). */
  $(name: string, vars?: Record<string, string>): ReturnType<Browser['$']>
  $$(name: string, vars?: Record<string, string>): ReturnType<Browser['$$']>
  /** The first displayed element of a name, once there is one. */
  waitFor(name: string, options?: WaitOptions): Promise<WebdriverIO.Element>
  /** Waits until no element of a name is displayed (a spinner gone, a dialog closed). */
  waitForGone(name: string, options?: WaitOptions): Promise<void>
  /** Waits for the element, then clicks it. */
  tap(name: string, options?: WaitOptions): Promise<void>
  /** Waits for the element, then types into it (`setValue`: replaces its text). */
  type(name: string, text: string, options?: WaitOptions): Promise<void>
  /** Texts of every element of a name now on screen (empty if none). */
  texts(name: string, vars?: Record<string, string>): Promise<string[]>
  /** Waits until an element of a name shows this text (contains it, or matches the pattern). */
  waitForText(name: string, text: string | RegExp, options?: WaitOptions): Promise<WebdriverIO.Element>
}

export interface FlowScreenInit {
  browser: Browser
  profile: DeviceProfile
  topic: string
  /** Aborted at the flow's deadline, or when the run stops. */
  signal: AbortSignal
  /** Clock of the flow's deadline (ms, Date.now() based). */
  deadline: number
}

const POLL_MS = 100

export function flowScreen({ browser, profile, topic, signal, deadline }: FlowScreenInit): FlowScreen {
  const map: Record<string, string> = {}
  for (const name of SCREEN_NAMES) {
    const value = (profile.screen as Record<string, string | undefined>)[name]
    if (value != null) map[name] = value
  }
  Object.assign(map, profile.elements)
  const names = Object.keys(map)

  const selector = (name: string, vars: Record<string, string> = {}): string => {
    const raw = map[name]
    if (raw == null) {
      const hint = suggest(name, names)
      throw new Error(
        `screen has no element "${name}"${hint == null ? '' : ` (${hint})`}; profile ${profile.name} names: ${names.join(', ')} (add more under elements: in the profile)`
      )
    }
    const values: Record<string, string> = { topic, ...vars }
    return raw.replace(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_whole, key: string) => {
      const value = values[key]
      if (value == null) throw new Error(`the selector of "${name}" needs {${key}}: pass it, e.g. screen.tap('${name}', { vars: { ${key}: '...' } })`)
      return value
    })
  }

  /** Polls `probe` until it returns a value; the error says what was awaited, the selector and how long. */
  const poll = async <T>(what: string, sel: string, options: WaitOptions, probe: () => Promise<T | undefined>): Promise<T> => {
    const started = Date.now()
    const until = Math.min(deadline, started + (options.timeout ?? profile.timeouts.command))
    while (true) {
      signal.throwIfAborted()
      const found = await probe()
      if (found !== undefined) return found
      if (Date.now() >= until) throw new Error(`${what}: not within ${Date.now() - started} ms (selector ${sel})`)
      // an abort says why (the flow's timeout, the run stopping), not just "aborted"
      await sleep(Math.min(POLL_MS, Math.max(1, until - Date.now())), undefined, { signal }).catch(() => {
        signal.throwIfAborted()
      })
    }
  }

  const displayed = async (sel: string): Promise<WebdriverIO.Element[]> => {
    const out: WebdriverIO.Element[] = []
    for (const element of await browser.$$(sel).getElements()) {
      if (await element.isDisplayed().catch(() => false)) out.push(element)
    }
    return out
  }

  const waitFor = async (name: string, options: WaitOptions = {}): Promise<WebdriverIO.Element> => {
    const sel = selector(name, options.vars)
    return await poll(`screen.waitFor("${name}")`, sel, options, async () => (await displayed(sel))[0])
  }

  const textOf = async (element: WebdriverIO.Element): Promise<string> => await element.getText().catch(() => '')

  return {
    names,
    selector,
    $: (name, vars) => browser.$(selector(name, vars)),
    $$: (name, vars) => browser.$$(selector(name, vars)),
    waitFor,
    waitForGone: async (name, options = {}) => {
      const sel = selector(name, options.vars)
      await poll(`screen.waitForGone("${name}")`, sel, options, async () => ((await displayed(sel)).length === 0 ? true : undefined))
    },
    tap: async (name, options) => {
      await (await waitFor(name, options)).click()
    },
    type: async (name, text, options) => {
      await (await waitFor(name, options)).setValue(text)
    },
    texts: async (name, vars) => await Promise.all((await displayed(selector(name, vars))).map(textOf)),
    waitForText: async (name, text, options = {}) => {
      const sel = selector(name, options.vars)
      const matches = (value: string): boolean => (typeof text === 'string' ? value.includes(text) : text.test(value))
      return await poll(`screen.waitForText("${name}", ${typeof text === 'string' ? JSON.stringify(text) : String(text)})`, sel, options, async () => {
        for (const element of await displayed(sel)) if (matches(await textOf(element))) return element
        return undefined
      })
    }
  }
}

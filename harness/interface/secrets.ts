/**
 * Every form in which a secret travels, so that masking one masks all: a key in a URL is
 * percent-encoded, a user and key in an `Authorization: Basic` header are base64 of `user:key`,
 * and a secret inside JSON text has its quotes and backslashes escaped. A server that echoes a
 * request in an error message hands any of these back.
 */
export function secretForms(secrets: readonly string[], pairs: ReadonlyArray<readonly [string, string]> = []): string[] {
  const forms = new Set<string>()
  const add = (form: string): void => {
    if (form.length >= MIN_SECRET_LENGTH) forms.add(form)
  }
  for (const secret of secrets) {
    if (secret.length === 0) continue
    add(secret)
    add(encodeURIComponent(secret))
    add(encodeURIComponent(secret).replace(/%20/g, '+'))
    add(JSON.stringify(secret).slice(1, -1))
  }
  for (const [user, key] of pairs) {
    for (const joined of [`${user}:${key}`, `${encodeURIComponent(user)}:${encodeURIComponent(key)}`]) {
      const base64 = Buffer.from(joined).toString('base64')
      add(base64)
      add(base64.replace(/=+$/, ''))
      add(Buffer.from(joined).toString('base64url'))
    }
  }
  // longest first, so a form that contains another is replaced whole
  return [...forms].sort((a, b) => b.length - a.length)
}

/** Shorter "secrets" would mask ordinary text everywhere (an empty or one-letter variable). */
const MIN_SECRET_LENGTH = 3

export const MASK = '***'

export function maskSecrets(text: string, forms: readonly string[]): string {
  let out = text
  for (const form of forms) if (out.includes(form)) out = out.split(form).join(MASK)
  return out
}

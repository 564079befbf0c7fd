// The session's tokens. The access token lives in memory only. The refresh token never reaches JavaScript: the
// server keeps it in an HttpOnly, SameSite=Strict cookie sent only to /api/v1/auth/ (docs/security.md), so a
// script injected into the page cannot carry the session away. sessionStorage holds only a marker that this tab
// has a session to restore after a reload (it dies with the tab, as the session always did).
import type { TokenResponse } from './types'

const SESSION_KEY = 'qinghu.session'
/** Where earlier versions kept the refresh token itself: cleared on sight. */
const LEGACY_REFRESH_KEY = 'qinghu.refresh_token'
/** Refresh this long before the access token expires, so no request goes out with a dying token. */
export const REFRESH_MARGIN_MS = 60_000

let accessToken: string | null = null
let expiresAt = 0
let subject: string | null = null

export function getAccessToken(): string | null {
  return accessToken
}

export function getExpiresAt(): number {
  return expiresAt
}

/** True when this tab has a session its refresh cookie can renew (after a reload too). */
export function hasSession(): boolean {
  try {
    return sessionStorage.getItem(SESSION_KEY) === '1'
  } catch {
    return accessToken !== null
  }
}

/** The `sub` claim of an access token (read, not verified: only to notice that the person changed). */
function subjectOf(token: string): string | null {
  try {
    const payload = (token.split('.')[1] ?? '').replace(/-/g, '+').replace(/_/g, '/')
    const claims: unknown = JSON.parse(atob(payload))
    return typeof claims === 'object' && claims !== null && 'sub' in claims && typeof claims.sub === 'string'
      ? claims.sub
      : null
  } catch {
    return null
  }
}

/** Keep the tokens of a login. A refresh token in the body (a server that ignored the cookie request) is not kept. */
export function storeTokens(tokens: TokenResponse, now: number = Date.now()): void {
  accessToken = tokens.access_token
  expiresAt = now + tokens.expires_in * 1000
  subject = subjectOf(tokens.access_token)
  try {
    sessionStorage.setItem(SESSION_KEY, '1')
    sessionStorage.removeItem(LEGACY_REFRESH_KEY)
  } catch {
    // storage unavailable: the session lasts until the page is reloaded
  }
}

/**
 * Keep the tokens of a refresh; false (and the session forgotten) when they are someone else's: the tabs of a
 * browser share the refresh cookie, and another tab has logged in as another person since.
 */
export function renewTokens(tokens: TokenResponse, now: number = Date.now()): boolean {
  const next = subjectOf(tokens.access_token)
  if (subject !== null && next !== null && next !== subject) {
    clearTokens()
    return false
  }
  storeTokens(tokens, now)
  return true
}

export function clearTokens(): void {
  accessToken = null
  expiresAt = 0
  subject = null
  try {
    sessionStorage.removeItem(SESSION_KEY)
    sessionStorage.removeItem(LEGACY_REFRESH_KEY)
  } catch {
    // storage unavailable: nothing to clear
  }
}

/** True when the access token is missing or about to expire and the refresh cookie could renew it. */
export function needsRefresh(now: number = Date.now()): boolean {
  if (!hasSession()) return false
  return accessToken === null || now >= expiresAt - REFRESH_MARGIN_MS
}

/** Milliseconds until the access token should be refreshed (never negative). */
export function msUntilRefresh(now: number = Date.now()): number {
  return Math.max(0, expiresAt - REFRESH_MARGIN_MS - now)
}

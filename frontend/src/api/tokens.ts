// The session's tokens. The access token lives in memory only; the refresh token is kept in sessionStorage
// so a reload keeps the person logged in (it rotates on every use, and it dies with the tab).
import type { TokenResponse } from './types'

const REFRESH_KEY = 'qinghu.refresh_token'
/** Refresh this long before the access token expires, so no request goes out with a dying token. */
export const REFRESH_MARGIN_MS = 60_000

let accessToken: string | null = null
let expiresAt = 0

export function getAccessToken(): string | null {
  return accessToken
}

export function getExpiresAt(): number {
  return expiresAt
}

export function getRefreshToken(): string | null {
  try {
    return sessionStorage.getItem(REFRESH_KEY)
  } catch {
    return null
  }
}

export function storeTokens(tokens: TokenResponse, now: number = Date.now()): void {
  accessToken = tokens.access_token
  expiresAt = now + tokens.expires_in * 1000
  if (tokens.refresh_token) sessionStorage.setItem(REFRESH_KEY, tokens.refresh_token)
}

export function clearTokens(): void {
  accessToken = null
  expiresAt = 0
  try {
    sessionStorage.removeItem(REFRESH_KEY)
  } catch {
    // storage unavailable: nothing to clear
  }
}

/** True when the access token is missing or about to expire and a refresh token could renew it. */
export function needsRefresh(now: number = Date.now()): boolean {
  if (!getRefreshToken()) return false
  return accessToken === null || now >= expiresAt - REFRESH_MARGIN_MS
}

/** Milliseconds until the access token should be refreshed (never negative). */
export function msUntilRefresh(now: number = Date.now()): number {
  return Math.max(0, expiresAt - REFRESH_MARGIN_MS - now)
}

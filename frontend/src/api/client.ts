// The one request wrapper (after vue-vben-admin's): every request goes through the generated client `api`,
// which adds the bearer token, refreshes it before it expires and once on a 401, and turns every failure into
// an ApiError carrying the server's problem+json.
import createClient, { type Middleware } from 'openapi-fetch'
import type { paths } from './schema'
import { ApiError, networkError, problemSlug, toProblem } from './problem'
import { clearTokens, getAccessToken, hasSession, msUntilRefresh, needsRefresh, renewTokens } from './tokens'
import type { TokenResponse } from './types'
import { currentLocale } from '@/i18n'

export const api = createClient<paths>({
  // looked up on each call, so tests (and polyfills) can replace fetch after this module loaded
  fetch: (request: Request) => globalThis.fetch(request),
  baseUrl: typeof window === 'undefined' ? '' : window.location.origin,
})

const TOKEN_PATH = '/api/v1/auth/token'
const REVOKE_PATH = '/api/v1/auth/revoke'

export interface SessionHooks {
  /** The session ended on the server side (refresh refused, token revoked): back to the login page. */
  onExpired: () => void
  /** The server refuses everything until the password is changed. */
  onPasswordChangeRequired: () => void
}

let hooks: SessionHooks = { onExpired: () => undefined, onPasswordChangeRequired: () => undefined }

export function setSessionHooks(next: SessionHooks): void {
  hooks = next
}

/** Throw an ApiError for anything but a 2xx answer; give the typed body otherwise. */
export async function unwrap<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  let result: { data?: T; error?: unknown; response: Response }
  try {
    result = await call
  } catch (error) {
    if (error instanceof ApiError) throw error
    throw networkError()
  }
  const { data, error, response } = result
  if (!response.ok) {
    const retryAfter = Number.parseInt(response.headers.get('Retry-After') ?? '', 10)
    throw new ApiError(toProblem(response.status, error), Number.isFinite(retryAfter) ? retryAfter : null)
  }
  return data as T
}

/** OAuth2 endpoints take form bodies (RFC 6749); empty fields are left out. */
export function formBody(body: Record<string, string | null | undefined> | undefined): string {
  const params = new URLSearchParams()
  for (const [key, value] of Object.entries(body ?? {})) {
    if (value !== null && value !== undefined && value !== '') params.set(key, value)
  }
  return params.toString()
}

const FORM_HEADERS = { 'Content-Type': 'application/x-www-form-urlencoded' }

/** Log in; the refresh token comes back as an HttpOnly cookie, out of this script's reach. */
export function passwordGrant(username: string, password: string): Promise<TokenResponse> {
  return unwrap(
    api.POST(TOKEN_PATH, {
      body: { grant_type: 'password', username, password, refresh_token_delivery: 'cookie' },
      bodySerializer: formBody,
      headers: FORM_HEADERS,
    }),
  )
}

/** The browser sends the refresh cookie itself; the answer sets the next one. */
function refreshGrant(): Promise<TokenResponse> {
  return unwrap(
    api.POST(TOKEN_PATH, {
      body: { grant_type: 'refresh_token', refresh_token_delivery: 'cookie' },
      bodySerializer: formBody,
      headers: FORM_HEADERS,
    }),
  )
}

/** Log out: the server ends the session of the token given and of the refresh cookie, and clears the cookie. */
export async function revokeToken(token: string | null): Promise<void> {
  await unwrap(api.POST(REVOKE_PATH, { body: { token }, bodySerializer: formBody, headers: FORM_HEADERS }))
}

/** One refresh at a time across this browser's tabs: they share the refresh cookie, and it works once. */
async function acrossTabs(task: () => Promise<TokenResponse>): Promise<TokenResponse> {
  const locks = typeof navigator === 'undefined' ? undefined : navigator.locks
  return locks ? await locks.request('qinghu-refresh', task) : await task()
}

let refreshTimer: ReturnType<typeof setTimeout> | undefined

export function cancelRefreshTimer(): void {
  if (refreshTimer !== undefined) clearTimeout(refreshTimer)
  refreshTimer = undefined
}

/** Renew the access token shortly before it expires, even when the person is only reading a page. */
export function scheduleRefresh(): void {
  cancelRefreshTimer()
  if (!hasSession()) return
  refreshTimer = setTimeout(() => {
    refreshAccessToken()
      .then((ok) => {
        if (!ok) hooks.onExpired()
      })
      .catch(() => {
        // offline: try again in a while; the next request also refreshes first
        refreshTimer = setTimeout(scheduleRefresh, 15_000)
      })
  }, msUntilRefresh())
}

let refreshing: Promise<boolean> | null = null

/**
 * Trade the refresh cookie for a new access token (and cookie), once at a time: a refresh token works only
 * once, so two parallel refreshes would end the session. Resolves false when the server refuses (the session is over); rejects
 * when the server could not be reached (the session may still be alive).
 */
export function refreshAccessToken(): Promise<boolean> {
  refreshing ??= (async () => {
    if (!hasSession()) return false
    try {
      if (!renewTokens(await acrossTabs(refreshGrant))) return false
    } catch (error) {
      if (error instanceof ApiError && error.status !== 0) {
        clearTokens()
        return false
      }
      throw error
    }
    scheduleRefresh()
    return true
  })().finally(() => {
    refreshing = null
  })
  return refreshing
}

function isAuthEndpoint(url: string): boolean {
  const { pathname } = new URL(url, 'http://localhost')
  return pathname === TOKEN_PATH || pathname === REVOKE_PATH
}

// A copy of each outgoing request, so it can be sent again after a refresh on 401.
const replayable = new Map<string, Request>()

function withToken(request: Request): Request {
  const token = getAccessToken()
  if (token) request.headers.set('Authorization', `Bearer ${token}`)
  return request
}

export const authMiddleware: Middleware = {
  async onRequest({ request, id }) {
    if (isAuthEndpoint(request.url)) return request
    if (needsRefresh()) {
      try {
        await refreshAccessToken()
      } catch {
        // unreachable server: the request itself will report it
      }
    }
    withToken(request)
    replayable.set(id, request.clone())
    return request
  },
  async onResponse({ response, id }) {
    const original = replayable.get(id)
    replayable.delete(id)
    if (response.status === 403) {
      const body: unknown = await response
        .clone()
        .json()
        .catch(() => null)
      const problem = toProblem(403, body)
      if (problemSlug(problem.type) === 'password-change-required') hooks.onPasswordChangeRequired()
      return response
    }
    if (response.status !== 401 || !original) return response
    let renewed = false
    try {
      renewed = await refreshAccessToken()
    } catch {
      return response
    }
    if (!renewed) {
      hooks.onExpired()
      return response
    }
    return globalThis.fetch(withToken(original))
  },
  onError({ id }) {
    replayable.delete(id)
  },
}

/**
 * The server writes its problems' texts (title, detail, field messages) in the language asked for: the
 * interface's, so a message the web app has no words of its own for still reads in the person's language.
 */
export function acceptLanguage(): string {
  return currentLocale() === 'en' ? 'en' : 'zh-CN'
}

export const languageMiddleware: Middleware = {
  onRequest({ request }) {
    request.headers.set('Accept-Language', acceptLanguage())
    return request
  },
}

api.use(languageMiddleware)
api.use(authMiddleware)

/** The If-Match value for a resource read at `version` (the API's ETag is the quoted version). */
export function ifMatch(version: number): string {
  return `"${version}"`
}

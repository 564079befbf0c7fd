import { beforeEach, describe, expect, it } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import { cancelRefreshTimer, setSessionHooks } from '@/api/client'
import { clearTokens, getAccessToken, hasSession, storeTokens } from '@/api/tokens'
import { ApiError } from '@/api/problem'
import { useSessionStore } from '@/stores/session'
import { ME, mockFetch, problem, tokenReply } from './helpers'

/** An access token shaped like the server's (only its `sub` claim is read by the web app). */
function jwtFor(sub: string): string {
  const part = (value: object) => btoa(JSON.stringify(value)).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_')
  return `${part({ alg: 'HS256' })}.${part({ sub, exp: 2_000_000_000 })}.signature`
}

describe('session store', () => {
  beforeEach(() => {
    setActivePinia(createPinia())
    clearTokens()
    cancelRefreshTimer()
    sessionStorage.clear()
    setSessionHooks({ onExpired: () => undefined, onPasswordChangeRequired: () => undefined })
  })

  it('logs in with the password grant as a form, keeps the access token in memory and the refresh token out of reach', async () => {
    const seen = mockFetch({ 'POST /api/v1/auth/token': tokenReply(), 'GET /api/v1/me': { status: 200, body: ME } })
    const session = useSessionStore()
    await session.login('jinhu_worker', 'Qinghu-Demo-2026')
    cancelRefreshTimer()

    const grant = seen[0]
    expect(grant?.headers.get('Content-Type')).toBe('application/x-www-form-urlencoded')
    expect(new URLSearchParams(grant?.body).get('grant_type')).toBe('password')
    expect(new URLSearchParams(grant?.body).get('username')).toBe('jinhu_worker')
    expect(new URLSearchParams(grant?.body).get('refresh_token_delivery')).toBe('cookie')
    expect(seen[1]?.headers.get('Authorization')).toBe('Bearer access-1')
    expect(session.me?.display_name).toBe('李社工')
    expect(session.can('units:read')).toBe(true)
    expect(session.can('users:read')).toBe(false)
    expect(getAccessToken()).toBe('access-1')
    expect(hasSession()).toBe(true)
    // Neither token is stored where a script could read it later (the refresh token lives in an HttpOnly cookie).
    expect(sessionStorage.getItem('qinghu.refresh_token')).toBeNull()
    expect(JSON.stringify({ ...sessionStorage, ...localStorage })).not.toContain('access-1')
    expect(JSON.stringify({ ...sessionStorage, ...localStorage })).not.toContain('refresh-1')
  })

  it('gives the server problem for a wrong password', async () => {
    mockFetch({ 'POST /api/v1/auth/token': problem(400, 'invalid-grant', 'Wrong username or password.') })
    const session = useSessionStore()
    const failure = await session.login('admin', 'nope').catch((error: unknown) => error)
    expect(failure).toBeInstanceOf(ApiError)
    expect((failure as ApiError).slug).toBe('invalid-grant')
    expect((failure as ApiError).problem.detail).toBe('Wrong username or password.')
    expect(session.isAuthenticated).toBe(false)
  })

  it('reports a locked account with its Retry-After', async () => {
    mockFetch({
      'POST /api/v1/auth/token': {
        ...problem(429, 'account-locked', 'Too many failed logins.', { locked_until: '2026-11-23T01:15:00Z' }),
        headers: { 'Retry-After': '600' },
      },
    })
    const failure = (await useSessionStore()
      .login('admin', 'nope')
      .catch((error: unknown) => error)) as ApiError
    expect(failure.slug).toBe('account-locked')
    expect(failure.retryAfter).toBe(600)
    expect(failure.problem.locked_until).toBe('2026-11-23T01:15:00Z')
  })

  it('restores a session after a reload through the refresh cookie', async () => {
    sessionStorage.setItem('qinghu.session', '1')
    const seen = mockFetch({
      'POST /api/v1/auth/token': { status: 200, body: { access_token: 'access-2', token_type: 'Bearer', expires_in: 900, refresh_token: null, scope: '' } },
      'GET /api/v1/me': { status: 200, body: ME },
    })
    const session = useSessionStore()
    await session.restore()
    cancelRefreshTimer()
    const form = new URLSearchParams(seen[0]?.body)
    expect(form.get('grant_type')).toBe('refresh_token')
    expect(form.has('refresh_token')).toBe(false) // the browser sends the cookie
    expect(form.get('refresh_token_delivery')).toBe('cookie')
    expect(seen[1]?.headers.get('Authorization')).toBe('Bearer access-2')
    expect(session.me?.username).toBe('jinhu_worker')
  })

  it('asks nothing after a reload in a tab that never logged in', async () => {
    const seen = mockFetch({})
    const session = useSessionStore()
    await session.restore()
    expect(seen).toEqual([])
    expect(session.isAuthenticated).toBe(false)
  })

  it('restores nothing when the refresh cookie was already used', async () => {
    sessionStorage.setItem('qinghu.session', '1')
    mockFetch({ 'POST /api/v1/auth/token': problem(400, 'invalid-grant', 'The session has ended.') })
    const session = useSessionStore()
    await session.restore()
    expect(session.isAuthenticated).toBe(false)
    expect(hasSession()).toBe(false)
  })

  it('ends the session when a refresh answers for another person (another tab logged in as someone else)', async () => {
    storeTokens({ access_token: jwtFor('user:a'), expires_in: 30, refresh_token: null, scope: '', token_type: 'Bearer' })
    let expired = 0
    setSessionHooks({ onExpired: () => (expired += 1), onPasswordChangeRequired: () => undefined })
    const seen = mockFetch({
      'POST /api/v1/auth/token': tokenReply(jwtFor('user:b'), 'unused'),
      'GET /api/v1/me': problem(401, 'unauthorized'),
    })
    await useSessionStore()
      .loadMe()
      .catch(() => undefined)
    cancelRefreshTimer()
    expect(getAccessToken()).toBeNull()
    expect(hasSession()).toBe(false)
    // The request went out without the other person's token.
    expect(seen.find((request) => request.path === '/api/v1/me')?.headers.get('Authorization')).toBeNull()
    expect(expired).toBe(1)
  })

  it('keeps the session when a refresh answers for the same person', async () => {
    storeTokens({ access_token: jwtFor('user:a'), expires_in: 30, refresh_token: null, scope: '', token_type: 'Bearer' })
    const fresh = jwtFor('user:a').replace('signature', 'fresh')
    const seen = mockFetch({ 'POST /api/v1/auth/token': tokenReply(fresh, 'unused'), 'GET /api/v1/me': { status: 200, body: ME } })
    await useSessionStore().loadMe()
    cancelRefreshTimer()
    expect(seen[1]?.headers.get('Authorization')).toBe(`Bearer ${fresh}`)
  })

  it('refreshes once and retries a request that got a 401', async () => {
    storeTokens({ access_token: 'stale', expires_in: 900, refresh_token: 'refresh-1', scope: '', token_type: 'Bearer' })
    const seen = mockFetch({
      'POST /api/v1/auth/token': tokenReply('fresh', 'refresh-2'),
      'GET /api/v1/me': (request) =>
        request.headers.get('Authorization') === 'Bearer fresh' ? { status: 200, body: ME } : problem(401, 'unauthorized'),
    })
    const me = await useSessionStore().loadMe()
    cancelRefreshTimer()
    expect(me.username).toBe('jinhu_worker')
    expect(seen.map((request) => `${request.method} ${request.path}`)).toEqual([
      'GET /api/v1/me',
      'POST /api/v1/auth/token',
      'GET /api/v1/me',
    ])
  })

  it('refreshes before a request when the access token is about to expire', async () => {
    storeTokens({ access_token: 'dying', expires_in: 30, refresh_token: 'refresh-1', scope: '', token_type: 'Bearer' })
    const seen = mockFetch({ 'POST /api/v1/auth/token': tokenReply('fresh', 'refresh-2'), 'GET /api/v1/me': { status: 200, body: ME } })
    await useSessionStore().loadMe()
    cancelRefreshTimer()
    expect(seen[0]?.path).toBe('/api/v1/auth/token')
    expect(seen[1]?.headers.get('Authorization')).toBe('Bearer fresh')
  })

  it('ends the session when the refresh is refused, and says so', async () => {
    storeTokens({ access_token: 'stale', expires_in: 900, refresh_token: 'reused', scope: '', token_type: 'Bearer' })
    let expired = 0
    setSessionHooks({ onExpired: () => (expired += 1), onPasswordChangeRequired: () => undefined })
    mockFetch({ 'POST /api/v1/auth/token': problem(400, 'invalid-grant'), 'GET /api/v1/me': problem(401, 'unauthorized') })
    const failure = await useSessionStore()
      .loadMe()
      .catch((error: unknown) => error)
    expect((failure as ApiError).status).toBe(401)
    expect(expired).toBe(1)
    expect(hasSession()).toBe(false)
  })

  it('routes to the password change when the server requires it', async () => {
    storeTokens({ access_token: 'ok', expires_in: 900, refresh_token: 'r', scope: '', token_type: 'Bearer' })
    let required = 0
    setSessionHooks({ onExpired: () => undefined, onPasswordChangeRequired: () => (required += 1) })
    mockFetch({ 'GET /api/v1/me': problem(403, 'password-change-required') })
    await useSessionStore()
      .loadMe()
      .catch(() => undefined)
    expect(required).toBe(1)
  })

  it('logs out by revoking the session (the refresh cookie goes along) and forgetting everything', async () => {
    storeTokens({ access_token: 'ok', expires_in: 900, refresh_token: null, scope: '', token_type: 'Bearer' })
    const seen = mockFetch({ 'POST /api/v1/auth/revoke': { status: 200 } })
    const session = useSessionStore()
    session.me = { ...ME, role: 'caseworker', kind: 'user', scopes: ['units:read'], unit: { ...ME.unit, kind: 'township' } }
    await session.logout()
    expect(seen[0]?.path).toBe('/api/v1/auth/revoke')
    expect(new URLSearchParams(seen[0]?.body).get('token')).toBe('ok')
    expect(session.me).toBeNull()
    expect(getAccessToken()).toBeNull()
    expect(hasSession()).toBe(false)
  })
})

import { beforeEach, describe, expect, it } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import { loginQuery, router, safeRedirect } from '@/router'
import { clearTokens } from '@/api/tokens'
import type { Me } from '@/api/types'
import { useSessionStore } from '@/stores/session'
import { mockFetch } from './helpers'

const REFERENCE = { status: 200, body: { enums: {} } }

function person(overrides: Partial<Me> = {}): Me {
  return {
    id: '00000000-0000-0000-0000-000000000001',
    kind: 'user',
    username: 'jinhu_worker',
    display_name: '周社工',
    role: 'caseworker',
    unit: { id: '00000000-0000-0000-0000-0000000000a1', name: '锦湖街道', kind: 'township' },
    scopes: ['units:read'],
    must_change_password: false,
    ...overrides,
  }
}

describe('router guard', () => {
  beforeEach(async () => {
    setActivePinia(createPinia())
    clearTokens()
    sessionStorage.clear()
    mockFetch({ 'GET /api/v1/reference': REFERENCE })
    await router.replace('/login')
  })

  it('sends a stranger to the login page, remembering where they wanted to go', async () => {
    await router.push('/people?role=caseworker')
    expect(router.currentRoute.value.name).toBe('login')
    expect(router.currentRoute.value.query.redirect).toBe('/people?role=caseworker')
  })

  it('lets a person open only the pages their scopes allow', async () => {
    const session = useSessionStore()
    session.restored = true
    session.me = person()
    await router.push('/units')
    expect(router.currentRoute.value.name).toBe('units')
    await router.push('/people')
    expect(router.currentRoute.value.name).toBe('home')
    await router.push('/clients')
    expect(router.currentRoute.value.name).toBe('home')
  })

  it('holds a person with a reset password on the account page', async () => {
    const session = useSessionStore()
    session.restored = true
    session.me = person({ must_change_password: true })
    await router.push('/units')
    expect(router.currentRoute.value.name).toBe('account')
    expect(router.currentRoute.value.query.redirect).toBe('/units')
  })

  it('shows the not-found page inside the app for unknown paths', async () => {
    const session = useSessionStore()
    session.restored = true
    session.me = person()
    await router.push('/no/such/page')
    expect(router.currentRoute.value.name).toBe('not-found')
  })

  it('only returns to paths inside the app', () => {
    expect(safeRedirect('/units?q=1')).toBe('/units?q=1')
    expect(safeRedirect('//evil.example/x')).toBeNull()
    expect(safeRedirect('https://evil.example')).toBeNull()
    expect(safeRedirect('/login?redirect=/x')).toBeNull()
    expect(safeRedirect(undefined)).toBeNull()
    expect(loginQuery({ fullPath: '/' })).toEqual({})
  })
})

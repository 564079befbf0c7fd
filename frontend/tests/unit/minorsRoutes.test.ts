import { beforeEach, describe, expect, it } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import { appRoutes, router } from '@/router'
import { clearTokens } from '@/api/tokens'
import type { Me, Scope } from '@/api/types'
import { useSessionStore } from '@/stores/session'
import { mockFetch } from './helpers'

function person(scopes: Scope[]): Me {
  return {
    id: '00000000-0000-0000-0000-000000000002',
    kind: 'user',
    username: 'someone',
    display_name: '某人',
    role: 'caseworker',
    unit: { id: '00000000-0000-0000-0000-0000000000a1', name: '锦湖街道', kind: 'township' },
    scopes,
    must_change_password: false,
  }
}

const MINOR = '/minors/0b5c3f4e-0000-4000-8000-000000000001'

describe('the minors and audit pages', () => {
  beforeEach(async () => {
    setActivePinia(createPinia())
    clearTokens()
    mockFetch({ 'GET /api/v1/reference': { status: 200, body: { enums: {} } } })
    await router.replace('/login')
  })

  it('are in the menu under the scope each needs', () => {
    const menu = Object.fromEntries(appRoutes.filter((route) => route.meta?.icon).map((route) => [route.name, route.meta?.scope]))
    expect(menu.minors).toBe('minors:read')
    expect(menu.audit).toBe('audit:read')
  })

  it('open to those with the scope and send the others home', async () => {
    const session = useSessionStore()
    session.restored = true
    session.me = person(['minors:read'])
    await router.push(MINOR)
    expect(router.currentRoute.value.name).toBe('minor')
    await router.push('/minors/new')
    expect(router.currentRoute.value.name).toBe('home')
    await router.push('/audit')
    expect(router.currentRoute.value.name).toBe('home')

    session.me = person(['minors:read', 'minors:write', 'audit:read'])
    await router.push(`${MINOR}/edit`)
    expect(router.currentRoute.value.name).toBe('minor-edit')
    await router.push('/audit')
    expect(router.currentRoute.value.name).toBe('audit')
  })
})

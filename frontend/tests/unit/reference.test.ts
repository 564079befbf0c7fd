import { beforeEach, describe, expect, it } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import { setLocale } from '@/i18n'
import { useReferenceStore } from '@/stores/reference'
import { mockFetch } from './helpers'

const REFERENCE = {
  enums: {
    roles: [
      { code: 'admin', zh: '系统管理员', en: 'System administrator' },
      { code: 'caseworker', zh: '禁毒社工', en: 'Social worker' },
    ],
    risk_levels: [{ code: 'high', zh: '高', en: 'High' }],
  },
}

describe('reference store', () => {
  beforeEach(() => {
    setActivePinia(createPinia())
    setLocale('zh-CN')
  })

  it('serves labels of any enum from the server, in the current language', async () => {
    const seen = mockFetch({ 'GET /api/v1/reference': { status: 200, body: REFERENCE } })
    const reference = useReferenceStore()
    await reference.load()
    await reference.load()
    expect(seen).toHaveLength(1)
    expect(reference.label('roles', 'caseworker')).toBe('禁毒社工')
    expect(reference.label('risk_levels', 'high')).toBe('高')
    setLocale('en')
    expect(reference.label('roles', 'caseworker')).toBe('Social worker')
    expect(reference.options('roles', ['admin'])).toEqual([{ value: 'admin', label: 'System administrator' }])
  })

  it('falls back to the code for an unknown value', async () => {
    mockFetch({ 'GET /api/v1/reference': { status: 200, body: REFERENCE } })
    const reference = useReferenceStore()
    await reference.load()
    expect(reference.label('roles', 'janitor')).toBe('janitor')
    expect(reference.label('nope', 'x')).toBe('x')
    expect(reference.label('roles', null)).toBe('')
  })
})

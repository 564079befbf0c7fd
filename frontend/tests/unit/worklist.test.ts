import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount, RouterLinkStub } from '@vue/test-utils'
import WorklistCard from '@/views/home/WorklistCard.vue'
import { setLocale } from '@/i18n'
import { useSessionStore } from '@/stores/session'
import { ME, mockFetch } from './helpers'
import { appPlugins } from './mount'

const EMPTY = { status: 200, body: { items: [], total: 0, limit: 50, offset: 0 } }

function notice(no: string, overdue: boolean) {
  return {
    id: `id-${no}`,
    notice_no: no,
    person: { name: '张*', id_number: '330381********1231', gender: 'male', age_when_seized: 15 },
    ack_deadline_at: '2026-11-23T16:00:00Z',
    overdue,
    acknowledged_at: null,
  }
}

describe('WorklistCard: new seizure notices', () => {
  beforeEach(() => setLocale('zh-CN'))
  afterEach(() => vi.unstubAllGlobals())

  it('lists unacknowledged notices of my unit, marks the overdue ones and links to the inbox', async () => {
    const seen = mockFetch({
      'GET /api/v1/care-files': EMPTY,
      'GET /api/v1/seizure-notices': (request) =>
        request.search.includes('overdue=true')
          ? { status: 200, body: { items: [notice('A-1', true)], total: 1, limit: 1, offset: 0 } }
          : { status: 200, body: { items: [notice('A-1', true), notice('A-2', false)], total: 2, limit: 5, offset: 0 } },
    })
    const global = appPlugins()
    useSessionStore().me = { ...ME, scopes: ['seizures:read', 'seizures:acknowledge'] } as never
    const card = mount(WorklistCard, { global: { ...global, stubs: { 'router-link': RouterLinkStub } } })
    await flushPromises()
    const tile = card.find('[data-test=worklist-newSeizures]')
    expect(tile.exists()).toBe(true)
    expect(tile.find('[data-test=worklist-count]').text()).toBe('2')
    expect(tile.find('[data-test=worklist-seizures-overdue]').text()).toContain('1')
    const rows = tile.findAll('[data-test=worklist-seizure]')
    expect(rows).toHaveLength(2)
    expect(rows[0]?.find('[data-test=overdue]').exists()).toBe(true)
    expect(rows[1]?.find('[data-test=overdue]').exists()).toBe(false)
    const link = tile.findComponent(RouterLinkStub)
    expect(link.props('to')).toEqual({ name: 'seizures', query: { view: 'waiting' } })
    const asked = seen.filter((request) => request.path === '/api/v1/seizure-notices').map((request) => request.search)
    expect(asked.some((search) => search.includes('acknowledged=false'))).toBe(true)
  })

  it('has no tile for a user who cannot acknowledge notices', async () => {
    const seen = mockFetch({ 'GET /api/v1/care-files': EMPTY })
    const global = appPlugins()
    useSessionStore().me = { ...ME, scopes: ['care_files:read'] } as never
    const card = mount(WorklistCard, { global: { ...global, stubs: { 'router-link': RouterLinkStub } } })
    await flushPromises()
    expect(card.find('[data-test=worklist-newSeizures]').exists()).toBe(false)
    expect(seen.some((request) => request.path === '/api/v1/seizure-notices')).toBe(false)
  })
})

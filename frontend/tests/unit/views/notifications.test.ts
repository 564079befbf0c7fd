// My notifications: listed newest first with the unread marked, opening one marks it read and follows its link,
// 全部标为已读 marks them all, and an empty list says so.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises } from '@vue/test-utils'
import type { NotificationRead } from '@/api/types'
import { setLocale } from '@/i18n'
import NotificationsView from '@/views/notifications/NotificationsView.vue'
import { mockFetch } from '../helpers'
import { mountPage } from './page'

const ASSIGNED: NotificationRead = {
  id: '0c5c3f4e-0000-4000-8000-00000000aa01',
  kind: 'care_file.assigned',
  title: '您被指派为帮教档案的主责社工',
  body: '林站长指派您为欧阳**的帮教档案的主责社工，请及时查看帮教计划。',
  link: '/care-files/0c5c3f4e-0000-4000-8000-0000000000f1',
  digest_day: null,
  created_at: '2026-12-01T02:00:00Z',
  read_at: null,
}
const DIGEST: NotificationRead = {
  id: '0c5c3f4e-0000-4000-8000-00000000aa02',
  kind: 'digest',
  title: '12月1日待办摘要（1类事项）',
  body: '· 明日到期的回访：1项（/care-files?due=due_soon&mine=true）',
  link: '/',
  digest_day: '2026-12-01',
  created_at: '2026-11-30T23:30:00Z',
  read_at: '2026-12-01T01:00:00Z',
}

function text(): string {
  return document.body.textContent ?? ''
}

describe('notifications', () => {
  beforeEach(() => setLocale('zh-CN'))
  afterEach(() => {
    document.body.innerHTML = ''
    vi.unstubAllGlobals()
  })

  it('lists them, marks all read, opens one (marked read, its link followed)', async () => {
    const seen = mockFetch({
      'GET /api/v1/me/notifications': { status: 200, body: { items: [ASSIGNED, DIGEST], total: 2, limit: 20, offset: 0 } },
      'GET /api/v1/me/notifications/unread-count': { status: 200, body: { unread: 1 } },
      [`POST /api/v1/me/notifications/${ASSIGNED.id}/read`]: {
        status: 200,
        body: { ...ASSIGNED, read_at: '2026-12-01T03:00:00Z' },
      },
      'POST /api/v1/me/notifications/read-all': { status: 200, body: { marked: 1 } },
    })
    const wrapper = await mountPage(NotificationsView, '/notifications')
    await flushPromises()
    expect(text()).toContain('您被指派为帮教档案的主责社工')
    expect(text()).toContain('欧阳**')
    expect(text()).toContain('每日摘要')
    expect(wrapper.findAll('.item.unread')).toHaveLength(1)
    expect(wrapper.find('[data-test="read-all"]').attributes('disabled')).toBeUndefined()
    await wrapper.find('[data-test="read-all"]').trigger('click')
    await flushPromises()
    expect(seen.some((r) => r.method === 'POST' && r.path === '/api/v1/me/notifications/read-all')).toBe(true)

    await wrapper.find(`[data-test="notification-${ASSIGNED.id}"]`).trigger('click')
    await flushPromises()
    expect(seen.some((r) => r.method === 'POST' && r.path === `/api/v1/me/notifications/${ASSIGNED.id}/read`)).toBe(true)
    expect(wrapper.vm.$router.currentRoute.value.path).toBe('/care-files/0c5c3f4e-0000-4000-8000-0000000000f1')
    // Nothing unread any more: the button has nothing to do.
    expect(wrapper.find('[data-test="read-all"]').attributes('disabled')).toBeDefined()

  })

  it('asks for the unread only and says when there are none', async () => {
    const seen = mockFetch({
      'GET /api/v1/me/notifications': { status: 200, body: { items: [], total: 0, limit: 20, offset: 0 } },
      'GET /api/v1/me/notifications/unread-count': { status: 200, body: { unread: 0 } },
    })
    const wrapper = await mountPage(NotificationsView, '/notifications')
    await flushPromises()
    expect(text()).toContain('暂无通知')
    await wrapper.find('[data-test="unread-only"]').trigger('click')
    await flushPromises()
    expect(text()).toContain('没有未读通知')
    const lists = seen.filter((r) => r.path === '/api/v1/me/notifications')
    expect(lists.at(-1)?.search).toContain('unread=true')
  })
})

// Care files in their states: loading, empty, an error said in Chinese, and the minor shown as masked.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises } from '@vue/test-utils'
import type { CareFileRead } from '@/api/types'
import { setLocale } from '@/i18n'
import CareFilesView from '@/views/care/CareFilesView.vue'
import CareFileView from '@/views/care/CareFileView.vue'
import { mockFetch, problem } from '../helpers'
import { errorState, failures, FULL_ID_NUMBER, maskedMinor, mountPage, never, page } from './page'

const UNIT = { id: '00000000-0000-0000-0000-0000000000a1', name: '锦湖街道', kind: 'township' }
const FILE_ID = '0c5c3f4e-0000-4000-8000-0000000000f1'

function careFile(overrides: Partial<CareFileRead> = {}): CareFileRead {
  return {
    id: FILE_ID,
    version: 1,
    minor: maskedMinor(),
    managing_unit: UNIT,
    status: 'open',
    trigger: 'manual',
    opened_at: '2026-11-01T02:00:00Z',
    reopened_count: 0,
    lead_worker: { id: '00000000-0000-0000-0000-000000000001', name: '周社工' },
    team: [],
    plan: { goals: null, measures: null, interval_days: 14 },
    last_contact_on: '2026-11-20',
    next_due_on: '2026-12-04',
    due_state: 'due_soon',
    failed_attempts: 0,
    alert: null,
    closure: null,
    closed_at: null,
    pending_transfer_id: null,
    // What the server lets a social worker of the unit record: every kind.
    recordable_kinds: ['talk', 'home_visit', 'education', 'urine_test', 'family_contact', 'school_contact', 'referral', 'note'],
    created_at: '2026-11-01T02:00:00Z',
    updated_at: '2026-11-20T02:00:00Z',
    ...overrides,
  } as CareFileRead
}

const FAILURES = failures('care_files:read')
// The minor as the API masks them on a care file: name and number cut, nothing more in the answer.
const MASKED = maskedMinor({ name: '张*', id_number: '330381********7797' })

function text(): string {
  return document.body.textContent ?? ''
}

describe('care files', () => {
  beforeEach(() => setLocale('zh-CN'))
  afterEach(() => {
    document.body.innerHTML = ''
    vi.unstubAllGlobals()
  })

  it('care files: loading without "no data", then empty, then a failure in Chinese', async () => {
    vi.stubGlobal('fetch', vi.fn(never))
    const loading = await mountPage(CareFilesView, '/care-files')
    await flushPromises()
    expect(loading.find('.el-loading-mask').exists()).toBe(true)
    expect(loading.find('[data-test=table-empty]').exists()).toBe(false)
    loading.unmount()
    vi.unstubAllGlobals()

    mockFetch({ 'GET /api/v1/care-files': page([]) })
    const empty = await mountPage(CareFilesView, '/care-files')
    await flushPromises()
    expect(empty.find('[data-test=table-empty]').text()).toContain('暂无数据')
    empty.unmount()
    vi.unstubAllGlobals()

    vi.stubGlobal('fetch', vi.fn(() => Promise.reject(new TypeError('Failed to fetch'))))
    const failed = await mountPage(CareFilesView, '/care-files')
    await flushPromises()
    expect(failed.find('[data-test=error-state]').text()).toContain('无法连接服务器，请检查网络后重试')
    failed.unmount()
  })

  it('care files: the minor as masked by the API, with age', async () => {
    mockFetch({ 'GET /api/v1/care-files': page([careFile()]) })
    const wrapper = await mountPage(CareFilesView, '/care-files')
    await flushPromises()
    expect(wrapper.find('[data-test=care-file-link]').text()).toBe('张** · 15岁')
    wrapper.unmount()
  })

  it('a care file: masked minor, an empty team said so, the next-due rule, no closure while a transfer waits', async () => {
    mockFetch({
      [`GET /api/v1/care-files/${FILE_ID}`]: { status: 200, body: careFile({ pending_transfer_id: '0e5c3f4e-0000-4000-8000-000000000001' }) },
      [`GET /api/v1/care-files/${FILE_ID}/entries`]: page([
          {
            id: '0f5c3f4e-0000-4000-8000-000000000001',
            care_file_id: FILE_ID,
            kind: 'urine_test',
            occurred_at: '2026-11-20T02:00:00Z',
            actor: '周社工',
            contact_succeeded: true,
            recorded_at: '2026-11-20T02:00:00Z',
            hidden_fields: ['summary', 'urine_result'],
          },
        ]),
    })
    const wrapper = await mountPage(CareFileView, `/care-files/${FILE_ID}`, {
      scopes: ['care_files:read', 'care_files:write', 'transfers:write'],
    })
    await flushPromises()
    expect(wrapper.find('[data-test=care-file-title]').text()).toContain('张** · 15岁')
    expect(wrapper.find('[data-test=team-empty]').text()).toBe('未组建')
    expect(wrapper.find('[data-test=next-due-rule]').text()).toContain('14 天')
    expect(wrapper.find('[data-test=request-closure]').exists()).toBe(false)
    expect(wrapper.find('[data-test=timeline]').text()).toContain('（内容不可见）')
    wrapper.unmount()
  })

  it('a care file out of reach is said in Chinese; it waits while loading', async () => {
    vi.stubGlobal('fetch', vi.fn(never))
    const loading = await mountPage(CareFileView, `/care-files/${FILE_ID}`)
    await flushPromises()
    expect(loading.find('.el-loading-mask').exists()).toBe(true)
    expect(loading.find('[data-test=care-file-title]').exists()).toBe(false)
    expect(loading.find('[data-test=error-state]').exists()).toBe(false)
    loading.unmount()
    vi.unstubAllGlobals()

    mockFetch({
      [`GET /api/v1/care-files/${FILE_ID}`]: problem(404, 'not-found', 'No such care file.'),
      [`GET /api/v1/care-files/${FILE_ID}/entries`]: problem(404, 'not-found', 'No such care file.'),
    })
    const missing = await mountPage(CareFileView, `/care-files/${FILE_ID}`)
    await flushPromises()
    expect(missing.find('[data-test=error-state]').text()).toContain('记录不存在或不在您的辖区内')
    missing.unmount()
  })

  it.each(FAILURES)('care files: a $status answer is said in Chinese', async ({ answer, message }) => {
    mockFetch({ 'GET /api/v1/care-files': answer })
    const wrapper = await mountPage(CareFilesView, '/care-files')
    await flushPromises()
    expect(errorState(wrapper)).toEqual({ title: '数据加载失败', message, button: '重试' })
    expect(wrapper.find('[data-test=table-empty]').exists()).toBe(false)
    wrapper.unmount()
  })

  it('care files: a masked minor shows only as masked', async () => {
    const seen = mockFetch({ 'GET /api/v1/care-files': page([careFile({ minor: MASKED })]) })
    const wrapper = await mountPage(CareFilesView, '/care-files')
    await flushPromises()
    expect(wrapper.find('[data-test=care-file-link]').text()).toBe('张* · 15岁')
    expect(text()).not.toMatch(FULL_ID_NUMBER)
    expect(seen.map((request) => `${request.method} ${request.path}`)).toEqual(['GET /api/v1/care-files'])
    wrapper.unmount()
  })

  it.each(FAILURES)('a care file: a $status answer is said in Chinese', async ({ answer, message }) => {
    mockFetch({ [`GET /api/v1/care-files/${FILE_ID}`]: answer, [`GET /api/v1/care-files/${FILE_ID}/entries`]: answer })
    const wrapper = await mountPage(CareFileView, `/care-files/${FILE_ID}`)
    await flushPromises()
    expect(errorState(wrapper)).toEqual({ title: '加载失败', message, button: '重试' })
    expect(wrapper.find('[data-test=care-file-title]').exists()).toBe(false)
    wrapper.unmount()
  })

  it('a care file: no entries yet says 暂无数据; the masked minor is marked 已脱敏', async () => {
    mockFetch({
      [`GET /api/v1/care-files/${FILE_ID}`]: { status: 200, body: careFile({ minor: MASKED, last_contact_on: null }) },
      [`GET /api/v1/care-files/${FILE_ID}/entries`]: page([]),
    })
    const wrapper = await mountPage(CareFileView, `/care-files/${FILE_ID}`)
    await flushPromises()
    expect(wrapper.find('[data-test=timeline-empty]').text()).toBe('暂无数据')
    expect(wrapper.find('[data-test=timeline]').exists()).toBe(false)
    expect(wrapper.find('[data-test=last-contact]').text()).toBe('从未')
    const title = wrapper.find('[data-test=care-file-title]')
    expect(title.text()).toContain('张* · 15岁')
    expect(title.find('[data-test=masked-tag]').text()).toBe('已脱敏')
    expect(text()).not.toMatch(FULL_ID_NUMBER)
    wrapper.unmount()
  })
})

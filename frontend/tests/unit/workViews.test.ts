// Care files, seizure notices and statistics in their states: loading, empty, an error said in Chinese, and
// masked values shown as masked.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises } from '@vue/test-utils'
import type { CareFileRead, SeizureNoticeRead } from '@/api/types'
import { setLocale } from '@/i18n'
import CareFilesView from '@/views/care/CareFilesView.vue'
import CareFileView from '@/views/care/CareFileView.vue'
import SeizureNoticesView from '@/views/seizures/SeizureNoticesView.vue'
import SeizureNoticeView from '@/views/seizures/SeizureNoticeView.vue'
import StatisticsView from '@/views/stats/StatisticsView.vue'
import { mockFetch, problem } from './helpers'
import { maskedMinor, mountPage, never, page } from './views'

const UNIT = { id: '00000000-0000-0000-0000-0000000000a1', name: '锦湖街道', kind: 'township' }
const FILE_ID = '0c5c3f4e-0000-4000-8000-0000000000f1'
const NOTICE_ID = '0d5c3f4e-0000-4000-8000-0000000000d1'

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
    created_at: '2026-11-01T02:00:00Z',
    updated_at: '2026-11-20T02:00:00Z',
    ...overrides,
  } as CareFileRead
}

function notice(overrides: Partial<SeizureNoticeRead> = {}): SeizureNoticeRead {
  return {
    id: NOTICE_ID,
    notice_no: 'JHPCS-0001',
    received_at: '2026-11-30T02:00:00Z',
    routing: { status: 'routed', reason: 'residence', unit: UNIT, place: null },
    minor_id: maskedMinor().id,
    acknowledged_at: null,
    seized_at: '2026-11-30T01:00:00Z',
    person: { name: '陈**', id_number: '330381********1357', gender: 'male', age_when_seized: 15 },
    reporting_unit: { id: '00000000-0000-0000-0000-0000000000b2', name: '锦湖派出所', kind: 'police_station' },
    ack_deadline_at: '2026-12-01T02:00:00Z',
    overdue: true,
    acknowledged_by: null,
    followup: { status: 'care_file_open', file_open: true, last_contact_on: null },
    masked_fields: ['person'],
    hidden_fields: [],
    place: '锦湖街道某KTV',
    substances: ['etomidate'],
    test_result: 'positive',
    measures: ['admonition'],
    summary: '当场查获',
    ...overrides,
  } as SeizureNoticeRead
}

function text(): string {
  return document.body.textContent ?? ''
}

describe('care files, seizure notices and statistics', () => {
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

  it('seizure notices: empty, a failure in Chinese, and the person masked', async () => {
    mockFetch({ 'GET /api/v1/seizure-notices': page([]) })
    const empty = await mountPage(SeizureNoticesView, '/seizures')
    await flushPromises()
    expect(empty.find('[data-test=table-empty]').text()).toContain('暂无数据')
    empty.unmount()
    vi.unstubAllGlobals()

    mockFetch({ 'GET /api/v1/seizure-notices': { status: 500, body: { type: 'about:blank', title: 'Internal Server Error', status: 500 } } })
    const failed = await mountPage(SeizureNoticesView, '/seizures')
    await flushPromises()
    expect(failed.find('[data-test=error-state]').text()).toContain('数据加载失败')
    failed.unmount()
    vi.unstubAllGlobals()

    mockFetch({ 'GET /api/v1/seizure-notices': page([notice()]) })
    const listed = await mountPage(SeizureNoticesView, '/seizures', { scopes: ['seizures:read', 'seizures:acknowledge'] })
    await flushPromises()
    const row = listed.find('.el-table__row')
    expect(row.text()).toContain('陈**')
    expect(row.text()).toContain('330381********1357')
    expect(row.find('[data-test=overdue]').exists()).toBe(true)
    expect(listed.find('[data-test=seizure-link]').text()).toBe('JHPCS-0001')
    listed.unmount()
  })

  it('a seizure notice: loading, masked person, hidden facts said as hidden, an error in Chinese', async () => {
    vi.stubGlobal('fetch', vi.fn(never))
    const loading = await mountPage(SeizureNoticeView, `/seizures/${NOTICE_ID}`)
    await flushPromises()
    expect(loading.find('.el-loading-mask').exists()).toBe(true)
    loading.unmount()
    vi.unstubAllGlobals()

    mockFetch({
      [`GET /api/v1/seizure-notices/${NOTICE_ID}`]: {
        status: 200,
        body: notice({ place: null, substances: null, test_result: null, measures: null, summary: null, hidden_fields: ['place', 'substances', 'test_result', 'measures', 'summary'] }),
      },
    })
    const shown = await mountPage(SeizureNoticeView, `/seizures/${NOTICE_ID}`)
    await flushPromises()
    const person = shown.find('[data-test=seizure-person]')
    expect(person.find('[data-field=id_number]').text()).toBe('330381********1357')
    expect(person.find('[data-test=masked-tag]').text()).toBe('已脱敏')
    expect(shown.find('[data-test=seizure-handling]').text()).toContain('（无权查看）')
    expect(shown.find('[data-test=seizure-facts]').text()).toContain('（无权查看）')
    expect(text()).not.toContain('KTV')
    shown.unmount()
    vi.unstubAllGlobals()

    mockFetch({ [`GET /api/v1/seizure-notices/${NOTICE_ID}`]: problem(404, 'not-found', 'No such notice.') })
    const missing = await mountPage(SeizureNoticeView, `/seizures/${NOTICE_ID}`)
    await flushPromises()
    expect(missing.find('[data-test=error-state]').text()).toContain('记录不存在或不在您的辖区内')
    missing.unmount()
  })

  it('statistics: suppressed counts as a star, an empty term, and a failure in Chinese', async () => {
    const report = (items: unknown[]) => ({
      status: 200,
      body: {
        term: '2026-fall',
        term_label: '2026年秋季学期',
        unit: UNIT,
        categories: ['left_behind'],
        suppression_threshold: 4,
        at_risk_as_of: '2026-12-01',
        lesson_hours_target_per_school_year: 4,
        items,
        totals: null,
      },
    })
    const school = {
      school: { id: '00000000-0000-0000-0000-0000000000c1', name: '瑞安市锦湖中学', kind: 'school' },
      parent: null,
      metrics: null,
      registration_rate: null,
      completion_rate: null,
      school_year_lesson_hours: null,
      lesson_hours_target_met: null,
      at_risk: { total: { value: null, suppressed: true }, by_category: { left_behind: { value: null, suppressed: true } } },
    }
    mockFetch({ 'GET /api/v1/stats/schools': report([school]), 'GET /api/v1/stats/regions': report([]) })
    const shown = await mountPage(StatisticsView, '/statistics', { scopes: ['stats:read'], role: 'education' })
    await flushPromises()
    const table = shown.find('[data-test=school-table]')
    expect(table.text()).toContain('瑞安市锦湖中学')
    expect(table.findAll('[data-test=suppressed-cell]').length).toBeGreaterThanOrEqual(1)
    expect(table.text()).toContain('未报送')
    // no school has a township in view: no empty 所属乡镇 column
    expect(table.text()).not.toContain('所属乡镇')
    shown.unmount()
    vi.unstubAllGlobals()

    mockFetch({ 'GET /api/v1/stats/schools': report([]), 'GET /api/v1/stats/regions': report([]) })
    const empty = await mountPage(StatisticsView, '/statistics', { scopes: ['stats:read'] })
    await flushPromises()
    expect(empty.find('[data-test=table-empty]').text()).toContain('暂无数据')
    empty.unmount()
    vi.unstubAllGlobals()

    vi.stubGlobal('fetch', vi.fn(() => Promise.reject(new TypeError('Failed to fetch'))))
    const failed = await mountPage(StatisticsView, '/statistics', { scopes: ['stats:read'] })
    await flushPromises()
    expect(failed.find('[data-test=error-state]').text()).toContain('无法连接服务器')
    failed.unmount()
  })
})

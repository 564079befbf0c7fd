// Seizure notices in their states: loading, empty, an error said in Chinese, and the person masked for every reader.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises } from '@vue/test-utils'
import type { SeizureNoticeRead } from '@/api/types'
import { setLocale } from '@/i18n'
import SeizureNoticesView from '@/views/seizures/SeizureNoticesView.vue'
import SeizureDailyReportView from '@/views/seizures/SeizureDailyReportView.vue'
import SeizureNoticeView from '@/views/seizures/SeizureNoticeView.vue'
import { mockFetch, problem } from '../helpers'
import { errorState, failures, FULL_ID_NUMBER, maskedMinor, mountPage, never, page } from './page'

const UNIT = { id: '00000000-0000-0000-0000-0000000000a1', name: '锦湖街道', kind: 'township' }
const NOTICE_ID = '0d5c3f4e-0000-4000-8000-0000000000d1'

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

const FAILURES = failures('seizures:read')
// The person as every reader sees them on a notice: masked by the API, nothing more in the answer.
const MASKED_PERSON = { name: '张*', id_number: '330381********7797', gender: 'male', age_when_seized: 14 } as const

function dailyReport(items: SeizureNoticeRead[]) {
  return {
    status: 200,
    body: {
      day: '2026-12-01',
      unit: UNIT,
      total: items.length,
      routed_out: 0,
      acknowledged: 0,
      overdue: items.filter((item) => item.overdue).length,
      items,
    },
  }
}

function text(): string {
  return document.body.textContent ?? ''
}

describe('seizure notices', () => {
  beforeEach(() => setLocale('zh-CN'))
  afterEach(() => {
    document.body.innerHTML = ''
    vi.unstubAllGlobals()
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

  it('seizure notices: loading shows the mask and no "no data"', async () => {
    vi.stubGlobal('fetch', vi.fn(never))
    const wrapper = await mountPage(SeizureNoticesView, '/seizures')
    await flushPromises()
    expect(wrapper.find('.el-loading-mask').exists()).toBe(true)
    expect(wrapper.find('[data-test=table-empty]').exists()).toBe(false)
    wrapper.unmount()
  })

  it.each(FAILURES)('seizure notices: a $status answer is said in Chinese', async ({ answer, message }) => {
    mockFetch({ 'GET /api/v1/seizure-notices': answer })
    const wrapper = await mountPage(SeizureNoticesView, '/seizures')
    await flushPromises()
    expect(errorState(wrapper)).toEqual({ title: '数据加载失败', message, button: '重试' })
    wrapper.unmount()
  })

  it('seizure notices: the person only as masked', async () => {
    mockFetch({ 'GET /api/v1/seizure-notices': page([notice({ person: MASKED_PERSON })]) })
    const wrapper = await mountPage(SeizureNoticesView, '/seizures')
    await flushPromises()
    const row = wrapper.find('.el-table__row')
    expect(row.text()).toContain('张*')
    expect(row.text()).toContain('330381********7797')
    expect(text()).not.toMatch(FULL_ID_NUMBER)
    wrapper.unmount()
  })

  it.each(FAILURES)('a seizure notice: a $status answer is said in Chinese', async ({ answer, message }) => {
    mockFetch({ [`GET /api/v1/seizure-notices/${NOTICE_ID}`]: answer })
    const wrapper = await mountPage(SeizureNoticeView, `/seizures/${NOTICE_ID}`)
    await flushPromises()
    expect(errorState(wrapper)).toEqual({ title: '加载失败', message, button: '重试' })
    expect(wrapper.find('[data-test=seizure-person]').exists()).toBe(false)
    wrapper.unmount()
  })

  it('a seizure notice: name and number each marked 已脱敏, and where the full identity may be seen', async () => {
    mockFetch({ [`GET /api/v1/seizure-notices/${NOTICE_ID}`]: { status: 200, body: notice({ person: MASKED_PERSON }) } })
    const wrapper = await mountPage(SeizureNoticeView, `/seizures/${NOTICE_ID}`)
    await flushPromises()
    const person = wrapper.find('[data-test=seizure-person]')
    expect(person.find('[data-field=id_number]').text()).toBe('330381********7797')
    expect(person.text()).toContain('张*')
    expect(person.findAll('.el-tag').map((tag) => tag.text())).toEqual(['已脱敏', '已脱敏'])
    expect(wrapper.text()).toContain('当事人信息对所有人脱敏显示；如工作需要，可在其重点未成年人档案中说明事由后查看完整信息。')
    expect(text()).not.toMatch(FULL_ID_NUMBER)
    wrapper.unmount()
  })

  it('daily report: loading, then a day without notices says 暂无数据 under a zero summary', async () => {
    vi.stubGlobal('fetch', vi.fn(never))
    const loading = await mountPage(SeizureDailyReportView, '/seizures/daily-report', { scopes: ['seizures:read'] })
    await flushPromises()
    expect(loading.find('.el-loading-mask').exists()).toBe(true)
    expect(loading.find('[data-test=report-table]').exists()).toBe(false)
    loading.unmount()
    vi.unstubAllGlobals()

    mockFetch({ 'GET /api/v1/seizure-notices/daily-report': dailyReport([]) })
    const empty = await mountPage(SeizureDailyReportView, '/seizures/daily-report', { scopes: ['seizures:read'] })
    await flushPromises()
    expect(empty.find('.report-title').text()).toBe('锦湖街道 未成年人吸毒查获情况日报（2026-12-01）')
    expect(empty.find('[data-test=report-summary]').text()).toBe('共 0 人次；转外地 0；已签收 0；逾期未签收 0')
    expect(empty.find('[data-test=report-table] .el-table__empty-text').text()).toBe('暂无数据')
    empty.unmount()
  })

  it.each(FAILURES)('daily report: a $status answer is said in Chinese', async ({ answer, message }) => {
    mockFetch({ 'GET /api/v1/seizure-notices/daily-report': answer })
    const wrapper = await mountPage(SeizureDailyReportView, '/seizures/daily-report', { scopes: ['seizures:read'] })
    await flushPromises()
    expect(errorState(wrapper)).toEqual({ title: '加载失败', message, button: '重试' })
    wrapper.unmount()
  })

  it('daily report: each person only as masked, drug-use facts hidden said so', async () => {
    mockFetch({
      'GET /api/v1/seizure-notices/daily-report': dailyReport([notice({ person: MASKED_PERSON, substances: null, hidden_fields: ['substances'] })]),
    })
    const wrapper = await mountPage(SeizureDailyReportView, '/seizures/daily-report', { scopes: ['seizures:read'] })
    await flushPromises()
    const row = wrapper.find('[data-test=report-table] .el-table__row')
    expect(row.text()).toContain('张* 330381********7797')
    expect(row.text()).toContain('（无权查看）')
    expect(wrapper.find('[data-test=report-summary]').text()).toBe('共 1 人次；转外地 0；已签收 0；逾期未签收 1')
    expect(text()).not.toMatch(FULL_ID_NUMBER)
    wrapper.unmount()
  })
})

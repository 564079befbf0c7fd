// The work records' lists: empty, a failure in Chinese, rows with their labels, filters sent to the API, the
// overdue rectification flagged, and the add button only for those who may record that kind.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises } from '@vue/test-utils'
import type { InspectionVisitRead, PublicityActivityRead, ResponsibilityLetterRead } from '@/api/types'
import { setLocale } from '@/i18n'
import ActivitiesView from '@/views/workRecords/ActivitiesView.vue'
import LettersView from '@/views/workRecords/LettersView.vue'
import VisitsView from '@/views/workRecords/VisitsView.vue'
import { mockFetch } from '../helpers'
import { mountPage, page } from './page'

const COUNTY = { id: '00000000-0000-0000-0000-0000000000c1', name: '瑞安市禁毒委员会办公室', kind: 'county_office' }
const JINHU = { id: '00000000-0000-0000-0000-0000000000a1', name: '锦湖街道', kind: 'township' }
const BINJIANG = { id: '00000000-0000-0000-0000-0000000000a2', name: '滨江社区', kind: 'community' }
const STAMP = { version: 1, created_at: '2026-11-01T02:00:00Z', updated_at: '2026-11-01T02:00:00Z', files: [] }
const WRITE = ['work_records:read', 'work_records:write'] as const

function activity(overrides: Partial<PublicityActivityRead> = {}): PublicityActivityRead {
  return {
    id: '0a000000-0000-4000-8000-000000000001',
    unit: BINJIANG,
    kind: 'six_entries',
    held_on: '2026-11-20',
    place: '滨江社区文化礼堂',
    participants: 120,
    materials: 300,
    description: null,
    recorded_by_unit: JINHU,
    can_edit: true,
    ...STAMP,
    ...overrides,
  } as PublicityActivityRead
}

function visit(overrides: Partial<InspectionVisitRead> = {}): InspectionVisitRead {
  return {
    id: '0b000000-0000-4000-8000-000000000001',
    kind: 'unannounced',
    inspecting_unit: COUNTY,
    inspected_unit: JINHU,
    visited_on: '2026-10-20',
    findings: '帮教台账更新不及时',
    rectification: '一周内补齐台账',
    rectify_by: '2026-10-27',
    rectified: false,
    rectified_on: null,
    overdue: true,
    can_mark_rectified: true,
    recorded_by_unit: COUNTY,
    can_edit: false,
    ...STAMP,
    ...overrides,
  } as InspectionVisitRead
}

function letter(overrides: Partial<ResponsibilityLetterRead> = {}): ResponsibilityLetterRead {
  return {
    id: '0c000000-0000-4000-8000-000000000001',
    year: 2026,
    issuer_unit: JINHU,
    signer_unit: BINJIANG,
    signed_on: '2026-02-20',
    note: null,
    recorded_by_unit: JINHU,
    can_edit: true,
    ...STAMP,
    ...overrides,
  } as ResponsibilityLetterRead
}

describe('work records', () => {
  beforeEach(() => setLocale('zh-CN'))
  afterEach(() => {
    document.body.innerHTML = ''
    vi.unstubAllGlobals()
  })

  it('publicity activities: empty, a failure in Chinese, a row with its labels, newest first', async () => {
    mockFetch({ 'GET /api/v1/publicity-activities': page([]) })
    const empty = await mountPage(ActivitiesView, '/publicity-activities', { scopes: [...WRITE] })
    await flushPromises()
    expect(empty.find('h1').text()).toBe('宣传教育活动')
    expect(empty.find('[data-test=table-empty]').text()).toContain('暂无数据')
    empty.unmount()
    vi.unstubAllGlobals()

    mockFetch({ 'GET /api/v1/publicity-activities': { status: 500, body: { type: 'about:blank', title: 'Internal Server Error', status: 500 } } })
    const failed = await mountPage(ActivitiesView, '/publicity-activities', { scopes: [...WRITE] })
    await flushPromises()
    expect(failed.find('[data-test=error-state]').text()).toContain('数据加载失败')
    failed.unmount()
    vi.unstubAllGlobals()

    const seen = mockFetch({ 'GET /api/v1/publicity-activities': page([activity()]) })
    const listed = await mountPage(ActivitiesView, '/publicity-activities', { scopes: [...WRITE] })
    await flushPromises()
    const row = listed.find('.el-table__row')
    expect(row.text()).toContain('禁毒宣传“六进”')
    expect(row.text()).toContain('滨江社区文化礼堂')
    expect(row.text()).toContain('120')
    expect(listed.find('[data-test=activity-add]').text()).toBe('登记活动')
    expect(listed.find('[data-test=activities-export]').text()).toBe('导出 Excel')
    expect(seen.some((request) => request.search.includes('sort=-held_on'))).toBe(true)
    listed.unmount()
  })

  it('a reader without the write scope gets no add button', async () => {
    mockFetch({ 'GET /api/v1/publicity-activities': page([activity({ can_edit: false })]) })
    const read = await mountPage(ActivitiesView, '/publicity-activities', { scopes: ['work_records:read'], role: 'auditor' })
    await flushPromises()
    expect(read.find('[data-test=activity-add]').exists()).toBe(false)
    expect(read.find('[data-test=activity-open]').text()).toBe('查看')
    read.unmount()
  })

  it('inspection visits: the overdue rectification is flagged, the inspected unit reports it, the filter is sent', async () => {
    const seen = mockFetch({ 'GET /api/v1/inspection-visits': page([visit()]) })
    const listed = await mountPage(VisitsView, '/inspection-visits', { scopes: [...WRITE], role: 'supervisor' })
    await flushPromises()
    const row = listed.find('.el-table__row')
    expect(row.text()).toContain('明察暗访')
    expect(row.text()).toContain('瑞安市禁毒委员会办公室')
    expect(row.find('[data-test=visit-overdue]').text()).toBe('逾期未整改')
    expect(listed.find('[data-test=visit-open]').text()).toBe('报告整改')
    const overdue = listed.findAll('[data-test=visits-rectification] label').find((option) => option.text() === '逾期未整改')
    await overdue!.trigger('click')
    await flushPromises()
    expect(seen.some((request) => request.search.includes('overdue=true'))).toBe(true)
    listed.unmount()
  })

  it('a school teacher may read inspections but not record one', async () => {
    mockFetch({ 'GET /api/v1/inspection-visits': page([]) })
    const read = await mountPage(VisitsView, '/inspection-visits', { scopes: [...WRITE], role: 'school_staff' })
    await flushPromises()
    expect(read.find('[data-test=visit-add]').exists()).toBe(false)
    read.unmount()
  })

  it('responsibility letters: who signed with whom, the year filter sent', async () => {
    const seen = mockFetch({ 'GET /api/v1/responsibility-letters': page([letter()]) })
    const listed = await mountPage(LettersView, '/responsibility-letters', { scopes: [...WRITE], role: 'supervisor' })
    await flushPromises()
    const row = listed.find('.el-table__row')
    expect(row.text()).toContain('2026')
    expect(row.text()).toContain('锦湖街道')
    expect(row.text()).toContain('滨江社区')
    expect(listed.find('[data-test=letter-add]').text()).toBe('登记责任书')
    expect(seen.every((request) => !request.search.includes('year='))).toBe(true)
    listed.unmount()
  })
})

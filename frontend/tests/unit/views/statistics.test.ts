// The statistics page in its states: loading, empty, an error said in Chinese, and small counts suppressed.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises } from '@vue/test-utils'
import { setLocale } from '@/i18n'
import StatisticsView from '@/views/stats/StatisticsView.vue'
import { mockFetch } from '../helpers'
import { errorState, failures, mountPage, never } from './page'

const UNIT = { id: '00000000-0000-0000-0000-0000000000a1', name: '锦湖街道', kind: 'township' }

const FAILURES = failures('stats:read')

describe('the statistics page', () => {
  beforeEach(() => setLocale('zh-CN'))
  afterEach(() => {
    document.body.innerHTML = ''
    vi.unstubAllGlobals()
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
    expect(shown.find('[data-test=stats-legend]').text()).toContain('“*”表示已隐藏的小数（阈值 4），人数为 2026-12-01 在册帮教人数')
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

  it('loading shows the mask, no "no data" and no legend yet', async () => {
    vi.stubGlobal('fetch', vi.fn(never))
    const wrapper = await mountPage(StatisticsView, '/statistics', { scopes: ['stats:read'] })
    await flushPromises()
    const table = wrapper.find('[data-test=school-table]')
    expect(table.find('.el-loading-mask').exists()).toBe(true)
    expect(table.find('[data-test=table-empty]').exists()).toBe(false)
    expect(wrapper.find('[data-test=stats-legend]').exists()).toBe(false)
    wrapper.unmount()
  })

  it.each(FAILURES)('a $status answer is said in Chinese', async ({ answer, message }) => {
    mockFetch({ 'GET /api/v1/stats/schools': answer, 'GET /api/v1/stats/regions': answer })
    const wrapper = await mountPage(StatisticsView, '/statistics', { scopes: ['stats:read'] })
    await flushPromises()
    expect(errorState(wrapper)).toEqual({ title: '数据加载失败', message, button: '重试' })
    expect(wrapper.find('[data-test=stats-legend]').exists()).toBe(false)
    wrapper.unmount()
  })
})

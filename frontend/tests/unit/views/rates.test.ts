// 乡镇比较: the rates of a county and its townships over a period, hidden cells as "—", counts on hover,
// the period presets in Beijing time, and the chart of one rate.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises } from '@vue/test-utils'
import { setLocale } from '@/i18n'
import RatesView from '@/views/stats/RatesView.vue'
import { presetPeriod } from '@/views/stats/periods'
import { mockFetch } from '../helpers'
import { mountPage } from './page'

// No canvas in the test's DOM: the chart shows the data it was given instead.
vi.mock('@/components/charts/BarChart.vue', async () => {
  const { defineComponent, h } = await import('vue')
  return {
    default: defineComponent({
      props: { data: { type: Array, required: true }, height: { type: String, default: '' } },
      setup: (props) => () => h('pre', { 'data-test': 'bar-chart' }, JSON.stringify(props.data)),
    }),
  }
})

const cell = (numerator: number, denominator: number) => ({ numerator, denominator, value: denominator ? numerator / denominator : null })
const hidden = { numerator: null, denominator: null, value: null, suppressed: true }
const rates = (care: unknown, lost: unknown) => ({
  care_rate: care,
  urine_test_rate: cell(0, 0),
  overdue_share: cell(5, 40),
  lost_contact_count: lost,
  notice_same_day_rate: cell(9, 10),
  responsible_share: cell(40, 40),
})
const REPORT = {
  period: { start: '2026-01-01', end: '2026-12-02', as_of: '2026-12-02' },
  suppression_threshold: 4,
  codes: ['care_rate', 'urine_test_rate', 'overdue_share', 'lost_contact_count', 'notice_same_day_rate', 'responsible_share'],
  units: [
    { unit_id: 'c1', unit_name: '瑞安市禁毒办', kind: 'county_office', parent_id: null, rates: rates(cell(38, 40), { numerator: 6, denominator: 40, value: 6 }) },
    { unit_id: 't1', unit_name: '锦湖街道', kind: 'township', parent_id: 'c1', rates: rates(cell(30, 32), { numerator: 6, denominator: 32, value: 6 }) },
    { unit_id: 't2', unit_name: '安阳街道', kind: 'township', parent_id: 'c1', rates: rates(hidden, hidden) },
  ],
}

describe('the township comparison', () => {
  beforeEach(() => setLocale('zh-CN'))
  afterEach(() => {
    document.body.innerHTML = ''
    vi.unstubAllGlobals()
  })

  it('shows each rate as a percentage, a hidden one as a dash, and asks for the chosen period', async () => {
    const seen = mockFetch({ 'GET /api/v1/stats/rates': { status: 200, body: REPORT } })
    const page = await mountPage(RatesView, '/rates', { scopes: ['stats:read'], role: 'supervisor' })
    await flushPromises()
    const table = page.find('[data-test=rates-table]')
    expect(table.text()).toContain('帮教率')
    expect(table.text()).toContain('锦湖街道')
    expect(table.text()).toContain('93.8%') // 30 / 32
    expect(table.text()).toContain('—') // 安阳: hidden; urine tests: no denominator
    const lost = table.findAll('[data-test=rate-lost_contact_count]').map((node) => node.text())
    expect(lost).toEqual(['6', '6', '—'])
    expect(page.find('[data-test=rates-legend]').text()).toContain('数据截至 2026-12-02')
    // The chart: the townships' care rates, in percent; a hidden one draws no bar.
    expect(JSON.parse(page.find('[data-test=bar-chart]').text())).toEqual([
      { name: '锦湖街道', value: 93.8 },
      { name: '安阳街道', value: null },
    ])
    const first = seen.find((request) => request.path === '/api/v1/stats/rates')
    expect(first?.search).toContain('period_from=')
    expect(first?.search).toContain('-01-01')

    await page.find('[data-test=preset-month]').trigger('click')
    await flushPromises()
    const last = seen.filter((request) => request.path === '/api/v1/stats/rates').at(-1)
    expect(last?.search).toContain(`period_from=${presetPeriod('month').from}`)
    page.unmount()
  })

  it('works out the presets on the Beijing calendar', () => {
    // 1 April 2026, 01:00 in Beijing is still 31 March in UTC
    const now = new Date('2026-03-31T17:00:00Z')
    expect(presetPeriod('year', now)).toEqual({ from: '2026-01-01', to: '2026-04-01' })
    expect(presetPeriod('month', now)).toEqual({ from: '2026-04-01', to: '2026-04-01' })
    expect(presetPeriod('lastQuarter', now)).toEqual({ from: '2026-01-01', to: '2026-03-31' })
    expect(presetPeriod('lastQuarter', new Date('2026-02-10T12:00:00+08:00'))).toEqual({ from: '2025-10-01', to: '2025-12-31' })
    expect(presetPeriod('lastQuarter', new Date('2026-08-10T12:00:00+08:00'))).toEqual({ from: '2026-04-01', to: '2026-06-30' })
  })
})

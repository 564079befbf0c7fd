import { afterEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import type { Me, Overview } from '@/api/types'
import { setLocale } from '@/i18n'
import { useSessionStore } from '@/stores/session'
import OverviewDashboard from '@/views/home/OverviewDashboard.vue'
import RiskTags from '@/views/minors/RiskTags.vue'
import PieChart from '@/components/charts/PieChart.vue'
import { mockFetch } from './helpers'
import { appPlugins } from './mount'

// Element Plus's danger, warning and success colours: what a high, medium and low risk tag is drawn in.
const RED = '#f56c6c'
const ORANGE = '#e6a23c'
const GREEN = '#67c23a'

describe('a risk level has one colour everywhere', () => {
  afterEach(() => vi.unstubAllGlobals())

  it('on the home chart as on the list’s tags: high red, medium orange, low green', async () => {
    setLocale('zh-CN')
    const count = (value: number) => ({ value })
    mockFetch({
      'GET /api/v1/stats/overview': {
        status: 200,
        body: {
          unit: { id: '00000000-0000-0000-0000-0000000000a1', name: '锦湖街道', kind: 'township' },
          as_of: '2026-12-01',
          suppression_threshold: 4,
          suppressed: false,
          minors: {
            total: count(30),
            provisional: count(0),
            by_status: [],
            by_risk_level: [
              { code: 'low', count: count(10) },
              { code: 'medium', count: count(12) },
              { code: 'high', count: count(8) },
            ],
            by_category: [],
          },
          care_files: null,
          seizures: null,
          transfers: null,
          campaigns: null,
        } as unknown as Overview,
      },
    })
    const plugins = appPlugins()
    useSessionStore().me = { role: 'supervisor', scopes: ['stats:overview'] } as unknown as Me
    const dashboard = mount(OverviewDashboard, { global: { ...plugins, stubs: { PieChart: true, BarChart: true, LineChart: true } } })
    await flushPromises()
    const levels = dashboard.findAllComponents(PieChart).find((chart) => (chart.props('data') as { name: string }[]).length === 3)
    const slices = levels?.props('data') as { name: string; color?: string }[]
    expect(slices.map((slice) => slice.color)).toEqual([GREEN, ORANGE, RED])

    const tags = mount(RiskTags, { props: { level: 'high' }, global: appPlugins() })
    expect(tags.find('.el-tag').classes()).toContain('el-tag--danger')
    dashboard.unmount()
  })
})

import { afterEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import type { Me, Overview } from '@/api/types'
import { setLocale } from '@/i18n'
import { useSessionStore } from '@/stores/session'
import OverviewDashboard from '@/views/home/OverviewDashboard.vue'
import { mockFetch } from './helpers'
import { appPlugins } from './mount'

const HIDDEN = { value: null, suppressed: true as const }

function overview(): Overview {
  return {
    unit: { id: '00000000-0000-0000-0000-0000000000a1', name: '瑞安市禁毒委员会办公室', kind: 'county_office' },
    as_of: '2026-11-23',
    suppression_threshold: 4,
    suppressed: true,
    minors: { total: { value: 9 }, by_status: [], by_risk_level: [], by_category: [], provisional: { value: 0 } },
    care_files: { open: { value: 6 }, overdue: HIDDEN, lost_contact: { value: 0 } },
    seizures: null,
    transfers: { pending_incoming: HIDDEN, pending_outgoing: { value: 7 } },
    campaigns: { campaigns_open: 1, tasks_total: 4, tasks_approved: 3, completion_rate: 0.75 },
  } as Overview
}

function auditor(): Me {
  return {
    id: '00000000-0000-0000-0000-000000000002',
    kind: 'user',
    username: 'auditor',
    display_name: '督查员',
    role: 'auditor',
    unit: { id: '00000000-0000-0000-0000-0000000000a1', name: '瑞安市禁毒委员会办公室', kind: 'county_office' },
    scopes: ['stats:overview'],
    must_change_password: false,
  } as Me
}

describe('OverviewDashboard', () => {
  afterEach(() => {
    vi.unstubAllGlobals()
  })

  it('shows the figures of each section, a suppressed one as a star, and leaves out a null section', async () => {
    setLocale('zh-CN')
    mockFetch({ 'GET /api/v1/stats/overview': { status: 200, body: overview() } })
    const plugins = appPlugins()
    useSessionStore().me = auditor()
    const wrapper = mount(OverviewDashboard, {
      global: { ...plugins, stubs: { PieChart: true, BarChart: true, LineChart: true } },
    })
    await flushPromises()
    expect(wrapper.find('[data-test=overview-open]').text()).toContain('6')
    expect(wrapper.find('[data-test=overview-overdue]').text()).toContain('*')
    expect(wrapper.find('[data-test=overview-in]').text()).toContain('*')
    expect(wrapper.find('[data-test=overview-out]').text()).toContain('7')
    expect(wrapper.text()).not.toContain('近12个月查获通知')
    expect(wrapper.find('[data-test=overview-campaigns]').text()).toContain('3/4')
  })
})

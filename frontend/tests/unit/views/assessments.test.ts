// The assessment pages: the run's ranking, the explanation of a figure with its minors as the server masked them,
// a unit that sees only its own row, and the editor's rule that an indicator has exactly one source.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises } from '@vue/test-utils'
import { setLocale } from '@/i18n'
import RunView from '@/views/assessments/RunView.vue'
import { emptyIndicator, toIndicator } from '@/views/assessments/draft'
import { percent, radarOf, totalsBars } from '@/views/assessments/results'
import type { RunRead, UnitResult } from '@/api/types'
import { mockFetch } from '../helpers'
import { mountPage } from './page'

// jsdom draws no canvas: the charts are stood in for (their inputs are tested below, as plain functions).
vi.mock('@/components/charts/BarChart.vue', async () => ({ default: (await import('vue')).defineComponent({ render: () => null }) }))
vi.mock('@/components/charts/RadarChart.vue', async () => ({ default: (await import('vue')).defineComponent({ render: () => null }) }))

const RUN_ID = '00000000-0000-0000-0000-0000000000f1'
const JINHU = { id: '00000000-0000-0000-0000-0000000000a1', name: '锦湖街道', kind: 'township' as const }
const ANYANG = { id: '00000000-0000-0000-0000-0000000000a2', name: '安阳街道', kind: 'township' as const }

function score(indicator: string, value: number) {
  return { indicator, score: value, computed_score: value, adjusted: false, reason: null, numerator: 1, denominator: 2, value: 0.5 }
}

function runOf(results: RunRead['results'], sees_all = true): RunRead {
  return {
    id: RUN_ID,
    scheme_id: '00000000-0000-0000-0000-0000000000s1',
    scheme_name: '2026年度禁毒预防工作考核',
    issuing_unit: { id: '00000000-0000-0000-0000-0000000000c1', name: '瑞安市禁毒委员会办公室', kind: 'county_office' },
    cut_off: '2026-11-30',
    period_start: '2026-01-01',
    period_end: '2026-12-31',
    status: 'computed',
    computed_at: '2026-12-01T02:00:00Z',
    finalised_at: null,
    indicators: [
      { code: 'overdue', name: '逾期率', source: 'rate', max_score: 10 },
      { code: 'leadership', name: '组织领导', source: 'manual', max_score: 10 },
    ],
    vetoes: [{ code: 'lost_contact', name: '脱失超过30天', kind: 'lost_contact_over_days', days: 30 }],
    grades: [
      { label: '优秀', min_score: 15 },
      { label: '合格', min_score: 5 },
      { label: '不合格', min_score: 0 },
    ],
    assessed: 2,
    passed: 1,
    pass_rate: 0.5,
    pass_rate_target: 0.85,
    target_met: false,
    results,
    sees_all,
    can_edit: true,
  }
}

const JINHU_RESULT: UnitResult = {
  unit: JINHU,
  total: 18,
  grade: '不合格',
  rank: 1,
  vetoed: true,
  passed: false,
  named: true,
  called_in: false,
  scores: [score('overdue', 9), score('leadership', 9)],
  vetoes: [{ veto: 'lost_contact', count: 1, reason: null }],
}
const ANYANG_RESULT: UnitResult = {
  ...JINHU_RESULT,
  unit: ANYANG,
  total: 6,
  grade: '合格',
  rank: 2,
  vetoed: false,
  passed: true,
  named: false,
  called_in: true,
  scores: [score('overdue', 5), score('leadership', 1)],
  vetoes: [],
}

describe('the run page', () => {
  beforeEach(() => setLocale('zh-CN'))
  afterEach(() => {
    document.body.innerHTML = ''
    vi.unstubAllGlobals()
  })

  it('ranks the units and explains a figure with the minors masked as the server sent them', async () => {
    mockFetch({
      [`GET /api/v1/assessment-runs/${RUN_ID}`]: { status: 200, body: runOf([JINHU_RESULT, ANYANG_RESULT]) },
      [`GET /api/v1/assessment-runs/${RUN_ID}/units/${JINHU.id}/figures/overdue`]: {
        status: 200,
        body: {
          run_id: RUN_ID,
          unit: JINHU,
          indicator: 'overdue',
          name: '逾期率',
          source: 'rate',
          score: 9,
          numerator: 1,
          denominator: 2,
          value: 0.5,
          reason: null,
          ids_kind: 'minor',
          minors: [{ id: '00000000-0000-0000-0000-0000000000m1', name: '余*', id_number: '330381********1234' }],
          tasks: [],
          records: [],
          notices: [],
        },
      },
    })
    const shown = await mountPage(RunView, `/assessment-runs/${RUN_ID}`, { scopes: ['assessments:read', 'assessments:write'], role: 'supervisor' })
    await flushPromises()
    const table = shown.find('[data-test=ranking-table]')
    expect(table.text()).toContain('锦湖街道')
    expect(table.text()).toContain('安阳街道')
    expect(table.text()).toContain('脱失超过30天')
    expect(shown.find('[data-test=run-summary]').text()).toContain('50.0% / 85.0%')
    await shown.find('[data-test=score-overdue]').trigger('click')
    await flushPromises()
    const dialog = document.body.querySelector('[data-test=figure-minors]')
    expect(dialog?.textContent).toContain('余*')
    expect(dialog?.textContent).toContain('330381********1234')
  })

  it('a unit that reads only its own result is told so', async () => {
    mockFetch({ [`GET /api/v1/assessment-runs/${RUN_ID}`]: { status: 200, body: { ...runOf([ANYANG_RESULT], false), can_edit: false } } })
    const shown = await mountPage(RunView, `/assessment-runs/${RUN_ID}`, { scopes: ['assessments:read'], role: 'caseworker' })
    await flushPromises()
    expect(shown.text()).toContain('仅显示本单位的考核结果')
    expect(shown.find('[data-test=run-finalise]').exists()).toBe(false)
    expect(shown.find('[data-test=ranking-table]').text()).not.toContain('锦湖街道')
  })
})

describe('what the run page derives', () => {
  it('bars of totals, a radar on each indicator maximum, percentages', () => {
    const run = runOf([JINHU_RESULT, ANYANG_RESULT])
    expect(totalsBars(run)).toEqual([
      { name: '锦湖街道', value: 18 },
      { name: '安阳街道', value: 6 },
    ])
    expect(radarOf(run, ANYANG_RESULT)).toEqual({
      axes: [
        { name: '逾期率', max: 10 },
        { name: '组织领导', max: 10 },
      ],
      values: [5, 1],
    })
    expect(percent(0.8571)).toBe('85.7%')
    expect(percent(null)).toBe('—')
  })
})

describe('the scheme editor', () => {
  it('sends exactly the chosen source of an indicator', () => {
    const draft = { ...emptyIndicator('work_records'), code: 'activities', name: '宣传教育活动', max_score: 10 }
    expect(toIndicator(draft)).toEqual({
      code: 'activities',
      name: '宣传教育活动',
      max_score: 10,
      work_records: { kind: 'activities', target: 4 },
    })
    expect(Object.keys(toIndicator({ ...draft, source: 'manual' }))).toEqual(['code', 'name', 'max_score', 'manual'])
  })
})

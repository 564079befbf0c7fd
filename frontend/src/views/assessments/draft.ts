// The scheme editor's working copy of an indicator: every source's fields kept, the chosen one sent.
import type { AssessmentGrade, AssessmentIndicator, AssessmentVeto, SchemeIn, UnitKind } from '@/api/types'

export type Source = 'campaign' | 'rate' | 'work_records' | 'manual'
type RateCode = NonNullable<AssessmentIndicator['rate']>['rate']

export interface IndicatorDraft {
  code: string
  name: string
  max_score: number
  source: Source
  campaign: { campaign_id: string; mode: 'approved_share' | 'weighted' }
  rate: {
    rate: RateCode
    mapping: 'linear' | 'thresholds'
    floor: number | null
    target: number | null
    thresholds: { bound: number; score: number }[]
    better: 'higher' | 'lower'
  }
  work_records: { kind: 'activities' | 'inspections' | 'letters'; target: number }
  manual: { guidance: string | null }
}

export function emptyIndicator(source: Source): IndicatorDraft {
  return {
    code: '',
    name: '',
    max_score: 10,
    source,
    campaign: { campaign_id: '', mode: 'approved_share' },
    rate: { rate: 'care_rate', mapping: 'linear', floor: 0.6, target: 0.95, thresholds: [], better: 'higher' },
    work_records: { kind: 'activities', target: 4 },
    manual: { guidance: null },
  }
}

export function sourceOf(indicator: AssessmentIndicator): Source {
  if (indicator.campaign) return 'campaign'
  if (indicator.rate) return 'rate'
  if (indicator.work_records) return 'work_records'
  return 'manual'
}

/** The indicator as the API takes it: exactly one source. */
export function toIndicator(draft: IndicatorDraft): AssessmentIndicator {
  const base = { code: draft.code, name: draft.name, max_score: draft.max_score }
  if (draft.source === 'campaign') return { ...base, campaign: { ...draft.campaign } }
  if (draft.source === 'rate') return { ...base, rate: { ...draft.rate, thresholds: [...draft.rate.thresholds] } }
  if (draft.source === 'work_records') return { ...base, work_records: { ...draft.work_records } }
  return { ...base, manual: { guidance: draft.manual.guidance || null } }
}

export function toSchemeIn(form: {
  name: string
  period_start: string
  period_end: string
  unit_root_id: string | null
  unit_kinds: UnitKind[]
  pass_rate_target: number | null
  grades: AssessmentGrade[]
  indicators: IndicatorDraft[]
  vetoes: AssessmentVeto[]
  bottom_n: number | null
  below_score: number | null
}): SchemeIn {
  return {
    name: form.name,
    period_start: form.period_start,
    period_end: form.period_end,
    unit_root_id: form.unit_root_id,
    unit_kinds: form.unit_kinds,
    pass_rate_target: form.pass_rate_target,
    grades: form.grades,
    indicators: form.indicators.map(toIndicator),
    vetoes: form.vetoes,
    call_in: { bottom_n: form.bottom_n, below_score: form.below_score },
  }
}

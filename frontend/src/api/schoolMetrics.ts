// School metrics (学校禁毒教育工作数据): a school's figures per term; each submission a new version.
import { api, unwrap } from './client'
import { compactQuery } from './query'
import type { Page, PageQuery, SchoolMetricBatch, SchoolMetricBatchResult, SchoolMetricListQuery, SchoolMetricRead } from './types'

export type SchoolMetricFilters = Omit<SchoolMetricListQuery, 'limit' | 'offset' | 'sort'>

export function submitSchoolMetrics(body: SchoolMetricBatch): Promise<SchoolMetricBatchResult> {
  return unwrap(api.POST('/api/v1/school-metrics', { body }))
}

/** Submitted figures of schools in scope: the current ones, or every version with `history: true`. */
export function listSchoolMetrics(page: Partial<PageQuery>, filters: SchoolMetricFilters = {}): Promise<Page<SchoolMetricRead>> {
  return unwrap(api.GET('/api/v1/school-metrics', { params: { query: { ...page, ...compactQuery(filters) } } }))
}

// Statistics (统计): school and regional figures per term, and the home dashboard.
import { api, unwrap } from './client'
import type { Overview, RatesReport, RegionStatisticsReport, SchoolStatisticsReport } from './types'

export interface StatsQuery {
  term: string
  unit_id?: string
}

export function overview(): Promise<Overview> {
  return unwrap(api.GET('/api/v1/stats/overview'))
}

// JSON unless `format` asks for a file: the spec's union of JSON and file answers narrows to the report.
export async function schoolStatistics(query: StatsQuery): Promise<SchoolStatisticsReport> {
  return (await unwrap(api.GET('/api/v1/stats/schools', { params: { query } }))) as SchoolStatisticsReport
}

export async function regionStatistics(query: StatsQuery): Promise<RegionStatisticsReport> {
  return (await unwrap(api.GET('/api/v1/stats/regions', { params: { query } }))) as RegionStatisticsReport
}

/** A statistics table as a file, through the one client so the token goes with it. */
export async function statisticsFile(table: 'schools' | 'regions', query: StatsQuery, format: 'csv' | 'xlsx'): Promise<Blob> {
  const params = { params: { query: { ...query, format } }, parseAs: 'blob' as const }
  const call = table === 'schools' ? api.GET('/api/v1/stats/schools', params) : api.GET('/api/v1/stats/regions', params)
  return (await unwrap(call)) as unknown as Blob
}

export interface RatesQuery {
  period_from?: string
  period_to?: string
  unit_id?: string
}

/** 工作指标: the rates of the caller's unit and each unit below it down to the townships (suppressed). */
export async function unitRates(query: RatesQuery): Promise<RatesReport> {
  return (await unwrap(api.GET('/api/v1/stats/rates', { params: { query } }))) as RatesReport
}

/** The rates as a file (CSV or XLSX), through the one client so the token goes with it. */
export async function unitRatesFile(query: RatesQuery, format: 'csv' | 'xlsx'): Promise<Blob> {
  const call = api.GET('/api/v1/stats/rates', { params: { query: { ...query, format } }, parseAs: 'blob' as const })
  return (await unwrap(call)) as unknown as Blob
}

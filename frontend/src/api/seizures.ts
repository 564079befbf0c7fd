// Seizure notices (查获通知): pushed by the police, routed to a township, acknowledged there.
import { api, unwrap } from './client'
import { compactQuery } from './query'
import type {
  DailyReport,
  Page,
  PageQuery,
  SeizureListQuery,
  SeizureNoticeCreate,
  SeizureNoticeRead,
  SeizureNoticeReceipt,
} from './types'

export type SeizureFilters = Omit<SeizureListQuery, 'limit' | 'offset' | 'sort'>

export function listNotices(page: Partial<PageQuery>, filters: SeizureFilters = {}): Promise<Page<SeizureNoticeRead>> {
  return unwrap(api.GET('/api/v1/seizure-notices', { params: { query: { ...page, ...compactQuery(filters) } } }))
}

export function getNotice(noticeId: string): Promise<SeizureNoticeRead> {
  return unwrap(api.GET('/api/v1/seizure-notices/{notice_id}', { params: { path: { notice_id: noticeId } } }))
}

/** A notice typed in by hand; the same `idempotencyKey` never makes two notices (a double click, a retry). */
export function pushNotice(body: SeizureNoticeCreate, idempotencyKey: string): Promise<SeizureNoticeReceipt> {
  return unwrap(api.POST('/api/v1/seizure-notices', { params: { header: { 'Idempotency-Key': idempotencyKey } }, body }))
}

export function acknowledgeNotice(noticeId: string): Promise<SeizureNoticeRead> {
  return unwrap(api.POST('/api/v1/seizure-notices/{notice_id}/acknowledge', { params: { path: { notice_id: noticeId } } }))
}

/** One day's notices of the caller's unit (当天上报). */
export async function dailyReport(day: string): Promise<DailyReport> {
  // JSON unless a file format is asked for: the spec's union narrows to the report
  return (await unwrap(api.GET('/api/v1/seizure-notices/daily-report', { params: { query: { day } } }))) as DailyReport
}

/** The same day as an XLSX file (the download is an audit event on the server). */
export async function dailyReportXlsx(day: string): Promise<Blob> {
  const blob = await unwrap(
    api.GET('/api/v1/seizure-notices/daily-report', { params: { query: { day, format: 'xlsx' } }, parseAs: 'blob' }),
  )
  return blob as unknown as Blob
}

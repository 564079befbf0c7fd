// Task reports (任务报送): one unit's report on one task of a campaign, with evidence files, reviewed by the issuer.
import { api, ifMatch, unwrap } from './client'
import { compactQuery } from './query'
import { uploadWithProgress } from './upload'
import type { EvidenceRead, FileFormat, Page, PageQuery, TaskReportDetail, TaskReportListQuery, TaskReportRead, TaskReportUpdate } from './types'

export type TaskReportFilters = Omit<TaskReportListQuery, 'limit' | 'offset' | 'sort' | 'format'>
type Versioned = Pick<TaskReportRead, 'id' | 'version'>

const path = (reportId: string) => ({ path: { report_id: reportId } })
const versioned = (report: Versioned) => ({ ...path(report.id), header: { 'If-Match': ifMatch(report.version) } })

export async function listTaskReports(page: PageQuery, filters: TaskReportFilters = {}): Promise<Page<TaskReportRead>> {
  const query = { ...page, ...compactQuery(filters) }
  return (await unwrap(api.GET('/api/v1/task-reports', { params: { query } }))) as Page<TaskReportRead>
}

/** Reports (a campaign's with `campaign_id`) as a file; audited. */
export async function taskReportsFile(filters: TaskReportFilters, format: FileFormat, sort?: string): Promise<Blob> {
  const query = { ...compactQuery(filters), format, ...(sort ? { sort } : {}) }
  return (await unwrap(api.GET('/api/v1/task-reports', { params: { query }, parseAs: 'blob' }))) as unknown as Blob
}

export function getTaskReport(reportId: string): Promise<TaskReportDetail> {
  return unwrap(api.GET('/api/v1/task-reports/{report_id}', { params: path(reportId) }))
}

export function updateTaskReport(report: Versioned, body: TaskReportUpdate): Promise<TaskReportDetail> {
  return unwrap(api.PATCH('/api/v1/task-reports/{report_id}', { params: versioned(report), body }))
}

export function submitTaskReport(report: Versioned): Promise<TaskReportDetail> {
  return unwrap(api.POST('/api/v1/task-reports/{report_id}/submit', { params: versioned(report) }))
}

export function approveTaskReport(report: Versioned): Promise<TaskReportDetail> {
  return unwrap(api.POST('/api/v1/task-reports/{report_id}/approve', { params: versioned(report) }))
}

/** Send back to the unit with a comment saying what is missing. */
export function returnTaskReport(report: Versioned, comment: string): Promise<TaskReportDetail> {
  return unwrap(api.POST('/api/v1/task-reports/{report_id}/return', { params: versioned(report), body: { comment } }))
}

export async function evidenceBlob(reportId: string, evidenceId: string): Promise<Blob> {
  const blob = await unwrap(
    api.GET('/api/v1/task-reports/{report_id}/evidence/{evidence_id}', {
      params: { path: { report_id: reportId, evidence_id: evidenceId } },
      parseAs: 'blob',
    }),
  )
  return blob as unknown as Blob
}

export async function removeEvidence(reportId: string, evidenceId: string): Promise<void> {
  await unwrap(
    api.DELETE('/api/v1/task-reports/{report_id}/evidence/{evidence_id}', {
      params: { path: { report_id: reportId, evidence_id: evidenceId } },
    }),
  )
}

/** Upload one evidence file; `onProgress` gets 0–100. */
export function uploadEvidence(reportId: string, file: File, onProgress: (percent: number) => void): Promise<EvidenceRead> {
  return uploadWithProgress<EvidenceRead>(`/api/v1/task-reports/${encodeURIComponent(reportId)}/evidence`, file, onProgress)
}

// Care files (帮教档案): a minor's follow-up plan, its timeline of entries, closure and the positive-test alert.
import { api, unwrap } from './client'
import { compactQuery } from './query'
import type { CareEntryCreate, CareEntryRead, CareFileListQuery, CareFileRead, ClosureRequest, Page, PageQuery } from './types'

export type CareFileFilters = Omit<CareFileListQuery, 'limit' | 'offset' | 'sort'>

export function listCareFiles(page: Partial<PageQuery>, filters: CareFileFilters = {}): Promise<Page<CareFileRead>> {
  return unwrap(api.GET('/api/v1/care-files', { params: { query: { ...page, ...compactQuery(filters) } } }))
}

const path = (fileId: string) => ({ path: { care_file_id: fileId } })

export function getCareFile(fileId: string): Promise<CareFileRead> {
  return unwrap(api.GET('/api/v1/care-files/{care_file_id}', { params: path(fileId) }))
}

/** A page of the timeline, as the privacy policy lets the caller read it. */
export function listEntries(fileId: string, page: { limit: number; offset: number }): Promise<Page<CareEntryRead>> {
  return unwrap(api.GET('/api/v1/care-files/{care_file_id}/entries', { params: { ...path(fileId), query: page } }))
}

/** Record a contact; the answer is the file with its new last contact and next due date. */
export function addEntry(fileId: string, body: CareEntryCreate): Promise<CareFileRead> {
  return unwrap(api.POST('/api/v1/care-files/{care_file_id}/entries', { params: path(fileId), body }))
}

export function requestClosure(fileId: string, body: ClosureRequest): Promise<CareFileRead> {
  return unwrap(api.POST('/api/v1/care-files/{care_file_id}/closure', { params: path(fileId), body }))
}

/** Approve or reject a requested closure, with the lead's comment. */
export function decideClosure(fileId: string, approve: boolean, comment: string): Promise<CareFileRead> {
  return approve
    ? unwrap(api.POST('/api/v1/care-files/{care_file_id}/closure/approve', { params: path(fileId), body: { comment } }))
    : unwrap(api.POST('/api/v1/care-files/{care_file_id}/closure/reject', { params: path(fileId), body: { comment } }))
}

/** The lead has seen the positive urine test. */
export function acknowledgeAlert(fileId: string): Promise<CareFileRead> {
  return unwrap(api.POST('/api/v1/care-files/{care_file_id}/alert/acknowledge', { params: path(fileId) }))
}

/** A lead confirms the responsible people a social worker named (until then they use reveal like everyone). */
export function confirmAssignment(fileId: string): Promise<CareFileRead> {
  return unwrap(api.POST('/api/v1/care-files/{care_file_id}/assignment/confirm', { params: path(fileId) }))
}

// Care files (帮教档案): a minor's follow-up plan, its timeline of entries, closure and the positive-test alert.
import { api, ifMatch, unwrap } from './client'
import { compactQuery } from './query'
import type {
  FileFormat,
  CareEntryCreate,
  CareEntryRead,
  CareFileCreate,
  CareFileListQuery,
  CareFileRead,
  CareFileUpdate,
  CareSettingsRead,
  ClosureRequest,
  Page,
  PageQuery,
  PersonRef,
  SchoolFileCreate,
  TeamCandidate,
} from './types'

export type CareFileFilters = Omit<CareFileListQuery, 'limit' | 'offset' | 'sort' | 'format'>

export async function listCareFiles(page: Partial<PageQuery>, filters: CareFileFilters = {}): Promise<Page<CareFileRead>> {
  const query = { ...page, ...compactQuery(filters) }
  return (await unwrap(api.GET('/api/v1/care-files', { params: { query } }))) as Page<CareFileRead>
}

/** A worklist (or any filtered list of files) as a file: each minor masked as in the list; audited. */
export async function careFilesFile(filters: CareFileFilters, format: FileFormat, sort?: string): Promise<Blob> {
  const query = { ...compactQuery(filters), format, ...(sort ? { sort } : {}) }
  return (await unwrap(api.GET('/api/v1/care-files', { params: { query }, parseAs: 'blob' }))) as unknown as Blob
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

/** Open a file for a minor with its lead worker, team and plan (or reopen the minor's last one). */
export function createCareFile(body: CareFileCreate): Promise<CareFileRead> {
  return unwrap(api.POST('/api/v1/care-files', { body }))
}

/** A school opens its own file (学校一人一档) for a pupil recorded as 辍学, 失学 or 双差生. */
export function createSchoolFile(body: SchoolFileCreate): Promise<CareFileRead> {
  return unwrap(api.POST('/api/v1/care-files/school', { body }))
}

/** Change the plan or the responsible people; replacing a lead worker needs `reason`. */
export function updateCareFile(file: Pick<CareFileRead, 'id' | 'version'>, body: CareFileUpdate): Promise<CareFileRead> {
  return unwrap(
    api.PATCH('/api/v1/care-files/{care_file_id}', {
      params: { ...path(file.id), header: { 'If-Match': ifMatch(file.version) } },
      body,
    }),
  )
}

/** Who may be named lead worker of a unit's files (default: my unit). */
export function leadCandidates(unitId?: string): Promise<PersonRef[]> {
  return unwrap(api.GET('/api/v1/care-settings/lead-candidates', { params: { query: unitId ? { unit_id: unitId } : {} } }))
}

/** Police officers and teachers of a unit who can work on its files as team members (default: my unit). */
export function teamCandidates(unitId?: string): Promise<TeamCandidate[]> {
  return unwrap(api.GET('/api/v1/care-settings/team-candidates', { params: { query: unitId ? { unit_id: unitId } : {} } }))
}

export function getCareSettings(unitId?: string): Promise<CareSettingsRead> {
  return unwrap(api.GET('/api/v1/care-settings', { params: { query: unitId ? { unit_id: unitId } : {} } }))
}

/** A lead names the unit's on-duty social worker (null: nobody), lead of files the unit is given automatically. */
export function setOnDuty(userId: string | null, unitId?: string): Promise<CareSettingsRead> {
  return unwrap(api.PUT('/api/v1/care-settings/on-duty', { body: { user_id: userId, ...(unitId ? { unit_id: unitId } : {}) } }))
}

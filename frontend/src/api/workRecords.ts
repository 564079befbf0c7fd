// Work records (工作台账): publicity activities, inspection visits and responsibility letters, each with files.
import { api, ifMatch, unwrap } from './client'
import { compactQuery } from './query'
import { uploadWithProgress } from './upload'
import type {
  InspectionVisitCreate,
  InspectionVisitListQuery,
  InspectionVisitRead,
  InspectionVisitUpdate,
  Page,
  PageQuery,
  PublicityActivityCreate,
  PublicityActivityListQuery,
  PublicityActivityRead,
  PublicityActivityUpdate,
  ResponsibilityLetterCreate,
  ResponsibilityLetterListQuery,
  ResponsibilityLetterRead,
  ResponsibilityLetterUpdate,
  WorkRecordFileRead,
} from './types'

/** The three kinds, as their paths name them. */
export type WorkRecordKind = 'publicity-activities' | 'inspection-visits' | 'responsibility-letters'
type Filters<Q> = Omit<Q, 'limit' | 'offset' | 'sort' | 'format'>
export type ActivityFilters = Filters<PublicityActivityListQuery>
export type VisitFilters = Filters<InspectionVisitListQuery>
export type LetterFilters = Filters<ResponsibilityLetterListQuery>
type Versioned = { id: string; version: number }

const one = (record: Versioned) => ({ path: { record_id: record.id }, header: { 'If-Match': ifMatch(record.version) } })

// --- publicity activities ---

export function listActivities(page: Partial<PageQuery>, filters: ActivityFilters = {}): Promise<Page<PublicityActivityRead>> {
  return unwrap(api.GET('/api/v1/publicity-activities', { params: { query: { ...page, ...compactQuery(filters) } } })) as Promise<
    Page<PublicityActivityRead>
  >
}

export function getActivity(recordId: string): Promise<PublicityActivityRead> {
  return unwrap(api.GET('/api/v1/publicity-activities/{record_id}', { params: { path: { record_id: recordId } } }))
}

export function createActivity(body: PublicityActivityCreate): Promise<PublicityActivityRead> {
  return unwrap(api.POST('/api/v1/publicity-activities', { body }))
}

export function updateActivity(record: Versioned, body: PublicityActivityUpdate): Promise<PublicityActivityRead> {
  return unwrap(api.PATCH('/api/v1/publicity-activities/{record_id}', { params: one(record), body }))
}

export async function deleteActivity(record: Versioned): Promise<void> {
  await unwrap(api.DELETE('/api/v1/publicity-activities/{record_id}', { params: one(record) }))
}

export async function exportActivities(format: 'xlsx' | 'csv', filters: ActivityFilters = {}): Promise<Blob> {
  const blob = await unwrap(
    api.GET('/api/v1/publicity-activities', { params: { query: { ...compactQuery(filters), format } }, parseAs: 'blob' }),
  )
  return blob as unknown as Blob
}

// --- inspection visits ---

export function listVisits(page: Partial<PageQuery>, filters: VisitFilters = {}): Promise<Page<InspectionVisitRead>> {
  return unwrap(api.GET('/api/v1/inspection-visits', { params: { query: { ...page, ...compactQuery(filters) } } })) as Promise<
    Page<InspectionVisitRead>
  >
}

export function getVisit(recordId: string): Promise<InspectionVisitRead> {
  return unwrap(api.GET('/api/v1/inspection-visits/{record_id}', { params: { path: { record_id: recordId } } }))
}

export function createVisit(body: InspectionVisitCreate): Promise<InspectionVisitRead> {
  return unwrap(api.POST('/api/v1/inspection-visits', { body }))
}

/** The inspecting unit changes any field; the inspected unit sends only `rectified` and `rectified_on`. */
export function updateVisit(record: Versioned, body: InspectionVisitUpdate): Promise<InspectionVisitRead> {
  return unwrap(api.PATCH('/api/v1/inspection-visits/{record_id}', { params: one(record), body }))
}

export async function deleteVisit(record: Versioned): Promise<void> {
  await unwrap(api.DELETE('/api/v1/inspection-visits/{record_id}', { params: one(record) }))
}

export async function exportVisits(format: 'xlsx' | 'csv', filters: VisitFilters = {}): Promise<Blob> {
  const blob = await unwrap(
    api.GET('/api/v1/inspection-visits', { params: { query: { ...compactQuery(filters), format } }, parseAs: 'blob' }),
  )
  return blob as unknown as Blob
}

// --- responsibility letters ---

export function listLetters(page: Partial<PageQuery>, filters: LetterFilters = {}): Promise<Page<ResponsibilityLetterRead>> {
  return unwrap(api.GET('/api/v1/responsibility-letters', { params: { query: { ...page, ...compactQuery(filters) } } })) as Promise<
    Page<ResponsibilityLetterRead>
  >
}

export function getLetter(recordId: string): Promise<ResponsibilityLetterRead> {
  return unwrap(api.GET('/api/v1/responsibility-letters/{record_id}', { params: { path: { record_id: recordId } } }))
}

export function createLetter(body: ResponsibilityLetterCreate): Promise<ResponsibilityLetterRead> {
  return unwrap(api.POST('/api/v1/responsibility-letters', { body }))
}

export function updateLetter(record: Versioned, body: ResponsibilityLetterUpdate): Promise<ResponsibilityLetterRead> {
  return unwrap(api.PATCH('/api/v1/responsibility-letters/{record_id}', { params: one(record), body }))
}

export async function deleteLetter(record: Versioned): Promise<void> {
  await unwrap(api.DELETE('/api/v1/responsibility-letters/{record_id}', { params: one(record) }))
}

export async function exportLetters(format: 'xlsx' | 'csv', filters: LetterFilters = {}): Promise<Blob> {
  const blob = await unwrap(
    api.GET('/api/v1/responsibility-letters', { params: { query: { ...compactQuery(filters), format } }, parseAs: 'blob' }),
  )
  return blob as unknown as Blob
}

// --- files, the same for the three kinds ---

export function uploadRecordFile(
  kind: WorkRecordKind,
  recordId: string,
  file: File,
  onProgress: (percent: number) => void,
): Promise<WorkRecordFileRead> {
  return uploadWithProgress<WorkRecordFileRead>(`/api/v1/${kind}/${encodeURIComponent(recordId)}/files`, file, onProgress)
}

export async function recordFileBlob(kind: WorkRecordKind, recordId: string, fileId: string): Promise<Blob> {
  const params = { path: { record_id: recordId, file_id: fileId } }
  const request =
    kind === 'publicity-activities'
      ? api.GET('/api/v1/publicity-activities/{record_id}/files/{file_id}', { params, parseAs: 'blob' })
      : kind === 'inspection-visits'
        ? api.GET('/api/v1/inspection-visits/{record_id}/files/{file_id}', { params, parseAs: 'blob' })
        : api.GET('/api/v1/responsibility-letters/{record_id}/files/{file_id}', { params, parseAs: 'blob' })
  return (await unwrap(request)) as unknown as Blob
}

export async function removeRecordFile(kind: WorkRecordKind, recordId: string, fileId: string): Promise<void> {
  const params = { path: { record_id: recordId, file_id: fileId } }
  const request =
    kind === 'publicity-activities'
      ? api.DELETE('/api/v1/publicity-activities/{record_id}/files/{file_id}', { params })
      : kind === 'inspection-visits'
        ? api.DELETE('/api/v1/inspection-visits/{record_id}/files/{file_id}', { params })
        : api.DELETE('/api/v1/responsibility-letters/{record_id}/files/{file_id}', { params })
  await unwrap(request)
}

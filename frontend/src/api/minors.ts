// At-risk minors (重点未成年人): the registry, shaped by the privacy policy for each caller.
import { api, ifMatch, unwrap } from './client'
import { compactQuery } from './query'
import type {
  DuplicateCheck,
  FileFormat,
  MinorCreate,
  MinorListQuery,
  MinorLookup,
  MinorPolicy,
  MinorRead,
  MinorUpdate,
  MinorVerify,
  Page,
  PossibleDuplicates,
  PageQuery,
  RevealRequest,
  Revealed,
} from './types'

export type MinorFilters = Omit<MinorListQuery, 'limit' | 'offset' | 'sort' | 'format'>

// JSON unless `format` asks for a file: the spec's union of JSON and file answers narrows to the page.
export async function listMinors(page: PageQuery, filters: MinorFilters = {}): Promise<Page<MinorRead>> {
  return (await unwrap(api.GET('/api/v1/minors', { params: { query: { ...page, ...compactQuery(filters) } } }))) as Page<MinorRead>
}

/** Every minor the filters select, as a file: masked exactly as the list is for the caller, and audited. */
export async function minorsFile(filters: MinorFilters, format: FileFormat, sort?: string): Promise<Blob> {
  const query = { ...compactQuery(filters), format, ...(sort ? { sort } : {}) }
  return (await unwrap(api.GET('/api/v1/minors', { params: { query }, parseAs: 'blob' }))) as unknown as Blob
}

export function getMinor(minorId: string): Promise<MinorRead> {
  return unwrap(api.GET('/api/v1/minors/{minor_id}', { params: { path: { minor_id: minorId } } }))
}

/** What the privacy policy lets the caller see and do in the registry. */
export function minorPolicy(): Promise<MinorPolicy> {
  return unwrap(api.GET('/api/v1/minors/policy'))
}

export function createMinor(body: MinorCreate): Promise<MinorRead> {
  return unwrap(api.POST('/api/v1/minors', { body }))
}

export function updateMinor(minor: Pick<MinorRead, 'id' | 'version'>, body: MinorUpdate): Promise<MinorRead> {
  return unwrap(
    api.PATCH('/api/v1/minors/{minor_id}', {
      params: { path: { minor_id: minor.id }, header: { 'If-Match': ifMatch(minor.version) } },
      body,
    }),
  )
}

/** One record by document number: the number travels in the body, never in an address. */
export function lookupMinor(body: MinorLookup): Promise<MinorRead> {
  return unwrap(api.POST('/api/v1/minors/lookup', { body }))
}

/** Full values of masked fields, with a written reason; logged, and limited per day. */
export function revealMinor(minorId: string, body: RevealRequest): Promise<Revealed> {
  return unwrap(api.POST('/api/v1/minors/{minor_id}/reveal', { params: { path: { minor_id: minorId } }, body }))
}

/** Records that may be the same person, before registering: name and birth date in the body, never an address. */
export function checkDuplicates(body: DuplicateCheck): Promise<PossibleDuplicates> {
  return unwrap(api.POST('/api/v1/minors/duplicate-check', { body }))
}

/** The ID number of a provisional record (待核实), added once known. */
export function verifyMinor(minor: Pick<MinorRead, 'id' | 'version'>, body: MinorVerify): Promise<MinorRead> {
  return unwrap(
    api.POST('/api/v1/minors/{minor_id}/verify', {
      params: { path: { minor_id: minor.id }, header: { 'If-Match': ifMatch(minor.version) } },
      body,
    }),
  )
}

/** Merge a provisional record into the record of the same person; answers the surviving record. */
export function mergeMinor(minorId: string, intoId: string): Promise<MinorRead> {
  return unwrap(
    api.POST('/api/v1/minors/{minor_id}/merge', { params: { path: { minor_id: minorId } }, body: { into_id: intoId } }),
  )
}

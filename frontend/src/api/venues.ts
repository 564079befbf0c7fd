// Venues (重点场所) with their history of checks, and pharmacy checks (右美沙芬处方药品使用情况排查).
import { api, ifMatch, unwrap } from './client'
import { compactQuery } from './query'
import type {
  FileFormat,
  Page,
  PageQuery,
  PharmacyCheckIn,
  PharmacyCheckListQuery,
  PharmacyCheckRead,
  PharmacyCheckUpdate,
  VenueCheckIn,
  VenueCheckRead,
  VenueCreate,
  VenueDetail,
  VenueListQuery,
  VenueRead,
  VenueUpdate,
} from './types'

export type VenueFilters = Omit<VenueListQuery, 'limit' | 'offset' | 'sort' | 'format'>
export type PharmacyCheckFilters = Omit<PharmacyCheckListQuery, 'limit' | 'offset' | 'sort' | 'format'>

const venuePath = (venueId: string) => ({ path: { venue_id: venueId } })

export async function listVenues(page: Partial<PageQuery>, filters: VenueFilters = {}): Promise<Page<VenueRead>> {
  return (await unwrap(api.GET('/api/v1/venues', { params: { query: { ...page, ...compactQuery(filters) } } }))) as Page<VenueRead>
}

/** Every venue the filters select, as a file (masked as the list is; the export is audited). */
export async function venuesFile(filters: VenueFilters, format: FileFormat, sort?: string): Promise<Blob> {
  const query = { ...compactQuery(filters), format, ...(sort ? { sort } : {}) }
  return (await unwrap(api.GET('/api/v1/venues', { params: { query }, parseAs: 'blob' }))) as unknown as Blob
}

export function getVenue(venueId: string): Promise<VenueDetail> {
  return unwrap(api.GET('/api/v1/venues/{venue_id}', { params: venuePath(venueId) }))
}

export function createVenue(body: VenueCreate): Promise<VenueRead> {
  return unwrap(api.POST('/api/v1/venues', { body }))
}

export function updateVenue(venue: Pick<VenueRead, 'id' | 'version'>, body: VenueUpdate): Promise<VenueDetail> {
  return unwrap(
    api.PATCH('/api/v1/venues/{venue_id}', {
      params: { ...venuePath(venue.id), header: { 'If-Match': ifMatch(venue.version) } },
      body,
    }),
  )
}

export function recordVenueCheck(venueId: string, body: VenueCheckIn): Promise<VenueCheckRead> {
  return unwrap(api.POST('/api/v1/venues/{venue_id}/checks', { params: venuePath(venueId), body }))
}

export async function listPharmacyChecks(
  page: Partial<PageQuery>,
  filters: PharmacyCheckFilters = {},
): Promise<Page<PharmacyCheckRead>> {
  const query = { ...page, ...compactQuery(filters) }
  return (await unwrap(api.GET('/api/v1/pharmacy-checks', { params: { query } }))) as Page<PharmacyCheckRead>
}

export async function pharmacyChecksFile(filters: PharmacyCheckFilters, format: FileFormat, sort?: string): Promise<Blob> {
  const query = { ...compactQuery(filters), format, ...(sort ? { sort } : {}) }
  return (await unwrap(api.GET('/api/v1/pharmacy-checks', { params: { query }, parseAs: 'blob' }))) as unknown as Blob
}

export function recordPharmacyCheck(body: PharmacyCheckIn): Promise<PharmacyCheckRead> {
  return unwrap(api.POST('/api/v1/pharmacy-checks', { body }))
}

export function updatePharmacyCheck(
  check: Pick<PharmacyCheckRead, 'id' | 'version'>,
  body: PharmacyCheckUpdate,
): Promise<PharmacyCheckRead> {
  return unwrap(
    api.PATCH('/api/v1/pharmacy-checks/{check_id}', {
      params: { path: { check_id: check.id }, header: { 'If-Match': ifMatch(check.version) } },
      body,
    }),
  )
}

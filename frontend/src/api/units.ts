// Units (单位): the county's tree of offices, townships, communities, stations and schools.
import { api, ifMatch, unwrap } from './client'
import { compactQuery } from './query'
import type { Page, PageQuery, UnitCreate, UnitListQuery, UnitNode, UnitRead, UnitUpdate } from './types'

export type UnitFilters = Omit<UnitListQuery, 'limit' | 'offset' | 'sort'>

export function listUnits(page: PageQuery, filters: UnitFilters = {}): Promise<Page<UnitRead>> {
  return unwrap(api.GET('/api/v1/units', { params: { query: { ...page, ...compactQuery(filters) } } }))
}

/** The caller's subtree, root first. */
export function unitTree(): Promise<UnitNode> {
  return unwrap(api.GET('/api/v1/units/tree'))
}

export function createUnit(body: UnitCreate): Promise<UnitRead> {
  return unwrap(api.POST('/api/v1/units', { body }))
}

/** Change the fields in `body` of `unit` as it was read (If-Match: a 412 says someone changed it meanwhile). */
export function updateUnit(unit: Pick<UnitRead, 'id' | 'version'>, body: UnitUpdate): Promise<UnitRead> {
  return unwrap(
    api.PATCH('/api/v1/units/{unit_id}', {
      params: { path: { unit_id: unit.id }, header: { 'If-Match': ifMatch(unit.version) } },
      body,
    }),
  )
}

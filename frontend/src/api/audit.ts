// The audit trail (审计日志): events of the reader's subtree and the hash chain's check.
import { api, unwrap } from './client'
import { compactQuery } from './query'
import type { AuditEventListQuery, AuditEventRead, ChainVerification, Page, PageQuery } from './types'

export type AuditFilters = Omit<AuditEventListQuery, 'limit' | 'offset' | 'sort'>

export function listAuditEvents(page: PageQuery, filters: AuditFilters = {}): Promise<Page<AuditEventRead>> {
  return unwrap(api.GET('/api/v1/audit-events', { params: { query: { ...page, ...compactQuery(filters) } } }))
}

/** Walk the whole chain from the first event. */
export function verifyChain(): Promise<ChainVerification> {
  return unwrap(api.GET('/api/v1/audit-events/verify'))
}

// Transfers (移交) and delegations (委托管理): a minor handed from one township to another, or out of the county,
// or managed by the residence township for a period while the household township stays accountable.
import { api, unwrap } from './client'
import { compactQuery } from './query'
import type { Page, PageQuery, TransferCreate, TransferListQuery, TransferRead, UnitSummary } from './types'

export type TransferFilters = Omit<TransferListQuery, 'limit' | 'offset' | 'sort'>
export type TransferDecision = 'accept' | 'cancel' | 'delivered' | 'end'

export function listTransfers(page: Partial<PageQuery>, filters: TransferFilters = {}): Promise<Page<TransferRead>> {
  return unwrap(api.GET('/api/v1/transfers', { params: { query: { ...page, ...compactQuery(filters) } } }))
}

/** The units a minor may be handed to. */
export function transferDestinations(): Promise<UnitSummary[]> {
  return unwrap(api.GET('/api/v1/transfers/destinations'))
}

export function requestTransfer(body: TransferCreate): Promise<TransferRead> {
  return unwrap(api.POST('/api/v1/transfers', { body }))
}

const path = (transferId: string) => ({ path: { transfer_id: transferId } })

/** Accept, cancel or mark as delivered (a transfer out of the county). */
export function decideTransfer(transferId: string, decision: TransferDecision): Promise<TransferRead> {
  if (decision === 'accept') return unwrap(api.POST('/api/v1/transfers/{transfer_id}/accept', { params: path(transferId) }))
  if (decision === 'cancel') return unwrap(api.POST('/api/v1/transfers/{transfer_id}/cancel', { params: path(transferId) }))
  if (decision === 'end') return unwrap(api.POST('/api/v1/transfers/{transfer_id}/end', { params: path(transferId) }))
  return unwrap(api.POST('/api/v1/transfers/{transfer_id}/delivered', { params: path(transferId) }))
}

/** The delegating unit moves a delegation's last day (委托管理续期). */
export function renewDelegation(transferId: string, endsOn: string): Promise<TransferRead> {
  return unwrap(api.POST('/api/v1/transfers/{transfer_id}/renew', { params: path(transferId), body: { ends_on: endsOn } }))
}

export function rejectTransfer(transferId: string, note: string): Promise<TransferRead> {
  return unwrap(api.POST('/api/v1/transfers/{transfer_id}/reject', { params: path(transferId), body: { note } }))
}

/** The printable written notice (an HTML page). */
export async function transferNotice(transferId: string): Promise<string> {
  const html = await unwrap(api.GET('/api/v1/transfers/{transfer_id}/notice', { params: path(transferId), parseAs: 'text' }))
  return String(html)
}

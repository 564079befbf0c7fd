// Transfers (移交): a minor handed from one township to another, or out of the county.
import { api, unwrap } from './client'
import { compactQuery } from './query'
import type { Page, PageQuery, TransferCreate, TransferListQuery, TransferRead, UnitSummary } from './types'

export type TransferFilters = Omit<TransferListQuery, 'limit' | 'offset' | 'sort'>
export type TransferDecision = 'accept' | 'cancel' | 'delivered'

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
  return unwrap(api.POST('/api/v1/transfers/{transfer_id}/delivered', { params: path(transferId) }))
}

export function rejectTransfer(transferId: string, note: string): Promise<TransferRead> {
  return unwrap(api.POST('/api/v1/transfers/{transfer_id}/reject', { params: path(transferId), body: { note } }))
}

/** The printable written notice (an HTML page). */
export async function transferNotice(transferId: string): Promise<string> {
  const html = await unwrap(api.GET('/api/v1/transfers/{transfer_id}/notice', { params: path(transferId), parseAs: 'text' }))
  return String(html)
}

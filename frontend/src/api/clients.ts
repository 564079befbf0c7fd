// API clients (接口客户端): the police and education-bureau systems that call the API with a secret.
import { api, ifMatch, unwrap } from './client'
import { compactQuery } from './query'
import type { ClientCreate, ClientListQuery, ClientRead, ClientUpdate, ClientWithSecret, Page, PageQuery } from './types'

export type ClientFilters = Omit<ClientListQuery, 'limit' | 'offset' | 'sort'>

export function listClients(page: PageQuery, filters: ClientFilters = {}): Promise<Page<ClientRead>> {
  return unwrap(api.GET('/api/v1/clients', { params: { query: { ...page, ...compactQuery(filters) } } }))
}

/** Register a client; the answer carries its secret, shown once. */
export function createClient(body: ClientCreate): Promise<ClientWithSecret> {
  return unwrap(api.POST('/api/v1/clients', { body }))
}

export function updateClient(client: Pick<ClientRead, 'id' | 'version'>, body: ClientUpdate): Promise<ClientRead> {
  return unwrap(
    api.PATCH('/api/v1/clients/{client_id}', {
      params: { path: { client_id: client.id }, header: { 'If-Match': ifMatch(client.version) } },
      body,
    }),
  )
}

/** A new secret (the old one stops working at once), shown once. */
export function rotateSecret(clientId: string): Promise<ClientWithSecret> {
  return unwrap(api.POST('/api/v1/clients/{client_id}/rotate-secret', { params: { path: { client_id: clientId } } }))
}

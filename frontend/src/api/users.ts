// People (人员): accounts of the county's staff.
import { api, ifMatch, unwrap } from './client'
import { compactQuery } from './query'
import type { Page, PageQuery, PasswordReset, UserCreate, UserCreated, UserListQuery, UserRead, UserUpdate } from './types'

export type UserFilters = Omit<UserListQuery, 'limit' | 'offset' | 'sort'>

export function listUsers(page: Partial<PageQuery>, filters: UserFilters = {}): Promise<Page<UserRead>> {
  return unwrap(api.GET('/api/v1/users', { params: { query: { ...page, ...compactQuery(filters) } } }))
}

export function getUser(userId: string): Promise<UserRead> {
  return unwrap(api.GET('/api/v1/users/{user_id}', { params: { path: { user_id: userId } } }))
}

/** Create an account; without a password in `body` the answer carries a one-time password. */
export function createUser(body: UserCreate): Promise<UserCreated> {
  return unwrap(api.POST('/api/v1/users', { body }))
}

export function updateUser(user: Pick<UserRead, 'id' | 'version'>, body: UserUpdate): Promise<UserRead> {
  return unwrap(
    api.PATCH('/api/v1/users/{user_id}', {
      params: { path: { user_id: user.id }, header: { 'If-Match': ifMatch(user.version) } },
      body,
    }),
  )
}

/** A new one-time password; the person must change it at the next login. */
export function resetPassword(userId: string): Promise<PasswordReset> {
  return unwrap(api.POST('/api/v1/users/{user_id}/reset-password', { params: { path: { user_id: userId } } }))
}

/** Clear an account's login slow-down (failed attempts) before it runs out. */
export async function unlockUser(userId: string): Promise<void> {
  await unwrap(api.POST('/api/v1/users/{user_id}/unlock', { params: { path: { user_id: userId } } }))
}

// My notifications (站内通知): events (a file assigned to me, a transfer asked of my unit) and the daily digest.
// A notification names a minor by a masked name at most; its link opens the record.
import { api, unwrap } from './client'
import type { NotificationRead, Page } from './types'

export function listNotifications(page: { limit: number; offset: number }, unreadOnly = false): Promise<Page<NotificationRead>> {
  return unwrap(api.GET('/api/v1/me/notifications', { params: { query: { ...page, unread: unreadOnly } } }))
}

export async function unreadCount(): Promise<number> {
  return (await unwrap(api.GET('/api/v1/me/notifications/unread-count'))).unread
}

export function markRead(notificationId: string): Promise<NotificationRead> {
  return unwrap(api.POST('/api/v1/me/notifications/{notification_id}/read', { params: { path: { notification_id: notificationId } } }))
}

export async function markAllRead(): Promise<number> {
  return (await unwrap(api.POST('/api/v1/me/notifications/read-all'))).marked
}

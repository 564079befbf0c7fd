import { defineStore } from 'pinia'
import { ref } from 'vue'
import { unreadCount } from '@/api/notifications'

/** The bell's unread count, shared by the top bar and the notifications page (marking read lowers it at once). */
export const useNotificationStore = defineStore('notifications', () => {
  const unread = ref(0)

  async function refresh(): Promise<void> {
    try {
      unread.value = await unreadCount()
    } catch {
      // The bell is a hint: a failed count keeps the last one (the page itself says what went wrong).
    }
  }

  function set(count: number): void {
    unread.value = Math.max(0, count)
  }

  return { unread, refresh, set }
})

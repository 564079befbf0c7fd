import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import {
  api,
  cancelRefreshTimer,
  passwordGrant,
  refreshAccessToken,
  revokeToken,
  scheduleRefresh,
  unwrap,
} from '@/api/client'
import { clearTokens, getAccessToken, hasSession, storeTokens } from '@/api/tokens'
import type { Me, Scope } from '@/api/types'

/** Who is logged in, and the session's life: log in, restore after a reload, refresh, log out. */
export const useSessionStore = defineStore('session', () => {
  const me = ref<Me | null>(null)
  const restored = ref(false)
  let restoring: Promise<void> | null = null

  const isAuthenticated = computed(() => me.value !== null)
  const scopes = computed(() => new Set<Scope>(me.value?.scopes ?? []))
  const mustChangePassword = computed(() => me.value?.must_change_password === true)

  /** Whether the principal holds the scope (or, given several, at least one of them). */
  function can(scope: Scope | readonly Scope[]): boolean {
    return typeof scope === 'string' ? scopes.value.has(scope) : scope.some((one) => scopes.value.has(one))
  }

  async function loadMe(): Promise<Me> {
    const loaded = await unwrap(api.GET('/api/v1/me'))
    me.value = loaded
    return loaded
  }

  async function login(username: string, password: string): Promise<Me> {
    storeTokens(await passwordGrant(username, password))
    scheduleRefresh()
    restored.value = true
    return loadMe()
  }

  /** After a reload: trade the refresh cookie for a new access token, then ask who we are. Once. */
  function restore(): Promise<void> {
    if (restored.value) return Promise.resolve()
    restoring ??= (async () => {
      try {
        if (hasSession() && (await refreshAccessToken())) await loadMe()
      } catch {
        clearTokens()
        me.value = null
      } finally {
        restored.value = true
        restoring = null
      }
    })()
    return restoring
  }

  /** The server ended the session: forget it locally (the router sends the person to the login page). */
  function expire(): void {
    cancelRefreshTimer()
    clearTokens()
    me.value = null
  }

  async function logout(): Promise<void> {
    const token = getAccessToken()
    const active = hasSession()
    cancelRefreshTimer()
    try {
      // the refresh cookie goes along: its session ends too, and the answer clears it
      if (token || active) await revokeToken(token)
    } catch {
      // the session is forgotten here either way; the refresh token expires on its own
    } finally {
      clearTokens()
      me.value = null
    }
  }

  async function changePassword(currentPassword: string, newPassword: string): Promise<void> {
    await unwrap(
      api.POST('/api/v1/me/password', { body: { current_password: currentPassword, new_password: newPassword } }),
    )
    await loadMe()
  }

  return {
    me,
    restored,
    isAuthenticated,
    scopes,
    mustChangePassword,
    can,
    loadMe,
    login,
    restore,
    expire,
    logout,
    changePassword,
  }
})

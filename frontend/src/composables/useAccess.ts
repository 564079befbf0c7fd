import { computed } from 'vue'
import type { RouteMeta, RouteRecordRaw } from 'vue-router'
import { appRoutes } from '@/router'
import { useSessionStore } from '@/stores/session'

/** What the logged-in principal may use: pages by their route meta, actions by scope. */
export function useAccess() {
  const session = useSessionStore()

  function canOpen(meta: RouteMeta): boolean {
    if (!session.me) return false
    if (meta.scope && !session.can(meta.scope)) return false
    if (meta.peopleOnly && session.me.kind !== 'user') return false
    if (meta.roles && !meta.roles.includes(session.me.role ?? '')) return false
    return true
  }

  const menuRoutes = computed<RouteRecordRaw[]>(() =>
    appRoutes.filter((route) => route.meta?.icon && canOpen(route.meta)),
  )

  return { can: session.can, canOpen, menuRoutes }
}

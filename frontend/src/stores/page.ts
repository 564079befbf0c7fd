import { defineStore } from 'pinia'
import { ref, shallowRef } from 'vue'
import type { RouteLocationRaw } from 'vue-router'
import type { MenuKey } from '@/router'

export interface Crumb {
  title: string
  to?: RouteLocationRaw
}

/**
 * What a page says about where it sits, when its route alone cannot: the breadcrumb after 工作台 and the menu
 * entry to light up (a task report sits under 专项行动 for the campaign's issuer, under 我的任务 for the unit
 * reporting). Forgotten on every navigation; the layout falls back to the route's menu entry.
 */
export const usePageStore = defineStore('page', () => {
  const crumbs = shallowRef<Crumb[] | null>(null)
  const section = ref<MenuKey | null>(null)

  function place(trail: Crumb[], menu?: MenuKey): void {
    crumbs.value = trail
    section.value = menu ?? null
  }

  function reset(): void {
    crumbs.value = null
    section.value = null
  }

  return { crumbs, section, place, reset }
})

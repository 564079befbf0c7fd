import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { unitTree } from '@/api/units'
import type { UnitNode } from '@/api/types'

/** The caller's unit subtree (GET /api/v1/units/tree), shared by the unit picker, the units page and home. */
export const useUnitTreeStore = defineStore('unitTree', () => {
  const root = ref<UnitNode | null>(null)
  const loading = ref(false)
  const error = ref<unknown>(null)
  let pending: Promise<void> | null = null

  function load(force = false): Promise<void> {
    if (root.value && !force) return Promise.resolve()
    pending ??= (async () => {
      loading.value = true
      error.value = null
      try {
        root.value = await unitTree()
      } catch (caught) {
        error.value = caught
        throw caught
      } finally {
        loading.value = false
        pending = null
      }
    })()
    return pending
  }

  /** Every node of the tree, parents before children. */
  const nodes = computed<UnitNode[]>(() => {
    const all: UnitNode[] = []
    const walk = (node: UnitNode) => {
      all.push(node)
      for (const child of node.children ?? []) walk(child)
    }
    if (root.value) walk(root.value)
    return all
  })

  function find(id: string | null | undefined): UnitNode | undefined {
    return id ? nodes.value.find((node) => node.id === id) : undefined
  }

  /** Ids of `id` and all below it: a unit cannot move under these. */
  function subtreeIds(id: string): Set<string> {
    const ids = new Set<string>()
    const start = find(id)
    const walk = (node: UnitNode) => {
      ids.add(node.id)
      for (const child of node.children ?? []) walk(child)
    }
    if (start) walk(start)
    return ids
  }

  function reset(): void {
    root.value = null
  }

  return { root, loading, error, nodes, load, find, subtreeIds, reset }
})

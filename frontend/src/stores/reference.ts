import { defineStore } from 'pinia'
import { ref } from 'vue'
import { getReference } from '@/api/reference'
import type { Label } from '@/api/types'
import { i18n } from '@/i18n'

export interface EnumOption {
  value: string
  label: string
}

/** Labels of every enum, from GET /api/v1/reference: the frontend keeps no copies of them. */
export const useReferenceStore = defineStore('reference', () => {
  const enums = ref<Record<string, Label[]>>({})
  const loaded = ref(false)
  let loading: Promise<void> | null = null

  function load(force = false): Promise<void> {
    if (loaded.value && !force) return Promise.resolve()
    loading ??= getReference()
      .then((data) => {
        enums.value = data.enums
        loaded.value = true
      })
      .finally(() => {
        loading = null
      })
    return loading
  }

  function text(entry: Label): string {
    return i18n.global.locale.value === 'en' ? entry.en : entry.zh
  }

  /** The label of `code` in the enum `name`, in the current language; the code itself when unknown. */
  function label(name: string, code: string | null | undefined): string {
    if (code === null || code === undefined) return ''
    const entry = enums.value[name]?.find((candidate) => candidate.code === code)
    return entry ? text(entry) : code
  }

  function options(name: string, only?: readonly string[]): EnumOption[] {
    return (enums.value[name] ?? [])
      .filter((entry) => !only || only.includes(entry.code))
      .map((entry) => ({ value: entry.code, label: text(entry) }))
  }

  function reset(): void {
    enums.value = {}
    loaded.value = false
  }

  return { enums, loaded, load, label, options, reset }
})

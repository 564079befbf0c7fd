import { ref, shallowRef } from 'vue'

/** The add/edit dialog of a list page: open empty to add, or with the row to edit. */
export function useEditDialog<T>() {
  const open = ref(false)
  const editing = shallowRef<T | null>(null)

  function openCreate(): void {
    editing.value = null
    open.value = true
  }

  function openEdit(row: T): void {
    editing.value = row
    open.value = true
  }

  return { open, editing, openCreate, openEdit }
}

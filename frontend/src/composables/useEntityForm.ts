import { computed, watch, type Ref } from 'vue'
import { isApiError } from '@/api/problem'
import { useAction } from './useAction'
import { useProblemForm } from './useProblemForm'

interface Versioned {
  id: string
  version: number
}

export interface EntityFormOptions<E extends Versioned, Body extends object, Created, Saved> {
  /** The dialog's v-model: the form is filled from `entity` each time it opens. */
  open: Ref<boolean>
  /** The record being edited; null to add one. */
  entity: () => E | null
  fill: (entity: E | null) => void
  /** What the form changes of `entity`: only these fields are sent. */
  changes: (entity: E) => Body
  update: (entity: E, body: Body) => Promise<Saved>
  create: () => Promise<Created>
  messages: { saved: string; created: string }
  onSaved: (value: Saved) => void
  onCreated: (value: Created) => void
  /** Someone else changed the record meanwhile (412): the dialog closes and the page reloads it. */
  onStale: () => void
}

/**
 * The save of an add/edit dialog (units, people, clients): only changed fields with If-Match, a create
 * otherwise; server errors on their fields; a stale version closes the dialog so the list shows the news.
 */
export function useEntityForm<E extends Versioned, Body extends object, Created, Saved>(
  options: EntityFormOptions<E, Body, Created, Saved>,
) {
  const problems = useProblemForm()
  const { loading: saving, run } = useAction()
  const editing = computed(() => options.entity() !== null)

  watch(options.open, (isOpen) => {
    if (!isOpen) return
    problems.clear()
    options.fill(options.entity())
  })

  function onError(error: unknown): boolean {
    if (isApiError(error) && error.status === 412) {
      options.open.value = false
      options.onStale()
      // the shared message says the record changed meanwhile
      return false
    }
    problems.apply(error)
    return true
  }

  async function save(): Promise<void> {
    const entity = options.entity()
    if (entity) {
      const body = options.changes(entity)
      if (Object.keys(body).length === 0) {
        options.open.value = false
        return
      }
      const result = await run(() => options.update(entity, body), { success: options.messages.saved, onError })
      if (result.ok) {
        options.open.value = false
        options.onSaved(result.value)
      }
      return
    }
    const result = await run(options.create, { success: options.messages.created, onError })
    if (result.ok) {
      options.open.value = false
      options.onCreated(result.value)
    }
  }

  return { problems, saving, editing, save }
}

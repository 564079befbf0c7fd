import { ref } from 'vue'
import { i18n } from '@/i18n'
import { isApiError } from '@/api/problem'
import { useAction } from './useAction'
import { confirmAction } from './useConfirm'

interface Switchable {
  id: string
  version: number
  is_active: boolean
}

/**
 * Deactivate or reactivate a row (a unit, a person, a client) after confirming. `messages` names the i18n
 * block with `confirmActivate`, `confirmDeactivate`, `activated` and `deactivated` (each taking `{name}`).
 */
export function useActiveToggle<E extends Switchable>(options: {
  messages: 'units' | 'people' | 'clients'
  name: (row: E) => string
  update: (row: E, body: { is_active: boolean }) => Promise<unknown>
  reload: () => void
}) {
  const { t } = i18n.global
  const { run } = useAction()
  const busyId = ref<string | null>(null)

  async function toggle(row: E): Promise<void> {
    const activate = !row.is_active
    const block = options.messages
    const question = t(`${block}.${activate ? 'confirmActivate' : 'confirmDeactivate'}`, { name: options.name(row) })
    if (!(await confirmAction(question, { danger: !activate }))) return
    busyId.value = row.id
    const result = await run(() => options.update(row, { is_active: activate }), {
      success: t(`${block}.${activate ? 'activated' : 'deactivated'}`),
    })
    busyId.value = null
    // on success the row changed; on a stale version the message says so and the reload shows the news
    if (result.ok || (isApiError(result.error) && result.error.status === 412)) options.reload()
  }

  return { busyId, toggle }
}

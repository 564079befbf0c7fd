import { ElMessageBox } from 'element-plus'
import { i18n } from '@/i18n'
import type { MinorRead } from '@/api/types'

/** The tag colour of a computed due state. */
export function dueTagType(state: string | null | undefined): 'danger' | 'warning' | 'info' | 'success' {
  if (state === 'lost_contact') return 'danger'
  if (state === 'overdue') return 'warning'
  if (state === 'due_soon') return 'info'
  return 'success'
}

/** A minor as the privacy policy let the server show them: the (possibly masked) name and the age. */
export function minorLabel(minor: MinorRead): string {
  const age = i18n.global.t('careFiles.age', { age: minor.age })
  return `${minor.name ?? '—'} · ${age}`
}

/** Today in Shanghai as YYYY-MM-DD, to compare with the API's dates. */
export function localToday(): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date())
}

/** Ask the lead for a comment: null when the dialog is dismissed. */
export async function askComment(title: string, label: string): Promise<string | null> {
  const { t } = i18n.global
  try {
    const answer = await ElMessageBox.prompt(label, title, {
      confirmButtonText: t('common.confirm'),
      cancelButtonText: t('common.cancel'),
      inputPattern: /\S{2,}/,
      inputErrorMessage: label,
    })
    return answer.value
  } catch {
    return null
  }
}

import { i18n, lookupMessage } from '@/i18n'
import { ApiError, isApiError, problemSlug } from './problem'

/** One line for a person: the problem's type in their language, with the server's detail where we have no words for it. */
export function describeProblem(error: unknown): string {
  const { t } = i18n.global
  if (!isApiError(error)) return t('problems.generic', { status: '?' })
  if (error.status === 0) return t('problems.network')
  const detail = error.problem.detail
  const translatedDetail = detail ? lookupMessage('details', detail) : null
  if (translatedDetail) return translatedDetail
  const slugText = lookupMessage('problems', problemSlug(error.problem.type))
  if (slugText) {
    // Field problems are shown on their fields; other details add what the type alone cannot say.
    return detail && !error.problem.errors?.length ? `${slugText}：${detail}` : slugText
  }
  return detail ?? error.problem.title ?? t('problems.generic', { status: error.status })
}

/** The message for one field problem: by its type where we have words, else the server's `msg`. */
export function describeFieldProblem(type: string, msg: string): string {
  return lookupMessage('fieldErrors', type) ?? msg
}

export { ApiError }

import { i18n, lookupMessage } from '@/i18n'
import { ApiError, isApiError, problemSlug } from './problem'

// What a status means when the body names no type we have words for: a proxy's HTML page while the server
// restarts (502/503/504), an `about:blank` problem. Its English title is never shown.
const STATUS_SLUGS: Readonly<Record<number, string>> = {
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not-found',
  409: 'conflict',
  412: 'precondition-failed',
  413: 'payload-too-large',
  422: 'validation',
  429: 'too-many-requests',
  500: 'internal-error',
  502: 'service-unavailable',
  503: 'service-unavailable',
  504: 'service-unavailable',
}

// The server's sentences with a value in them (backend/errors.py, backend/http.py, backend/auth/deps.py), as it
// writes them in English and in Chinese (backend/messages.py; the request asks for the interface's language):
// said in the person's language with the value kept — a request id is what support asks for.
const DETAIL_PATTERNS: readonly [RegExp, 'problems.withRequestId' | 'problems.missingScope'][] = [
  [/^An unexpected error occurred \(request ([^)]*)\)\.$/, 'problems.withRequestId'],
  [/^服务器出错，已记录，请稍后重试（请求编号 ([^）]*)）。$/, 'problems.withRequestId'],
  [/^This needs the scope (.+)\.$/, 'problems.missingScope'],
  [/^您没有执行此操作的权限（需要 (.+)）。$/, 'problems.missingScope'],
]

/**
 * One line for a person: the problem's type in their language, with the server's detail where we have no words
 * for it. The web app's own words (by type and by known detail) come first; the server's detail, written in the
 * language the request asked for, fills in the rest.
 */
export function describeProblem(error: unknown): string {
  const { t } = i18n.global
  if (!isApiError(error)) return t('problems.generic', { status: '?' })
  if (error.status === 0) return t('problems.network')
  const statusSlug = STATUS_SLUGS[error.status]
  const typeText =
    lookupMessage('problems', problemSlug(error.problem.type)) ??
    (statusSlug ? lookupMessage('problems', statusSlug) : null) ??
    t('problems.generic', { status: error.status })
  const detail = error.problem.detail
  if (!detail) return typeText
  const fixed = lookupMessage('details', detail)
  if (fixed) return fixed
  for (const [pattern, key] of DETAIL_PATTERNS) {
    const value = pattern.exec(detail)?.[1]?.trim()
    // matched but empty (a request that got no id): the type's own words say enough
    if (value !== undefined) return value ? t(key, { value }) : typeText
  }
  // Field problems are shown on their fields; other details add what the type alone cannot say.
  return error.problem.errors?.length ? typeText : `${typeText}：${detail}`
}

/** The message for one field problem: by its type where we have words, else the server's `msg`. */
export function describeFieldProblem(type: string, msg: string): string {
  return lookupMessage('fieldErrors', type) ?? msg
}

export { ApiError }

import type { components } from './schema'

export const PROBLEM_BASE = 'https://qinghu.example/problems/'

/** RFC 9457 problem details as the API sends them, plus the extension members some problems carry. */
export type Problem = components['schemas']['Problem'] & {
  locked_until?: string | null
  /** A duplicate registration in the caller's scope names the record that exists (409). */
  existing_id?: string | null
}

/** A request that did not succeed: an answer from the server (problem+json) or no answer at all (status 0). */
export class ApiError extends Error {
  readonly status: number
  readonly problem: Problem
  readonly retryAfter: number | null

  constructor(problem: Problem, retryAfter: number | null = null) {
    super(problem.detail ?? problem.title)
    this.name = 'ApiError'
    this.status = problem.status
    this.problem = problem
    this.retryAfter = retryAfter
  }

  /** The last part of the problem type, e.g. `account-locked`. */
  get slug(): string {
    return problemSlug(this.problem.type)
  }
}

export function problemSlug(type: string): string {
  return type.startsWith(PROBLEM_BASE) ? type.slice(PROBLEM_BASE.length) : type
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Read whatever came back as a problem; a body that is not one (a proxy's HTML page) still gives a usable one. */
export function toProblem(status: number, body: unknown): Problem {
  if (isRecord(body) && typeof body.type === 'string' && typeof body.title === 'string') {
    const problem: Problem = {
      type: body.type,
      title: body.title,
      status: typeof body.status === 'number' ? body.status : status,
    }
    if (typeof body.detail === 'string') problem.detail = body.detail
    if (Array.isArray(body.errors)) {
      problem.errors = body.errors.filter(isRecord).map((error) => ({
        loc: Array.isArray(error.loc) ? error.loc.filter((part): part is string | number => typeof part === 'string' || typeof part === 'number') : [],
        msg: typeof error.msg === 'string' ? error.msg : '',
        type: typeof error.type === 'string' ? error.type : 'invalid',
      }))
    }
    if (typeof body.locked_until === 'string') problem.locked_until = body.locked_until
    if (typeof body.existing_id === 'string') problem.existing_id = body.existing_id
    return problem
  }
  return { type: status === 0 ? `${PROBLEM_BASE}network` : 'about:blank', title: `HTTP ${status}`, status }
}

export function networkError(): ApiError {
  return new ApiError(toProblem(0, undefined))
}

export function isApiError(value: unknown): value is ApiError {
  return value instanceof ApiError
}

/** `loc` of a body field (`["body", "parent_id"]`) as the form field path (`parent_id`); other locations give null. */
export function fieldPath(loc: (string | number)[]): string | null {
  if (loc[0] !== 'body' || loc.length < 2) return null
  return loc.slice(1).join('.')
}

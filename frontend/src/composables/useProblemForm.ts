import { reactive, ref } from 'vue'
import { describeFieldProblem, describeProblem } from '@/api/describe'
import { fieldPath, isApiError } from '@/api/problem'

/**
 * Server-side validation on a form: each problem+json `errors[]` entry whose `loc` is a body field lands on
 * that field (`<el-form-item :error="fieldErrors.name">`); the rest becomes one message above the form.
 */
export function useProblemForm() {
  const fieldErrors = reactive<Record<string, string>>({})
  const formError = ref('')

  function clear(): void {
    for (const key of Object.keys(fieldErrors)) delete fieldErrors[key]
    formError.value = ''
  }

  /** Show `error` on the form. True when at least one field got a message. */
  function apply(error: unknown): boolean {
    clear()
    let placed = false
    if (isApiError(error)) {
      for (const problem of error.problem.errors ?? []) {
        const path = fieldPath(problem.loc)
        if (path === null) continue
        const message = describeFieldProblem(problem.type, problem.msg)
        fieldErrors[path] = fieldErrors[path] ? `${fieldErrors[path]}；${message}` : message
        placed = true
      }
    }
    formError.value = placed ? '' : describeProblem(error)
    return placed
  }

  return { fieldErrors, formError, clear, apply }
}

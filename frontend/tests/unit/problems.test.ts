import { beforeEach, describe, expect, it } from 'vitest'
import { ApiError, fieldPath, toProblem } from '@/api/problem'
import { describeProblem } from '@/api/describe'
import { compactQuery } from '@/api/query'
import { useProblemForm } from '@/composables/useProblemForm'
import { setLocale } from '@/i18n'

function problemError(body: Record<string, unknown>): ApiError {
  return new ApiError(toProblem(Number(body.status), body))
}

describe('problem+json', () => {
  beforeEach(() => setLocale('zh-CN'))

  it('maps body locations to form fields and ignores the rest', () => {
    expect(fieldPath(['body', 'parent_id'])).toBe('parent_id')
    expect(fieldPath(['body', 'person', 'id_number'])).toBe('person.id_number')
    expect(fieldPath(['query', 'sort'])).toBeNull()
    expect(fieldPath(['body'])).toBeNull()
  })

  it('puts field problems on their fields, translated by type, else the server message', () => {
    const form = useProblemForm()
    const placed = form.apply(
      problemError({
        type: 'https://qinghu.example/problems/validation',
        title: 'Invalid request',
        status: 422,
        detail: 'new_password: too weak',
        errors: [
          { loc: ['body', 'new_password'], msg: 'too weak', type: 'password.too_weak' },
          { loc: ['body', 'division_code'], msg: 'not a division code', type: 'division_code.unknown_kind' },
        ],
      }),
    )
    expect(placed).toBe(true)
    expect(form.fieldErrors.new_password).toContain('太容易被猜到')
    expect(form.fieldErrors.division_code).toBe('not a division code')
    expect(form.formError.value).toBe('')
  })

  it('shows a problem without field errors above the form', () => {
    const form = useProblemForm()
    const placed = form.apply(
      problemError({
        type: 'https://qinghu.example/problems/conflict',
        title: 'Conflict',
        status: 409,
        detail: "A unit named 'X' already exists under the same parent.",
      }),
    )
    expect(placed).toBe(false)
    expect(form.formError.value).toContain('操作与现有数据冲突')
    expect(form.formError.value).toContain("A unit named 'X'")
    form.clear()
    expect(form.formError.value).toBe('')
  })

  it('translates known server messages and reports an unreachable server', () => {
    const wrong = problemError({
      type: 'https://qinghu.example/problems/invalid-grant',
      title: 'Login failed',
      status: 400,
      detail: 'Wrong username or password.',
    })
    expect(describeProblem(wrong)).toBe('用户名或密码错误')
    expect(describeProblem(new ApiError(toProblem(0, undefined)))).toContain('无法连接服务器')
    setLocale('en')
    expect(describeProblem(wrong)).toBe('Wrong username or password.')
  })

  it('reads a non-problem body as a usable problem, said by its status', () => {
    const problem = toProblem(502, '<html>Bad gateway</html>')
    expect(problem.status).toBe(502)
    expect(describeProblem(new ApiError(problem))).toBe('服务暂时不可用，请稍后重试')
    expect(describeProblem(new ApiError(toProblem(418, '<html>teapot</html>')))).toBe('操作失败（418）')
    // a problem that is not one of ours: its English title is not shown
    expect(describeProblem(problemError({ type: 'about:blank', title: 'Internal Server Error', status: 500 }))).toBe(
      '服务器出错，已记录，请稍后重试',
    )
  })

  it("says the server's sentences with a value in them in Chinese, keeping the value", () => {
    const internal = (detail: string) =>
      problemError({ type: 'https://qinghu.example/problems/internal-error', title: 'Internal error', status: 500, detail })
    expect(describeProblem(internal('An unexpected error occurred (request 7f3a9c01).'))).toBe(
      '服务器出错，已记录，请稍后重试（请求编号 7f3a9c01）',
    )
    expect(describeProblem(internal('An unexpected error occurred (request ).'))).toBe('服务器出错，已记录，请稍后重试')
    const scope = problemError({
      type: 'https://qinghu.example/problems/forbidden',
      title: 'Not allowed',
      status: 403,
      detail: 'This needs the scope stats:read.',
    })
    expect(describeProblem(scope)).toBe('您没有执行此操作的权限（需要 stats:read）')
    const database = problemError({
      type: 'https://qinghu.example/problems/service-unavailable',
      title: 'Service unavailable',
      status: 503,
      detail: 'The database is unreachable; try again shortly.',
    })
    expect(describeProblem(database)).toBe('服务暂时不可用（数据库无法连接），请稍后重试')
  })

  it('never sends empty filters', () => {
    expect(compactQuery({ q: '  ', role: undefined, within: null, is_active: false, kind: 'school', name: ' 锦湖 ' })).toEqual({
      is_active: false,
      kind: 'school',
      name: '锦湖',
    })
  })
})

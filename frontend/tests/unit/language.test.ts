import { afterEach, describe, expect, it } from 'vitest'
import { api, unwrap } from '@/api/client'
import { ApiError, toProblem } from '@/api/problem'
import { describeFieldProblem, describeProblem } from '@/api/describe'
import { setLocale } from '@/i18n'
import { ME, mockFetch } from './helpers'

function problemError(body: Record<string, unknown>): ApiError {
  return new ApiError(toProblem(Number(body.status), body))
}

describe('the server answers in the interface language', () => {
  afterEach(() => setLocale('zh-CN'))

  it('asks for the interface language on every request, and for the other one after a switch', async () => {
    const seen = mockFetch({ 'GET /api/v1/me': { status: 200, body: ME } })
    setLocale('zh-CN')
    await unwrap(api.GET('/api/v1/me'))
    setLocale('en')
    await unwrap(api.GET('/api/v1/me'))
    expect(seen.map((request) => request.headers.get('Accept-Language'))).toEqual(['zh-CN', 'en'])
  })

  it("shows the server's Chinese detail where the web app has no words of its own", () => {
    setLocale('zh-CN')
    const forbidden = problemError({
      type: 'https://qinghu.example/problems/forbidden',
      title: '无权操作',
      status: 403,
      detail: '只有工作站的社工和负责人可以建立和维护帮教档案。',
    })
    expect(describeProblem(forbidden)).toBe('您没有执行此操作的权限：只有工作站的社工和负责人可以建立和维护帮教档案。')
  })

  it("keeps the values of the server's Chinese sentences it has words for", () => {
    setLocale('zh-CN')
    const internal = problemError({
      type: 'https://qinghu.example/problems/internal-error',
      title: '服务器内部错误',
      status: 500,
      detail: '服务器出错，已记录，请稍后重试（请求编号 7f3a9c01）。',
    })
    expect(describeProblem(internal)).toBe('服务器出错，已记录，请稍后重试（请求编号 7f3a9c01）')
    const scope = problemError({
      type: 'https://qinghu.example/problems/forbidden',
      title: '无权操作',
      status: 403,
      detail: '您没有执行此操作的权限（需要 stats:read）。',
    })
    expect(describeProblem(scope)).toBe('您没有执行此操作的权限（需要 stats:read）')
    const database = problemError({
      type: 'https://qinghu.example/problems/service-unavailable',
      title: '服务暂时不可用',
      status: 503,
      detail: '服务暂时不可用（数据库无法连接），请稍后重试。',
    })
    expect(describeProblem(database)).toBe('服务暂时不可用（数据库无法连接），请稍后重试')
  })

  it("names a field's problem by its type first, else in the server's words", () => {
    setLocale('zh-CN')
    expect(describeFieldProblem('id_number.checksum', 'check digit does not match')).toBe('校验位不符，请核对号码')
    expect(describeFieldProblem('unit.parent_kind', '社区（村）只能设在以下类型的单位之下：乡镇（街道）')).toBe(
      '该类型的单位不能设在所选上级单位之下',
    )
    expect(describeFieldProblem('string_too_long', '最多 100 个字符')).toBe('内容过长')
    expect(describeFieldProblem('campaign.no_tasks', '专项行动至少需要一项任务')).toBe('专项行动至少需要一项任务')
  })
})

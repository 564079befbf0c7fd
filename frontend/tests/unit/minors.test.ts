import { beforeEach, describe, expect, it } from 'vitest'
import { ApiError, toProblem } from '@/api/problem'
import { describeProblem } from '@/api/describe'
import { useProblemForm } from '@/composables/useProblemForm'
import { setLocale } from '@/i18n'
import { eighteenMarker } from '@/views/minors/minorFormat'

const PROBLEMS = 'https://qinghu.example/problems/'

describe('minors: problems and markers', () => {
  beforeEach(() => setLocale('zh-CN'))

  it('keeps the existing record of a duplicate registration', () => {
    const problem = toProblem(409, {
      type: `${PROBLEMS}conflict`,
      title: 'Conflict',
      status: 409,
      detail: 'This person is already registered.',
      existing_id: '0b5c3f4e-0000-4000-8000-000000000001',
    })
    expect(problem.existing_id).toBe('0b5c3f4e-0000-4000-8000-000000000001')
    expect(toProblem(409, { type: `${PROBLEMS}conflict`, title: 'Conflict', status: 409 }).existing_id).toBeUndefined()
  })

  it("words the registry's field problems and messages from the minors block", () => {
    const form = useProblemForm()
    form.apply(
      new ApiError(
        toProblem(422, {
          type: `${PROBLEMS}validation`,
          title: 'Invalid request',
          status: 422,
          errors: [{ loc: ['body', 'id_number'], msg: 'check digit does not match', type: 'id_number.checksum' }],
        }),
      ),
    )
    expect(form.fieldErrors.id_number).toBe('校验位不符，请核对号码')
    const notFound = new ApiError(toProblem(404, { type: `${PROBLEMS}not-found`, title: 'Not found', status: 404, detail: 'No such minor.' }))
    expect(describeProblem(notFound)).toBe('记录不存在或不在您的辖区内')
    setLocale('en')
    expect(describeProblem(notFound)).toBe('No such record in your area')
  })

  it("marks who turns 18 soon (the server's flag: the birth date is masked), and who is past 18 while active", () => {
    expect(eighteenMarker({ turns_18_soon: true, aged_out_candidate: false })).toBe('soon')
    expect(eighteenMarker({ turns_18_soon: false, aged_out_candidate: false })).toBeNull()
    expect(eighteenMarker({ turns_18_soon: false, aged_out_candidate: true })).toBe('aged_out')
  })
})

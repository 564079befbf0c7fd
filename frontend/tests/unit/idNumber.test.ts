import { describe, expect, it } from 'vitest'
import { ageOn, parseMainlandId } from '@/utils/idNumber'

describe('parseMainlandId', () => {
  it('reads birth date and gender from a valid number', () => {
    expect(parseMainlandId('330381200901011231')).toEqual({ birthDate: '2009-01-01', gender: 'male' })
    expect(parseMainlandId(' 11010519491231002x ')).toEqual({ birthDate: '1949-12-31', gender: 'female' })
  })

  it('names the rule a bad number breaks', () => {
    expect(parseMainlandId('33038120090101123')).toBe('format')
    expect(parseMainlandId('330381200902301231')).toBe('birthDate')
    expect(parseMainlandId('330381200901011232')).toBe('checksum')
  })

  it('counts age on a given day', () => {
    expect(ageOn('2009-01-01', '2026-12-31')).toBe(17)
    expect(ageOn('2009-01-01', '2027-01-01')).toBe(18)
  })
})

import { describe, expect, it } from 'vitest'
import { ageOn, checkCharacter, makeIdNumber, parseIdNumber, todayInShanghai } from '@/lib/idNumber'

const TODAY = '2026-11-23'

describe('mainland ID numbers (GB 11643)', () => {
  it('accepts a valid number and reads the birth date and gender it encodes', () => {
    const number = makeIdNumber('330381', '2011-03-07', 123)
    const result = parseIdNumber(number, TODAY)
    expect(result).toEqual({
      ok: true,
      id: { number, areaCode: '330381', birthDate: '2011-03-07', gender: 'male' },
    })
    const female = parseIdNumber(makeIdNumber('330381', '2012-12-31', 124), TODAY)
    expect(female.ok && female.id.gender).toBe('female')
  })

  it('computes the ISO 7064 MOD 11-2 check character, X included', () => {
    // the standard's own example
    expect(checkCharacter('11010519491231002')).toBe('X')
    expect(parseIdNumber('11010519491231002X', TODAY).ok).toBe(true)
  })

  it('accepts a lowercase x as X', () => {
    const result = parseIdNumber('11010519491231002x', TODAY)
    expect(result.ok && result.id.number).toBe('11010519491231002X')
  })

  it('refuses a wrong check character', () => {
    const number = makeIdNumber('330381', '2011-03-07', 123)
    const wrong = number.slice(0, 17) + (number[17] === '0' ? '1' : '0')
    expect(parseIdNumber(wrong, TODAY)).toEqual({ ok: false, problem: 'checksum' })
  })

  it('refuses a birth date that does not exist or lies ahead', () => {
    const february30 = '33038120110230' + '123'
    expect(parseIdNumber(february30 + checkCharacter(february30), TODAY)).toEqual({ ok: false, problem: 'birth_date' })
    expect(parseIdNumber(makeIdNumber('330381', '2027-01-01', 123), TODAY)).toEqual({ ok: false, problem: 'birth_date' })
    expect(parseIdNumber(makeIdNumber('330381', '1899-12-31', 123), TODAY)).toEqual({ ok: false, problem: 'birth_date' })
  })

  it('refuses 15-digit first-generation numbers', () => {
    expect(parseIdNumber('330381110307123', TODAY)).toEqual({ ok: false, problem: 'legacy' })
  })

  it('tells an unfinished number from a malformed one', () => {
    expect(parseIdNumber('3303812011', TODAY)).toEqual({ ok: false, problem: 'length' })
    expect(parseIdNumber('33038X2011030712', TODAY)).toEqual({ ok: false, problem: 'format' })
    expect(parseIdNumber('3303812011030712a4', TODAY)).toEqual({ ok: false, problem: 'format' })
  })

  it('ignores spaces typed between the groups', () => {
    const number = makeIdNumber('330381', '2011-03-07', 123)
    expect(parseIdNumber(`${number.slice(0, 6)} ${number.slice(6, 14)} ${number.slice(14)}`, TODAY).ok).toBe(true)
  })

  it('counts ages in whole years, in Beijing time', () => {
    expect(ageOn('2008-11-24', TODAY)).toBe(17)
    expect(ageOn('2008-11-23', TODAY)).toBe(18)
    expect(todayInShanghai(new Date('2026-11-22T17:30:00Z'))).toBe('2026-11-23')
  })
})

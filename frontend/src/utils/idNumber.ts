// Mainland resident ID numbers (GB 11643-1999), checked as they are typed; the server checks them again.
const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
const CHECK_CHARS = '10X98765432'

export type IdNumberProblem = 'format' | 'birthDate' | 'checksum'

export interface MainlandId {
  birthDate: string
  gender: 'male' | 'female'
}

/** The birth date and gender an 18-character number encodes, or the rule it breaks. */
export function parseMainlandId(raw: string): MainlandId | IdNumberProblem {
  const number = raw.trim().replace(/\s/g, '').toUpperCase()
  if (!/^\d{17}[\dX]$/.test(number)) return 'format'
  const year = Number(number.slice(6, 10))
  const month = Number(number.slice(10, 12))
  const day = Number(number.slice(12, 14))
  const date = new Date(Date.UTC(year, month - 1, day))
  if (year < 1900 || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day || date.getTime() > Date.now()) {
    return 'birthDate'
  }
  const sum = WEIGHTS.reduce((total, weight, index) => total + weight * Number(number[index]), 0)
  if (CHECK_CHARS[sum % 11] !== number[17]) return 'checksum'
  return {
    birthDate: number.slice(6, 10) + '-' + number.slice(10, 12) + '-' + number.slice(12, 14),
    gender: Number(number[16]) % 2 === 1 ? 'male' : 'female',
  }
}

/** Age in whole years on `day` (both `YYYY-MM-DD`). */
export function ageOn(birthDate: string, day: string): number {
  const part = (value: string, start: number, end: number): number => Number(value.slice(start, end))
  const years = part(day, 0, 4) - part(birthDate, 0, 4)
  const monthDay = (value: string): number => part(value, 5, 7) * 100 + part(value, 8, 10)
  return years - (monthDay(day) < monthDay(birthDate) ? 1 : 0)
}

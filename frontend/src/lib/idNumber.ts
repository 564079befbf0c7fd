// Mainland resident ID numbers (GB 11643-1999), checked as the person types: the same rules as the API's
// backend/identity.py, so the form can say what is wrong before sending and fill in what the number encodes.

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2] as const
const CHECK_CHARS = '10X98765432'
const SHAPE = /^\d{17}[\dX]$/

/** Why a number is refused; the codes are the API's field-problem types (`id_number.<code>`). */
export type IdNumberProblem = 'legacy' | 'format' | 'length' | 'birth_date' | 'checksum'

export interface MainlandId {
  number: string
  areaCode: string
  /** ISO date, e.g. `2011-03-07` */
  birthDate: string
  gender: 'male' | 'female'
}

export type IdNumberCheck = { ok: true; id: MainlandId } | { ok: false; problem: IdNumberProblem }

/** Spaces dropped, lowercase x read as X. */
export function normaliseIdNumber(raw: string): string {
  return raw.replace(/\s+/g, '').toUpperCase()
}

/** ISO 7064 MOD 11-2 over the first 17 digits. */
export function checkCharacter(first17: string): string {
  let sum = 0
  for (let index = 0; index < 17; index += 1) sum += Number(first17[index]) * WEIGHTS[index]!
  return CHECK_CHARS[sum % 11]!
}

function pad(value: number, width: number): string {
  return String(value).padStart(width, '0')
}

/** The number's parts and what it encodes, or the first rule it breaks. `today` is an ISO date. */
export function parseIdNumber(raw: string, today: string = todayInShanghai()): IdNumberCheck {
  const number = normaliseIdNumber(raw)
  if (number.length === 15 && /^\d{15}$/.test(number)) return { ok: false, problem: 'legacy' }
  if (!/^[\dX]*$/.test(number) || number.slice(0, -1).includes('X')) return { ok: false, problem: 'format' }
  if (number.length !== 18) return { ok: false, problem: 'length' }
  if (!SHAPE.test(number)) return { ok: false, problem: 'format' }
  const year = Number(number.slice(6, 10))
  const month = Number(number.slice(10, 12))
  const day = Number(number.slice(12, 14))
  const date = new Date(Date.UTC(year, month - 1, day))
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) {
    return { ok: false, problem: 'birth_date' }
  }
  const birthDate = `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}`
  if (year < 1900 || birthDate > today) return { ok: false, problem: 'birth_date' }
  if (checkCharacter(number.slice(0, 17)) !== number[17]) return { ok: false, problem: 'checksum' }
  return {
    ok: true,
    id: {
      number,
      areaCode: number.slice(0, 6),
      birthDate,
      gender: Number(number[16]) % 2 === 1 ? 'male' : 'female',
    },
  }
}

/** Today's date where the offices are (birthdays and ages are counted in Beijing time). */
export function todayInShanghai(now: Date = new Date()): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(now)
}

/** Whole years between an ISO birth date and an ISO day. */
export function ageOn(birthDate: string, day: string): number {
  const [by, bm, bd] = birthDate.split('-').map(Number) as [number, number, number]
  const [y, m, d] = day.split('-').map(Number) as [number, number, number]
  return y - by - (m < bm || (m === bm && d < bd) ? 1 : 0)
}

/** A well-formed number (for tests): odd sequences are male. */
export function makeIdNumber(areaCode: string, birthDate: string, sequence: number): string {
  const first17 = `${areaCode}${birthDate.replaceAll('-', '')}${pad(sequence, 3)}`
  return first17 + checkCharacter(first17)
}

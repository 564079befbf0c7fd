// School terms as the API writes them (`2026-fall`, `2027-spring`; backend/terms.py is the definition):
// the autumn term runs September to January, the spring term February to August, in Beijing time.

export interface Term {
  code: string
  year: number
  season: 'fall' | 'spring'
}

function term(year: number, season: 'fall' | 'spring'): Term {
  return { code: `${year}-${season}`, year, season }
}

/** The term of a day, judged on the calendar in Asia/Shanghai. */
export function termContaining(day: Date): Term {
  const [year, month] = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit' })
    .format(day)
    .split('-')
    .map(Number) as [number, number]
  if (month >= 9) return term(year, 'fall')
  if (month === 1) return term(year - 1, 'fall')
  return term(year, 'spring')
}

export function previousTerm(current: Term): Term {
  return current.season === 'spring' ? term(current.year - 1, 'fall') : term(current.year, 'spring')
}

/** The current term and the ones before it, newest first. */
export function recentTerms(count: number, today: Date = new Date()): Term[] {
  const terms = [termContaining(today)]
  while (terms.length < count) terms.push(previousTerm(terms[terms.length - 1] as Term))
  return terms
}

// The rates' periods (GET /stats/rates): days in Beijing time, both ends included, as ISO dates.

export type PeriodPreset = 'year' | 'lastQuarter' | 'month'

export interface Period {
  from: string
  to: string
}

function iso(year: number, month: number, day: number): string {
  return `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`
}

/** Today's year, month and day on the calendar in Asia/Shanghai. */
export function beijingDay(now: Date = new Date()): [number, number, number] {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit' })
    .format(now)
    .split('-')
    .map(Number) as [number, number, number]
}

/** 本年 (1 January to today), 上季度 (the last whole quarter), 本月 (the 1st to today). */
export function presetPeriod(preset: PeriodPreset, now: Date = new Date()): Period {
  const [year, month, day] = beijingDay(now)
  const today = iso(year, month, day)
  if (preset === 'year') return { from: iso(year, 1, 1), to: today }
  if (preset === 'month') return { from: iso(year, month, 1), to: today }
  const quarter = Math.floor((month - 1) / 3) // 0..3, the current one
  const startYear = quarter === 0 ? year - 1 : year
  const startMonth = quarter === 0 ? 10 : (quarter - 1) * 3 + 1
  const lastDay = new Date(Date.UTC(startYear, startMonth + 2, 0)).getUTCDate()
  return { from: iso(startYear, startMonth, 1), to: iso(startYear, startMonth + 2, lastDay) }
}

import { describe, expect, it } from 'vitest'
import type { SchoolMetricFigures } from '@/api/types'
import { implausibleChanges } from '@/views/stats/schoolMetricFields'
import { phaseOf, wholePercent } from '@/views/campaigns/phases'

const CURRENT: SchoolMetricFigures = {
  students_enrolled: 1623,
  students_registered: 1600,
  students_completed: 1500,
  lesson_hours: 2,
  five_one_activities: 4,
  exams_with_content: 1,
  teachers_trained: 6,
}

describe('school figures worth a second look', () => {
  it('nothing to say about a small change', () => {
    expect(implausibleChanges(CURRENT, { ...CURRENT, lesson_hours: 3, teachers_trained: 4 })).toEqual([])
  })

  it('a figure that falls by more than half', () => {
    expect(implausibleChanges(CURRENT, { ...CURRENT, five_one_activities: 1, students_completed: 700 })).toEqual([
      { kind: 'drop', field: 'students_completed', before: 1500, after: 700 },
      { kind: 'drop', field: 'five_one_activities', before: 4, after: 1 },
    ])
    // exactly half is not more than half
    expect(implausibleChanges(CURRENT, { ...CURRENT, five_one_activities: 2 })).toEqual([])
  })

  it('a school with no pupils, said once', () => {
    const none = { ...CURRENT, students_enrolled: 0, students_registered: 0, students_completed: 0 }
    expect(implausibleChanges(CURRENT, none)).toEqual([
      { kind: 'no_pupils', field: 'students_enrolled' },
      { kind: 'drop', field: 'students_registered', before: 1600, after: 0 },
      { kind: 'drop', field: 'students_completed', before: 1500, after: 0 },
    ])
    expect(implausibleChanges(null, none)).toEqual([{ kind: 'no_pupils', field: 'students_enrolled' }])
  })
})

describe('campaign progress', () => {
  const phases = [
    { name: '宣传发动', start: '2026-09-01', end: '2026-09-30' },
    { name: '集中整治', start: '2026-10-01', end: '2026-11-30' },
  ]

  it('a task belongs to the phase that holds its due date', () => {
    expect(phaseOf({ due_date: '2026-09-30' }, phases)?.name).toBe('宣传发动')
    expect(phaseOf({ due_date: '2026-10-01' }, phases)?.name).toBe('集中整治')
    expect(phaseOf({ due_date: '2026-12-15' }, phases)).toBeNull()
    expect(phaseOf({ due_date: null }, phases)).toBeNull()
  })

  it('completion in whole percent', () => {
    expect(wholePercent(1 / 3)).toBe(33)
    expect(wholePercent(1 / 15)).toBe(7)
    expect(wholePercent(1)).toBe(100)
  })
})

import type { SchoolMetricFigures } from '@/api/types'

/** The figures of a school's term, in the order of seed 004's task list, with their labels' i18n keys. */
export const METRIC_FIELDS = [
  ['students_enrolled', 'stats.enrolled'],
  ['students_registered', 'stats.registered'],
  ['students_completed', 'stats.completed'],
  ['lesson_hours', 'stats.lessonHours'],
  ['five_one_activities', 'stats.fiveOne'],
  ['exams_with_content', 'stats.exams'],
  ['teachers_trained', 'stats.teachers'],
] as const satisfies readonly (readonly [keyof SchoolMetricFigures, string])[]

export type MetricField = (typeof METRIC_FIELDS)[number][0]

export type Implausible =
  | { kind: 'drop'; field: MetricField; before: number; after: number }
  | { kind: 'no_pupils'; field: 'students_enrolled' }

/**
 * Changes worth a second look before they replace the current figures: a figure that falls by more than half,
 * and a school with no pupils. Neither is refused (a school may close a branch); the person confirms.
 */
export function implausibleChanges(before: SchoolMetricFigures | null, after: SchoolMetricFigures): Implausible[] {
  const found: Implausible[] = []
  if (after.students_enrolled === 0) found.push({ kind: 'no_pupils', field: 'students_enrolled' })
  if (!before) return found
  for (const [field] of METRIC_FIELDS) {
    const old = before[field]
    const next = after[field]
    if (old > 0 && next < old / 2 && !(field === 'students_enrolled' && next === 0)) {
      found.push({ kind: 'drop', field, before: old, after: next })
    }
  }
  return found
}
